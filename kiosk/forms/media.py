"""Media files of imported forms (recorded prompts, images): where the kiosk has them.

An XForm names media as ``jr://audio/name.mp3`` / ``jr://images/x.png``; the local
catalog keeps them in ``<form folder>/media/`` beside ``form.xml``
(kiosk.forms.local_catalog). A name that would leave that folder is never resolved.
"""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.forms.model import FormDef, Question


def media_file(form: FormDef, uri: str) -> Path | None:
    """The local file of ``uri`` for ``form``, or None when the kiosk does not have it."""
    if form.file is None:
        return None
    folder = (form.file.parent / "media").resolve()
    name = re.sub(r"^jr://[a-z\-]+/", "", uri.strip())
    if not name:
        return None
    path = (folder / name).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def question_media(form: FormDef, question: Question, kind: str, lang: str) -> Path | None:
    """The ``kind`` ("audio", "image", …) file of a question's label in ``lang`` (else the
    other language's: a recording in Mongolian is better than none)."""
    by_lang = question.media.get(kind) or {}
    for code in (lang, "mn", "en", *by_lang):
        uri = by_lang.get(code)
        if uri:
            path = media_file(form, uri)
            if path is not None:
                return path
    return None
