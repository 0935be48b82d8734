"""Small form definitions built in code for the forms tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

CATALOG = {
    "format": 1,
    "categories": [{"id": "civil", "title": {"mn": "Иргэний бүртгэл", "en": "Civil registration"}}],
    "agencies": {
        "gasr": {
            "name": {"mn": "Улсын бүртгэлийн ерөнхий газар", "en": "State Registration"},
            "demo": True,
            "keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "BB", "kid": "k1", "use": "enc"}],
        }
    },
}


def tx(mn: str, en: str | None = None) -> dict[str, str]:
    return {"mn": mn, "en": en or mn}


def form(questions: list[dict[str, Any]], form_id: str = "test-form", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": 1, "id": form_id, "version": "1", "title": tx("Туршилт", "Test"),
        "category": "civil", "agency": "gasr",
        "pages": [{"name": "main", "title": tx("Үндсэн", "Main"), "questions": questions}],
    }
    data.update(extra)
    return data


def write_catalog(folder: Path, forms: dict[str, Any], catalog: dict[str, Any] | None = None) -> Path:
    (folder / "forms").mkdir(parents=True, exist_ok=True)
    (folder / "catalog.json").write_text(json.dumps(catalog or CATALOG, ensure_ascii=False), "utf-8")
    for name, content in forms.items():
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        (folder / "forms" / f"{name}.json").write_text(text, "utf-8")
    return folder


def build(questions: list[dict[str, Any]], instances: dict[str, Any] | None = None,
          **extra: Any):  # type: ignore[no-untyped-def]
    """A compiled FormDef (raises FormLoadError like the loader would report);
    ``instances``: secondary instances (id -> root element), as an XForm brings them."""
    from kiosk.forms.expr_check import compile_form
    from kiosk.forms.loader import schema_problems
    from kiosk.forms.model import build_form

    data = copy.deepcopy(form(questions, **extra))
    problems = schema_problems(data, "form-v1.schema.json", "test")
    assert not problems, problems
    f = build_form(data)
    f.instances.update(instances or {})
    compile_form(f)
    return f
