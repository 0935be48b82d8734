"""Peer test forms ODK Collect fills that the kiosk could import but not fill (issues 19, 22).

Each case is a small hand-written XForm reproducing what the measurement over the
peers' test forms found; each failed before its fix."""

from __future__ import annotations

from kiosk.forms import FormSession
from kiosk.forms.xform_read import read_xform
from tests.forms.test_xform_read import xform

CROPS = ('<instance id="crops"><root><item><name>banana</name><label>Banana</label></item>'
         '<item><name>beans</name><label>Beans</label></item>'
         '<item><name>coffee</name><label>Coffee</label></item></root></instance>')


def test_a_rank_with_a_choice_filter_orders_the_offered_choices_only() -> None:
    """enketo's rank.xml: ``starts-with(name, ../s1)`` leaves two of three crops."""
    model = ('<instance><d id="rankf"><s1/><r/></d></instance>' + CROPS +
             '<bind nodeset="/d/s1" type="string"/>'
             '<bind nodeset="/d/r" type="odk:rank" required="true()"/>')
    body = ('<input ref="/d/s1"><label>First letter</label></input>'
            '<odk:rank ref="/d/r"><label>Rank</label>'
            '<itemset nodeset="instance(\'crops\')/root/item[starts-with(name, current()/../s1)]">'
            '<value ref="name"/><label ref="label"/></itemset></odk:rank>')
    s = FormSession(read_xform(xform(model, body), source="rankf.xml"), "en")
    s.set_answer("s1", "b")
    assert [c.value for c in s.choices("r")] == ["banana", "beans"]
    s.set_answer("r", ["beans", "banana"])
    assert s.errors() == {}
    assert s.document()["answers"]["r"] == ["beans", "banana"]
    s.set_answer("r", ["beans"])  # one offered choice left out
    assert ("r", ()) in s.errors()
    s.set_answer("r", ["beans", "banana", "coffee"])  # a choice the filter does not offer
    assert ("r", ()) in s.errors()
    s.set_answer("r", ["beans", "beans"])
    assert ("r", ()) in s.errors()


def test_a_rank_without_a_filter_still_needs_every_choice() -> None:
    model = ('<instance><d id="rankall"><r/></d></instance>' + CROPS +
             '<bind nodeset="/d/r" type="odk:rank"/>')
    body = ('<odk:rank ref="/d/r"><label>Rank</label><itemset nodeset="instance(\'crops\')/root/item">'
            '<value ref="name"/><label ref="label"/></itemset></odk:rank>')
    s = FormSession(read_xform(xform(model, body), source="rankall.xml"), "en")
    s.set_answer("r", ["beans", "banana"])
    assert ("r", ()) in s.errors()
    s.set_answer("r", ["coffee", "beans", "banana"])
    assert s.errors() == {}


def _required_repeat_form(required: str) -> bytes:
    model = ('<instance><d id="kids"><n/><kids jr:template=""><kname/></kids></d></instance>'
             '<bind nodeset="/d/n" type="int"/>'
             f'<bind nodeset="/d/kids" required="{required}"/>'
             '<bind nodeset="/d/kids/kname" type="string" required="true()"/>')
    body = ('<input ref="/d/n"><label>N</label></input>'
            '<group ref="/d/kids"><label>Children</label><repeat nodeset="/d/kids">'
            '<input ref="/d/kids/kname"><label>Name</label></input></repeat></group>')
    return xform(model, body)


def test_an_empty_required_repeat_blocks_with_one_message_naming_it() -> None:
    """pyxform writes ``required`` on a begin_repeat row as the repeat's bind."""
    s = FormSession(read_xform(_required_repeat_form("true()"), source="kids.xml"), "en")
    s.set_answer("n", 1)
    while s.item_count("kids"):
        s.remove_item("kids", (0,))
    errors = s.errors()
    assert list(errors) == [("kids", ())]
    assert "Children" in errors[("kids", ())]
    assert not s.is_complete()
    s.add_item("kids")
    s.set_answer("kname", "Bat", (0,))
    assert s.errors() == {} and s.document()["answers"]["kids"] == [{"kname": "Bat"}]


def test_a_repeat_required_by_an_expression_blocks_only_when_it_holds() -> None:
    s = FormSession(read_xform(_required_repeat_form("/d/n &gt; 0"), source="kids.xml"), "en")
    while s.item_count("kids"):
        s.remove_item("kids", (0,))
    s.set_answer("n", 0)
    assert s.errors() == {}
    s.set_answer("n", 2)
    assert list(s.errors()) == [("kids", ())]


def test_a_form_with_no_title_shows_its_id_made_readable() -> None:
    """No ``<h:title>``: the home tile shows ``Household survey``, not ``household_survey``."""
    model = ('<instance><d id="household_survey"><a/></d></instance>'
             '<bind nodeset="/d/a" type="string"/>')
    body = '<input ref="/d/a"><label>A</label></input>'
    xml = xform(model, body).replace(b"<h:title>Hand</h:title>", b"")
    f = read_xform(xml, source="hh.xml")
    assert list(f.title.values()) == ["Household survey"]
    assert f.pages[0].title == f.title  # questions outside groups: a page titled with the form
    assert f.odk is not None and f.odk.xml_form_id == "household_survey"


def test_pyxforms_default_title_the_id_or_file_name_is_made_readable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.forms.xlsform_builders import to_xform, write_xlsform

    survey = [["type", "name", "label"], ["text", "a", "A"]]
    by_id = write_xlsform(tmp_path / "x.xlsx", survey, settings={"form_id": "waterPointSurvey_v2"})
    assert list(read_xform(to_xform(by_id), source="x.xlsx").title.values()) == ["Water Point Survey v2"]
    by_name = write_xlsform(tmp_path / "well-check.xlsx", survey)
    assert list(read_xform(to_xform(by_name), source="well-check.xlsx").title.values()) == ["Well check"]
    titled = write_xlsform(tmp_path / "t.xlsx", survey, settings={"form_id": "t", "form_title": "my_title"})
    assert list(read_xform(to_xform(titled), source="t.xlsx").title.values()) == ["my_title"]  # as written
