"""The UI's view of one FormSession (kiosk.forms): screens, entries, answers, review.

The session is the one model of a resident filling a form; this adapter only
names things the way the screens use them (an *entry* is one question in one
repeat item on the current screen) and keeps what the session deliberately
does not: the bytes of attached files, held in memory until finalize hands
them to the store (never written to a temp file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.forms.model import QuestionType

Item = tuple[int, ...]
# A date the form says must be the birth date in a registry number: ". = registry-birth-date(${rd})"
_BIRTH_DATE_OF = re.compile(r"^\s*\.\s*=\s*registry-birth-date\(\s*\$\{(\w+)\}\s*\)\s*$")
# Read-only inputs that show their value themselves (a picture, a signature, repeats).
_OWN_READ_ONLY = (QuestionType.ATTACHMENT, QuestionType.SIGNATURE, QuestionType.REPEAT)


def entry_key(name: str, item: Item) -> str:
    return name + ("#" + ".".join(str(i + 1) for i in item) if item else "")


@dataclass
class Entry:
    question: Any  # kiosk.forms QuestionView
    item: Item
    key: str

    @property
    def name(self) -> str:
        return str(self.question.name)

    @property
    def type(self) -> str:
        return str(self.question.type)


class Flow:
    def __init__(self, session: Any, draft_id: str | None = None) -> None:
        self.s = session
        self.form = session.form
        self.draft_id = draft_id
        self.attachments: dict[str, bytes | Path] = {}  # sha256 -> bytes in memory / source file
        self._view: tuple[Any, int, int] | None = None  # (screen, index, count), until a change
        self.form_lang: str | None = None  # the form language the resident picked (issue 22)

    def _now(self) -> tuple[Any, int, int]:
        """The current screen, its index and the count, computed once per change: the
        session re-checks its layout on every call, and a render asks many times."""
        if self._view is None:
            screens = self.s.screens()
            index = self.s.index
            self._view = (screens[index] if screens else self.s.current, index, len(screens))
        return self._view

    def changed(self) -> None:
        self._view = None

    # -- form and screen --------------------------------------------------------------
    @property
    def form_id(self) -> str:
        return str(self.form.id)

    def set_lang(self, lang: str) -> None:
        if self.s.lang != lang:
            self.s.lang = lang
            self._view = None

    def text_lang(self, ui_lang: str) -> str:
        """The language of the form's own texts: the one the resident picked, else the
        kiosk's if the form has it, else the form's default (kiosk.forms FormDef)."""
        return self.form_lang or str(self.form.text_language(ui_lang))

    def languages(self) -> dict[str, str]:
        """The form's languages to offer (code -> its name) when one of them is not a kiosk
        language; else none: the kiosk's own mn/en button switches the form too."""
        from kiosk.i18n import LANGUAGES

        langs = dict(getattr(self.form, "languages", {}) or {})
        return langs if set(langs) - set(LANGUAGES) else {}

    def title(self, lang: str) -> str:
        return str(self.form.title_text(lang))

    def page_title(self) -> str:
        return str(self._now()[0].title)

    @property
    def index(self) -> int:
        return self._now()[1]

    @property
    def count(self) -> int:
        return self._now()[2]

    @property
    def is_last(self) -> bool:
        return self.index + 1 >= self.count

    @property
    def screen_key(self) -> str:
        return str(self._now()[0].key)

    def entries(self) -> list[Entry]:
        return [Entry(qv, tuple(item), entry_key(qv.name, tuple(item))) for qv, item in self._now()[0].questions]

    def repeats(self) -> list[Entry]:
        return [Entry(qv, tuple(item), entry_key(qv.name, tuple(item))) for qv, item in self._now()[0].repeats]

    # -- answers ----------------------------------------------------------------------
    def answer(self, e: Entry) -> Any:
        value = self.s.answer(e.name, e.item)
        if e.type == QuestionType.ATTACHMENT and isinstance(value, dict):
            source = self.attachments.get(str(value.get("sha256")))
            value = dict(value)
            if isinstance(source, bytes):
                value["data"] = source
            elif isinstance(source, Path):
                value["file"] = str(source)
        return value

    def set_answer(self, e: Entry, value: Any) -> None:
        if e.type == QuestionType.ATTACHMENT and isinstance(value, dict):
            if "data" in value:
                self.attachments[value["sha256"]] = value["data"]
            elif "file" in value:
                self.attachments[value["sha256"]] = Path(value["file"])
            value = {k: value[k] for k in ("sha256", "size", "media_type", "name") if k in value}
        self.s.set_answer(e.name, value, e.item)
        self._view = None

    def choices(self, e: Entry) -> list[Any]:
        if e.type in (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE):
            return list(self.s.choices(e.name, e.item))
        return []

    def derived(self, e: Entry) -> dict[str, Any]:
        return dict(self.s.derived(e.name, e.item)) if e.type == QuestionType.REGISTRY_NUMBER else {}

    def required(self, e: Entry) -> bool:
        return bool(self.s.is_required(e.name, e.item))

    def read_only(self, e: Entry) -> bool:
        return bool(self.s.is_read_only(e.name, e.item))

    def offered_date(self, e: Entry) -> str | None:
        """For an empty date the form ties to a registry number's birth date, that date
        (ISO) once the number is valid: offered pre-filled, the resident may change it."""
        if e.type != QuestionType.DATE or self.answer(e) is not None:
            return None
        found = _BIRTH_DATE_OF.match(str(getattr(e.question, "constraint", None) or ""))
        if found is None or found.group(1) not in self.form.questions:
            return None
        rd = self.form.questions[found.group(1)]
        item = e.item[: len(rd.repeat_path)]
        birth = self.s.derived(rd.name, item).get("birth_date")
        return birth.isoformat() if birth is not None else None

    def shows_value(self, e: Entry) -> bool:
        """Shown as text, not an input: calculations and read-only typed answers."""
        q = e.question
        if q.type in _OWN_READ_ONLY:
            return False
        return bool(getattr(q, "calculate", None)) or (q.type != QuestionType.NOTE and self.read_only(e))

    def shown(self, e: Entry, lang: str) -> str:
        """The entry's value as the review shows it ("" when there is none yet)."""
        from kiosk.forms.display import display_value

        value = self.s.value(e.name, e.item)
        return "" if value in (None, "", []) else display_value(e.question.definition, value, lang)

    def screen_errors(self) -> dict[str, str]:
        errors = self.s.errors(self._now()[0])
        return {entry_key(name, tuple(item)): msg for (name, item), msg in errors.items()}

    def item_count(self, e: Entry) -> int:
        return int(self.s.item_count(e.name, e.item))

    def add_item(self, e: Entry) -> bool:
        self._view = None
        return self.s.add_item(e.name, e.item) is not None

    def remove_item(self, e: Entry, index: int) -> bool:
        self._view = None
        return bool(self.s.remove_item(e.name, (*e.item, index)))

    # -- moving -----------------------------------------------------------------------
    def next(self) -> bool:
        self._view = None
        return bool(self.s.next())

    def prev(self) -> bool:
        self._view = None
        return bool(self.s.prev())

    def go_to(self, screen_key: str) -> bool:
        self._view = None
        return bool(self.s.go_to(screen_key))

    # -- review -----------------------------------------------------------------------
    def review_rows(self, lang: str) -> list[tuple[str, str, str, str]]:
        """(entry key, label, shown value or "", screen key) for every shown question."""
        from kiosk.forms.display import display_value

        self.set_lang(lang)
        rows: list[tuple[str, str, str, str]] = []
        for screen in self.s.screens():
            for qv, item in screen.questions:
                if qv.type == QuestionType.NOTE:
                    continue
                value = self.s.value(qv.name, item)
                label = qv.label(lang) or qv.name
                if item:
                    label += " (" + ".".join(str(i + 1) for i in item) + ")"
                shown = "" if value is None else display_value(qv.definition, value, lang)
                rows.append((entry_key(qv.name, tuple(item)), label, shown, screen.key))
        return rows

    def all_errors(self) -> dict[str, str]:
        return {entry_key(n, tuple(i)): m for (n, i), m in self.s.errors().items()}

    def is_complete(self) -> bool:
        return bool(self.s.is_complete())

    def wipe(self) -> None:
        """Drop attached bytes (idle wipe, finish): nothing personal stays in memory."""
        self.attachments.clear()
