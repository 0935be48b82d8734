"""Every bundled form loads and is completed through FormSession with its example answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.forms import FormSession, answers_from_file, load_catalog
from kiosk.paths import bundled_catalog_dir

CATALOG = load_catalog(bundled_catalog_dir())
EXAMPLES = bundled_catalog_dir() / "examples"


def test_no_load_problems() -> None:
    assert [str(p) for p in CATALOG.problems] == []
    files = sorted(p.stem for p in (bundled_catalog_dir() / "forms").glob("*.json"))
    assert sorted(CATALOG.forms) == files


@pytest.mark.parametrize("form_id", sorted(CATALOG.forms))
def test_example_completes_the_form(form_id: str) -> None:
    form = CATALOG.forms[form_id]
    path = EXAMPLES / f"{form_id}.answers.json"
    assert path.is_file(), f"no example answers for {form_id}"
    seen: list[Path] = []

    def attach(question, file: Path) -> dict:  # type: ignore[no-untyped-def]
        seen.append(file)
        data = file.read_bytes()
        import hashlib

        media = {".jpg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}[file.suffix]
        return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                "media_type": media, "name": file.name}

    for lang in ("mn", "en"):
        session = FormSession(form, lang)
        assert session.restore(answers_from_file(form, path, attach)) == []
        assert session.errors() == {}, session.errors()
        doc = session.document()
        assert doc["form_id"] == form_id and doc["language"] == lang
        json.dumps(doc)
        assert session.review(), "review rows"
        # walk every screen forward: navigation never refuses a complete form
        session.go_to(session.screens()[0].key)
        steps = 1
        while session.next():
            steps += 1
        assert steps == session.count
    for file in seen:
        assert file.is_relative_to(EXAMPLES)


@pytest.mark.parametrize("form_id", sorted(CATALOG.forms))
def test_empty_session_is_incomplete_and_screens_have_titles(form_id: str) -> None:
    session = FormSession(CATALOG.forms[form_id], "mn")
    assert session.count >= 1
    assert all(sc.title for sc in session.screens())
    assert not session.is_complete()
