"""The in-memory form model: what a validated form definition becomes at load.

Built from JSON that already passed the JSON Schema (kiosk/schemas/form-v1.schema.json),
so this module only checks what a schema cannot: unique names, known choice
lists, and (through kiosk.forms.expr_check) every expression. A FormDef is
immutable after load and shared by every FormSession on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from kiosk.forms.expr_eval import Compiled
from kiosk.forms.instance_table import Instance
from kiosk.forms.load_error import FormLoadError as FormLoadError
from kiosk.forms.odk_meta import OdkForm
from kiosk.i18n import pick


class QuestionType(StrEnum):
    """A question's type. A StrEnum: it equals its text, so form files, answers JSON and
    comparisons with the text keep working; new code names the member."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    SELECT_ONE = "select_one"
    SELECT_MULTIPLE = "select_multiple"
    YES_NO = "yes_no"
    REGISTRY_NUMBER = "registry_number"
    PHONE = "phone"
    POSTAL_CODE = "postal_code"
    AIMAG_SOUM = "aimag_soum"
    ATTACHMENT = "attachment"
    SIGNATURE = "signature"
    CONSENT = "consent"
    # from ODK XForms (kiosk.forms.xform_read); values in docs/xlsform.md
    TIME = "time"
    DATETIME = "datetime"
    GEOPOINT = "geopoint"
    RANGE = "range"
    RANK = "rank"
    ACKNOWLEDGE = "acknowledge"
    # no value of their own
    NOTE = "note"
    REPEAT = "repeat"


SELECT_TYPES = (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE)
# The expression kind each type's value has (for static checks).
KIND = {
    "text": "string", "select_one": "string", "registry_number": "string", "phone": "string",
    "postal_code": "string", "integer": "number", "decimal": "number", "date": "date",
    "yes_no": "bool", "consent": "bool", "select_multiple": "list", "aimag_soum": "list",
    "attachment": "opaque", "signature": "opaque", "note": "string", "repeat": "repeat",
    "time": "string", "datetime": "string", "geopoint": "string", "range": "number",
    "rank": "list", "acknowledge": "string",
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)
    media: dict[str, dict[str, str]] = field(default_factory=dict)  # "image"/"audio" -> lang -> URI

    def text(self, lang: str) -> str:
        return pick(self.label, lang) or self.value


@dataclass
class Question:
    """One question (or note, or repeat) of a form, with its compiled expressions."""

    name: str
    type: QuestionType
    json_path: str
    page: str
    label_texts: dict[str, str] = field(default_factory=dict)
    hint_texts: dict[str, str] = field(default_factory=dict)
    required_spec: bool | str = False
    read_only_spec: bool | str = False
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: dict[str, str] | None = None
    calculate: str | None = None
    default: Any = None
    choice_list: Sequence[Choice] = field(default_factory=list)  # a TableChoices for a big list
    choice_filter: str | None = None
    max_size_kb: int | None = None
    accept: tuple[str, ...] = ()
    min_count: int | str | None = None
    max_count: int | str | None = None
    appearance: str | None = None
    # XForm extras: range start/end/step, "unavailable" reason …; media: "audio"/"image" ->
    # lang -> URI (recorded prompts); required_message: jr:requiredMsg
    params: dict[str, Any] = field(default_factory=dict)
    media: dict[str, dict[str, str]] = field(default_factory=dict)
    required_message: dict[str, str] | None = None
    children: list[Question] = field(default_factory=list)
    parent: str | None = None  # the enclosing repeat, if any
    repeat_path: tuple[str, ...] = ()  # enclosing repeats, outermost first
    compiled: dict[str, Compiled] = field(default_factory=dict)
    refs: dict[str, frozenset[str]] = field(default_factory=dict)
    # The absolute path of the question's node in the primary instance, repeats included
    # and without indexes (``/data/household/member/name``): what XPath paths resolve to.
    path: str = ""

    def label(self, lang: str = "mn") -> str:
        return pick(self.label_texts, lang)

    def hint(self, lang: str = "mn") -> str:
        return pick(self.hint_texts, lang)

    @property
    def is_repeat(self) -> bool:
        return self.type == QuestionType.REPEAT

    @property
    def has_value(self) -> bool:
        """Whether the question holds an answer (notes and repeats do not)."""
        return self.type not in (QuestionType.NOTE, QuestionType.REPEAT) or (
            self.type == QuestionType.NOTE and self.calculate is not None
        )

    @property
    def kind(self) -> str:
        return KIND[self.type]


@dataclass
class Page:
    name: str
    title: dict[str, str]
    layout: str
    json_path: str
    relevant: str | None = None
    questions: list[Question] = field(default_factory=list)
    compiled_relevant: Compiled | None = None
    refs: frozenset[str] = frozenset()

    def title_text(self, lang: str = "mn") -> str:
        return pick(self.title, lang)


@dataclass
class FormDef:
    """A loaded, checked form. ``questions`` holds every question, nested ones too."""

    id: str
    version: str
    title: dict[str, str]
    description: dict[str, str]
    category: str
    icon: str
    agency: str
    pages: list[Page]
    questions: dict[str, Question]
    file: Path | None = None
    odk: OdkForm | None = None  # set for forms read from an ODK XForm
    content_hash: str = ""
    # name -> the questions whose relevance/value/constraint/choices use it directly
    # (kiosk.forms.deps has the graph a session re-evaluates by)
    affects: dict[str, frozenset[str]] = field(default_factory=dict)
    # Question.path -> question (built from ``questions`` when not given)
    by_path: dict[str, Question] = field(default_factory=dict)
    # secondary instances by id: the root element inside ``<instance id="…">``, or its
    # rows as a Table (kiosk.forms.instance_table)
    instances: dict[str, Instance] = field(default_factory=dict)
    # the languages of the form's own texts: code -> name as the form writes it, the
    # default first (empty: the kiosk's mn/en, a JSON v1 form)
    languages: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.by_path:
            self.by_path = {q.path: q for q in self.questions.values() if q.path}

    def title_text(self, lang: str = "mn") -> str:
        return pick(self.title, lang)

    def text_language(self, wanted: str) -> str:
        """The language to show the form's texts in when ``wanted`` is asked for: it, if
        the form has texts in it (or is a kiosk form); else the form's default."""
        if not self.languages or wanted in self.languages:
            return wanted
        return next(iter(self.languages))

    def pages_questions(self) -> list[Question]:
        """Top-level questions of every page, in order (repeats hold their own)."""
        return [q for page in self.pages for q in page.questions]

def _texts(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"mn": value}
    return {str(k): str(v) for k, v in value.items()}


def _choices(raw: list[dict[str, Any]], path: str = "$") -> list[Choice]:
    out: list[Choice] = []
    seen: set[str] = set()
    for i, c in enumerate(raw):
        if str(c["value"]) in seen:
            raise FormLoadError(f"{path}[{i}].value", key="formload.choice_twice",
                                params={"value": repr(c["value"])})
        seen.add(str(c["value"]))
        extra = {k: v for k, v in c.items() if k not in ("value", "label")}
        out.append(Choice(value=str(c["value"]), label=_texts(c.get("label")), extra=extra))
    return out


def _expr_or_bool(value: Any) -> bool | str:
    if isinstance(value, str):
        text = value.strip()
        if text in ("", "false()"):
            return False
        if text == "true()":
            return True
        return text
    return bool(value)


def _opt_expr(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def build_form(data: dict[str, Any], file: Path | None = None) -> FormDef:
    """The FormDef for schema-valid ``data`` (expressions are compiled separately)."""
    lists = {name: _choices(items, f"$.choice_lists.{name}")
             for name, items in (data.get("choice_lists") or {}).items()}
    questions: dict[str, Question] = {}
    pages: list[Page] = []

    def build_question(raw: dict[str, Any], path: str, page: str,
                       repeat_path: tuple[str, ...]) -> Question:
        name = raw["name"]
        if name in questions:
            raise FormLoadError(f"{path}.name", key="formload.question_twice", params={"name": repr(name)})
        choices_raw = raw.get("choices")
        if isinstance(choices_raw, str):
            if choices_raw not in lists:
                raise FormLoadError(f"{path}.choices", key="formload.unknown_choice_list",
                                    params={"name": repr(choices_raw)})
            choice_list = lists[choices_raw]
        else:
            choice_list = _choices(choices_raw or [], f"{path}.choices")
        qtype = raw["type"]
        if qtype in SELECT_TYPES and not choice_list:
            raise FormLoadError(f"{path}.choices", key="formload.needs_choices", params={"type": qtype})
        q = Question(
            name=name, type=QuestionType(qtype), json_path=path, page=page,
            label_texts=_texts(raw.get("label")), hint_texts=_texts(raw.get("hint")),
            required_spec=_expr_or_bool(raw.get("required", False)),
            read_only_spec=_expr_or_bool(raw.get("read_only", False)),
            relevant=_opt_expr(raw.get("relevant")), constraint=_opt_expr(raw.get("constraint")),
            constraint_message=_texts(raw["constraint_message"]) if raw.get("constraint_message") else None,
            calculate=_opt_expr(raw.get("calculate")), default=raw.get("default"),
            choice_list=choice_list, choice_filter=_opt_expr(raw.get("choice_filter")),
            max_size_kb=raw.get("max_size_kb"), accept=tuple(raw.get("accept") or ()),
            min_count=raw.get("min_count"), max_count=raw.get("max_count"),
            appearance=raw.get("appearance"),
            parent=repeat_path[-1] if repeat_path else None, repeat_path=repeat_path,
            path="/".join(("", data["id"], *repeat_path, name)),
        )
        questions[name] = q
        lo, hi = q.min_count, q.max_count
        if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            raise FormLoadError(f"{path}.min_count", key="formload.min_over_max", params={"min": lo, "max": hi})
        if qtype == "repeat":
            inner = raw.get("questions") or []
            if not inner:
                raise FormLoadError(f"{path}.questions", key="formload.repeat_no_questions")
            for i, child in enumerate(inner):
                q.children.append(build_question(child, f"{path}.questions[{i}]", page,
                                                 (*repeat_path, name)))
        return q

    page_names: set[str] = set()
    for pi, raw_page in enumerate(data["pages"]):
        ppath = f"$.pages[{pi}]"
        if raw_page["name"] in page_names:
            raise FormLoadError(f"{ppath}.name", key="formload.page_twice", params={"name": repr(raw_page["name"])})
        page_names.add(raw_page["name"])
        page = Page(
            name=raw_page["name"], title=_texts(raw_page.get("title")),
            layout=raw_page.get("layout", "one-per-screen"), json_path=ppath,
            relevant=_opt_expr(raw_page.get("relevant")),
        )
        for qi, raw_q in enumerate(raw_page["questions"]):
            page.questions.append(build_question(raw_q, f"{ppath}.questions[{qi}]", page.name, ()))
        pages.append(page)

    return FormDef(
        id=data["id"], version=str(data["version"]), title=_texts(data["title"]),
        description=_texts(data.get("description")), category=data.get("category", ""),
        icon=data.get("icon", ""), agency=data.get("agency", ""), pages=pages,
        questions=questions, file=file,
    )
