"""Answer values per question type: normalising input and the value expressions see.

``normalise`` turns what a resident (or an answers file) gives into the
canonical JSON value of docs/forms.md, or reports why it cannot: it never
raises. ``expr_value`` is how a stored answer looks inside expressions.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from kiosk.admin_units import admin_units
from kiosk.forms.expr_values import answer_moment
from kiosk.forms.model import Question
from kiosk.forms.table_choices import choice_values, has_choice_value
from kiosk.forms.values_odk import ODK_TYPES, normalise_odk, normalise_repeat_choice
from kiosk.validators import check_phone, check_postal_code, check_registry_number

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_ATTACHMENT_KEYS = ("sha256", "size", "media_type", "name")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def parse_date(value: Any) -> date | None:
    """'YYYY-MM-DD' (also 'YYYY.MM.DD' and 'YYYY/MM/DD', as residents write them)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip().replace(".", "-").replace("/", "-")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def normalise(q: Question, value: Any, today: date) -> tuple[Any, str | None]:
    """(canonical value, None) or (the raw value, an i18n error key). None means empty."""
    if _empty(value):
        return None, None
    t = q.type
    if t in ("select_one", "select_multiple") and q.params.get("choices_from"):
        return normalise_repeat_choice(q, value)  # choices are answers: checked by the session
    if t == "text":
        return (str(value).strip(), None) if not isinstance(value, (dict, list)) else (value, "forms.bad_text")
    if t == "integer":
        return _integer(value)
    if t == "decimal":
        return _decimal(value)
    if t == "date":
        d = parse_date(value)
        return (d.isoformat(), None) if d else (value, "forms.bad_date")
    if t == "select_one":
        text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if text is None or text not in has_choice_value(q.choice_list):
            return value, "forms.bad_choice"
        return text, None
    if t == "select_multiple":
        items = value.split() if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
            return value, "forms.bad_choice"
        known = has_choice_value(q.choice_list)
        if any(x not in known for x in items):
            return value, "forms.bad_choice"
        picked = set(items)
        return [v for v in choice_values(q.choice_list) if v in picked], None  # choice order, no duplicates
    if t in ("yes_no", "consent"):
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.strip().lower() in ("yes", "true", "no", "false"):
            return value.strip().lower() in ("yes", "true"), None
        return value, "forms.bad_yes_no"
    if t == "registry_number":
        checked = check_registry_number(value, today)
        return (checked.value, None) if checked.ok else (value, f"validators.{checked.error}")
    if t == "phone":
        checked = check_phone(value)
        return (checked.value, None) if checked.ok else (value, f"validators.{checked.error}")
    if t == "postal_code":
        checked = check_postal_code(value)
        return (checked.value, None) if checked.ok else (value, f"validators.{checked.error}")
    if t == "aimag_soum":
        if not isinstance(value, dict):
            return value, "validators.aimag_unknown"
        reason = admin_units().check_pair(value.get("aimag"), value.get("soum"))
        if reason:
            return value, f"validators.{reason}"
        return {"aimag": value["aimag"], "soum": value["soum"]}, None
    if t == "attachment":
        return _attachment(value)
    if t == "signature":
        return _signature(value)
    if t in ODK_TYPES:
        return normalise_odk(q, value)
    return value, "forms.no_answer_here"


def _integer(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, "forms.bad_integer"
    if isinstance(value, int):
        return value, None
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value), None
    if isinstance(value, str):
        text = _SPACES.sub("", value)
        if re.fullmatch(r"[+-]?\d{1,15}", text):
            return int(text), None
    return value, "forms.bad_integer"


def _decimal(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, "forms.bad_decimal"
    if isinstance(value, (int, float)):
        return (value, None) if math.isfinite(value) else (value, "forms.bad_decimal")
    if isinstance(value, str):
        text = _SPACES.sub("", value).replace(",", ".")
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", text):
            number = float(text)
            return (int(number) if number == int(number) and "." not in text else number), None
    return value, "forms.bad_decimal"


def _attachment(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, dict) or any(k not in value for k in _ATTACHMENT_KEYS):
        return value, "forms.bad_attachment"
    if not (isinstance(value["sha256"], str) and re.fullmatch(r"[0-9a-f]{64}", value["sha256"])):
        return value, "forms.bad_attachment"
    if not isinstance(value["size"], int) or value["size"] < 0:
        return value, "forms.bad_attachment"
    return {k: value[k] for k in _ATTACHMENT_KEYS}, None


def _signature(value: Any) -> tuple[Any, str | None]:
    strokes = value.get("strokes") if isinstance(value, dict) else None
    if not isinstance(strokes, list) or not strokes:
        return value, "forms.bad_signature"
    for stroke in strokes:
        if not isinstance(stroke, list) or not stroke:
            return value, "forms.bad_signature"
        for point in stroke:
            if (
                not isinstance(point, (list, tuple)) or len(point) != 2
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1 for c in point)
            ):
                return value, "forms.bad_signature"
    return {"strokes": [[[float(x), float(y)] for x, y in s] for s in strokes]}, None


def expr_value(q: Question, stored: Any) -> Any:
    """How a valid stored answer looks inside expressions (see docs/forms.md)."""
    if stored is None:
        return None
    t = q.type
    if t == "date":
        return date.fromisoformat(stored)
    if t == "datetime":  # an instant, as Collect reads a dateTime answer
        return answer_moment(stored)
    if t == "aimag_soum":
        return [stored["aimag"], stored["soum"]]
    if t == "attachment":
        return stored.get("name") or "attachment"
    if t == "signature":
        return "signed"
    return stored
