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
