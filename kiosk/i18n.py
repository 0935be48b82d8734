"""The one translation catalog for the whole app (core, CLI messages and UI).

Stored as ``assets/i18n/<section>.json`` files so that separate parts of the
code can add strings without editing each other's files; at run time they are
merged into one catalog whose keys are ``<section>.<key>``. Every entry has
Mongolian (``mn``, the default) and English (``en``); a test fails on any
entry missing either, and on any key used in code but absent here.

Form texts (labels, hints, choices) are not here: they live, bilingual, in
the form definitions themselves.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kiosk import i18n_data
from kiosk.errors import KioskError

LANGUAGES = ("mn", "en")
DEFAULT_LANGUAGE = "mn"
I18N_DIR = i18n_data.I18N_DIR


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    """Every section file merged; no files at all means a broken install, said once, plainly.

    (A wheel built without the package data once gave a kiosk that showed raw keys such
    as ``doctor.status_pass`` everywhere instead of failing.)
    """
    merged = i18n_data.merged(Path(I18N_DIR))
    if not merged:
        # no catalog to word it from: both languages written here, once
        raise KioskError(
            f"киоскийн орчуулгын файлууд алга ({I18N_DIR}-д *.json алга): суулгалт дутуу, "
            f"киоскийн багцыг дахин суулгана уу / the kiosk's translation files are missing "
            f"({I18N_DIR} has no *.json): reinstall the kiosk package"
        )
    return merged


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The text for ``key`` in ``lang``, with ``{name}`` placeholders filled.

    A missing key returns the key itself (visible, so a test or a screenshot
    catches it) rather than raising in front of a resident.
    """
    texts = catalog().get(key)
    if texts is None:
        return key
    text = texts.get(lang) or texts.get(DEFAULT_LANGUAGE) or key
    return text.format(**params) if params else text


def pick(texts: dict[str, str] | str | None, lang: str) -> str:
    """Choose from a bilingual ``{"mn": ..., "en": ...}`` value (form texts)."""
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    return texts.get(lang) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()), "")


def error_text(exc: KioskError, lang: str) -> str:
    """An error's message in ``lang`` when it carries a catalog key, else its English
    message (``str(exc)``, what logs keep). A parameter that is itself an error (the
    cause of this one) is worded in ``lang`` too."""
    if not exc.key:
        return exc.message
    params = {name: error_text(value, lang) if isinstance(value, KioskError) else value
              for name, value in exc.params.items()}
    return t(exc.key, lang, **params)
