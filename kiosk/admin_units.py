"""Mongolia's aimags, soums and Ulaanbaatar's districts (assets/mn_admin_units.csv).

The `aimag_soum` question type offers these as a cascade (aimag, then soum or
district) and stores codes, never names: names have disputed spellings (see
assets/mn_admin_units.SOURCES.md) while codes are stable. Loaded once, lazily.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from kiosk.paths import ASSETS_DIR

CSV_PATH = ASSETS_DIR / "mn_admin_units.csv"


@dataclass(frozen=True)
class AdminUnit:
    """One aimag (first level; Ulaanbaatar included) or soum/district (second level)."""

    level: str  # "aimag", "soum" or "district"
    code: str
    parent_code: str
    name_mn: str
    name_en: str

    def name(self, lang: str = "mn") -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_mn


@dataclass(frozen=True)
class AdminUnits:
    """Lookups over the whole list, in file order (aimag, then its children by code)."""

    by_code: dict[str, AdminUnit]
    aimags: tuple[AdminUnit, ...]
    children: dict[str, tuple[AdminUnit, ...]]

    def aimag(self, code: str) -> AdminUnit | None:
        unit = self.by_code.get(code)
        return unit if unit is not None and unit.level == "aimag" else None

    def soums(self, aimag_code: str) -> tuple[AdminUnit, ...]:
        """Soums of an aimag (districts for Ulaanbaatar); empty for an unknown code."""
        return self.children.get(aimag_code, ())

    def soum(self, code: str) -> AdminUnit | None:
        unit = self.by_code.get(code)
        return unit if unit is not None and unit.level != "aimag" else None

    def check_pair(self, aimag_code: object, soum_code: object) -> str | None:
        """None when the pair is valid; else a reason key in the validators i18n section."""
        if not isinstance(aimag_code, str) or self.aimag(aimag_code) is None:
            return "aimag_unknown"
        if not isinstance(soum_code, str) or self.soum(soum_code) is None:
            return "soum_unknown"
        if self.by_code[soum_code].parent_code != aimag_code:
            return "soum_not_in_aimag"
        return None

    def display(self, aimag_code: str, soum_code: str, lang: str = "mn") -> str:
        """'Дорнод, Хэрлэн' — for review screens and receipts."""
        aimag = self.by_code.get(aimag_code)
        soum = self.by_code.get(soum_code)
        parts = [u.name(lang) for u in (aimag, soum) if u is not None]
        return ", ".join(parts)


@lru_cache(maxsize=1)
def admin_units() -> AdminUnits:
    by_code: dict[str, AdminUnit] = {}
    aimags: list[AdminUnit] = []
    children: dict[str, list[AdminUnit]] = {}
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            unit = AdminUnit(
                level=row["level"],
                code=row["code"],
                parent_code=row["parent_code"] or "",
                name_mn=row["name_mn"],
                name_en=row["name_en"],
            )
            by_code[unit.code] = unit
            if unit.level == "aimag":
                aimags.append(unit)
            else:
                children.setdefault(unit.parent_code, []).append(unit)
    return AdminUnits(
        by_code=by_code,
        aimags=tuple(aimags),
        children={k: tuple(v) for k, v in children.items()},
    )
