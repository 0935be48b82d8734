"""The translation files, merged into one dict, and a key's English wording.

Below ``kiosk.errors``: an error raised with a catalog key words itself in English
(for logs and ``str()``) from here, while ``kiosk.i18n`` (which raises those errors,
e.g. when the files are missing) sits above both. Nothing here raises.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from kiosk.paths import ASSETS_DIR

I18N_DIR = ASSETS_DIR / "i18n"


@lru_cache(maxsize=2)
def merged(folder: Path = I18N_DIR) -> dict[str, dict[str, str]]:
    """Every ``<section>.json`` of ``folder`` as ``{"section.key": {"mn": …, "en": …}}``
    ({} when there are none: kiosk.i18n says that plainly)."""
    out: dict[str, dict[str, str]] = {}
    for file in sorted(Path(folder).glob("*.json")):
        for key, texts in json.loads(file.read_text(encoding="utf-8")).items():
            out[f"{file.stem}.{key}"] = texts
    return out


def english(key: str, params: dict[str, object]) -> str:
    """``key``'s English text with its placeholders filled (the key itself if unknown)."""
    texts = merged().get(key) or {}
    text = texts.get("en") or texts.get("mn") or key
    return text.format(**params) if params else text
