"""Human-readable answers for the review screen and receipts (current language)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kiosk.admin_units import admin_units
from kiosk.forms.model import Question
from kiosk.i18n import t


def format_date(value: str | date) -> str:
    """Dates as Mongolians write them: 2026.11.26."""
    d = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{d.year:04d}.{d.month:02d}.{d.day:02d}"


def display_value(q: Question, value: Any, lang: str) -> str:
    labels = {c.value: c.text(lang) for c in q.choice_list}
    t_ = q.type
    if t_ == "select_one":
        return labels.get(value, str(value))
    if t_ == "select_multiple":
        return ", ".join(labels.get(v, v) for v in value)
    if t_ == "yes_no":
        return t("forms.yes" if value else "forms.no", lang)
    if t_ == "consent":
        return t("forms.consent_given" if value else "forms.no", lang)
    if t_ == "date":
        return format_date(value)
    if t_ == "aimag_soum":
        return admin_units().display(value["aimag"], value["soum"], lang)
    if t_ == "attachment":
        return str(value.get("name") or t("forms.attached", lang))
    if t_ == "signature":
        return t("forms.signed", lang)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
