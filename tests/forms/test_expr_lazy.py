"""Branches a constant condition never lets run (issue 22, kiosk.forms.expr_const).

javarosa and enketo evaluate ``and``/``or``/``if()`` lazily and fail on an unknown
function or a wrong argument count only when the call is reached. A call in a
branch that a constant operand makes unreachable is accepted in an ODK form, with an
import warning naming the expression and the call, and never evaluated; a call that
can run stays refused with the same message as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.forms import FormSession
from kiosk.forms.expr_const import UNKNOWN, bad_calls, constant, dead_branch
from kiosk.forms.expr_parse import BinOp, Call, parse
from kiosk.forms.load_error import FormWarning, warning_text
from kiosk.forms.local_catalog import check_source, read_source
from kiosk.forms.model import FormLoadError
from kiosk.forms.xform_read import read_xform
from tests.forms.helpers import build
from tests.forms.xlsform_builders import write_xlsform


@pytest.mark.parametrize(("text", "want"), [
    ("1 + 2 = 3", True), ("not(0)", True), ("'a' != 'a'", False), ("-(2) * 3", -6),
    ("false() and ${x}", False), ("true() or count(/d/r) > 1", True),
    ("true() and false() or 1 div 0 > 5", True),
])
def test_constants_are_built_from_literals_and_operators(text: str, want: object) -> None:
    assert constant(parse(text)) == want


@pytest.mark.parametrize("text", [
    "${x} and true()", "true() and ${x}", "/d/a = 1", "today() = today()", "count(/d/r) > 0",
    "random() < 2", "not(.)", "position() = 1",
])
def test_anything_reading_the_instance_or_a_function_is_not_constant(text: str) -> None:
    assert constant(parse(text)) is UNKNOWN


def test_the_dead_branch_is_the_operand_a_constant_decides_away() -> None:
    for text in ("false() and x()", "0 and x()", "true() or x()", "1 = 1 or x()"):
        tree = parse(text)
        assert isinstance(tree, BinOp) and dead_branch(tree) is tree.right
    for text in ("true() and x()", "false() or x()", "${a} and x()", "/d/a or x()"):
        assert dead_branch(parse(text)) is None
    cond_true, cond_false = parse("if(2 > 1, 'a', x())"), parse("if(not(true()), x(), 'b')")
    assert isinstance(cond_true, Call) and dead_branch(cond_true) is cond_true.args[2]
    assert isinstance(cond_false, Call) and dead_branch(cond_false) is cond_false.args[1]
    assert dead_branch(parse("if(${a}, x(), 'b')")) is None


def test_bad_calls_are_unknown_functions_and_wrong_argument_counts() -> None:
    found = bad_calls(parse("concat(substring(), explode(1), substring('a', 1), true(1))"))
    assert [c.func for c in found] == ["substring", "explode", "true"]


_SURVEY = [
    ["type", "name", "label", "relevant", "calculation"],
    ["integer", "n", "N?", "", ""],
    ["calculate", "c", "", "", "if(false() and substring(), 'A', 'B')"],
    ["text", "t", "T?", "true() or explode(${n})", ""],
    ["calculate", "d", "", "", "if(1 + 1 = 2, ${n} * 2, explode-d())"],
]


def test_an_xlsform_with_dead_calls_imports_with_a_warning_on_each_row(tmp_path: Path) -> None:
    form = check_source(read_source(write_xlsform(tmp_path / "lazy.xlsx", _SURVEY)))
    assert form.odk is not None
    ours = [w for w in form.odk.warnings
            if isinstance(w, FormWarning) and w.key == "formload.warn_dead_call"]
    assert sorted((w.place.row, w.params["call"]) for w in ours) == [
        (3, "substring()"), (4, "explode()"), (5, "explode-d()")]
    row3 = next(w for w in ours if w.place.row == 3)
    assert row3.startswith("sheet survey, row 3, column calculation: ")
    assert "if(false() and substring(), 'A', 'B')" in row3
    mn = warning_text(next(w for w in ours if w.place.row == 4), "mn")
    assert mn.startswith("хуудас survey, мөр 4, багана relevant: ") and "explode()" in mn


def test_a_dead_call_is_never_evaluated(tmp_path: Path) -> None:
    form = check_source(read_source(write_xlsform(tmp_path / "lazy.xlsx", _SURVEY)))
    s = FormSession(form, "en")
    s.set_answer("n", 21)
    assert s.value("c") == "B" and s.visible("t") and s.value("d") == "42"


@pytest.mark.parametrize(("expression", "message"), [
    ("${n} > 1 and substring()", "substring() takes 2 to 3 argument(s), not 0"),
    ("false() or explode()", "unknown function explode()"),
    ("true() and explode()", "unknown function explode()"),
    ("if(${n} > 1, 'a', explode())", "unknown function explode()"),
    ("if(true(), explode(), 'b')", "unknown function explode()"),
    ("explode() and false()", "unknown function explode()"),
])
def test_a_call_that_can_run_is_refused_as_before(tmp_path: Path, expression: str,
                                                  message: str) -> None:
    survey = [["type", "name", "label", "calculation"], ["integer", "n", "N?", ""],
              ["calculate", "c", "", expression]]
    with pytest.raises(FormLoadError) as caught:
        check_source(read_source(write_xlsform(tmp_path / "live.xlsx", survey)))
    assert message in caught.value.message and caught.value.place.row == 3


def test_a_dead_call_may_name_a_path_that_is_not_in_the_form() -> None:
    xml = (b"<h:html xmlns='http://www.w3.org/2002/xforms' xmlns:h='http://www.w3.org/1999/xhtml'>"
           b"<h:head><h:title>T</h:title><model><instance><d id='t'><a/><c/></d></instance>"
           b"<bind nodeset='/d/a' type='int'/>"
           b"<bind nodeset='/d/c' calculate='0 and fn(/explode)' type='string'/></model></h:head>"
           b"<h:body><input ref='/d/a'><label>A</label></input></h:body></h:html>")
    form = read_xform(xml, source="t.xml")
    assert form.odk is not None
    [warning] = [w for w in form.odk.warnings if "fn()" in w]
    assert warning.startswith("<bind nodeset='/d/c'>.calculate: ")
    assert FormSession(form, "en").value("c") == "false"


def test_a_kiosk_form_still_refuses_a_bad_call_wherever_it_is() -> None:
    with pytest.raises(FormLoadError, match=r"substring\(\) takes 2 to 3"):
        build([{"name": "t", "type": "text", "label": {"mn": "T", "en": "T"},
                "relevant": "false() and substring()"}])
