"""Rotating log files in the data folder, scrubbed of personal data and secrets.

Every module logs through ``logging.getLogger(__name__)``; nothing but this
module attaches handlers. The rule is that code never logs answers, names,
registry numbers, phones or secrets in the first place. The scrubber here is
the safety net for when someone forgets (an exception message that quotes an
answer, a repr of a JWK): it rewrites the final text of every record before it
reaches the file, so a technician can hand the logs to support without
reading them first.

The log files are the one thing support asks for, so setting them up must
never stop the kiosk: if the folder cannot be written, the kiosk runs without
a log file and says so once on stderr.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.paths import Home

LOG_FILE_NAME = "kiosk.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
log = logging.getLogger(__name__)
_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"

# Marker on our handler so that a second setup (tests, demo starting a child
# in-process) replaces it instead of logging every line twice.
_HANDLER_MARK = "_soum_kiosk_handler"

_Sub = str | Callable[[re.Match[str]], str]

# (trigger, pattern, replacement): a pattern runs only when one of its trigger
# substrings is in the lower-cased text (None: always). Cheap guards keep the
# scrubber at a few microseconds a line, most lines having none of them.
# Order matters: secrets first (a token may contain digits that look like a
# phone), then personal data.
_PATTERNS: tuple[tuple[tuple[str, ...] | None, re.Pattern[str], _Sub], ...] = (
    # PEM private keys, whole block.
    (
        ("-----begin",),
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
        "[private-key]",
    ),
    # Private JWK members (RFC 7518 §6.2.2, §6.3.2, §6.4.1): JSON or Python repr.
    (
        None,
        re.compile(r"""(["'](?:d|p|q|dp|dq|qi|k)["']\s*:\s*)(["'])[^"']*\2"""),
        lambda m: f"{m.group(1)}{m.group(2)}[secret]{m.group(2)}",
    ),
    # HTTP credentials.
    (("bearer", "basic"), re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]+"), r"\1 [token]"),
    (
        ("authorization", "signature", "cookie"),
        re.compile(r"(?i)\b(authorization|signature|signature-input|cookie)(\s*[:=]\s*)[^\r\n,}]+"),
        r"\1\2[token]",
    ),
    # An ODK Central app-user URL carries its token in the path (…/v1/key/TOKEN/projects/N).
    (("/key/",), re.compile(r"(/key/)[^/\s?#\"']+"), r"\1[token]"),
    # JOSE compact serialisations (JWS: 3 parts, JWE: 5 parts) start with eyJ ('{"').
    (("eyj",), re.compile(r"\beyJ[\w-]*(?:\.[\w-]*){2,4}"), "[jose]"),
    # key=value / "key": "value" for anything named like a secret.
    (
        ("pass", "secret", "token", "api", "pin", "private", "enrol", "otp"),
        re.compile(
            r"""(?ix)
            (["']?\b(?:password|passphrase|passwd|secret|token|access_token|refresh_token
                |api_key|apikey|pin|staff_pin|private_key|enrol(?:l)?(?:ment)?_code|otp)\b["']?
             \s*[:=]\s*)
            (?:"[^"]*"|'[^']*'|[^\s,;}]+)
            """
        ),
        r"\1[secret]",
    ),
    # E-mail addresses.
    (("@",), re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # Mongolian civil registry numbers: two Cyrillic letters + 8 digits (АБ12345678).
    (None, re.compile(r"(?<!\w)[А-ЯЁӨҮа-яёөү]{2}[ -]?\d{8}(?!\d)"), "[registry-no]"),
    # Mongolian phone numbers: 8 digits, optional +976, optional separator in the middle.
    # Not when glued to letters, hex or dashes (UUID groups, hashes, dates).
    (
        None,
        re.compile(r"(?<![\w.+-])(?:\+?976[ -]?)?\d{4}[ -]?\d{4}(?![\w-])"),
        "[phone]",
    ),
)


def scrub(text: str) -> str:
    """``text`` with anything that looks like personal data or a secret replaced."""
    lowered = text.lower()
    for trigger, pattern, replacement in _PATTERNS:
        if trigger is None or any(word in lowered for word in trigger):
            text = pattern.sub(replacement, text)
    return text


class ScrubFilter(logging.Filter):
    """Rewrites a record's message (arguments merged in) before any handler sees it.

    Merging the arguments first matters: ``log.info("phone %s", value)`` must be
    scrubbed as a whole line, not as a format string that looks harmless.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg = scrub(message)
        record.args = None
        return True


class ScrubFormatter(logging.Formatter):
    """Scrubs the final text too, which covers tracebacks and exception messages."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _QuietRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A log file that can fail (disk full, read-only, removed) without a traceback.

    The standard handler prints ``--- Logging error ---`` and a traceback on
    stderr for every record it cannot write, in front of a technician or over
    the one clear line a command promised. This one says so once, in one line,
    and stops writing; the kiosk carries on. New files are created 0600.
    """

    failed = False
    lang = "mn"  # of the one line said when the file cannot be written

    def _open(self):  # type: ignore[no-untyped-def]
        import os

        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging API
        if self.failed:
            return
        self.failed = True
        exc = sys.exc_info()[1]
        try:
            from kiosk.errors import os_reason
            from kiosk.i18n import t

            why = os_reason(exc) if isinstance(exc, OSError) else {
                "reason": type(exc).__name__, "code": type(exc).__name__}
            sys.stderr.write("kiosk: warning: " + t("tech.log_file_unwritable", self.lang,
                                                    path=self.baseFilename, **why) + "\n")
        except (OSError, ValueError):
            pass
        try:
            self.close()
        except Exception:  # noqa: BLE001 - a full disk may fail the close too
            pass


def _level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    value = logging.getLevelName(str(level).upper())
    return value if isinstance(value, int) else logging.INFO


def setup_logging(home: Home, level: str | int = "INFO", lang: str = "mn") -> Path | None:
    """Log to ``<home>/logs/kiosk.log`` (1 MB × 5 rotated files); returns the file.

    Returns None (and says so once on stderr, in ``lang``) when the folder cannot be
    written: the kiosk must keep working on a read-only or full disk.
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, _HANDLER_MARK, False):
            root.removeHandler(old)
            old.close()
    path = home.logs / LOG_FILE_NAME
    try:
        for folder in (home.root, home.logs):  # private, like Home.ensure() makes them
            if not folder.exists():
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler: logging.Handler = _QuietRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
    except OSError as exc:
        from kiosk.errors import os_reason
        from kiosk.i18n import t

        print("kiosk: warning: " + t("tech.log_folder_unwritable", lang, folder=home.logs,
                                     **os_reason(exc)), file=sys.stderr)
        return None
    handler.lang = lang  # type: ignore[attr-defined]
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(ScrubFilter())
    handler.setFormatter(ScrubFormatter(_FORMAT))
    handler.setLevel(_level(level))
    root.addHandler(handler)
    root.setLevel(_level(level))
    # Chatty libraries: their DEBUG lines carry request headers and bodies.
    for noisy in ("httpx", "httpcore", "urllib3", "keyring"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, _level(level)))
    return path


def configure_for_cli(cli_home: str | None = None, *, create: bool = True,
                      lang: str = "mn") -> Path | None:
    """What ``app.cli.main`` calls after parsing: the data folder's logs, at its level.

    A broken config must still get a log file (the error itself is reported
    by the command that loads the config), so the level falls back to INFO.
    ``create=False`` (commands that only read or send) never makes a data folder
    where there is none: no log file then, and the command says why it stops.
    A ``--home`` that is not a folder is left to the command to report, too.
    """
    from kiosk.config import load_config
    from kiosk.errors import KioskError
    from kiosk.paths import home as resolve

    where = resolve(cli_home)
    existing = next((p for p in (where.root, *where.root.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        return None
    if not create and not where.root.is_dir():
        return None
    try:
        level = load_config(where.config_file).log_level
    except KioskError:
        level = "INFO"
    return setup_logging(where, level, lang)


def log_files(home: Home) -> list[Path]:
    """The current log file and its rotated predecessors, oldest last."""
    if not home.logs.is_dir():
        return []
    return sorted(home.logs.glob(LOG_FILE_NAME + "*"))


def export_bundle(
    home: Home, target: Path, diagnosis: Callable[[], dict[str, Any]]
) -> tuple[Path, int]:
    """Write the support zip: ``logs/kiosk.log*``, ``doctor.json``, ``config.toml``.

    ``diagnosis`` returns the doctor's report (the caller, app.commands.logs, runs the
    doctor: it lives on the top floor, which the core never imports).

    The logs are scrubbed again on the way out, so files written by an older
    build (or by hand) cannot carry personal data to support. The zip is
    written beside the target and renamed into place: a full USB stick leaves
    no half-written bundle that looks complete. Returns the path and the
    number of log files packed.
    """
    import json
    import os
    import zipfile

    from kiosk.errors import NotFoundError, StorageError

    target = target.expanduser().resolve()
    if not target.parent.is_dir():
        raise NotFoundError(key="errors.no_folder_to_write",
                            params={"path": target, "folder": target.parent})
    doctor_json = json.dumps(diagnosis(), ensure_ascii=False, indent=2, default=str)
    files = log_files(home)
    partial = target.with_name(target.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("doctor.json", scrub(doctor_json))
            for file in files:
                text = file.read_text(encoding="utf-8", errors="replace")
                zf.writestr(f"logs/{file.name}", scrub(text))
            if home.config_file.is_file():
                config_text = home.config_file.read_text(encoding="utf-8", errors="replace")
                zf.writestr("config.toml", scrub(config_text))
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(key="errors.cannot_write",
                           params={"path": target, "reason": exc.strerror or exc}) from None
    log.info("support bundle written with %d log files", len(files))
    return target, len(files)
