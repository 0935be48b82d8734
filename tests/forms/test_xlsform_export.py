"""``kiosk forms export-xlsform``: every bundled form as an XLSForm that pyxform converts and
the kiosk reads back; its example answers (in ODK's shapes) complete the re-read form."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from kiosk.forms import FormSession, answers_from_file, load_catalog
from kiosk.forms.local_catalog import check_source, read_source
from kiosk.forms.xlsform_export import export_xlsform
from kiosk.paths import bundled_catalog_dir

CATALOG = load_catalog(bundled_catalog_dir())


def odk_answers(qs: list[Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Kiosk answers in the exported form's shapes (yes/no, OK, aimag + soum)."""
    by = {q.name: q for q in qs}
    out: dict[str, Any] = {}
    for name, value in answers.items():
        q = by.get(name)
        if q is not None and q.is_repeat:
            out[name] = [odk_answers(q.children, row) for row in value]
        elif q is not None and q.type == "yes_no":
            out[name] = "yes" if value else "no"
        elif q is not None and q.type == "consent":
            out[name] = "OK" if value else None
        elif q is not None and q.type == "aimag_soum":
            out[f"{name}_aimag"], out[name] = value["aimag"], value["soum"]
        else:
            out[name] = value
    return out


@pytest.mark.parametrize("form_id", sorted(CATALOG.forms))
def test_round_trip_through_pyxform(form_id: str, tmp_path: Path) -> None:
    form = CATALOG.form(form_id)
    out = tmp_path / f"{form_id}.xlsx"
    export_xlsform(form, out)
    back = check_source(read_source(out))  # pyxform, then the kiosk's XForm reader
    assert back.odk is not None and back.odk.xml_form_id == form_id.replace("-", "_")
    assert set(form.questions) <= set(back.questions)
    for name, q in form.questions.items():
        assert back.questions[name].label_texts == q.label_texts, name
    example = json.loads((bundled_catalog_dir() / "examples" / f"{form_id}.answers.json").read_text("utf-8"))
    shutil.copytree(bundled_catalog_dir() / "examples" / "files", tmp_path / "files")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"answers": odk_answers(form.pages_questions(), example["answers"])},
                                  ensure_ascii=False), "utf-8")
    session = FormSession(back, "en")
    assert session.restore(answers_from_file(back, answers)) == []
    assert session.errors() == {}
    session.document()


def test_a_yes_no_condition_keeps_its_meaning(tmp_path: Path) -> None:
    out = tmp_path / "census.xlsx"
    export_xlsform(CATALOG.form("livestock-census"), out)
    back = check_source(read_source(out))
    s = FormSession(back, "en")
    s.set_answer("has_livestock", "no")
    assert not s.visible("had_losses", ()) or not s.visible("losses", ())
    assert [sc.page for sc in s.screens() if sc.page == "counts"] == []
    s.set_answer("has_livestock", "yes")
    assert any(sc.page == "counts" for sc in s.screens())


def test_cli_export(kiosk_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "child.xlsx"
    result = kiosk_cli("forms", "export-xlsform", "child-money", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["out"] == str(out) and any("min_count" in w for w in data["warnings"])
    check = kiosk_cli("forms", "check", str(out))
    assert check.returncode == 0, check.stdout
    missing = kiosk_cli("forms", "export-xlsform", "nope", "--out", str(out))
    assert missing.returncode == 3 and "nope" in missing.stderr
