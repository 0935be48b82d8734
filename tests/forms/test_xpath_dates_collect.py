"""Dates as ODK Collect's engine (javarosa) computes them, in two real time zones.

Every expected value here was returned by javarosa itself (getodk/javarosa, run under
TZ=Asia/Ulaanbaatar and TZ=America/Denver): Collect holds a date as its local midnight
and a date-time as an instant; ``decimal-date-time`` counts days from 1970-01-01T00:00Z,
``number()`` is the whole local day count, ``string()`` the local date. Denver checks
the zone's summer time (2015-07-01 is UTC-6 there) and Ulaanbaatar its 2015 summer
time (UTC+9), so the kiosk must read each moment's own offset.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from kiosk.forms.expr_values import to_number, to_string
from kiosk.forms.state_env import _coerce, _to_json
from tests.forms.test_xpath_conformance import evaluate

# expression, javarosa in Ulaanbaatar, javarosa in Denver ('text', number, true/false)
CASES = [
    ("decimal-date-time('2000-01-01')", '10956.666666666666', '10957.291666666666'),
    ("decimal-date-time(date('2000-01-01'))", '10956.666666666666', '10957.291666666666'),
    ("decimal-date-time('1970-01-01')", '-0.2916666666666667', '0.2916666666666667'),
    ("decimal-date-time('2015-07-01')", '16616.625', '16617.25'),
    ("decimal-date-time('2000-01-01T10:20:30.000')", '10957.097569444444', '10957.722569444444'),
    ("format-date-time(date-time(decimal-date-time('2003-03-12') + 280), '%b %e, %Y')", "'Dec 17, 2003'", "'Dec 17, 2003'"),
    ("date-time(0) = date('1970-01-01T00:00:00.000+00:00')", 'true', 'true'),
    ("date-time(14127) = date('2008-09-05T00:00:00.000+00:00')", 'true', 'true'),
    ("date-time(-10252) = date('1941-12-07T00:00:00.000+00:00')", 'true', 'true'),
    ("'2018-06-25' < '2018-06-25T00:00:00.000-07:00'", 'false', 'false'),
    ("10 + date-time('2012-07-24') = date('2012-08-03')", 'true', 'true'),
    ("date-time('2012-07-24') + 10", '15555', '15555'),
    ("string(date-time('1970-01-01'))", "'1970-01-01'", "'1970-01-01'"),
    ("string(date-time(decimal-date-time('2012-03-04')))", "'2012-03-04'", "'2012-03-04'"),
    ("string(date-time('1970-01-01T21:50:49Z'))", "'1970-01-02'", "'1970-01-01'"),
    ('string(date-time(1.5))', "'1970-01-02'", "'1970-01-02'"),
    ("concat('on ', date-time('2015-07-01T23:30:00.000+00:00'))", "'on 2015-07-02'", "'on 2015-07-01'"),
    ("number(date-time('2012-01-01T23:30:00.000+00:00'))", '15341', '15340'),
    ("date-time('2012-01-01T23:30:00.000+00:00') - date('2012-01-01')", '1', '0'),
    ("date-time('2012-01-01T23:30:00.000+00:00') = date('2012-01-02')", 'true', 'false'),
    ("date-time('2012-01-01T10:00:00.000+00:00') = date-time('2012-01-01T11:00:00.000+00:00')", 'true', 'true'),
    ('date-time(0) = date-time(0.9)', 'false', 'false'),
    ("date('2012-01-02') = '2012-01-02T00:00:00.000+08:00'", 'false', 'false'),
    ("string(date('1970-01-01T00:00:00.000+00:00'))", "'1970-01-01'", "'1969-12-31'"),
    ("string(date(date-time('2012-01-01T23:30:00.000+00:00')))", "'2012-01-02'", "'2012-01-01'"),
    ('string(date(-0.5))', "'1970-01-01'", "'1970-01-01'"),
    ('string(date(-1.5))', "'1969-12-31'", "'1969-12-31'"),
    ("format-date(0.9, '%Y-%m-%d')", "'1970-01-02'", "'1970-01-01'"),
    ("format-date(date-time(1.5), '%Y-%m-%d %H:%M')", "'1970-01-02 19:00'", "'1970-01-02 05:00'"),
    ("decimal-time(date('2000-01-01'))", '0', '0'),
    ('decimal-time(1.25)', '0.25', '0.25'),
    ('decimal-date-time(1.5)', '1.5', '1.5'),
    ("date-time('2015-07-01T12:00:00.000+00:00') < date('2015-07-02')", 'true', 'true'),
    ('string(date-time(16617.25))', "'2015-07-01'", "'2015-07-01'"),
    ("format-date-time(date-time(16617.25), '%Y-%m-%d %H:%M')", "'2015-07-01 15:00'", "'2015-07-01 00:00'"),
    # a date's instant is 8 hours before UTC's midnight in Ulaanbaatar: the day before
    ("string(date(decimal-date-time('2000-01-01')))", "'1999-12-31'", "'2000-01-01'"),
    ("string(date(decimal-date-time('2000-01-01T07:00:00')))", "'1999-12-31'", "'2000-01-01'"),
    ("string(date(decimal-date-time('2000-01-01T09:00:00')))", "'2000-01-01'", "'2000-01-01'"),
    ("string(date-time(decimal-date-time('2000-01-01')))", "'2000-01-01'", "'2000-01-01'"),
]



def _matches(got: object, want: str) -> bool:
    if want in ("true", "false"):
        return got is (want == "true")
    if want.startswith("'"):
        return to_string(got) == want[1:-1]
    n = to_number(got)
    return not math.isnan(n) and abs(n - float(want)) < 1e-9


@pytest.mark.parametrize("expr, ub, denver", CASES, ids=[c[0] for c in CASES])
def test_as_collect(zone: str, expr: str, ub: str, denver: str) -> None:
    want = ub if zone == "Asia/Ulaanbaatar" else denver
    got = evaluate(expr)
    assert _matches(got, want), f"{zone}: {expr} gave {got!r}, Collect gives {want}"


def test_a_date_time_answer_keeps_its_time(zone: str) -> None:
    """Collect stores a calculated date-time whole in a dateTime or text question
    (only its string value in expressions is the date) and its local date in a date one."""
    moment = evaluate("date-time('2015-07-01T23:30:00.000+00:00')")
    local = "2015-07-02T08:30:00.000+09:00" if zone == "Asia/Ulaanbaatar" else (
        "2015-07-01T17:30:00.000-06:00")
    assert isinstance(_coerce("datetime", moment), datetime)  # an instant in expressions
    assert _to_json("datetime", _coerce("datetime", moment)) == local
    assert _coerce("text", moment) == local
    assert _to_json("datetime", moment) == local
    assert _coerce("date", moment) == date.fromisoformat(local[:10])
    assert datetime.fromisoformat(local).astimezone(UTC).hour == 23
