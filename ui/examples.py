"""Opening a form pre-filled from the catalog's example answers (screenshots, tests, bench).

Example files (``examples/<form>.answers.json``) complete every bundled form;
their attachments are read into memory like a file the resident picked.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ui.widgets.media import sniff_media_type

if TYPE_CHECKING:
    from ui.flow import Flow
    from ui.window import KioskWindow


def example_path(window: KioskWindow, form_id: str) -> Path:
    return Path(window.services.catalog.folder) / "examples" / f"{form_id}.answers.json"


def open_example(window: KioskWindow, form_id: str) -> Flow | None:
    """Open ``form_id`` with its example answers restored; None when there are none."""
    from kiosk.forms import answers_from_file

    path = example_path(window, form_id)
    if not path.exists():
        return None
    files: dict[str, bytes] = {}

    def attach(_question: Any, file: Path) -> dict[str, Any]:
        data = file.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        files[sha] = data
        return {"sha256": sha, "size": len(data), "media_type": sniff_media_type(data[:16], file.name),
                "name": file.name}

    answers = answers_from_file(window.services.form(form_id), path, attach)
    flow = window.open_form(form_id, answers)
    if flow is not None:
        flow.attachments.update(files)
    return flow
