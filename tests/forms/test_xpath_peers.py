"""Form idioms the peers (javarosa, openrosa-xpath-evaluator) evaluate and the kiosk used to
refuse or crash on (issue 22), run through a real session."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.forms import FormSession
from kiosk.forms.model import FormLoadError
from tests.forms.helpers import build


def _q(name: str, qtype: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": qtype, "label": {"mn": name, "en": name}, **extra}


@pytest.mark.parametrize("expr, want", [
    ("string-length()", "0"), ("normalize-space()", None), ("string()", None),
    ("concat('n=', number())", "n="),
])
def test_a_calculation_reading_its_own_node_reads_it_empty(expr: str, want: Any) -> None:
    """No-argument string functions read the context node: in a calculation that is the
    calculation itself, read empty (javarosa: its value before the calculation)."""
    form = build([_q("a"), _q("c", calculate=expr)])
    s = FormSession(form, "en")
    s.set_answer("a", "xyz")
    assert s.value("c") == want


def test_no_argument_functions_read_the_answer_in_a_constraint() -> None:
    form = build([_q("a", constraint="string-length() <= 3 and normalize-space() = string()")])
    s = FormSession(form, "en")
    assert s.set_answer("a", "abc") is None or not s.errors()
    s.set_answer("a", "abcd")
    assert s.errors()


@pytest.mark.parametrize("expr", ["position(..)", "position(current()/..)"])
def test_position_of_the_enclosing_repeat_item(expr: str) -> None:
    form = build([_q("r", "repeat", questions=[_q("x"), _q("pos", "integer", calculate=expr)]),
                  _q("n", "integer", calculate="count(/test-form/r)")], form_id="test-form")
    s = FormSession(form, "en")
    a = s.add_item("r")
    b = s.add_item("r")
    assert a is not None and b is not None
    assert (s.value("pos", a), s.value("pos", b), s.value("n")) == (1, 2, 2)
    s.remove_item("r", a)
    assert (s.value("pos", (0,)), s.value("n")) == (1, 1)


def test_a_group_value_read_from_inside_it_does_not_recurse() -> None:
    """string-length(..) from a calculation inside a repeat loads (javarosa: the bind
    depends on the repeat node, no cycle) and follows the item's text; the calculation's
    own share of that text is what it held before (as in javarosa), so only the change is
    pinned."""
    form = build([_q("r", "repeat", questions=[
        _q("x"), _q("len", "integer", calculate="string-length(..)")])])
    s = FormSession(form, "en")
    item = s.add_item("r")
    assert item is not None
    s.set_answer("x", "abcd", item)
    before = s.value("len", item)
    s.set_answer("x", "ab", item)
    after = s.value("len", item)
    assert before - after == 2 and after >= 2


def test_a_true_cycle_is_still_refused() -> None:
    with pytest.raises(FormLoadError, match="circular dependency"):
        build([_q("r", "repeat", questions=[
            _q("a", "integer", calculate="${b} + 1"), _q("b", "integer", calculate="${a}")])])


def _repeat_form(calc: str) -> Any:
    choices = [{"value": v, "label": {"mn": v.upper(), "en": v.upper()}} for v in ("a", "b")]
    return build([_q("r", "repeat", questions=[
        _q("x", "select_one", choices=choices), _q("n", "integer"), _q("c", calculate=calc)])],
        form_id="test-form")


def _two_items(form: Any) -> tuple[FormSession, tuple[int, ...], tuple[int, ...]]:
    s = FormSession(form, "en")
    a, b = s.add_item("r"), s.add_item("r")
    assert a is not None and b is not None
    for item, x, n in ((a, "a", 3), (b, "b", 4)):
        s.set_answer("x", x, item)
        s.set_answer("n", n, item)
    return s, a, b


def test_a_relative_path_out_of_the_repeat_reads_every_item() -> None:
    """``sum(../../r/n)`` from inside r sums all items (an absolute /test-form/r/n there
    would be this item's, as javarosa contextualises it)."""
    s, a, b = _two_items(_repeat_form("sum(../../r/n)"))
    assert (s.value("c", a), s.value("c", b)) == ("7", "7")
    s.set_answer("n", 10, a)
    assert s.value("c", b) == "14"


def test_the_previous_items_value_is_no_cycle() -> None:
    s, a, b = _two_items(_repeat_form(
        "if(position(..) = 1, 'first', ../../r[position() = position(current()/..) - 1]/x)"))
    assert (s.value("c", a), s.value("c", b)) == ("first", "a")
    s.set_answer("x", "b", a)
    assert s.value("c", b) == "b"


def test_choice_name_of_a_path_written_relative_to_the_repeat_item() -> None:
    s, a, b = _two_items(_repeat_form("jr:choice-name( ../x ,' ../x ')"))
    assert (s.value("c", a), s.value("c", b)) == ("A", "B")


def test_literal_type_slips_in_an_odk_form_evaluate_as_javarosa_with_a_warning() -> None:
    """javarosa evaluates text in arithmetic and text compared with a number (NaN, never
    equal) instead of failing: an ODK form loads, warned at import; a kiosk form is still
    refused (test_loader's static errors)."""
    from kiosk.forms.xform_read import read_xform
    from tests.forms.test_xform_read import xform

    model = ('<instance><d id="slips"><n/><a/><b/><c/></d></instance>'
             '<bind nodeset="/d/n" type="int"/>'
             '<bind nodeset="/d/a" type="string" calculate="concat(\'x\', \'abc\' - 1)"/>'
             '<bind nodeset="/d/b" type="string" relevant="/d/n = \'abc\'"/>'
             '<bind nodeset="/d/c" type="string" relevant="/d/n != \'abc\'"/>')
    body = ('<input ref="/d/n"><label>N</label></input><input ref="/d/b"><label>B</label></input>'
            '<input ref="/d/c"><label>C</label></input>')
    f = read_xform(xform(model, body), source="slips.xml")
    assert f.odk is not None
    assert any("used in arithmetic" in w for w in f.odk.warnings)
    assert any("compared with a number" in w for w in f.odk.warnings)
    s = FormSession(f, "en")
    s.set_answer("n", 3)
    assert (s.visible("b"), s.visible("c")) == (False, True)
    assert s.value("a") in ("x", "xNaN")


def test_count_non_empty_counts_a_node_holding_elements() -> None:
    """javarosa counts a node that holds other elements as non-empty, even when no text
    is under it; a childless node counts by its text."""
    import xml.etree.ElementTree as ET

    inst = ET.fromstring("<root><item><a/></item><item/><item>t</item><item> </item></root>")
    form = build([_q("n", "integer", calculate="count-non-empty(instance('x')/root/item)")],
                 instances={"x": inst})
    assert FormSession(form, "en").value("n") == 3


@pytest.mark.parametrize("text, want", [
    ("\x0ca \t\r\n b\x0b", "\x0ca b\x0b"), ("  a  ", "a"), ("\u00a0a\u00a0", "\u00a0a\u00a0")])
def test_normalize_space_trims_only_xpath_white_space(text: str, want: str) -> None:
    """XPath 1.0 white space is space, tab, CR and LF; a form feed or a no-break space is text."""
    form = build([_q("c", calculate=f"normalize-space('{text}')")])
    assert FormSession(form, "en").value("c") == want
