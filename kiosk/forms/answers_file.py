"""Answers files (examples/<form-id>.answers.json) as used by tests and ``kiosk fill``.

``{"answers": {...}}`` nested like FormSession.answers(); attachments are given as
``{"file": "files/..."}`` relative to the answers file's folder and are turned into
the attachment dict ({"sha256", "size", "media_type", "name"}) by a callback — the
store's, which also keeps the file — so this module never copies files itself.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError, NotFoundError
from kiosk.forms.model import FormDef, Question

AttachFn = Callable[[Question, Path], dict[str, Any]]


def describe_file(question: Question, path: Path) -> dict[str, Any]:
    """The default callback: hash and describe the file without storing it."""
    data = path.read_bytes()
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
            "media_type": media_type, "name": path.name}


def answers_from_file(form: FormDef, path: Path | str, attach: AttachFn | None = None) -> dict[str, Any]:
    """The answers of ``path`` ready for FormSession.restore(); ``{"file": ...}`` values of
    attachment questions become attachment dicts via ``attach(question, absolute_path)``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(key="errors.answers_not_found", params={"path": path}) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KioskError(key="errors.answers_unreadable",
                         params={"path": path, "reason": exc.__class__.__name__}) from None
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise KioskError(key="errors.answers_shape", params={"path": path})
    named = data.get("form_id")
    if named is not None and named not in (form.id, form.odk.xml_form_id if form.odk else form.id):
        # Filling form B with the answers written for form A would finalize nonsense.
        raise KioskError(f"{path}: these answers are for form {named!r}, not {form.id!r}")
    attach = attach or describe_file
    return _convert(form, form.pages_questions(), data["answers"], path.parent, attach)


def _convert(form: FormDef, questions: list[Question], answers: dict[str, Any], base: Path,
             attach: AttachFn) -> dict[str, Any]:
    by_name = {q.name: q for q in questions}
    out: dict[str, Any] = {}
    for name, value in answers.items():
        q = by_name.get(name)
        if q is None:
            out[name] = value
        elif q.is_repeat and isinstance(value, list):
            out[name] = [_convert(form, q.children, row, base, attach) if isinstance(row, dict) else row
                         for row in value]
        elif q.type == "attachment" and isinstance(value, dict) and "file" in value:
            file = (base / str(value["file"])).resolve()
            if not file.is_file():
                raise NotFoundError(f"question {name}: attachment file not found: {file}")
            out[name] = attach(q, file)
        else:
            out[name] = value
    return out
