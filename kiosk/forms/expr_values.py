"""Values inside expressions and XPath's conversion rules, with the ODK extensions.

Values: None (an empty answer), str, int/float, bool, datetime.date,
datetime.datetime (timezone-aware), list[str] (select_multiple and
aimag_soum), NodeSet (several nodes: a question across repeat items, or what
a path selected). Rules, as the ODK XForms spec and javarosa have them where
they extend XPath 1.0:

* a date is its local midnight and a date-time an instant, read in the kiosk's
  time zone: ``number()`` of either is its whole local day count since 1970-01-01
  and ``string()`` its local date (javarosa's rules; only an answer stored in a
  dateTime or text question keeps the time: ``stored_text``). Date and date-time
  text count as dates too (a kiosk extension; javarosa gives NaN), so
  ``'2012-01-01' + 10`` is 15350; other text must be an XPath number (``-12.5``;
  no exponent: ``'1.1e6'`` is NaN);
* dates subtract as days; ``<`` compares day numbers; ``=`` with a date compares
  local date text (two date-times on the same day are equal, as in Collect);
* an empty answer is the empty string, NaN as a number; NaN prints as empty
  (the kiosk's rule; javarosa prints ``NaN``), infinities as ``Infinity``;
* a node-set is compared existentially (any of its values), and converts to
  other types through its first value (javarosa's unpacking).

Nothing here raises on any value.
"""

from __future__ import annotations

import math
import re
import time as _time
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

NAN = float("nan")
EPOCH = date(1970, 1, 1)
EPOCH_DT = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER_RE = re.compile(r"\s*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*")
_DATE_RE = re.compile(r"(-?\d{4,})-(\d{1,2})-(\d{1,2})")
_DATETIME_RE = re.compile(
    r"(-?\d{4,})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?")


class NodeSet(list):  # type: ignore[type-arg]
    """Values of a node-set: one question across repeat items (what ``count``/``sum``
    take), or what a path selected (then ``nodes`` holds the nodes themselves)."""

    nodes: list[Any] | None = None


def first(v: Any) -> Any:
    if isinstance(v, NodeSet):
        return v[0] if v else None
    return v


class _SystemZone(tzinfo):
    """The device's time zone with its whole history (summer time, past offset changes),
    as Collect reads dates: the offset in force at each moment, not today's."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return self._at(_time.time())
        try:
            stamp = _time.mktime((dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second,
                                  0, 0, -1))
        except (OverflowError, ValueError):
            stamp = _time.time()
        return self._at(stamp)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return _time.strftime("%Z", _time.localtime())

    def fromutc(self, dt: datetime) -> datetime:
        stamp = (dt.replace(tzinfo=None) - _EPOCH_NAIVE).total_seconds()
        return dt + self._at(stamp)

    @staticmethod
    def _at(stamp: float) -> timedelta:
        try:
            return timedelta(seconds=_time.localtime(stamp).tm_gmtoff)
        except (OverflowError, ValueError, OSError):
            return timedelta(seconds=_time.localtime().tm_gmtoff)


_EPOCH_NAIVE = datetime(1970, 1, 1)
_SYSTEM_ZONE = _SystemZone()


def local_tz() -> Any:
    """The kiosk's time zone (the system's, honouring ``TZ``)."""
    return _SYSTEM_ZONE


def now_on(today: date | None) -> datetime:
    """Now, in the kiosk's zone, moved to ``today`` when one is fixed (a session's day:
    a fixed day in tests, never before the build date): what now() reads and when a
    session begins."""
    now = datetime.now(local_tz())
    if today is not None and today != now.date():
        now = now.replace(year=today.year, month=today.month, day=today.day)
    return now


# ---------------------------------------------------------------- dates

def _tz(text: str | None) -> Any:
    if not text:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(text)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date_text(text: str) -> date | datetime | None:
    """A date (``2012-01-01``, also unpadded ``2012-1-1``) or a date-time
    (``2012-01-01T10:20:30.400+02:00``) written as text; None when it is neither."""
    m = _DATETIME_RE.fullmatch(text.strip())
    if m is None:
        return None
    try:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if m.group(4) is None:
            return date(y, mo, d)
        frac = (m.group(7) or "0")[:6].ljust(6, "0")
        tz = _tz(m.group(8)) or local_tz()
        return datetime(y, mo, d, int(m.group(4)), int(m.group(5)), int(m.group(6) or 0),
                        int(frac), tzinfo=tz)
    except (ValueError, OverflowError):
        return None


def parse_time_text(text: str) -> time | None:
    m = _TIME_RE.fullmatch(text.strip())
    if m is None:
        return None
    try:
        frac = (m.group(4) or "0")[:6].ljust(6, "0")
        return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), int(frac),
                    tzinfo=_tz(m.group(5)))
    except ValueError:
        return None


def local_day(v: date) -> date:
    """The kiosk's calendar day of a date or of a date-time's instant."""
    if isinstance(v, datetime):
        aware = v if v.tzinfo is not None else v.replace(tzinfo=local_tz())
        return aware.astimezone(local_tz()).date()
    return v


def days_of(v: date) -> float:
    """A date's or date-time's number, as javarosa's: its whole local day count since
    1970-01-01 (a date-time's time of day does not count)."""
    return float((local_day(v) - EPOCH).days)


def instant_days(v: date) -> float:
    """Days from 1970-01-01T00:00Z to the instant (``decimal-date-time``); a date is
    its local midnight."""
    aware = to_datetime(v)
    return NAN if aware is None else (aware - EPOCH_DT).total_seconds() / 86400.0


def to_date(v: Any) -> date | None:
    v = first(v)
    if isinstance(v, date):
        return local_day(v)
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        try:
            return EPOCH + timedelta(days=math.floor(v))
        except OverflowError:
            return None
    if isinstance(v, str):
        parsed = parse_date_text(v)
        return None if parsed is None else local_day(parsed)
    return None


def to_datetime(v: Any) -> datetime | None:
    v = first(v)
    if isinstance(v, datetime):
        return v if v.tzinfo is not None else v.replace(tzinfo=local_tz())
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=local_tz())
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        if not math.isfinite(v):
            return None
        try:
            return (EPOCH_DT + timedelta(days=v)).astimezone(local_tz())
        except (OverflowError, ValueError, OSError):
            return None
    if isinstance(v, str):
        parsed = parse_date_text(v)
        if parsed is None:
            return None
        if isinstance(parsed, datetime):  # javarosa: shown in the device's time zone
            return parsed.astimezone(local_tz()) if parsed.tzinfo is not None else parsed.replace(
                tzinfo=local_tz())
        return datetime(parsed.year, parsed.month, parsed.day, tzinfo=local_tz())
    return None


class AnswerMoment(datetime):
    """A dateTime answer inside expressions: an instant, as javarosa unpacks a DateTimeData
    (so ``string()`` is its local date, ``number()`` its local day count), which remembers
    the text it is stored as: passed on unchanged it is stored and shown as that text."""

    text: str | None = None


def answer_moment(text: str) -> Any:
    """A dateTime question's stored text as its expression value: an ``AnswerMoment``
    (a date alone is its local midnight), or the text itself when it is no date-time."""
    parsed = parse_date_text(text)
    moment = None if parsed is None else to_datetime(parsed)
    if moment is None:
        return text
    out = AnswerMoment(moment.year, moment.month, moment.day, moment.hour, moment.minute,
                       moment.second, moment.microsecond, tzinfo=moment.tzinfo)
    out.text = text
    return out


def format_datetime(v: datetime) -> str:
    """ODK's dateTime text: local offset kept, milliseconds (``…T10:20:30.400+02:00``)."""
    text = v.strftime("%Y-%m-%dT%H:%M:%S") + f".{v.microsecond // 1000:03d}"
    off = v.utcoffset()
    if off is None:
        return text
    minutes = int(off.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return text + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# ---------------------------------------------------------------- conversions

def to_number(v: Any) -> float:
    v = first(v)
    if v is None:
        return NAN
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, date):
        return days_of(v)
    if isinstance(v, list):
        v = " ".join(str(x) for x in v)
    text = str(v)
    if _NUMBER_RE.fullmatch(text):
        return float(text)
    if "-" in text:
        parsed = parse_date_text(text)
        if parsed is not None:
            return days_of(parsed)
    return NAN


def num_out(x: float) -> float | int:
    """Integral results print as integers (``2`` not ``2.0``)."""
    if math.isfinite(x) and x == int(x) and abs(x) < 2**53:
        return int(x)
    return x


def number_text(v: float) -> str:
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    out = num_out(v)
    if isinstance(out, int):
        return str(out)
    text = repr(v)
    if "e" in text:  # XPath writes numbers without an exponent
        text = format(Decimal(text), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text


def to_string(v: Any) -> str:
    v = first(v)
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return number_text(v)
    if isinstance(v, date):  # javarosa: any date-time reads as its local date
        return local_day(v).isoformat()
    if isinstance(v, list):
        return " ".join(to_string(x) for x in v)
    return str(v)


def stored_text(v: Any) -> str:
    """A value as an answer's text: a date-time keeps its time and offset (what Collect
    stores in a dateTime or text question), anything else is its string value."""
    one = first(v)
    if isinstance(one, datetime):
        return getattr(one, "text", None) or format_datetime(one)
    return to_string(one)


_FALSE_WORDS = {"no", "false", "0", ""}


def to_bool(v: Any) -> bool:
    if isinstance(v, NodeSet):
        return len(v) > 0 and any(to_bool(x) for x in v)
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return not (v == 0 or (isinstance(v, float) and math.isnan(v)))
    if isinstance(v, (list, str)):
        return len(v) > 0
    return True


def word_bool(v: Any) -> bool:
    """A value compared with a yes/no answer: 'no'/'false'/'0' count as false."""
    if isinstance(v, str) and v.strip().lower() in _FALSE_WORDS:
        return False
    return to_bool(v)


def to_list(v: Any) -> list[str]:
    v = first(v)
    if v is None:
        return []
    if isinstance(v, list):
        return [to_string(x) for x in v]
    return to_string(v).split()


def values(v: Any) -> list[Any]:
    """The values of a node-set argument (one value for anything else; none for empty)."""
    if isinstance(v, NodeSet):
        return list(v)
    return [] if v is None else [v]


# ---------------------------------------------------------------- operators

def compare(op: str, a: Any, b: Any, words: bool = False) -> bool:
    """XPath comparison; ``words``: one side is an answer, so a yes/no answer compares
    with 'yes'/'no'/'true'/'false' text."""
    if isinstance(a, NodeSet) and len(a) > 1:
        return any(compare(op, x, b, words) for x in a)
    if isinstance(b, NodeSet) and len(b) > 1:
        return any(compare(op, a, y, words) for y in b)
    a, b = first(a), first(b)
    if op in ("=", "!="):
        if isinstance(a, bool) or isinstance(b, bool):
            conv = word_bool if words else to_bool
            equal = conv(a) == conv(b)
        elif _is_number(a) or _is_number(b):
            x, y = to_number(a), to_number(b)
            if math.isnan(x) or math.isnan(y):
                return op == "!="
            equal = x == y or abs(x - y) < 1e-12  # javarosa: 6.1 - 7.8 = -1.7
        else:  # javarosa: dates compare as their local date text
            equal = to_string(a) == to_string(b)
            equal = to_string(a) == to_string(b)
        return equal if op == "=" else not equal
    if isinstance(a, date) or isinstance(b, date):
        da, db = _as_day(a), _as_day(b)
        if da is None or db is None:
            return False
        x, y = da, db
    else:
        x, y = to_number(a), to_number(b)
    if math.isnan(x) or math.isnan(y):
        return False
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def _as_day(v: Any) -> float | None:
    if isinstance(v, date):
        return days_of(v)
    if isinstance(v, str):
        parsed = parse_date_text(v)
        if parsed is not None:
            return days_of(parsed)
    n = to_number(v)
    return None if math.isnan(n) else n


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def arith(op: str, a: Any, b: Any) -> float | int:
    x, y = to_number(a), to_number(b)
    if math.isnan(x) or math.isnan(y):
        return NAN
    try:
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op == "div":
            r = x / y if y != 0 else (NAN if x == 0 else math.copysign(math.inf, x) * math.copysign(1, y))
        else:  # mod: XPath keeps the sign of the dividend
            r = math.fmod(x, y) if y != 0 else NAN
    except (OverflowError, ValueError):
        return NAN
    return num_out(r)
