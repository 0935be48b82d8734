"""The one grammar for identifiers that cross the wire or a removable-media bundle.

Everything a kiosk or a bundle names — submission ID, device ID, attachment
SHA-256, form ID and version, attachment file names — is checked here before the
server stores it, builds a path from it or prints it. Both sides use the same
checks (central intake and bundle import, the kiosk's acknowledgement import),
so a value one side makes is exactly what the other accepts, and a value an
attacker makes (``../``, an absolute path, a newline, an ANSI escape) is refused
with a reason instead of ending up in a file name or on a terminal.

No Qt, no I/O: pure functions, safe to import anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePath

# RFC 9562 UUIDv7 in its canonical text form: lowercase hex, hyphens at 8-4-4-4-12,
# version nibble 7, variant bits 10 (8, 9, a or b).
_UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# "kiosk-" + 16 hex digits of the key's RFC 7638 thumbprint (kiosk.device.device_id_for).
_DEVICE = re.compile(r"^kiosk-[0-9a-f]{16}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# kiosk/schemas/form.schema.json: "^[a-z0-9][a-z0-9-]*$", at most 64 characters.
_FORM = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_FORM_VERSION = 40
MAX_FILE_NAME = 120
# Names Windows refuses whatever the extension (an agency may copy the output there).
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
             *(f"lpt{i}" for i in range(10))}


class BadIdentifier(ValueError):
    """An identifier outside the grammar; the message names what and why (escaped)."""


def is_submission_id(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID7.match(value))


def is_device_id(value: object) -> bool:
    return isinstance(value, str) and bool(_DEVICE.match(value))


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and bool(_SHA256.match(value))


def is_form_id(value: object) -> bool:
    return isinstance(value, str) and bool(_FORM.match(value))


def is_form_version(value: object) -> bool:
    return (isinstance(value, str) and 0 < len(value) <= MAX_FORM_VERSION
            and all(c.isprintable() for c in value))


def _check(kind: str, value: object, ok: bool, rule: str) -> str:
    if not ok:
        raise BadIdentifier(f"{kind} {shown(value)} is not {rule}")
    assert isinstance(value, str)
    return value


def submission_id(value: object) -> str:
    return _check("submission ID", value, is_submission_id(value), "a canonical UUIDv7")


def device_id(value: object) -> str:
    return _check("device ID", value, is_device_id(value), "'kiosk-' and 16 hex digits")


def sha256_hex(value: object) -> str:
    return _check("SHA-256", value, is_sha256(value), "64 lowercase hex digits")


def form_id(value: object) -> str:
    return _check("form ID", value, is_form_id(value),
                  "lowercase letters, digits and '-' (at most 64)")


def form_version(value: object) -> str:
    return _check("form version", value, is_form_version(value),
                  f"printable text of 1 to {MAX_FORM_VERSION} characters")


def file_name(value: object) -> str:
    """An attachment's file name usable as one path component on any system.

    Letters of any script, digits, space and ``._-()`` only; no leading dot or
    space, no path separator, no control character, not ``.``/``..`` or a name
    Windows reserves. NFC-normalised so one name has one spelling.
    """
    if not isinstance(value, str):
        raise BadIdentifier(f"file name {shown(value)} is not text")
    name = unicodedata.normalize("NFC", value)
    ok = (0 < len(name) <= MAX_FILE_NAME and name[0] not in ". " and name[-1] not in ". "
          and all(c.isalnum() or c in " ._-()" for c in name)
          and name.split(".")[0].lower() not in _RESERVED)
    if not ok:
        raise BadIdentifier(f"file name {shown(value)} is not a plain file name")
    return name


def inside(root: Path, *parts: str) -> Path:
    """``root / parts...`` after checking it stays under ``root`` (each part one component).

    The parts must already have passed the grammar; this is the second lock:
    no part may be empty, absolute, ``.``/``..`` or contain a separator, and the
    resolved result must be below the resolved root (a symlink planted inside
    ``root`` that points out of it is refused too).
    """
    base = root.resolve()
    target = base
    for part in parts:
        pure = PurePath(part)
        if (not part or part in (".", "..") or pure.is_absolute() or len(pure.parts) != 1
                or "/" in part or "\\" in part or "\x00" in part):
            raise BadIdentifier(f"path part {shown(part)} is not a single file name")
        target = target / part
    resolved = target.resolve()
    if resolved != base and base not in resolved.parents:
        raise BadIdentifier(f"{shown(str(target))} would be outside {shown(str(base))}")
    return target


def shown(value: object, limit: int = 80) -> str:
    """A value as it may be printed on a terminal or in a log: quoted, every control,
    format or non-printable character escaped (no ANSI escape, no newline, no
    bidi override gets through), and cut at ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    cut = len(text) > limit
    text = text[:limit]
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c.isprintable() and unicodedata.category(c) not in ("Cf", "Zl", "Zp"):
            out.append(c)
        else:
            code = ord(c)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "'" + "".join(out) + ("…" if cut else "") + "'"


def printable(value: object, limit: int = 200) -> str:
    """Like :func:`shown` without the quotes: for table columns on a terminal."""
    return shown(value, limit)[1:-1]
