"""Canary test: fill every bundled form with canary personal data (registry number,
names, phone, a photo), through the real ``kiosk fill``; then scan the database, its
WAL and SHM files, the logs and the temp folders — no canary may appear in plaintext.
"""

from __future__ import annotations

import json
import os
from typing import Any

from kiosk.forms import load_catalog
from kiosk.paths import ASSETS_DIR

CATALOG = ASSETS_DIR / "catalog"
EXAMPLES = CATALOG / "examples"
CANARY_NAME = "Канарбаатар"
CANARY_PHOTO = b"\xff\xd8\xff\xe0CANARY-PHOTO-7f3a9c" + os.urandom(64) + b"CANARY-PHOTO-END\xff\xd9"
PERSONAL_TYPES = {"text", "registry_number", "phone"}


def _walk(form: Any, answers: dict[str, Any], visit) -> None:
    for name, value in list(answers.items()):
        q = form.questions.get(name)
        if q is None:
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                _walk(form, item, visit)
        else:
            visit(q, answers, name, value)


def _canary_answers(form: Any, answers: dict[str, Any], canaries: set[str]) -> None:
    """Canary names in free text/name fields; keep valid РД/phones and collect them."""

    def visit(q, holder, name, value):
        if q.type == "attachment":
            holder[name] = {"file": "files/canary.jpg"}
        elif q.type in PERSONAL_TYPES and isinstance(value, str):
            if q.type == "text" and not q.constraint:
                holder[name] = f"{CANARY_NAME} {value}"
                canaries.add(CANARY_NAME)
            if len(value) >= 5:
                canaries.add(value)

    _walk(form, answers, visit)


def _needles(canaries: set[str]) -> list[bytes]:
    out = [b"CANARY-PHOTO-7f3a9c", b"CANARY-PHOTO-END"]
    for c in canaries:
        out.append(c.encode("utf-8"))
        escaped = json.dumps(c)[1:-1].encode("ascii")  # \\uXXXX form (ensure_ascii JSON)
        if escaped != c.encode("utf-8"):
            out.append(escaped)
        out.append(c.encode("utf-16-le"))
    return out


def test_no_canary_in_plaintext_anywhere(kiosk_cli, isolated_home, tmp_path, monkeypatch):
    catalog = load_catalog(CATALOG)
    examples = sorted(EXAMPLES.glob("*.answers.json"))
    assert examples and len(examples) == len(catalog.forms)
    work = tmp_path / "answers"
    (work / "files").mkdir(parents=True)
    (work / "files" / "canary.jpg").write_bytes(CANARY_PHOTO)
    temp = tmp_path / "process-tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    canaries: set[str] = set()
    ids = []
    for example in examples:
        data = json.loads(example.read_text(encoding="utf-8"))
        form = catalog.form(example.name.removesuffix(".answers.json"))
        _canary_answers(form, data["answers"], canaries)
        path = work / example.name
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        result = kiosk_cli("fill", form.id, "--answers", str(path), "--json")
        assert result.returncode == 0, f"{form.id}: {result.stderr}"
        ids.append(json.loads(result.stdout)["submission_id"])
        assert not any(n in result.stderr.encode() for n in _needles(canaries))
    assert CANARY_NAME in canaries and len(canaries) > 10
    # a draft in progress and an interrupted one hold canaries too
    from kiosk.store import Store

    kiosk_cli("status")
    kiosk_cli("audit", "verify")
    # scan while a store is open with a fresh draft: the WAL and SHM files exist now
    with Store.open(isolated_home) as store:
        store.save_draft(
            None,
            form_id="id-card",
            form_version="x",
            answers={"given_name": CANARY_NAME, "rd": sorted(canaries)[0]},
        )
        assert store.counts()["sealed"] == len(examples)
        assert store.read("SELECT COUNT(*) FROM attachments")[0][0] >= 1
        files = [p for p in isolated_home.rglob("*") if p.is_file()]
        files += [p for p in temp.rglob("*") if p.is_file()]
        names = {p.name for p in files}
        assert {"kiosk.db", "kiosk.db-wal", "kiosk.db-shm"} <= names
        assert any(p.parent.name == "logs" for p in files), "the CLI should have written logs"
        needles = _needles(canaries)
        hits = [(p.name, n[:20]) for p in files for n in needles if n in p.read_bytes()]
        assert hits == []


def test_the_scan_can_fail(isolated_home):
    """Guard: the same needles do find a canary written in plaintext to a WAL."""
    import sqlite3

    conn = sqlite3.connect(isolated_home / "probe.db")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (CANARY_NAME,))
    conn.commit()
    wal = (isolated_home / "probe.db-wal").read_bytes()
    conn.close()
    assert any(n in wal for n in _needles({CANARY_NAME}))


def test_no_canary_in_plaintext_from_imported_forms(kiosk_cli, isolated_home, tmp_path, monkeypatch):
    """The same scan after XLSForm imports (`kiosk forms import`) and fills of them."""
    from tests.forms.xlsform_builders import (
        household_answers,
        household_form,
        odk_types_answers,
        odk_types_form,
    )

    temp = tmp_path / "process-tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    sources = [household_form(tmp_path / "src" / "household.xlsx"), odk_types_form(tmp_path / "src" / "types.xlsx")]
    result = kiosk_cli("forms", "import", *map(str, sources), "--category", "civil-registration",
                       "--agency", "gasr")
    assert result.returncode == 0, result.stdout + result.stderr
    canary_phone = "99118273"
    household = household_answers()
    household["answers"]["head_name"] = f"{CANARY_NAME} Батболд"
    household["answers"]["member"][1]["member_name"] = f"{CANARY_NAME} Сараа"
    household["answers"]["respondent"] = f"{CANARY_NAME} Сараа"  # chosen from the members
    household["answers"]["street"] = f"{canary_phone} гудамж"
    types = odk_types_answers("47.9185 106.9176")
    types["answers"]["door"] = "55501234"
    canaries = {CANARY_NAME, canary_phone, "55501234"}
    for form_id, answers in (("household-survey", household), ("odk-types", types)):
        path = tmp_path / f"{form_id}.json"
        path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
        result = kiosk_cli("fill", form_id, "--answers", str(path), "--json")
        assert result.returncode == 0, f"{form_id}: {result.stderr}"
        assert not any(n in result.stderr.encode() for n in _needles(canaries))
    from kiosk.store import Store

    with Store.open(isolated_home) as store:
        store.save_draft(None, form_id="household-survey", form_version="2026.1",
                         answers={"head_name": CANARY_NAME, "street": canary_phone})
        assert store.counts()["sealed"] == 2
        files = [p for p in isolated_home.rglob("*") if p.is_file()]
        files += [p for p in temp.rglob("*") if p.is_file()]
        assert any(p.parent.name == "household-survey" for p in files), "the import should be on disk"
        needles = _needles(canaries)
        hits = [(str(p.relative_to(p.anchor)), n[:20]) for p in files for n in needles if n in p.read_bytes()]
        assert hits == []
