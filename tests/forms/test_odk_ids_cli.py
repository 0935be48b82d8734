"""ODK form ids everywhere (issue 22): ``forms import FILE`` alone, then ``fill``, answers files,
``forms remove`` and ``--json`` naming the form by its ODK id (xmlFormId); a form id over
80 characters imports and submits. Real subprocesses on an isolated home."""

from __future__ import annotations

import json
from pathlib import Path

from tests.forms.xlsform_builders import household_answers, household_form, one_language_form


def test_a_form_named_by_its_odk_id_imports_fills_and_goes(kiosk_cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           isolated_home: Path) -> None:
    xlsx = household_form(tmp_path / "household.xlsx", form_id="Household_Survey")
    imported = kiosk_cli("--lang", "en", "forms", "import", str(xlsx))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "household.xlsx: imported household-survey" in imported.stdout
    assert "ODK id Household_Survey" in imported.stdout

    answers = household_answers()
    answers["form_id"] = "Household_Survey"  # hand-written answers name the ODK id
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), "utf-8")
    filled = kiosk_cli("fill", "Household_Survey", "--answers", str(path), "--json")
    assert filled.returncode == 0, filled.stderr
    out = json.loads(filled.stdout)
    assert (out["form_id"], out["xml_form_id"]) == ("household-survey", "Household_Survey")

    removed = kiosk_cli("forms", "remove", "Household_Survey", "--json")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout)["removed"] == "household-survey"
    assert not (isolated_home / "local-forms" / "household-survey").exists()
    missing = kiosk_cli("forms", "remove", "Household_Survey")
    assert missing.returncode != 0 and "Household_Survey" in missing.stderr


def test_a_form_id_over_80_characters_imports_and_submits(kiosk_cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                          isolated_home: Path) -> None:
    long_id = "Very_Long_Survey_" + "x" * 70  # 87 (the settings sheet allows 100)
    xlsx = one_language_form(tmp_path / "long.xlsx", form_id=long_id)
    imported = kiosk_cli("forms", "import", str(xlsx), "--json")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    row = json.loads(imported.stdout)["imported"][0]
    assert row["xml_form_id"] == long_id and len(row["id"]) <= 64
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"form_id": long_id, "answers": {"name": "Bat", "agree": "yes"}}), "utf-8")
    filled = kiosk_cli("fill", long_id, "--answers", str(path), "--json")
    assert filled.returncode == 0, filled.stderr
    assert json.loads(filled.stdout)["xml_form_id"] == long_id


def test_a_missing_file_is_named_and_the_others_still_import(kiosk_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    xlsx = one_language_form(tmp_path / "one.xlsx")
    result = kiosk_cli("--lang", "en", "forms", "import", str(tmp_path / "nope.xlsx"), str(xlsx))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "nope.xlsx: form file not found" in result.stderr  # problems go to stderr; no "$:" (issue 18)
    assert "one.xlsx: imported one-language" in result.stdout
