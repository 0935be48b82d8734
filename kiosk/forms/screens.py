"""Navigation screens of a FormSession: one question per screen, or a whole page.

Residents get one question per screen (``layout: one-per-screen``); a page
with ``layout: group`` (e.g. an address block) is one screen. A repeat adds,
after its items, a "repeat" screen where the UI offers "add another". Screen
keys are stable strings (page/question#item) so the UI can return to a
screen after answers change which screens exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from kiosk.forms.model import FormDef, Question
from kiosk.forms.views import QuestionView

Item = tuple[int, ...]


class ScreenSession(Protocol):
    """What the screen builder needs of its session (``AnswerState`` has it): a
    Protocol, so the session imports this module and not the reverse."""

    form: FormDef
    lang: str

    def visible(self, name: str, item: Item = ()) -> bool: ...

    def item_count(self, repeat_name: str, parent_item: Item = ()) -> int: ...

    def question(self, name: str) -> QuestionView: ...

    def value(self, name: str, item: Item = ()) -> object: ...


def item_suffix(item: Item) -> str:
    return "#" + ".".join(str(i + 1) for i in item) if item else ""


@dataclass
class Screen:
    """One navigation unit. ``questions`` are (QuestionView, item) pairs shown on it;
    ``repeats`` are (repeat QuestionView, parent item) pairs whose items are managed here
    (add/remove buttons); ``kind`` is "questions" or "repeat"."""

    key: str
    title: str
    page: str
    questions: list[tuple[QuestionView, Item]] = field(default_factory=list)
    repeats: list[tuple[QuestionView, Item]] = field(default_factory=list)
    kind: Literal["questions", "repeat"] = "questions"

    def all_pairs(self) -> list[tuple[Question, Item]]:
        """Definitions on this screen, repeats included (for errors)."""
        return [(qv.definition, it) for qv, it in self.questions] + [
            (qv.definition, it) for qv, it in self.repeats
        ]


class ScreenBuilder:
    def __init__(self, session: ScreenSession) -> None:
        self.s = session

    def _asks(self, repeat: Question) -> bool:
        """Whether a repeat holds a question to show (one of only calculations has no screen)."""
        return any(self._asks(c) if c.is_repeat else not (c.calculate and not c.label_texts)
                   for c in repeat.children)

    def _shown(self, q: Question, item: Item = ()) -> bool:
        """Calculations without a label are computed but never shown, nor one with
        nothing worked out yet (ODK hides a ``calculate``; an empty one is no screen)."""
        if not q.calculate:
            return True
        value = self.s.value(q.name, item)
        return bool(q.label_texts) and value not in (None, []) and str(value).strip() != ""

    def walk(self, questions: list[Question], item: Item) -> Iterator[tuple[Question, Item]]:
        """Visible (question, item) pairs in order; repeats yield themselves after their items."""
        for q in questions:
            if not self.s.visible(q.name, item):
                continue
            if q.is_repeat:
                for i in range(self.s.item_count(q.name, item)):
                    yield from self.walk(q.children, (*item, i))
            yield q, item

    def all_pairs(self) -> list[tuple[Question, Item]]:
        return [pair for page in self.s.form.pages for pair in self.walk(page.questions, ())]

    def screens(self, pairs: list[tuple[Question, Item]]) -> list[Screen]:
        """Screens for the visible ``pairs`` (from all_pairs), page by page."""
        s = self.s
        by_page: dict[str, list[tuple[Question, Item]]] = {}
        for pair in pairs:
            by_page.setdefault(pair[0].page, []).append(pair)
        out: list[Screen] = []
        for page in s.form.pages:
            page_pairs = by_page.get(page.name)
            if not page_pairs:
                continue
            title = page.title_text(s.lang)
            if page.layout == "group":
                screen = Screen(key=page.name, title=title, page=page.name)
                for q, item in page_pairs:
                    view = s.question(q.name)
                    if q.is_repeat:
                        if self._asks(q):
                            screen.repeats.append((view, item))
                    elif self._shown(q, item):
                        screen.questions.append((view, item))
                if screen.questions or screen.repeats:
                    out.append(screen)
                continue
            for q, item in page_pairs:
                if not (self._asks(q) if q.is_repeat else self._shown(q, item)):
                    continue
                view = s.question(q.name)
                key = f"{page.name}/{q.name}{item_suffix(item)}"
                if q.is_repeat:
                    out.append(Screen(key=key + "/+", title=q.label(s.lang) or title,
                                      page=page.name, repeats=[(view, item)], kind="repeat"))
                else:
                    label = title + (f" ({item_suffix(item)[1:]})" if item else "")
                    out.append(Screen(key=key, title=label, page=page.name,
                                      questions=[(view, item)]))
        return out
