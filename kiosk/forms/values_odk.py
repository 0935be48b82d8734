"""Answer values of the types that come from ODK XForms: time, datetime, geopoint, range,
rank, acknowledge (see docs/xlsform.md for the canonical value of each).

Like kiosk.forms.values.normalise: never raises; bad input comes back as it was,
with an i18n error key, so the resident sees what is wrong.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from kiosk.forms.model import Question
from kiosk.forms.table_choices import choice_values

ODK_TYPES = ("time", "datetime", "geopoint", "range", "rank", "acknowledge")


def _time(text: str) -> str | None:
    m = re.fullmatch(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", text)
    if not m:
        return None
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return f"{h:02d}:{mi:02d}:{s:02d}"


def _datetime(text: str) -> str | None:
    m = re.fullmatch(r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})[T ](.+)", text)
    if not m:
        return None
    clock = _time(m.group(4))
    if clock is None:
        return None
    h, mi, s = (int(p) for p in clock.split(":"))
    try:
        value = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), h, mi, s)
    except ValueError:
        return None
    return value.isoformat()


def _numbers(value: Any) -> list[float] | None:
    if isinstance(value, dict):
        keys = ("lat", "lon", "alt", "accuracy")
        parts: list[Any] = [value.get(k) for k in keys if value.get(k) is not None]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    elif isinstance(value, str):
        parts = value.replace(",", " ").split()
    else:
        return None
    try:
        out = [float(p) for p in parts if not isinstance(p, bool)]
    except (TypeError, ValueError):
        return None
    return out if len(out) == len(parts) and all(math.isfinite(x) for x in out) else None


def geopoint_text(lat: float, lon: float, alt: float = 0.0, accuracy: float = 0.0) -> str:
    """The ODK geopoint value: "lat lon altitude accuracy"."""
    return " ".join(_num(x) for x in (lat, lon, alt, accuracy))


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) else repr(x)


def normalise_odk(q: Question, value: Any) -> tuple[Any, str | None]:
    """(canonical value, None) or (value as given, error key); never raises."""
    t = q.type
    if t == "time":
        out = _time(str(value).strip()) if isinstance(value, str) else None
        return (out, None) if out else (value, "xform.bad_time")
    if t == "datetime":
        out = _datetime(str(value).strip()) if isinstance(value, str) else None
        return (out, None) if out else (value, "xform.bad_datetime")
    if t == "geopoint":
        nums = _numbers(value)
        if not nums or not 2 <= len(nums) <= 4 or not (-90 <= nums[0] <= 90 and -180 <= nums[1] <= 180):
            return value, "xform.bad_geopoint"
        return geopoint_text(*nums), None
    if t == "range":
        return _range(q, value)
    if t == "rank":
        return _rank(q, value)
    if t == "acknowledge":
        if value is True or (isinstance(value, str) and value.strip().lower() in ("ok", "yes", "true")):
            return "OK", None
        if value is False:
            return None, None
        return value, "xform.bad_acknowledge"
    return value, "forms.no_answer_here"


def _range(q: Question, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, "xform.bad_range"
    try:
        number = float(value.replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return value, "xform.bad_range"
    start, end = q.params.get("start"), q.params.get("end")
    step = q.params.get("step")
    if not math.isfinite(number):
        return value, "xform.bad_range"
    if start is not None and end is not None and not min(start, end) <= number <= max(start, end):
        return value, "xform.bad_range"
    if step and start is not None:
        steps = (number - start) / step
        if abs(steps - round(steps)) > 1e-9:
            return value, "xform.bad_range"
    return (int(number) if number == int(number) else number), None


def _rank(q: Question, value: Any) -> tuple[Any, str | None]:
    """Every choice once, in order. With a choice filter the session checks that the
    ranked ones are exactly those the filter offers; here only that each is a choice."""
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list):
        return value, "xform.bad_rank"
    ranked, known = [str(x) for x in items], list(choice_values(q.choice_list))
    if len(set(ranked)) != len(ranked) or not set(ranked) <= set(known):
        return value, "xform.bad_rank"
    if not q.choice_filter and len(ranked) != len(known):
        return value, "xform.bad_rank"
    return ranked, None


def normalise_repeat_choice(q: Question, value: Any) -> tuple[Any, str | None]:
    """A select whose choices are a repeat's answers: any value text (one, or a list); whether
    it is one of the answers now is the session's check (they change as the resident types)."""
    if q.type == "select_one":
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value).strip(), None
        return value, "forms.bad_choice"
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        return value, "forms.bad_choice"
    return list(dict.fromkeys(items)), None


def expression_answer(value: Any) -> Any:
    """An expression result as an answer to store (a default that is an expression): dates
    and date-times as ISO text, whole numbers as integers; None for empty/NaN."""
    from datetime import date

    if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value == int(value):
        return int(value)
    if isinstance(value, list):
        return [str(v) for v in value]
    return value
