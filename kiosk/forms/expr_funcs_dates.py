"""The date functions of form expressions, computed as ODK Collect's engine (javarosa)
computes them, in the kiosk's time zone.

Collect holds every date as an instant: a date is its local midnight, a date-time the
moment it names. ``decimal-date-time()`` counts days from 1970-01-01 00:00 UTC to that
instant (so a date in Ulaanbaatar is 8 hours before its UTC midnight:
``decimal-date-time('2000-01-01')`` is 10956.667 there), while ``number()`` of any date
or date-time is its whole local day count (kiosk.forms.expr_values.days_of).
``date(n)`` takes day ``n`` truncated toward zero (``date(-0.5)`` is 1970-01-01).
The entries have the shape of kiosk.forms.expr_funcs.FUNCTIONS.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from kiosk.forms import expr_funcs_odk as O
from kiosk.forms import expr_values as V
from kiosk.forms.expr_values import (
    EPOCH,
    NAN,
    first,
    instant_days,
    num_out,
    parse_time_text,
    to_date,
    to_datetime,
    to_string,
)

Env = Any


def _now(env: Env) -> datetime:
    return V.now_on(getattr(env, "today", None))


def _date(env: Env, v: Any) -> date | None:
    """``date(n)``: day n truncated toward zero (javarosa); anything else as to_date."""
    one = first(v)
    if isinstance(one, float) and math.isfinite(one):
        return to_date(float(math.trunc(one)))
    return to_date(v)


def _decimal_date_time(env: Env, v: Any) -> float | int:
    """Days from 1970-01-01T00:00Z to the instant; a date is its local midnight."""
    one = first(v)
    if isinstance(one, (int, float)) and not isinstance(one, bool):
        return num_out(float(one))
    dt = to_datetime(v)
    return NAN if dt is None else num_out(instant_days(dt))


def _decimal_date(env: Env, v: Any) -> float | int:
    """The kiosk's ``decimal-date()`` (no javarosa function): a date's whole day count,
    a date-time's days from 1970-01-01T00:00Z."""
    one = first(v)
    if isinstance(one, str) and "T" not in one or isinstance(one, date) and not isinstance(
        one, datetime
    ):
        day = to_date(one)
        return NAN if day is None else (day - EPOCH).days
    return _decimal_date_time(env, v)


def _decimal_time(env: Env, v: Any) -> float | int:
    one = first(v)
    if isinstance(one, (int, float)) and not isinstance(one, bool):
        return num_out(one - math.floor(one)) if math.isfinite(one) else NAN
    text = "" if isinstance(one, date) else to_string(v)
    t = parse_time_text(text)
    if t is None:
        dt = to_datetime(v) if "T" in text or isinstance(one, date) else None
        if dt is None:
            return NAN
        t = dt.timetz()
    if t.tzinfo is not None:
        # the time of day it is here, in the kiosk's timezone
        here = datetime.now(V.local_tz()).replace(hour=t.hour, minute=t.minute, second=t.second,
                                                  microsecond=t.microsecond, tzinfo=t.tzinfo)
        t = here.astimezone(V.local_tz()).time()
    seconds = t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
    return num_out(seconds / 86400.0)


def _age_on(born: Any, on: Any) -> float | int:
    b, d = to_date(born), to_date(on)
    if b is None or d is None:
        return NAN
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


DATE_FUNCTIONS: dict[str, tuple[int, int | None, Any, str]] = {
    "today": (0, 0, lambda env: env.today, "date"),
    "now": (0, 0, _now, "date"),
    "date": (1, 1, _date, "date"),
    "date-time": (1, 1, lambda env, v: to_datetime(v), "date"),
    "decimal-date-time": (1, 1, _decimal_date_time, "number"),
    "decimal-date": (1, 1, _decimal_date, "number"),
    "decimal-time": (1, 1, _decimal_time, "number"),
    "format-date": (2, 2, lambda env, v, f: O.format_date(v, f, False), "string"),
    "format-date-time": (2, 2, lambda env, v, f: O.format_date(v, f, True), "string"),
    "age": (1, 1, lambda env, v: _age_on(v, env.today), "number"),
    "age-on": (2, 2, lambda env, v, d: _age_on(v, d), "number"),
}
