"""How a session shows a question: texts in its language, live choices; attachment limits.

QuestionView wraps a loaded Question for one FormSession: ``label()``/``hint()`` default
to the session language and ``choices()`` applies the choice filter to the current
answers. ``check_attachment`` lets the UI and the store refuse a file at capture.
"""

from __future__ import annotations

from typing import Any, Protocol

from kiosk.admin_units import admin_units
from kiosk.forms.model import FormDef, Question
from kiosk.i18n import t

Item = tuple[int, ...]


class ViewSession(Protocol):
    """What a QuestionView needs of its session (``AnswerState`` has it): a
    Protocol, so the session imports this module and not the reverse."""

    form: FormDef
    lang: str

    def choices(self, name: str, item: Item = (), lang: str | None = None) -> list[ChoiceView]: ...

    def is_required(self, name: str, item: Item = ()) -> bool: ...

    def is_read_only(self, name: str, item: Item = ()) -> bool: ...


class QuestionView:
    """A question as seen from one session: texts in the session language, live choices."""

    def __init__(self, session: ViewSession, question: Question) -> None:
        self._s = session
        self.definition = question

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.definition, attr)

    def __repr__(self) -> str:
        return f"QuestionView({self.definition.name!r}, {str(self.definition.type)!r})"

    def label(self, lang: str | None = None, item: Item = ()) -> str:
        return self._fill(self.definition.label(lang or self._s.lang), lang, item)

    def hint(self, lang: str | None = None, item: Item = ()) -> str:
        return self._fill(self.definition.hint(lang or self._s.lang), lang, item)

    def media_file(self, kind: str, lang: str | None = None) -> Any:
        """The local file (Path) of the label's ``kind`` media ("image", "audio"), or None."""
        if not self.definition.media:
            return None
        from kiosk.forms.media import question_media

        return question_media(self._s.form, self.definition, kind, lang or self._s.lang)

    def _fill(self, text: str, lang: str | None, item: Item) -> str:
        """``${name}`` in a label (XForm ``<output>``) -> that answer as the review shows it."""
        if "${" not in text:
            return text
        from kiosk.forms.display import label_outputs

        return label_outputs(text, self._s, lang or self._s.lang, tuple(item))

    def choices(self, lang: str | None = None, item: Item = ()) -> list[ChoiceView]:
        """Choices after choice_filter; for aimag_soum, the aimags (see ``soums``)."""
        return self._s.choices(self.definition.name, item, lang)

    def soums(self, aimag_code: str, lang: str | None = None) -> list[ChoiceView]:
        """aimag_soum: the soums (or Ulaanbaatar's districts) of one aimag."""
        lang = lang or self._s.lang
        return [ChoiceView(u.code, u.name(lang)) for u in admin_units().soums(aimag_code)]

    @property
    def required(self) -> bool:
        return self._s.is_required(self.definition.name, ())

    @property
    def read_only(self) -> bool:
        return self._s.is_read_only(self.definition.name, ())

    def is_required(self, item: Item = ()) -> bool:
        return self._s.is_required(self.definition.name, item)

    def is_read_only(self, item: Item = ()) -> bool:
        return self._s.is_read_only(self.definition.name, item)


class ChoiceView:
    """One offered choice: ``value`` to store, ``label`` to show (current language)."""

    __slots__ = ("value", "label", "extra")

    def __init__(self, value: str, label: str, extra: dict[str, Any] | None = None) -> None:
        self.value, self.label, self.extra = value, label, extra or {}

    def __repr__(self) -> str:
        return f"ChoiceView({self.value!r}, {self.label!r})"



def check_attachment(question: Question | QuestionView, size_bytes: int, media_type: str,
                     lang: str = "mn", default_max_kb: int = 4096) -> str | None:
    """A message (in ``lang``) when a file must be refused at capture, else None."""
    q = question.definition if isinstance(question, QuestionView) else question
    if q.accept and media_type not in q.accept:
        return t("forms.attachment_type", lang, types=", ".join(q.accept))
    limit = q.max_size_kb or default_max_kb
    if size_bytes > limit * 1024:
        return t("forms.attachment_too_big", lang, kb=limit)
    return None

