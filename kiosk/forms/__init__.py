"""The headless forms engine: definitions, expressions, sessions (see docs/forms.md).

Public API: load_catalog, load_active_catalog, active_catalog_dir, Catalog, LoadProblem, FormDef,
Question, FormSession, Screen, check_attachment, answers_from_file.
"""

from __future__ import annotations

from kiosk.forms.answers_file import answers_from_file
from kiosk.forms.loader import (
    Agency,
    Catalog,
    Category,
    LoadProblem,
    active_catalog_dir,
    load_active_catalog,
    load_catalog,
    load_form_file,
)
from kiosk.forms.model import Choice, FormDef, FormLoadError, Page, Question
from kiosk.forms.screens import Screen
from kiosk.forms.session import ChoiceView, FormSession, QuestionView, check_attachment

__all__ = [
    "Agency", "Catalog", "Category", "Choice", "ChoiceView", "FormDef", "FormLoadError",
    "FormSession", "LoadProblem", "Page", "Question", "QuestionView", "Screen",
    "active_catalog_dir", "answers_from_file", "check_attachment", "load_active_catalog",
    "load_catalog",
    "load_form_file",
]
