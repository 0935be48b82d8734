"""Why a form file cannot be used, and where, in the kiosk's language (issue 18).

A refusal (FormLoadError) and an import warning (FormWarning) carry a catalog key
with its fields (assets/i18n/formload.json) and a Place: the sheet/row/column of a
spreadsheet, the element of an XForm, the JSON path of a kiosk form, the line of XML
that is not well-formed, or nothing when the whole file is refused. ``json_path`` and
``message`` (and a warning's ``str``) stay English, for logs, ``--json`` and callers
that had them before; ``text(lang)``/``line(lang)`` word both in ``lang``. A detail
that only another tool can word (pyxform's sentence, the expression checker's) is kept
as a quoted field inside a key of the kiosk's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from kiosk.errors import KioskError
from kiosk.i18n import error_text, t
from kiosk.i18n_data import english


class PlaceKind(StrEnum):
    FILE = "file"  # the whole file: no place named
    SHEET = "sheet"  # a spreadsheet's sheet, row, column
    ELEMENT = "element"  # an XForm element (``<input ref='/data/age'>``)
    JSON = "json"  # a kiosk JSON form's path (``$.pages[0].name``)
    LINE = "line"  # a line and column of XML text
    MEDIA = "media"  # a media file of the form
    NAMED = "named"  # a file of the form's folder (``meta.json``)
    QUESTION = "question"  # a question of a kiosk form, by name (export to XLSForm)


_LINE = re.compile(r"line (\d+) column (\d+)")


@dataclass(frozen=True)
class Place:
    """Where in a form file: ``kind`` says which fields mean something."""

    kind: PlaceKind
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    text: str = ""  # the element, JSON path, media or file name

    @classmethod
    def of(cls, json_path: str) -> Place:
        """The place an English ``json_path`` names (what raise sites have always given)."""
        if json_path in ("", "$"):
            return cls(PlaceKind.FILE)
        if json_path.startswith("$"):
            return cls(PlaceKind.JSON, text=json_path)
        m = _LINE.fullmatch(json_path)
        if m:
            return cls(PlaceKind.LINE, row=int(m.group(1)), column=m.group(2))
        if json_path.startswith("<"):
            return cls(PlaceKind.ELEMENT, text=json_path)
        return cls(PlaceKind.NAMED, text=json_path)

    @classmethod
    def cell(cls, sheet: str | None, row: int | None = None, column: str | None = None) -> Place:
        return cls(PlaceKind.SHEET, sheet=sheet or "survey", row=row, column=column or None)

    def words(self, lang: str) -> str:
        """The place in ``lang`` ("хуудас survey, мөр 3, багана type"); "" for the whole file."""
        if self.kind == PlaceKind.SHEET:
            parts = [t("formload.place_sheet", lang, sheet=self.sheet)]
            if self.row is not None:
                parts.append(t("formload.place_row", lang, row=self.row))
            if self.column:
                parts.append(t("formload.place_column", lang, column=self.column))
            return ", ".join(parts)
        if self.kind == PlaceKind.LINE:
            return t("formload.place_line", lang, line=self.row, column=self.column)
        if self.kind == PlaceKind.FILE:
            return ""
        return t(_PLACE_KEYS[self.kind], lang, name=self.text)


_PLACE_KEYS = {PlaceKind.ELEMENT: "formload.place_element", PlaceKind.JSON: "formload.place_json",
               PlaceKind.MEDIA: "formload.place_media", PlaceKind.NAMED: "formload.place_file",
               PlaceKind.QUESTION: "formload.place_question"}


@dataclass(frozen=True)
class Words:
    """A field that is a catalog text of its own (worded in the language of the message)."""

    key: str


def _worded(params: Mapping[str, object], lang: str) -> dict[str, object]:
    """Fields in ``lang``: a field that is itself a refusal or a catalog text is worded too."""
    return {name: _field(value, lang) for name, value in params.items()}


def _field(value: object, lang: str) -> object:
    if isinstance(value, FormLoadError):
        return value.text(lang)
    if isinstance(value, KioskError):
        return error_text(value, lang)
    if isinstance(value, Words):
        return t(value.key, lang)
    return value


def _english(key: str, params: Mapping[str, object]) -> str:
    return english(key, {name: str(_field(value, "en")) for name, value in params.items()})


def _joined(place: Place, text: str, lang: str) -> str:
    where = place.words(lang)
    return f"{where}: {text}" if where else text


class FormLoadError(Exception):
    """A form that cannot be used: ``json_path`` says where in the file, ``message`` why
    (both English); ``key``/``params`` name the reason in the catalog, ``place`` the where."""

    def __init__(self, json_path: str, message: str = "", *, key: str | None = None,
                 params: Mapping[str, object] | None = None, place: Place | None = None) -> None:
        self.key = key
        self.params = dict(params or {})
        if not message and key:
            message = _english(key, self.params)
        super().__init__(f"{json_path}: {message}")
        self.json_path = json_path
        self.message = message
        self.place = place or Place.of(json_path)

    def text(self, lang: str) -> str:
        """Why, in ``lang`` (the English message when no key was given)."""
        if not self.key:
            return self.message
        return t(self.key, lang, **_worded(self.params, lang))

    def line(self, lang: str) -> str:
        """Where and why in ``lang``, one line (no place for a whole-file problem)."""
        return _joined(self.place, self.text(lang), lang)

    def with_place(self, json_path: str, place: Place) -> FormLoadError:
        """The same reason placed elsewhere (a converted spreadsheet's row)."""
        return type(self)(json_path, self.message, key=self.key, params=self.params, place=place)


class FormWarning(str):
    """An import warning: its English text (it is a ``str``, as warnings always were) with
    a catalog key, fields and place to word it in the kiosk's language."""

    key: str
    params: dict[str, object]
    place: Place

    def __new__(cls, place: Place | str, key: str, params: Mapping[str, object] | None = None,
                ) -> FormWarning:
        where = place if isinstance(place, Place) else Place.of(place)
        fields = dict(params or {})
        english_place = place if isinstance(place, str) else where.words("en")
        text = _english(key, fields)
        self = super().__new__(cls, f"{english_place}: {text}" if english_place else text)
        self.key, self.params, self.place = key, fields, where
        return self

    def text(self, lang: str) -> str:
        return _joined(self.place, t(self.key, lang, **_worded(self.params, lang)), lang)


def warning_text(warning: str, lang: str) -> str:
    """A warning in ``lang``: a FormWarning worded, any other text (a tool's) as it is."""
    return warning.text(lang) if isinstance(warning, FormWarning) else warning


@contextmanager
def expressions_placed() -> Iterator[None]:
    """A refusal of the expression checker (kiosk.forms.expr_check, whose English sentence
    names the question, field and column) said as "the expression cannot be used" at the
    place it names, the checker's sentence kept as the detail."""
    try:
        yield
    except FormLoadError as exc:
        if exc.key:
            raise
        raise FormLoadError(exc.json_path, exc.message, key="formload.expression_unusable",
                            params={"detail": exc.message}, place=exc.place) from None


def expression_warning(warning: str) -> str:
    """A warning of the expression checker ("<place>: sentence"), placed and keyed like
    the others; a FormWarning is kept as it is."""
    if isinstance(warning, FormWarning):
        return warning
    where, sep, detail = warning.partition(": ")
    if not sep or not where.startswith(("<", "$")):
        return FormWarning(Place.of("$"), "formload.expression_warning", {"detail": warning})
    return FormWarning(where, "formload.expression_warning", {"detail": detail})
