"""kiosk.forms.load_error: a refusal and a warning keep their English text and place for
logs and ``--json``, and word both in the kiosk's language (issue 18)."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest

from kiosk.errors import NotFoundError
from kiosk.forms.load_error import FormLoadError, FormWarning, Place, PlaceKind, warning_text
from kiosk.forms.xform_read import read_xform
from kiosk.forms.xlsform import XlsFormError, convert
from kiosk.paths import ASSETS_DIR
from tests.forms.xlsform_builders import broken_survey_form, write_xlsform


@pytest.mark.parametrize(("json_path", "kind", "mn"), [
    ("$", PlaceKind.FILE, ""),
    ("$.pages[0].name", PlaceKind.JSON, "JSON зам $.pages[0].name"),
    ("<input ref='/d/a'>", PlaceKind.ELEMENT, "элемент <input ref='/d/a'>"),
    ("line 3 column 7", PlaceKind.LINE, "XML-ийн мөр 3, тэмдэгт 7"),
    ("meta.json", PlaceKind.NAMED, "файл meta.json"),
])
def test_a_place_is_read_from_the_english_path_and_worded(json_path: str, kind: PlaceKind, mn: str) -> None:
    place = Place.of(json_path)
    assert place.kind == kind and place.words("mn") == mn
    assert place.words("en") == ("" if kind == PlaceKind.FILE else json_path)


def test_a_keyed_refusal_keeps_its_english_message_and_json_path() -> None:
    exc = FormLoadError("<h:body>", key="formload.xform_no_body")
    assert (exc.json_path, exc.message, str(exc)) == (
        "<h:body>", "an XForm needs a <h:body>", "<h:body>: an XForm needs a <h:body>")
    assert exc.line("en") == "<h:body>: an XForm needs a <h:body>"
    assert exc.line("mn") == "элемент <h:body>: XForm-д <h:body> хэрэгтэй"
    whole = FormLoadError("$", key="formload.not_a_form_file")
    assert "$" not in whole.line("mn") and whole.line("mn") == whole.text("mn")


def test_an_unkeyed_refusal_is_its_english_message() -> None:
    exc = FormLoadError("$.x", "something odd")
    assert exc.key is None and exc.text("mn") == "something odd"


def test_a_cause_inside_a_reason_is_worded_in_the_same_language() -> None:
    cause = NotFoundError(key="errors.answers_not_found", params={"path": "a.json"})
    exc = FormLoadError("$.answers", key="formload.answers_refused", params={"reason": cause})
    assert exc.text("mn") != exc.text("en") and "a.json" in exc.text("mn")


def test_a_spreadsheet_refusal_names_sheet_row_and_column(tmp_path: Path) -> None:
    with pytest.raises(XlsFormError) as caught:
        convert(broken_survey_form(tmp_path / "b.xlsx"))
    exc = caught.value
    assert exc.json_path == "sheet survey, row 3, column type" and (exc.sheet, exc.row) == ("survey", 3)
    assert exc.line("mn").startswith("хуудас survey, мөр 3, багана type: XLSForm хөрвүүлэгч")
    assert "Unknown question type 'bogus_type'" in exc.message and exc.key == "formload.converter_refused"


def test_a_warning_is_the_same_english_text_and_words_itself(tmp_path: Path) -> None:
    warning = FormWarning("<odk:setgeopoint ref='/d/here'>", "formload.warn_setgeopoint")
    assert warning == ("<odk:setgeopoint ref='/d/here'>: a device location is not taken on this kiosk; "
                       "the node stays empty")
    assert json.loads(json.dumps([warning])) == [str(warning)]
    assert warning_text(warning, "mn").startswith("элемент <odk:setgeopoint ref='/d/here'>: энэ киоск")
    assert warning_text("a tool's own text", "mn") == "a tool's own text"


def test_a_reader_warning_of_a_spreadsheet_lands_on_its_row(tmp_path: Path) -> None:
    from kiosk.forms.local_catalog import check_source, read_source

    path = write_xlsform(tmp_path / "p.xlsx", [
        ["type", "name", "label", "choice_filter"],
        ["select_one colors", "color", "Colour?", ""],
        ["select_one colors", "pastel", "Pastel?", "pastel=yes"]],
        [["list_name", "name", "label", "pastel"], ["colors", "red", "Red", "no"]])
    form = check_source(read_source(path))
    assert form.odk is not None
    [warning] = [w for w in form.odk.warnings if "'yes'" in w]
    assert warning.startswith("sheet survey, row 3, column choice_filter: ")
    assert warning_text(warning, "mn").startswith("хуудас survey, мөр 3, багана choice_filter: ")


def test_an_xform_expression_refusal_keeps_the_checkers_sentence_as_detail() -> None:
    xml = (b"<h:html xmlns='http://www.w3.org/2002/xforms' xmlns:h='http://www.w3.org/1999/xhtml'>"
           b"<h:head><h:title>T</h:title><model><instance><d id='t'><a/></d></instance>"
           b"<bind nodeset='/d/a' type='int' constraint='nope(.)'/></model></h:head>"
           b"<h:body><input ref='/d/a'><label>A</label></input></h:body></h:html>")
    with pytest.raises(FormLoadError) as caught:
        read_xform(xml, source="t.xml")
    exc = caught.value
    assert exc.key == "formload.expression_unusable" and exc.text("en") == exc.message
    assert "nope()" in exc.text("mn") and exc.text("mn").startswith("илэрхийллийг ашиглах боломжгүй")


def test_every_formload_entry_has_the_same_fields_in_both_languages() -> None:
    texts = json.loads((ASSETS_DIR / "i18n" / "formload.json").read_text("utf-8"))
    fields = string.Formatter()
    differ = [key for key, t in texts.items()
              if {f[1] for f in fields.parse(t["mn"]) if f[1]} != {f[1] for f in fields.parse(t["en"]) if f[1]}]
    assert differ == []
