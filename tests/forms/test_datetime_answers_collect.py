"""A dateTime answer inside expressions is an instant, as ODK Collect reads it.

javarosa unpacks a DateTimeData node as a Date: ``string()`` is its local date,
``=`` with date text compares that date, ``+ 1`` is a day count, and
``format-date-time``/``decimal-date-time`` see its time. Every expected value below is
what javarosa (getodk/javarosa, run under TZ=Asia/Ulaanbaatar and TZ=America/Denver)
returned for the same moment as a typed date-time. What is stored, submitted and shown
for the answer stays its own text, with its time.
"""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.forms import FormSession
from kiosk.forms.xform_read import read_xform
from tests.forms.test_xform_read import xform

# calculate name, expression (reading /data/dt), javarosa in Ulaanbaatar, in Denver
CALCS = [
    ("c_str", "string(/data/dt)", "2020-01-01", "2020-01-01"),
    ("c_eq", "/data/dt = '2020-01-01'", "true", "true"),
    ("c_ne", "/data/dt = '2020-01-02'", "false", "false"),
    ("c_plus", "/data/dt + 1", "18263", "18263"),
    ("c_num", "number(/data/dt)", "18262", "18262"),
    ("c_hm", "format-date-time(/data/dt, '%H:%M')", "10:20", "10:20"),
    ("c_ddt", "round(decimal-date-time(/data/dt), 9)", "18262.097569444", "18262.722569444"),
    ("c_cat", "concat('a', /data/dt)", "a2020-01-01", "a2020-01-01"),
    ("c_eqd", "/data/dt = date('2020-01-01')", "true", "true"),
    ("c_lt", "/data/dt &lt; date('2020-01-02')", "true", "true"),
    ("c_len", "string-length(/data/dt)", "10", "10"),
    ("c_diff", "/data/dt - date('2019-12-31')", "1", "1"),
    ("c_via", "string(/data/dt_copy)", "2020-01-01", "2020-01-01"),
]



def _form():  # type: ignore[no-untyped-def]
    names = "".join(f"<{n}/>" for n, *_ in CALCS)
    binds = "".join(f'<bind nodeset="/data/{n}" type="string" calculate="{e}"/>' for n, e, *_ in CALCS)
    model = (
        f'<instance><data id="dtv"><dt/><dt_copy/><shown/>{names}<meta><instanceID/></meta></data></instance>'
        '<bind nodeset="/data/dt" type="dateTime"/>'
        '<bind nodeset="/data/dt_copy" type="dateTime" calculate="/data/dt"/>'
        '<bind nodeset="/data/shown" type="string" readonly="true()"/>'
        f'{binds}<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>'
    )
    body = ('<input ref="/data/dt"><label>When</label></input>'
            '<input ref="/data/shown"><label>At <output value="/data/dt"/></label></input>')
    return read_xform(xform(model, body), source="dtv.xml")


def _session() -> FormSession:
    s = FormSession(_form(), "en", today=date(2026, 1, 1))
    s.set_answer("dt", "2020-01-01T10:20:30")
    return s


@pytest.mark.parametrize("name, expr, ub, denver", CALCS, ids=[c[0] for c in CALCS])
def test_calculations_read_the_answer_as_collect(zone: str, name: str, expr: str, ub: str,
                                                 denver: str) -> None:
    got = _session().value(name)
    want = ub if zone == "Asia/Ulaanbaatar" else denver
    assert got == want, f"{zone}: {expr} gave {got!r}, Collect gives {want}"


def test_stored_submitted_and_shown_with_its_time(zone: str) -> None:
    s = _session()
    assert s.value("dt") == "2020-01-01T10:20:30"
    assert s.value("dt_copy") == "2020-01-01T10:20:30"  # passed on unchanged: the same text
    doc = s.document()["answers"]
    assert doc["dt"] == "2020-01-01T10:20:30" and doc["dt_copy"] == "2020-01-01T10:20:30"
    assert "10:20" in s.question("shown").label()
    assert ("When", "2020.01.01 10:20") in s.review()
