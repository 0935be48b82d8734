"""``kiosk forms import/check/remove`` and ``kiosk fill`` on imported XLSForms, as subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.forms.xlsform_builders import (
    broken_choices_form,
    broken_reference_form,
    broken_settings_form,
    broken_survey_form,
    household_answers,
    household_form,
    one_language_form,
    required_barcode_form,
    to_xform,
)


def test_import_list_fill_remove(kiosk_cli, tmp_path: Path, isolated_home: Path) -> None:  # type: ignore[no-untyped-def]
    xlsx = household_form(tmp_path / "household.xlsx")
    xml = tmp_path / "one.xml"
    xml.write_bytes(to_xform(one_language_form(tmp_path / "one.xlsx")))
    result = kiosk_cli("forms", "import", str(xlsx), str(xml), "--category", "civil-registration",
                       "--agency", "gasr", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert [r["id"] for r in data["imported"]] == ["household-survey", "one-language"]
    assert data["problems"] == []
    stored = isolated_home / "local-forms" / "household-survey"
    assert (stored / "form.xml").is_file() and json.loads((stored / "meta.json").read_text())["agency"] == "gasr"

    listed = json.loads(kiosk_cli("forms", "list", "--json", "--lang", "en").stdout)
    row = next(f for f in listed["forms"] if f["id"] == "household-survey")
    assert row["category"] == "civil-registration" and row["version"] == "2026.1"
    assert "birth-registration" in {f["id"] for f in listed["forms"]} and listed["problems"] == []

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(household_answers(), ensure_ascii=False), "utf-8")
    filled = kiosk_cli("fill", "household-survey", "--answers", str(answers), "--json")
    assert filled.returncode == 0, filled.stderr
    assert json.loads(filled.stdout)["form_id"] == "household-survey"

    # a bad answer names the question, exit 1
    bad = household_answers()
    bad["answers"]["members"] = 40
    answers.write_text(json.dumps(bad, ensure_ascii=False), "utf-8")
    refused = kiosk_cli("fill", "household-survey", "--answers", str(answers), "--lang", "en")
    assert refused.returncode == 1 and "members" in refused.stderr and "Traceback" not in refused.stderr

    assert kiosk_cli("forms", "remove", "one-language").returncode == 0
    listed = json.loads(kiosk_cli("forms", "list", "--json").stdout)
    assert "one-language" not in {f["id"] for f in listed["forms"]}


def test_import_with_no_flags_and_refused_unknown_flags(kiosk_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 22: ``forms import FILE`` alone works (the imported forms' category, the form's
    own destination); a category or agency given must exist."""
    xlsx = one_language_form(tmp_path / "one.xlsx")
    result = kiosk_cli("--lang", "en", "forms", "import", str(xlsx), "--category", "nope",
                       "--agency", "gasr")
    assert result.returncode == 2 and f"{xlsx}: unknown category nope" in result.stderr
    result = kiosk_cli("forms", "import", str(xlsx), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    row = json.loads(result.stdout)["imported"][0]
    assert (row["id"], row["xml_form_id"], row["category"], row["agency"]) == (
        "one-language", "one_language", "imported", "")
    listed = json.loads(kiosk_cli("forms", "list", "--json", "--lang", "en").stdout)
    assert {"id": "one-language", "xml_form_id": "one_language", "category": "imported"}.items() <= next(
        f for f in listed["forms"] if f["id"] == "one-language").items()
    assert listed["problems"] == []


@pytest.mark.parametrize(("builder", "where", "why"), [
    (broken_survey_form, "sheet survey, row 3, column type", "Unknown question type 'bogus_type'"),
    (broken_reference_form, "sheet survey, row 3, column relevant", "Could not find the name 'nope'"),
    (broken_choices_form, "sheet choices, row 4, column name", "Choice names must be unique"),
    (broken_settings_form, "sheet settings, row 2, column public_key", "not a base64 RSA public key"),
    (required_barcode_form, "sheet survey, row 3", "cannot be answered on this kiosk"),
])
def test_each_sheet_error_is_refused_with_its_row(kiosk_cli, tmp_path: Path, isolated_home: Path,  # type: ignore[no-untyped-def]
                                                   builder, where: str, why: str) -> None:
    path = builder(tmp_path / "broken.xlsx")
    check = kiosk_cli("--lang", "en", "forms", "check", str(path))  # the English wording
    assert check.returncode == 1, check.stdout
    line = next(ln for ln in check.stdout.splitlines() if ln.startswith("broken.xlsx: sheet"))
    assert line.startswith(f"broken.xlsx: {where}: ") and why in line, line
    imported = kiosk_cli("forms", "import", str(path), "--category", "land", "--agency", "gasr", "--json")
    assert imported.returncode == 1 and "Traceback" not in imported.stderr
    problem = json.loads(imported.stdout)["problems"][0]
    assert problem["json_path"] == where and why in problem["message"]
    assert not (isolated_home / "local-forms").exists() or not any(
        p for p in (isolated_home / "local-forms").iterdir() if not p.name.startswith("."))


def test_check_a_good_file_and_an_xform(kiosk_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    xlsx = household_form(tmp_path / "household.xlsx")
    result = kiosk_cli("forms", "check", str(xlsx), "--json")
    assert result.returncode == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["ok"] and data["form"]["id"] == "household-survey" and data["form"]["questions"] > 10
    bad = tmp_path / "bad.xml"
    bad.write_text("<h:html xmlns:h='http://www.w3.org/1999/xhtml'><h:head/></h:html>")
    result = kiosk_cli("--lang", "en", "forms", "check", str(bad))
    assert result.returncode == 1 and "bad.xml: <h:head>: an XForm needs <h:head> with a <model>" in result.stdout


def test_fill_answers_a_left_out_location_with_the_kiosks(kiosk_cli, tmp_path: Path, isolated_home: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.forms.xlsform_builders import odk_types_answers, odk_types_form

    xlsx = odk_types_form(tmp_path / "types.xlsx")
    assert kiosk_cli("forms", "import", str(xlsx), "--category", "land", "--agency", "gasr").returncode == 0
    answers = odk_types_answers()
    del answers["answers"]["where"]
    file = tmp_path / "answers.json"
    file.write_text(json.dumps(answers), "utf-8")
    refused = kiosk_cli("fill", "odk-types", "--answers", str(file), "--lang", "en")
    assert refused.returncode == 1 and "where" in refused.stderr  # no location set: required, unanswered
    assert kiosk_cli("location", "set", "47.9185 106.9176").returncode == 0
    assert 'location = "47.9185 106.9176"' in (isolated_home / "config.toml").read_text("utf-8")
    filled = kiosk_cli("fill", "odk-types", "--answers", str(file), "--json")
    assert filled.returncode == 0, filled.stderr
    bad = kiosk_cli("location", "set", "91 200", "--lang", "en")
    assert bad.returncode == 4 and "latitude must be -90 to 90" in bad.stderr
