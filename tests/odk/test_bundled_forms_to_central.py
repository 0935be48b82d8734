"""Every bundled form, delivered to the real ODK Central exactly once: each is written
as an XLSForm (`kiosk forms export-xlsform`), published to Central (managed encryption)
under an `odk_` id, pulled by `kiosk odk connect`, filled headless with its bundled
example answers and files (`kiosk fill`), sent by `kiosk sync --once` (twice); Central
holds one submission per form, and its decrypted export has the attachments byte for
byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.paths import bundled_catalog_dir
from tests.forms.xlsform_builders import to_xform
from tests.odk.conftest import PASSPHRASE

pytest.importorskip("pyxform")
pytest.importorskip("openpyxl")


def _bundled_ids() -> list[str]:
    return sorted(p.stem for p in (bundled_catalog_dir() / "forms").glob("*.json"))


def _renamed(xlsx: Path, new_id: str) -> Path:
    import openpyxl

    wb = openpyxl.load_workbook(xlsx)
    ws = wb["settings"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("form_id") + 1, value=new_id)
    wb.save(xlsx)
    return xlsx


def _survey_types(xlsx: Path) -> dict[str, str]:
    import openpyxl

    rows = list(openpyxl.load_workbook(xlsx)["survey"].iter_rows(values_only=True))
    return {str(r[1]): str(r[0]).split(" ")[0] for r in rows[1:] if r[0] and r[1]}


def _as_xlsform_values(answers: dict, types: dict[str, str], base: Path) -> dict:  # type: ignore[type-arg]
    """The JSON v1 example values in the XLSForm's terms: yes/no and consent choices,
    aimag+soum as the two selects export-xlsform writes, files by absolute path."""
    out: dict = {}  # type: ignore[type-arg]
    for name, v in answers.items():
        if isinstance(v, bool):
            out[name] = ("OK" if v else None) if types.get(name) == "acknowledge" else \
                ("yes" if v else "no")
        elif isinstance(v, dict) and {"aimag", "soum"} <= v.keys():
            out[f"{name}_aimag"], out[name] = v["aimag"], v["soum"]
        elif isinstance(v, dict) and isinstance(v.get("file"), str):
            out[name] = {"file": str(base / v["file"])}
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            out[name] = [_as_xlsform_values(x, types, base) for x in v]
        else:
            out[name] = v
    return out


def _answers_for(form: str, kiosk_id: str, tmp: Path) -> Path:
    """The bundled example answers, addressed to the ODK copy of the form."""
    src = bundled_catalog_dir() / "examples" / f"{form}.answers.json"
    data = json.loads(src.read_text("utf-8"))
    data["answers"] = _as_xlsform_values(data["answers"], _survey_types(tmp / f"{form}.xlsx"),
                                         src.parent)
    for key in ("form_id", "form"):
        if key in data:
            data[key] = kiosk_id
    out = tmp / f"{kiosk_id}.answers.json"
    out.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return out


def _attachment_files(answers_file: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}

    def walk(v: object) -> None:
        if isinstance(v, dict):
            if "file" in v and isinstance(v["file"], str):
                path = answers_file.parent / v["file"]
                found[path.name] = path.read_bytes()
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(json.loads(answers_file.read_text("utf-8")))
    return found


@pytest.mark.slow
def test_every_bundled_form_reaches_central_once(central, kiosk_cli, tmp_path) -> None:
    pid = central.project(passphrase=PASSPHRASE)
    published: dict[str, str] = {}
    for form in _bundled_ids():
        out = tmp_path / f"{form}.xlsx"
        r = kiosk_cli("forms", "export-xlsform", form, "--out", str(out), "--json")
        assert r.returncode == 0, (form, r.stderr)
        new_id = "odk_" + form.replace("-", "_")
        published[form] = central.publish(pid, to_xform(_renamed(out, new_id)))
    user = central.app_user(pid, list(published.values()))
    r = kiosk_cli("odk", "connect", user.url, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["pull"]["problems"] == []
    examples = bundled_catalog_dir() / "examples"
    sids: dict[str, str] = {}
    for form, xml_id in published.items():
        kiosk_id = xml_id.replace("_", "-")
        filled = kiosk_cli("fill", kiosk_id, "--answers",
                           str(_answers_for(form, kiosk_id, tmp_path)), "--json")
        assert filled.returncode == 0, (form, filled.stderr)
        sids[form] = json.loads(filled.stdout)["submission_id"]
    first = kiosk_cli("sync", "--once", "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads(first.stdout)["accepted"] == len(published)
    second = kiosk_cli("sync", "--once", "--json")
    assert json.loads(second.stdout)["sent"] == 0
    for form, xml_id in published.items():
        assert central.count(pid, xml_id) == 1, form
        tables, media = central.decrypted_export(pid, xml_id, PASSPHRASE)
        row = tables[f"{xml_id}.csv"][0]
        assert row["meta-instanceID"] == f"uuid:{sids[form]}", form
        assert media == _attachment_files(examples / f"{form}.answers.json"), form
