"""Mongolian validators: civil registry number (РД), phone, postal code.

Each ``check_*`` takes what a resident typed and returns a ``Checked``: the
normalised value when it is acceptable, else a reason key whose bilingual text
lives in assets/i18n/validators.json (``validators.<key>``). They never raise on
bad input: a kiosk shows the message and lets the resident fix it.

The registry number's last digit is a check digit whose algorithm is not
public, so it is never used to reject a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# Latin letters that look like Cyrillic capitals on a keyboard or a photocopy.
LOOKALIKES = str.maketrans(
    {
        "A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "O": "О",
        "P": "Р", "C": "С", "T": "Т", "X": "Х", "Y": "У",
    }
)
# Mongolian Cyrillic capitals: А–Я, Ё, and Ө/Ү which lie outside А–Я.
_RD_RE = re.compile(r"[А-ЯЁӨҮ]{2}[0-9]{8}")
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.()]+")


@dataclass(frozen=True)
class Checked:
    """The outcome of a check: ``value`` when ``ok``, else ``error`` (an i18n key)."""

    value: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class RegistryInfo:
    """What a valid registry number tells: normalised text, birth date and sex."""

    value: str
    birth_date: date
    sex: str  # "male" / "female"


def normalise_registry_number(raw: str) -> str:
    """Upper-case, drop spaces/dashes, turn Latin look-alikes into Cyrillic."""
    return _SEPARATORS.sub("", raw).upper().translate(LOOKALIKES)


def registry_birth_date(digits: str) -> date | None:
    """YYMMDD with 20 added to the month for births from 2000; None if no such day."""
    yy, mm, dd = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    year = 1900 + yy
    if mm > 20:
        year, mm = 2000 + yy, mm - 20
    try:
        return date(year, mm, dd)
    except ValueError:
        return None


def parse_registry_number(raw: object, today: date | None = None) -> RegistryInfo | str:
    """A RegistryInfo, or the reason key when ``raw`` is not a possible РД."""
    if not isinstance(raw, str) or not raw.strip():
        return "rd_format"
    value = normalise_registry_number(raw)
    if not _RD_RE.fullmatch(value):
        return "rd_format"
    born = registry_birth_date(value[2:8])
    if born is None:
        return "rd_date"
    from kiosk.clock import trusted_today, wall_clock_before_build

    if born > (today or trusted_today()):
        # a kiosk clock before this build's release is certainly wrong: say so, do
        # not tell the resident their (correct) number is impossible
        return "rd_clock" if wall_clock_before_build() else "rd_future"
    sex = "male" if int(value[8]) % 2 == 1 else "female"
    return RegistryInfo(value=value, birth_date=born, sex=sex)


def check_registry_number(raw: object, today: date | None = None) -> Checked:
    info = parse_registry_number(raw, today)
    if isinstance(info, str):
        return Checked(None, info)
    return Checked(info.value)


def check_phone(raw: object) -> Checked:
    """8 digits, optional +976 / 976 / 00976 prefix; spaces, dashes, brackets tolerated."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        return Checked(None, "phone_format")
    text = _SEPARATORS.sub("", raw)
    for prefix in ("+976", "00976"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    else:
        if len(text) == 11 and text.startswith("976"):
            text = text[3:]
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        return Checked(None, "phone_format")
    return Checked(text)


def check_postal_code(raw: object) -> Checked:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = f"{raw:05d}"
    if not isinstance(raw, str):
        return Checked(None, "postal_format")
    text = _SEPARATORS.sub("", raw)
    if len(text) != 5 or not text.isascii() or not text.isdigit():
        return Checked(None, "postal_format")
    return Checked(text)
