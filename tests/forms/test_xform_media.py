"""Secondary instances from CSV files, media kept with imported forms, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.forms import FormSession, load_catalog
from kiosk.forms.local_catalog import check_source, install, read_source
from kiosk.forms.media import question_media
from kiosk.forms.model import FormLoadError
from kiosk.paths import bundled_catalog_dir
from tests.forms.xlsform_builders import media_form


def test_csv_choices_media_and_filter_after_import(tmp_path: Path) -> None:
    src_dir = tmp_path / "src"
    source = read_source(media_form(src_dir / "media.xlsx"))
    form = check_source(source)
    soum = form.questions["soum"]
    assert [c.value for c in soum.choice_list] == ["MN1101", "MN1102", "MN2101"]
    assert soum.choice_list[2].label == {"mn": "Хэрлэн", "en": "Kherlen"}
    assert form.instances["soums"].findall("item")[0].findtext("aimag") == "MN11"
    assert {m.name: m.kind for m in form.odk.media} == {
        "soums.csv": "csv", "name-mn.wav": "audio", "horse.png": "image"}

    home = tmp_path / "home"
    install(home, source, form, category="civil-registration", agency="gasr")
    media = home / "local-forms" / "media-form" / "media"
    assert sorted(p.name for p in media.iterdir()) == ["horse.png", "name-mn.wav", "soums.csv"]
    for p in src_dir.iterdir():  # the imported copy no longer needs the source folder
        p.unlink()
    catalog = load_catalog(bundled_catalog_dir(), home / "local-forms")
    assert catalog.problems == []
    loaded = catalog.form("media-form")
    assert question_media(loaded, loaded.questions["name"], "audio", "en") == (media / "name-mn.wav").resolve()
    assert loaded.questions["animal"].choice_list[0].media == {"image": {"mn": "jr://images/horse.png"}}
    s = FormSession(loaded, "en")
    s.set_answer("aimag", "MN21")
    assert [c.value for c in s.choices("soum", (), "en")] == ["MN2101"]


def test_missing_csv_is_refused_naming_the_instance(tmp_path: Path) -> None:
    path = media_form(tmp_path / "media.xlsx")
    (tmp_path / "soums.csv").unlink()
    with pytest.raises(FormLoadError) as err:
        check_source(read_source(path))
    assert "<instance id='soums'>" in err.value.json_path or "<instance id='soums'>" in str(err.value)
    assert "needs the media file 'soums.csv'" in err.value.message


def test_a_broken_local_form_is_skipped_and_reported(tmp_path: Path) -> None:
    source = read_source(media_form(tmp_path / "src" / "media.xlsx"))
    form = check_source(source)
    install(tmp_path / "home", source, form, category="civil-registration", agency="gasr")
    folder = tmp_path / "home" / "local-forms" / "media-form"
    (folder / "media" / "soums.csv").unlink()
    catalog = load_catalog(bundled_catalog_dir(), tmp_path / "home" / "local-forms")
    assert "media-form" not in catalog.forms and "birth-registration" in catalog.forms
    problem = catalog.problems[0]
    assert problem.file == "local-forms/media-form/form.xml" and "soums.csv" in problem.message


def test_a_media_name_may_not_leave_the_media_folder(tmp_path: Path) -> None:
    from kiosk.forms.xform_read import read_xform

    secret = tmp_path / "secret.csv"
    secret.write_text("name,label\nroot,SECRET\n", "utf-8")
    (tmp_path / "media").mkdir()
    xml = (b'<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">'
           b'<h:head><h:title>T</h:title><model><instance><d id="x"><a/></d></instance>'
           b'<instance id="s" src="jr://file-csv/../secret.csv"/></model></h:head>'
           b'<h:body><select1 ref="/d/a"><label>A</label><itemset nodeset="instance(\'s\')/root/item">'
           b'<value ref="name"/><label ref="label"/></itemset></select1></h:body></h:html>')
    with pytest.raises(FormLoadError) as err:
        read_xform(xml, source="x.xml", media_dir=tmp_path / "media")
    assert "leaves the form's media folder" in err.value.message


def test_external_xml_instance_feeds_an_itemset(tmp_path: Path) -> None:
    from kiosk.forms.xform_read import read_xform

    (tmp_path / "places.xml").write_text(
        '<root><item><name>bz</name><label>Баянзүрх</label></item>'
        '<item><name>sb</name><label>Сүхбаатар</label></item></root>', "utf-8")
    xml = (b'<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">'
           b'<h:head><h:title>T</h:title><model><instance><d id="x"><a/></d></instance>'
           b'<instance id="places" src="jr://file/places.xml"/></model></h:head>'
           b'<h:body><select1 ref="/d/a"><label>A</label><itemset nodeset="instance(\'places\')/root/item">'
           b'<value ref="name"/><label ref="label"/></itemset></select1></h:body></h:html>')
    form = read_xform(xml, source="x.xml", media_dir=tmp_path)
    assert [(c.value, c.label) for c in form.questions["a"].choice_list] == [
        ("bz", {"mn": "Баянзүрх"}), ("sb", {"mn": "Сүхбаатар"})]
    assert form.instances["places"].tag == "root"
    assert [m.name for m in form.odk.media] == ["places.xml"]


def test_two_odk_ids_with_one_kiosk_id_never_replace_each_other(tmp_path: Path) -> None:
    from tests.forms.xlsform_builders import one_language_form

    first = read_source(one_language_form(tmp_path / "a.xlsx", form_id="Village_Survey"))
    install(tmp_path / "home", first, check_source(first), category="land", agency="gasr")
    second = read_source(one_language_form(tmp_path / "b.xlsx", form_id="village-survey"))
    form = check_source(second)
    assert form.id == "village-survey"
    with pytest.raises(FormLoadError) as err:
        install(tmp_path / "home", second, form, category="land", agency="gasr")
    assert "already used by the imported form 'Village_Survey'" in err.value.message
    again = read_source(one_language_form(tmp_path / "c.xlsx", form_id="Village_Survey"))
    install(tmp_path / "home", again, check_source(again), category="land", agency="gasr")  # an update


@pytest.mark.parametrize("nodeset", ["instance('v')/root/item", "instance('v')/root/item[name != 'zz' or 1 = 2]"])
def test_a_csv_language_column_wins_over_its_plain_label_column(tmp_path: Path, nodeset: str) -> None:
    """ODK reads only ``label``; a CSV that also has ``label::Mongolian (mn)`` (issue 19) is
    shown in the screen's language from that column, the plain one speaking for the rest."""
    from kiosk.forms.session import FormSession
    from kiosk.forms.xform_read import read_xform

    (tmp_path / "v.csv").write_text("name,label,label::Mongolian (mn),label::English (en)\n"
                                    "v4,Plain 4,Тосгон 00004,Village 00004\n", "utf-8")
    xml = ('<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">'
           '<h:head><h:title>T</h:title><model><instance><d id="x"><a/></d></instance>'
           '<instance id="v" src="jr://file-csv/v.csv"/></model></h:head>'
           f'<h:body><select1 ref="/d/a"><label>A</label><itemset nodeset="{nodeset}">'
           '<value ref="name"/><label ref="label"/></itemset></select1></h:body></h:html>').encode()
    form = read_xform(xml, source="x.xml", media_dir=tmp_path)
    for lang, label in (("mn", "Тосгон 00004"), ("en", "Village 00004")):
        assert [c.label for c in FormSession(form, lang).choices("a")] == [label]
