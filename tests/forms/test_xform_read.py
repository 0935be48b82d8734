"""The XForm reader: XLSForms converted by pyxform, and hand-written XForms, into FormDef."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from kiosk.forms import FormSession
from kiosk.forms.model import FormLoadError
from kiosk.forms.xform_read import read_xform
from tests.forms.xlsform_builders import household_form, one_language_form, to_xform

XF_HEAD = ('<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" '
           'xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
           'xmlns:odk="http://www.opendatakit.org/xforms">')


def squash(text: object) -> str:
    return re.sub(r"\s+", "", str(text))


def xform(model: str, body: str, title: str = "Hand") -> bytes:
    return (f'{XF_HEAD}<h:head><h:title>{title}</h:title><model>{model}</model></h:head>'
            f'<h:body>{body}</h:body></h:html>').encode()


@pytest.fixture(scope="module")
def household(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = household_form(tmp_path_factory.mktemp("xls") / "household.xlsx")
    return read_xform(to_xform(path), source=path.name)


def test_types_labels_and_languages(household) -> None:  # type: ignore[no-untyped-def]
    f = household
    assert f.id == "household-survey" and f.version == "2026.1"
    assert f.odk is not None and f.odk.xml_form_id == "household_survey"
    q = f.questions
    assert q["head_name"].type == "text" and q["members"].type == "integer"
    assert q["aimag"].type == "select_one" and q["animals"].type == "select_multiple"
    assert q["member_birth"].type == "date" and q["summary"].type == "note"
    assert q["head_name"].label_texts == {"mn": "Өрхийн тэргүүний нэр", "en": "Name of the head"}
    assert q["head_name"].hint_texts == {"mn": "Овог нэр", "en": "Full name"}
    assert q["head_name"].required_spec is True
    assert q["head_name"].constraint == "string-length(.) >= 2"
    assert q["head_name"].constraint_message == {"mn": "Хэт богино", "en": "Too short"}
    assert q["head_name"].required_message == {"mn": "Нэрээ бичнэ үү", "en": "Please give the name"}
    assert q["remarks"].appearance == "multiline" and q["door"].appearance == "numbers"
    assert [c.value for c in q["aimag"].choice_list] == ["MN11", "MN21"]
    assert q["aimag"].choice_list[0].label == {"mn": "Улаанбаатар", "en": "Ulaanbaatar"}
    # expressions stay XPath: the engine's compiler resolves the paths
    assert squash(q["horses"].relevant) == "selected(/data/animals,'horse')"
    assert squash(q["soum"].choice_filter) == "aimag=/data/aimag" and q["soum"].appearance == "minimal"
    assert "${horses_per_member}" in q["summary"].label_texts["en"]


def test_pages_groups_repeats_and_calculations(household) -> None:  # type: ignore[no-untyped-def]
    f = household
    address = next(p for p in f.pages if p.name == "address")
    assert address.layout == "group" and address.title == {"mn": "Хаяг", "en": "Address"}
    assert [q.name for q in address.questions] == ["street", "door"]
    member = f.questions["member"]
    assert member.type == "repeat" and squash(member.min_count) == squash(member.max_count) == "/data/members"
    assert [c.name for c in member.children] == ["member_name", "member_birth", "member_age"]
    assert f.questions["member_age"].default == 30 and f.questions["member_age"].parent == "member"
    calc = f.questions["horses_per_member"]
    assert squash(calc.calculate) == "/data/horsesdiv/data/members" and not calc.label_texts
    assert f.questions["today"].calculate == "once(today())"  # the day the form was opened
    assert f.questions["member_name"].path == "/data/member/member_name"
    assert f.by_path["/data/member/member_name"] is f.questions["member_name"]
    assert set(f.instances) == {"aimag", "soum", "animals"}


def test_meta_and_instance_template_kept_for_odk(household) -> None:  # type: ignore[no-untyped-def]
    odk = household.odk
    assert odk.meta == {"/data/start": "start", "/data/end": "end", "/data/deviceid": "deviceid",
                        "/data/meta/instanceID": "instanceID"}
    assert odk.instance.tag == "{http://www.w3.org/2002/xforms}data"
    assert odk.instance.get("id") == "household_survey" and odk.instance.get("version") == "2026.1"
    fresh = odk.new_instance()
    members = fresh.findall("{http://www.w3.org/2002/xforms}member")
    assert len(members) == 1 and not any("template" in k for m in members for k in m.attrib)
    assert odk.namespaces["jr"] == "http://openrosa.org/javarosa"
    assert odk.base64_rsa_public_key is None and not odk.encrypted
    for name in ("start", "end", "deviceid", "instanceID"):
        assert name not in household.questions


def test_session_fills_an_imported_form(household) -> None:  # type: ignore[no-untyped-def]
    s = FormSession(household, "en")
    s.set_answer("members", 2)
    s.set_answer("aimag", "MN21")
    assert [c.value for c in s.choices("soum", (), "en")] == ["MN2101"]
    s.set_answer("animals", ["horse"])
    assert s.visible("horses", ())
    s.set_answer("horses", 10)
    assert s.value("horses_per_member") == "5"  # a calculate is text in an XForm (bind type string)
    s.set_answer("head_name", "Б")
    assert "head_name" in {k[0] for k in s.errors()}


def test_one_language_form_is_shown_in_its_language(tmp_path: Path) -> None:
    path = one_language_form(tmp_path / "one.xlsx")
    f = read_xform(to_xform(path), source=path.name)
    assert f.questions["name"].label_texts == {"en": "Your name"}
    assert f.questions["agree"].choice_list[0].label == {"en": "Yes"}
    assert f.questions["name"].label("mn") == "Your name"


def test_hand_written_xform_inline_items_relative_paths_fixed_repeat() -> None:
    model = (
        '<instance><survey id="hand" version="7"><kids><kid><name/><age/><older/></kid>'
        '<kid><name/><age/><older/></kid></kids><pet/><meta><instanceID/></meta></survey></instance>'
        '<bind nodeset="/survey/kids/kid/age" type="int" constraint=". &gt;= 0"/>'
        '<bind nodeset="/survey/kids/kid/older" type="string" calculate="../age &gt; 10"/>'
        '<bind nodeset="/survey/pet" type="string" relevant="count(/survey/kids/kid) &gt; 1"/>'
        '<bind nodeset="/survey/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>'
        '<submission action="https://example.test/submission" method="post" '
        'base64RsaPublicKey="MIIBIjAN"/>'
    )
    body = (
        '<group ref="/survey/kids"><label>Kids</label><repeat nodeset="/survey/kids/kid" jr:noAddRemove="true()">'
        '<input ref="name"><label>Name</label></input><input ref="age"><label>Age</label></input>'
        '</repeat></group>'
        '<select1 ref="/survey/pet"><label>Pet</label><item><label>Dog</label><value>dog</value></item>'
        '<item><label>Cat</label><value>cat</value></item></select1>'
    )
    f = read_xform(xform(model, body), source="hand.xml")
    kid = f.questions["kid"]
    assert kid.min_count == kid.max_count == 2
    assert squash(f.questions["older"].calculate) == "../age>10" and f.questions["older"].parent == "kid"
    s = FormSession(f, "en")
    s.set_answer("age", 12, (0,))
    s.set_answer("age", 3, (1,))
    assert (s.value("older", (0,)), s.value("older", (1,))) == ("true", "false")
    assert s.item_count("kid", ()) == 2 and s.visible("pet", ())
    assert [c.value for c in f.questions["pet"].choice_list] == ["dog", "cat"]
    assert f.version == "7" and f.odk.version == "7"
    assert f.odk.submission_url == "https://example.test/submission"
    assert f.odk.base64_rsa_public_key == "MIIBIjAN" and f.odk.encrypted


@pytest.mark.parametrize(("model", "body", "where", "why"), [
    ('<instance><d id="x"><a/></d></instance>', '<input ref="/d/zz"><label>A</label></input>',
     "<input ref='/d/zz'>", "not a node of the primary instance"),
    ('<instance><d id="x"><a/><b/></d></instance><bind nodeset="/d/b" relevant="/d/nope = 1"/>',
     '<input ref="/d/a"><label>A</label></input><input ref="/d/b"><label>B</label></input>',
     "<input ref='/d/b'>.relevant", "unknown path /d/nope"),
    ('<instance><d id="x"><a/></d></instance><bind nodeset="/d/a" type="barcode" required="true()"/>',
     '<input ref="/d/a"><label>A</label></input>', "<input ref='/d/a'>", "cannot be answered on this kiosk"),
    ('<instance><d><a/></d></instance>', '<input ref="/d/a"><label>A</label></input>',
     "<d>", "no id attribute"),
    ('<instance><d id="x"><a/></d></instance>', '<odk:setgeopoint ref="/d/a"/><blink ref="/d/a"/>',
     "<blink>", "not supported"),
])
def test_refusals_name_the_element(model: str, body: str, where: str, why: str) -> None:
    with pytest.raises(FormLoadError) as err:
        read_xform(xform(model, body), source="bad.xml")
    assert err.value.json_path == where and why in err.value.message


def test_not_well_formed_and_entities_are_refused() -> None:
    with pytest.raises(FormLoadError) as err:
        read_xform(b"<h:html><oops", source="x.xml")
    assert "not well-formed" in err.value.message and err.value.json_path.startswith("line 1")
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(FormLoadError) as err:
        read_xform(bomb, source="x.xml")
    assert "DTDs and entities" in err.value.message


def test_optional_barcode_is_a_note_saying_not_available() -> None:
    model = '<instance><d id="x"><a/><code/></d></instance><bind nodeset="/d/code" type="barcode"/>'
    body = '<input ref="/d/a"><label>A</label></input><input ref="/d/code"><label>Code</label></input>'
    f = read_xform(xform(model, body), source="x.xml")
    code = f.questions["code"]
    assert code.type == "note" and code.params == {"unavailable": "barcode"}
    assert "not available on this kiosk" in code.hint_texts["en"] and code.hint_texts["mn"]


def test_setvalue_actions_are_defaults_calculations_or_warnings(tmp_path: Path) -> None:
    from tests.forms.xlsform_builders import write_xlsform

    path = write_xlsform(tmp_path / "sv.xlsx", [
        ["type", "name", "label", "default", "trigger", "calculation"],
        ["date", "d", "D", "today()"], ["integer", "n", "N", "5"], ["text", "x", "X"],
        ["calculate", "c", "", "", "${x}", "concat('a', ${x})"]])
    f = read_xform(to_xform(path), source=path.name)
    assert f.questions["n"].default == 5
    assert squash(f.questions["c"].calculate) == "concat('a',/data/x)"
    assert f.questions["d"].params["default_expr"] == "today()"  # a default that is an expression
    assert not any("not applied" in w for w in f.odk.warnings)
    assert any("/data/c" in w and "calculation" in w for w in f.odk.warnings)
    s = FormSession(f, "en", today=date(2026, 3, 4))
    assert s.answer("d") == "2026-03-04" and s.answer("n") == 5
    s.set_answer("x", "b")
    assert s.value("c") == "ab"


def test_required_message_is_the_forms_own(household) -> None:  # type: ignore[no-untyped-def]
    s = FormSession(household, "en")
    assert s.errors()[("head_name", ())] == "Please give the name"
    s2 = FormSession(household, "mn")
    assert s2.errors()[("head_name", ())] == "Нэрээ бичнэ үү"
    assert s2.errors()[("members", ())] == "Энэ асуултад заавал хариулна уу."  # no message: the kiosk's


def test_one_name_at_two_paths_gets_a_unique_name() -> None:
    model = ('<instance><d id="x"><g1><name/></g1><g2><name/></g2></d></instance>'
             '<bind nodeset="/d/g2/name" type="string" relevant="string-length(/d/g1/name) &gt; 0"/>')
    body = ('<group ref="/d/g1"><label>One</label><input ref="/d/g1/name"><label>A</label></input></group>'
            '<group ref="/d/g2"><label>Two</label><input ref="/d/g2/name"><label>B</label></input></group>')
    f = read_xform(xform(model, body), source="x.xml")
    assert [(q.name, q.path) for q in f.questions.values()] == [("name", "/d/g1/name"), ("name_2", "/d/g2/name")]
    s = FormSession(f, "en")
    assert not s.visible("name_2", ())
    s.set_answer("name", "Bat")
    assert s.visible("name_2", ())


def test_one_choice_name_under_two_filters_is_allowed() -> None:
    model = ('<instance><d id="x"><state/><county/></d></instance>'
             '<instance id="counties"><root><item><name>king</name><label>King (WA)</label><state>wa</state></item>'
             '<item><name>king</name><label>King (TX)</label><state>tx</state></item></root></instance>')
    body = ('<select1 ref="/d/state"><label>S</label><item><label>WA</label><value>wa</value></item>'
            '<item><label>TX</label><value>tx</value></item></select1>'
            '<select1 ref="/d/county"><label>C</label><itemset nodeset="instance(\'counties\')/root/item[state=/d/state]">'
            '<value ref="name"/><label ref="label"/></itemset></select1>')
    f = read_xform(xform(model, body), source="x.xml")
    assert [c.value for c in f.questions["county"].choice_list] == ["king", "king"]
    assert any("'king' is used more than once" in w for w in f.odk.warnings)
    s = FormSession(f, "en")
    s.set_answer("state", "tx")
    assert [c.label for c in s.choices("county", (), "en")] == ["King (TX)"]
    s.set_answer("county", "king")
    assert ("county", ()) not in s.errors()


def test_a_counted_repeat_has_as_many_items_as_its_count(household) -> None:  # type: ignore[no-untyped-def]
    s = FormSession(household, "en")
    assert s.item_count("member", ()) == 0
    s.set_answer("members", 3)
    assert s.item_count("member", ()) == 3 and s.question("member_age").definition.default == 30
    s.set_answer("member_name", "Сараа", (1,))
    s.set_answer("members", 2)
    assert s.item_count("member", ()) == 2 and s.answer("member_name", (1,)) == "Сараа"
    s.set_answer("members", None)  # no number: the items stay
    assert s.item_count("member", ()) == 2
    restored = FormSession(household, "en")
    restored.restore({"members": 4})
    assert restored.item_count("member", ()) == 4


def test_choices_from_the_answers_of_a_repeat(household) -> None:  # type: ignore[no-untyped-def]
    q = household.questions["respondent"]
    assert q.params["choices_from"] == {"repeat": "member", "value": "member_name", "label": "member_name"}
    s = FormSession(household, "en")
    s.set_answer("members", 2)
    assert s.choices("respondent", (), "en") == [] or [c.value for c in s.choices("respondent", (), "en")] == []
    s.set_answer("member_name", "Батболд", (0,))
    s.set_answer("member_name", "Сараа", (1,))
    assert [c.value for c in s.choices("respondent", (), "en")] == ["Батболд", "Сараа"]
    s.set_answer("respondent", "Сараа")
    assert ("respondent", ()) not in s.errors()
    s.set_answer("member_name", "Сарнай", (1,))  # the chosen answer is gone: the choice is refused
    assert s.errors()[("respondent", ())] == "Please choose from the list."
    s.set_answer("respondent", "Сарнай")
    assert ("respondent", ()) not in s.errors()


def test_a_filter_on_choices_from_a_repeat_is_refused() -> None:
    model = '<instance><d id="x"><p><n/></p><pick/></d></instance>'
    body = ('<repeat nodeset="/d/p"><input ref="/d/p/n"><label>N</label></input></repeat>'
            '<select1 ref="/d/pick"><label>P</label><itemset nodeset="/d/p[position() &gt; 1]">'
            '<value ref="n"/><label ref="n"/></itemset></select1>')
    with pytest.raises(FormLoadError) as err:
        read_xform(xform(model, body), source="x.xml")
    assert "a filter on choices from a repeat" in err.value.message


def test_expression_defaults_in_repeats_apply_to_each_new_item(tmp_path: Path) -> None:
    from tests.forms.xlsform_builders import write_xlsform

    path = write_xlsform(tmp_path / "r.xlsx", [
        ["type", "name", "label", "default"], ["integer", "n", "N", "7"],
        ["begin repeat", "r", "R"], ["text", "tag", "Tag", "concat('n', ${n})"], ["end repeat"]])
    f = read_xform(to_xform(path), source=path.name)
    assert f.odk.warnings == []
    s = FormSession(f, "en")
    s.add_item("r", ())
    assert s.answer("tag", (0,)) == "n7"
    s.set_answer("n", 8)
    s.add_item("r", ())
    assert (s.answer("tag", (0,)), s.answer("tag", (1,))) == ("n7", "n8")  # once per item, as ODK
