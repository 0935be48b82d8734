"""Human-readable answers for the review screen and receipts (current language)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from kiosk.admin_units import admin_units
from kiosk.forms.model import Question
from kiosk.forms.table_choices import choice_labels
from kiosk.forms.values_odk import ODK_TYPES
from kiosk.i18n import t

_OUTPUT = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


def format_date(value: str | date) -> str:
    """Dates as Mongolians write them: 2026.11.26."""
    d = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{d.year:04d}.{d.month:02d}.{d.day:02d}"


def display_value(q: Question, value: Any, lang: str) -> str:
    labels = choice_labels(q.choice_list, lang)
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
    if t_ in ODK_TYPES:
        return display_odk(q, value, lang)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def display_odk(q: Question, value: Any, lang: str) -> str:
    """Review/receipt text of the XForm types (time, datetime, geopoint, range, rank, OK)."""
    t_ = q.type
    if t_ == "time":
        return str(value)[:5]
    if t_ == "datetime":
        text = str(value)
        return f"{format_date(text[:10])} {text[11:16]}" if len(text) >= 16 else text
    if t_ == "geopoint":
        parts = str(value).split()
        return ", ".join(parts[:2]) if len(parts) >= 2 else str(value)
    if t_ == "rank":
        labels = choice_labels(q.choice_list, lang)
        return ", ".join(f"{i}. {labels.get(v, v)}" for i, v in enumerate(value, start=1))
    if t_ == "acknowledge":
        return t("forms.yes", lang)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def label_outputs(text: str, session: Any, lang: str, item: tuple[int, ...]) -> str:
    """``${name}`` in a label replaced by the answer's display text ("" when it has none).
    Inside a repeat item, a name of the same repeat reads that item's answer. Never raises:
    a label must always be shown."""
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        try:
            q = session.form.questions[name]
            depth = len(q.repeat_path)
            value = session.value(name, item[:depth])
            return "" if value is None else display_value(q, value, lang)
        except Exception:  # noqa: BLE001 - a label is shown whatever the answers are
            return ""
    return _OUTPUT.sub(repl, text)
