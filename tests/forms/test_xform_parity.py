"""XForms ODK Collect fills that the kiosk once refused or misread (issue 22 part B).

Each case is a small hand-written XForm (or XLSForm) reproducing one refusal seen
in the peers' test forms; it failed before the fix and passes after."""

from __future__ import annotations

from kiosk.forms import FormSession
from kiosk.forms.xform_read import read_xform
from tests.forms.test_xform_read import xform


def test_group_relevance_with_relative_paths_is_read_from_the_group() -> None:
    model = ('<instance><d id="grp"><a/><g><b/><h><c/></h></g>'
             '<r jr:template=""><x/><rg><y/></rg></r><r><x/><rg><y/></rg></r></d></instance>'
             '<bind nodeset="/d/a" type="int"/>'
             '<bind nodeset="/d/g" relevant="../a &gt; 1"/>'
             '<bind nodeset="/d/g/h" relevant="current()/../../a &gt; 2"/>'
             '<bind nodeset="/d/r/x" type="int"/>'
             '<bind nodeset="/d/r/rg" relevant="../x = 5"/>')
    body = ('<input ref="/d/a"><label>A</label></input>'
            '<group ref="/d/g"><label>G</label><input ref="/d/g/b"><label>B</label></input>'
            '<group ref="/d/g/h"><input ref="/d/g/h/c"><label>C</label></input></group></group>'
            '<group ref="/d/r"><label>R</label><repeat nodeset="/d/r">'
            '<input ref="/d/r/x"><label>X</label></input>'
            '<group ref="/d/r/rg"><input ref="/d/r/rg/y"><label>Y</label></input></group>'
            '</repeat></group>')
    f = read_xform(xform(model, body), source="grp.xml")
    s = FormSession(f, "en")
    s.set_answer("a", 1)
    assert not s.visible("b") and not s.visible("c")
    s.set_answer("a", 2)
    assert s.visible("b") and not s.visible("c")
    s.set_answer("a", 3)
    assert s.visible("c")
    s.set_answer("x", 5, (0,))
    s.set_answer("x", 4, (1,))
    assert s.visible("y", (0,)) and not s.visible("y", (1,))


def test_jr_itext_in_an_expression_gives_the_text_in_the_sessions_language() -> None:
    model = ('<itext><translation lang="English (en)"><text id="hi"><value>Hello</value></text></translation>'
             '<translation lang="Mongolian (mn)"><text id="hi"><value>Сайн уу</value></text></translation>'
             '</itext><instance><d id="itx"><a/><c/></d></instance>'
             '<bind nodeset="/d/c" type="string" calculate="concat(jr:itext(\'hi\'), \' \', /d/a)"/>')
    body = '<input ref="/d/a"><label ref="jr:itext(\'hi\')"/></input>'
    f = read_xform(xform(model, body), source="itx.xml")
    s = FormSession(f, "en")
    s.set_answer("a", "Bat")
    assert s.value("c") == "Hello Bat"
    assert FormSession(f, "mn").value("c") == "Сайн уу "


def test_a_calculation_reading_itself_sees_its_previous_value() -> None:
    model = ('<instance><d id="selfcalc"><a/><first/></d></instance>'
             '<bind nodeset="/d/a" type="string"/>'
             '<bind nodeset="/d/first" type="string" calculate="if(. = \'\', /d/a, .)"/>'
             )
    body = '<input ref="/d/a"><label>A</label></input>'
    f = read_xform(xform(model, body), source="selfcalc.xml")
    s = FormSession(f, "en")
    s.set_answer("a", "one")
    assert s.value("first") == "one"
    s.set_answer("a", "three")
    assert s.value("first") == "one"  # kept: the ODK once idiom


def test_a_page_condition_reading_its_own_questions_through_calculations_is_no_cycle() -> None:
    """eIMCI (javarosa's tests): the page's condition reads a calculation that reads a
    question of that page; javarosa keeps irrelevant values readable, so no cycle."""
    model = ('<instance><d id="imci"><start/><g><sw/></g><cls/><severe/></d></instance>'
             '<bind nodeset="/d/g" relevant="not(/d/severe = \'yes\') and /d/start = \'y\'"/>'
             '<bind nodeset="/d/cls" calculate="if(/d/g/sw = \'yes\', \'mastoid\', \'none\')"/>'
             '<bind nodeset="/d/severe" calculate="if(/d/cls = \'mastoid\', \'yes\', \'no\')"/>')
    body = ('<input ref="/d/start"><label>S</label></input>'
            '<group ref="/d/g"><label>G</label><input ref="/d/g/sw"><label>SW</label></input></group>')
    f = read_xform(xform(model, body), source="imci.xml")
    s = FormSession(f, "en")
    s.set_answer("start", "y")
    assert s.visible("sw") and s.value("severe") == "no"
    s.set_answer("sw", "no")
    assert s.value("cls") == "none" and s.value("severe") == "no" and s.visible("sw")
    s.set_answer("sw", "yes")  # the page hides itself; the kiosk empties what is hidden
    assert s.value("severe") in ("yes", "no")
