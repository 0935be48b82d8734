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
    s.set_answer("sw", "yes")  # the page hides itself; the kiosk empties what is hidden, so
    assert s.value("severe") in ("yes", "no")  # javarosa's answer (yes) is not guaranteed


def _itext_form(langs: list[tuple[str, str, str]], default: str | None = None) -> bytes:
    mark = ' default="true()"'
    trs = "".join(
        f'<translation lang="{lang}"{mark if lang == default else ""}>'
        f'<text id="q"><value>{q}</value></text><text id="c"><value>{c}</value></text></translation>'
        for lang, q, c in langs)
    model = (f'<itext>{trs}</itext><instance><d id="langs"><a/></d></instance>'
             '<bind nodeset="/d/a" type="string"/>')
    body = ('<select1 ref="/d/a"><label ref="jr:itext(\'q\')"/>'
            '<item><label ref="jr:itext(\'c\')"/><value>x</value></item></select1>')
    return xform(model, body)


def test_a_form_with_only_other_languages_imports_and_shows_them() -> None:
    f = read_xform(_itext_form([("French (fr)", "Nom", "Oui"), ("Kazakh", "Аты", "Иә")]), source="fr.xml")
    assert f.languages == {"fr": "French (fr)", "kk": "Kazakh"}
    assert f.questions["a"].label_texts == {"fr": "Nom", "kk": "Аты"}
    s = FormSession(f, "mn")  # the kiosk's language: the form's first (default) is shown
    assert s.question("a").label() == "Nom"
    s.lang = "kk"  # the resident picks Kazakh for the form's texts
    assert s.question("a").label() == "Аты" and s.choices("a")[0].label == "Иә"
    assert f.text_language("mn") == "fr" and f.text_language("kk") == "kk"


def test_default_language_is_honoured_and_every_language_kept() -> None:
    f = read_xform(_itext_form([("English (en)", "Name", "Yes"), ("Arabic (ar)", "الاسم", "نعم"),
                                ("Français", "Nom", "Oui")], default="Arabic (ar)"), source="ar.xml")
    assert list(f.languages) == ["ar", "en", "fr"]
    assert f.questions["a"].label_texts == {"ar": "الاسم", "en": "Name", "fr": "Nom"}
    assert FormSession(f, "mn").question("a").label() == "الاسم"  # mn not in the form: its default
    assert FormSession(f, "en").question("a").label() == "Name"


def test_a_form_without_the_default_xforms_namespace_reads_by_local_names() -> None:
    xml = ('<h:html xmlns:h="http://www.w3.org/1999/xhtml"><h:head><h:title>NoNs</h:title><model>'
           '<instance><data id="nons"><a/></data></instance><bind nodeset="/data/a" type="int"/>'
           '</model></h:head><h:body><input ref="/data/a"><label>A</label></input></h:body></h:html>')
    f = read_xform(xml.encode(), source="nons.xml")
    assert f.odk is not None and f.odk.xml_form_id == "nons" and f.questions["a"].type == "integer"


def test_rank_without_odk_prefix_and_a_primary_instance_with_an_id() -> None:
    model = ('<instance id="main"><d id="rk"><r/></d></instance>'
             '<bind nodeset="/d/r" type="odk:rank"/>')
    body = ('<rank ref="/d/r"><label>R</label><item><label>One</label><value>1</value></item>'
            '<item><label>Two</label><value>2</value></item></rank>')
    f = read_xform(xform(model, body), source="rank.xml")
    assert f.questions["r"].type == "rank" and [c.value for c in f.questions["r"].choice_list] == ["1", "2"]


_FRUITS = ('<instance id="fruits"><root>' + "".join(
    f'<item><name>{v}</name><label>{v.title()}</label></item>'
    for v in ("apple", "banana", "cherry", "date", "elder", "fig", "grape", "kiwi")) + '</root></instance>')


def test_randomized_choices_keep_one_order_per_session_and_follow_a_seed() -> None:
    model = ('<instance><d id="rnd"><a/><b/><s/></d></instance>' + _FRUITS +
             '<bind nodeset="/d/a" type="string"/><bind nodeset="/d/b" type="string"/>'
             '<bind nodeset="/d/s" type="int"/>')
    item = '<itemset nodeset="{}"><value ref="name"/><label ref="label"/></itemset>'
    body = ('<input ref="/d/s"><label>S</label></input>'
            f'<select1 ref="/d/a"><label>A</label>{item.format("randomize(instance(&apos;fruits&apos;)/root/item)")}</select1>'
            f'<select ref="/d/b"><label>B</label>{item.format("randomize(instance(&apos;fruits&apos;)/root/item, /d/s)")}</select>')
    f = read_xform(xform(model, body), source="rnd.xml")
    s = FormSession(f, "en")
    order = [c.value for c in s.choices("a")]
    assert sorted(order) == sorted(c.value for c in f.questions["a"].choice_list)
    assert [c.value for c in s.choices("a")] == order  # one order for the whole session
    orders = {tuple(c.value for c in FormSession(f, "en").choices("a")) for _ in range(6)}
    assert len(orders) > 1  # another session, another order (8! orders: 6 equal is ~1e-22)
    s.set_answer("s", 3)
    seeded = [c.value for c in s.choices("b")]
    t = FormSession(f, "en")
    t.set_answer("s", 3)
    assert [c.value for c in t.choices("b")] == seeded != [c.value for c in f.questions["b"].choice_list]


def test_itemsets_of_any_shape() -> None:
    model = ('<instance><d id="shape"><st/></d></instance>'
             '<instance id="c"><states><state><code>a</code><txt>Alpha</txt></state>'
             '<state><code>b</code><txt>Beta</txt></state></states></instance>'
             '<bind nodeset="/d/st" type="string"/>')
    body = ('<select1 ref="/d/st"><label>S</label><itemset nodeset="instance(\'c\')/states/state[code != \'\']">'
            '<value ref="code"/><label ref="txt"/></itemset></select1>')
    f = read_xform(xform(model, body), source="shape.xml")
    s = FormSession(f, "en")
    assert [(c.value, c.label) for c in s.choices("st")] == [("a", "Alpha"), ("b", "Beta")]


def test_a_repeat_holding_only_calculations() -> None:
    model = ('<instance><d id="calconly"><n/><rep jr:template=""><pos/><sq/></rep><total/></d></instance>'
             '<bind nodeset="/d/n" type="int"/>'
             '<bind nodeset="/d/rep/pos" type="int" calculate="position(..)"/>'
             '<bind nodeset="/d/rep/sq" type="int" calculate="../pos * ../pos"/>'
             '<bind nodeset="/d/total" type="int" calculate="sum(/d/rep/sq)"/>')
    body = ('<input ref="/d/n"><label>N</label></input>'
            '<group ref="/d/rep"><label>R</label><repeat nodeset="/d/rep" jr:count="/d/n"/></group>')
    f = read_xform(xform(model, body), source="calconly.xml")
    s = FormSession(f, "en")
    s.set_answer("n", 3)
    assert s.item_count("rep") == 3 and s.value("total") == 14
    assert [sc.key for sc in s.screens()] == ["main/n"]  # nothing to ask in the repeat: no screen


def test_an_odk_form_comparing_with_a_value_not_in_the_list_loads_with_a_warning() -> None:
    model = ('<instance><d id="notchoice"><a/><b/></d></instance>'
             '<bind nodeset="/d/b" type="string" relevant="/d/a = \'dk\'"/>')
    body = ('<select1 ref="/d/a"><label>A</label><item><label>Yes</label><value>yes</value></item></select1>'
            '<input ref="/d/b"><label>B</label></input>')
    f = read_xform(xform(model, body), source="notchoice.xml")
    assert f.odk is not None and any("'dk' is not a choice of a" in w for w in f.odk.warnings)
    s = FormSession(f, "en")
    s.set_answer("a", "yes")
    assert not s.visible("b")


def _from_file(tmp_path, src: str, name: str, data: bytes):  # type: ignore[no-untyped-def]
    (tmp_path / name).write_bytes(data)
    model = (f'<instance><d id="fromfile"><p/></d></instance><instance id="f" src="{src}{name}"/>'
             '<bind nodeset="/d/p" type="string"/>')
    body = ('<select1 ref="/d/p"><label>P</label><itemset nodeset="instance(\'f\')/root/item">'
            '<value ref="name"/><label ref="label"/></itemset></select1>')
    return read_xform(xform(model, body), source="fromfile.xml", media_dir=tmp_path)


def test_a_geojson_choice_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "w1", "geometry": {"type": "Point", "coordinates": [106.9, 47.9]},
         "properties": {"name": "well1", "label": "Well one"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4.5]]},
         "properties": {"name": "road", "label": "Road"}}]}
    f = _from_file(tmp_path, "jr://file/", "places.geojson", json.dumps(doc).encode())
    choices = f.questions["p"].choice_list
    assert [(c.value, c.text("en")) for c in choices] == [("well1", "Well one"), ("road", "Road")]
    assert choices[0].extra["geometry"] == "47.9 106.9 0 0" and choices[0].extra["id"] == "w1"
    assert choices[1].extra["geometry"] == "2 1 0 0; 4.5 3 0 0"


def test_a_csv_that_is_not_utf8_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = "name,label\nub,Улаанбаатар\nda,Дархан\n"
    f = _from_file(tmp_path, "jr://file-csv/", "cities.csv", text.encode("cp1251"))
    assert [c.text("en") for c in f.questions["p"].choice_list] == ["Улаанбаатар", "Дархан"]
    latin = "name,label\nfr,Café crème\nde,Müller\n"
    f = _from_file(tmp_path, "jr://file-csv/", "latin.csv", latin.encode("cp1252"))
    assert [c.text("en") for c in f.questions["p"].choice_list] == ["Café crème", "Müller"]


def test_audio_and_video_questions_are_not_available_and_refused_when_required() -> None:
    from kiosk.forms.model import FormLoadError

    model = ('<instance><d id="av"><a/><v/></d></instance>'
             '<bind nodeset="/d/a" type="binary"/><bind nodeset="/d/v" type="binary"/>')
    body = ('<upload ref="/d/a" mediatype="audio/*"><label>Say it</label></upload>'
            '<upload ref="/d/v" mediatype="video/*"><label>Show it</label></upload>')
    f = read_xform(xform(model, body), source="av.xml")
    a, v = f.questions["a"], f.questions["v"]
    assert (a.type, a.params["unavailable"], v.params["unavailable"]) == ("note", "audio", "video")
    assert a.hint_texts["en"] == "Recording sound is not available on this kiosk."
    required = model.replace('<bind nodeset="/d/v" type="binary"/>',
                             '<bind nodeset="/d/v" type="binary" required="true()"/>')
    try:
        read_xform(xform(required, body), source="av.xml")
    except FormLoadError as exc:
        assert "'v' is required but cannot be answered" in exc.message and "upload" in exc.json_path
    else:
        raise AssertionError("a required video question was accepted")


def test_an_odk_default_that_is_no_choice_starts_empty_with_a_warning() -> None:
    model = ('<instance><d id="baddefault"><a>3</a></d></instance><bind nodeset="/d/a" type="string"/>')
    body = ('<select1 ref="/d/a"><label>A</label><item><label>One</label><value>1</value></item></select1>')
    f = read_xform(xform(model, body), source="baddefault.xml")
    assert f.questions["a"].default is None and f.odk is not None
    assert any("the default '3' is not a valid select_one" in w for w in f.odk.warnings)


def test_an_itemset_giving_no_choices_loads() -> None:
    model = ('<instance><d id="emptyset"><a/></d></instance><instance id="none"><root/></instance>'
             '<bind nodeset="/d/a" type="string"/>')
    body = ('<select1 ref="/d/a"><label>A</label><itemset nodeset="instance(\'none\')/root/item">'
            '<value ref="name"/><label ref="label"/></itemset></select1>')
    f = read_xform(xform(model, body), source="emptyset.xml")
    assert FormSession(f, "en").choices("a") == [] and f.odk is not None and f.odk.warnings
    inline = read_xform(xform(model, '<select1 ref="/d/a"><label>A</label></select1>'), source="e.xml")
    assert inline.questions["a"].choice_list == [] and inline.odk is not None
    assert any("has no choices" in w for w in inline.odk.warnings)


def test_an_xlsform_in_french_and_arabic_with_arabic_default_imports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kiosk.forms.local_catalog import check_source, read_source
    from tests.forms.xlsform_builders import write_xlsform

    cols = ["label::Français (fr)", "label::Arabic (ar)"]
    path = write_xlsform(tmp_path / "fr.xlsx", [["type", "name", *cols], ["select_one yn", "x", "Oui?", "نعم؟"]],
                         [["list_name", "name", *cols], ["yn", "yes", "Oui", "نعم"], ["yn", "no", "Non", "لا"]],
                         {"form_id": "fr_form", "default_language": "Arabic (ar)"})
    f = check_source(read_source(path))
    assert list(f.languages) == ["ar", "fr"]
    s = FormSession(f, "mn")
    assert s.question("x").label() == "نعم؟" and [c.label for c in s.choices("x")] == ["نعم", "لا"]
    s.lang = "fr"
    assert s.question("x").label() == "Oui?" and [c.label for c in s.choices("x")] == ["Oui", "Non"]


def test_a_page_condition_reading_a_question_of_that_page_terminates() -> None:
    model = ('<instance><d id="selfpage"><g><x/><y/></g></d></instance>'
             '<bind nodeset="/d/g" relevant="/d/g/x != \'stop\'"/>')
    body = ('<group ref="/d/g"><label>G</label><input ref="/d/g/x"><label>X</label></input>'
            '<input ref="/d/g/y"><label>Y</label></input></group>')
    f = read_xform(xform(model, body), source="selfpage.xml")
    s = FormSession(f, "en")
    assert [sc.key for sc in s.screens()] and s.visible("x")
    s.set_answer("x", "stop")
    assert not s.visible("y") and s.screens() == []  # hidden, as javarosa reads x as it stands
