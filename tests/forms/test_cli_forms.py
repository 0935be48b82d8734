"""``kiosk forms list`` and ``kiosk forms check`` as real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.paths import ASSETS_DIR
from tests.forms.helpers import form, tx, write_catalog


def test_forms_list_json(kiosk_cli) -> None:  # type: ignore[no-untyped-def]
    result = kiosk_cli("forms", "list", "--json", "--lang", "en")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    ids = [f["id"] for f in data["forms"]]
    assert "birth-registration" in ids and data["problems"] == []
    row = next(f for f in data["forms"] if f["id"] == "birth-registration")
    assert row["title"] == "Birth registration" and row["demo"] is True
    assert set(row) == {"id", "xml_form_id", "version", "title", "category", "agency", "demo"}
    assert row["xml_form_id"] == "birth-registration"  # a kiosk form: its own id (issue 22)


def test_forms_list_human(kiosk_cli) -> None:  # type: ignore[no-untyped-def]
    result = kiosk_cli("forms", "list")
    assert result.returncode == 0 and "Төрсний бүртгэл" in result.stdout


def test_forms_check_clean_bundled(kiosk_cli) -> None:  # type: ignore[no-untyped-def]
    result = kiosk_cli("forms", "check", str(ASSETS_DIR / "catalog"), "--json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["ok"] is True


def test_forms_check_reports_file_path_and_reason(kiosk_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = form([{"name": "a", "type": "integer", "label": tx("А")}], form_id="good")
    bad = form([{"name": "a", "type": "integer", "label": tx("А"), "constraint": ". > ${zz}"}],
               form_id="bad")
    write_catalog(tmp_path, {"good": good, "bad": bad})
    result = kiosk_cli("--lang", "en", "forms", "check", str(tmp_path))  # the English wording
    assert result.returncode == 1
    assert ("forms/bad.json: $.pages[0].questions[0].constraint: form bad, question a, constraint, "
            "column 5: unknown question ${zz}") in result.stdout
    result = kiosk_cli("forms", "check", str(tmp_path), "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 1 and data["forms"] == ["good"] and len(data["problems"]) == 1
    # a plain folder of form files works too
    result = kiosk_cli("forms", "check", str(tmp_path / "forms"))
    assert result.returncode == 1 and "bad.json" in result.stdout
    missing = kiosk_cli("--lang", "en", "forms", "check", str(tmp_path / "nope"))
    assert missing.returncode == 3 and "folder not found" in missing.stderr


def test_forms_list_uses_configured_catalog(kiosk_cli, isolated_home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = form([{"name": "a", "type": "integer", "label": tx("А")}], form_id="good")
    write_catalog(tmp_path / "cat", {"good": good, "bad": "{"})
    (isolated_home / "config.toml").write_text(f'catalog_dir = "{tmp_path / "cat"}"\n', "utf-8")
    result = kiosk_cli("forms", "list", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [f["id"] for f in data["forms"]] == ["good"]
    assert data["problems"][0]["file"] == "forms/bad.json"
    (isolated_home / "config.toml").write_text(f'catalog_dir = "{tmp_path / "nope"}"\n', "utf-8")
    result = kiosk_cli("--lang", "en", "forms", "list")
    assert result.returncode == 3 and "catalog folder not found" in result.stderr


def test_answers_file_for_another_form_is_refused(tmp_path) -> None:
    import json

    import pytest

    from kiosk.errors import KioskError
    from kiosk.forms import answers_from_file, load_catalog
    from kiosk.paths import bundled_catalog_dir

    catalog = load_catalog(bundled_catalog_dir())
    form = catalog.forms["id-card"]
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"form_id": "birth-registration", "answers": {}}), "utf-8")
    with pytest.raises(KioskError, match="for form 'birth-registration', not 'id-card'"):
        answers_from_file(form, path)
