"""Issue 21: no form can freeze or flood the kiosk — counted repeats capped from the first
item and across nesting, regex() in linear time, deep XML a one-line refusal."""

from __future__ import annotations

import pytest

from kiosk.forms.model import FormLoadError
from kiosk.forms.repeat_count import MAX_ITEMS, MAX_TOTAL_ITEMS
from kiosk.forms.session import FormSession
from kiosk.forms.xform_read import read_xform

HEAD = ('<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" '
        'xmlns:jr="http://openrosa.org/javarosa">')


def counted_form(count: str, levels: int = 1) -> bytes:
    """``levels`` nested repeats, each with jr:count=``count``."""
    def path(level: int) -> str:
        return "/data/" + "/".join(f"r{i}" for i in range(level + 1))

    def inst(level: int) -> str:
        inner = inst(level + 1) if level + 1 < levels else ""
        return f'<r{level} jr:template=""><x{level}/>{inner}</r{level}>'

    def body(level: int) -> str:
        inner = body(level + 1) if level + 1 < levels else ""
        return (f'<group ref="{path(level)}"><label>R{level}</label>'
                f'<repeat nodeset="{path(level)}" jr:count="{count}">'
                f'<input ref="{path(level)}/x{level}"><label>x</label></input>{inner}'
                '</repeat></group>')

    return (f'{HEAD}<h:head><h:title>t</h:title><model><instance><data id="t">{inst(0)}'
            '<meta><instanceID/></meta></data></instance></model></h:head>'
            f'<h:body>{body(0)}</h:body></h:html>').encode()


def regex_form(pattern: str) -> bytes:
    return (f'{HEAD}<h:head><h:title>t</h:title><model><instance><data id="t"><a/>'
            '<meta><instanceID/></meta></data></instance>'
            f'<bind nodeset="/data/a" type="string" constraint="regex(., \'{pattern}\')"/>'
            '</model></h:head><h:body><input ref="/data/a"><label>a</label></input>'
            '</h:body></h:html>').encode()


@pytest.mark.timeout(60)
def test_a_billion_count_is_capped_before_the_first_item() -> None:
    session = FormSession(read_xform(counted_form("1000000000"), source="t.xml"))
    assert session.item_count("r0") == MAX_ITEMS
    assert len(session.screens()) <= MAX_ITEMS + 2
    errors = session.errors()
    assert any("more entries than a kiosk holds" in m or "багтаах" in m
               for m in errors.values()), errors


@pytest.mark.timeout(60)
def test_nested_counts_do_not_multiply_past_the_session_cap() -> None:
    session = FormSession(read_xform(counted_form("60", levels=3), source="t.xml"))
    assert sum(session._counts.values()) <= MAX_TOTAL_ITEMS
    assert len(session.screens()) <= MAX_TOTAL_ITEMS + 200
    assert session.add_item("r0") is None  # no room left for the resident either


@pytest.mark.timeout(60)
def test_catastrophic_regex_runs_in_linear_time() -> None:
    form = read_xform(regex_form("(a+)+$"), source="t.xml")
    session = FormSession(form)
    session.set_answer("a", "a" * 5000 + "!")  # backtracking: 2^5000 steps
    assert session.errors()  # evaluated, and the constraint says no


def test_a_pattern_that_cannot_run_safely_is_refused_at_import() -> None:
    with pytest.raises(FormLoadError) as err:
        read_xform(regex_form(r"(a)\1"), source="t.xml")
    assert "regular expression" in str(err.value)


def test_deep_xml_is_one_refusal_not_a_crash() -> None:
    deep = (f'{HEAD}<h:head><h:title>t</h:title><model><instance><data id="t">'
            + "<x>" * 5000 + "</x>" * 5000 +
            '</data></instance></model></h:head><h:body/></h:html>').encode()
    with pytest.raises(FormLoadError) as err:
        read_xform(deep, source="t.xml")
    assert "deep" in str(err.value)
