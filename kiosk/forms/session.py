"""FormSession: the one headless model of a resident filling one form.

The Qt UI and ``kiosk fill`` both drive it; nothing about forms lives in Qt
code. AnswerState (kiosk.forms.state) holds the answers and evaluates
expressions; this adds what a resident meets: errors in the current language,
screens and navigation, the review rows and the canonical answer document.
"""

from __future__ import annotations

from typing import Any

from kiosk.errors import KioskError
from kiosk.forms.expr_eval import to_bool
from kiosk.forms.expr_values import format_datetime
from kiosk.forms.model import Question
from kiosk.forms.screens import Screen, ScreenBuilder
from kiosk.forms.state import _MISS, AnswerState, Item, Key, _Env
from kiosk.forms.views import ChoiceView, QuestionView, check_attachment
from kiosk.i18n import pick, t

__all__ = ["ChoiceView", "FormSession", "QuestionView", "check_attachment"]


class FormSession(AnswerState):
    """One resident filling one form. Never raises on bad answers: see ``errors()``."""

    # ------------------------------------------------------------ counted repeats
    # XForm jr:count: the form, not the resident, sets how many items (repeat_count.py)
    def set_answer(self, name: str, value: Any, item: Item = ()) -> None:
        super().set_answer(name, value, item)
        self._sync_counts()

    def restore(self, answers: dict[str, Any], kept: dict[str, Any] | None = None) -> list[str]:
        unknown = super().restore(answers, kept)
        self._sync_counts()
        return unknown

    # ------------------------------------------------------------ choices from a repeat
    # XLSForm select_one ${name}: the choices are the answers of a repeat (read each time:
    # they change as the resident types, so nothing about them is cached)
    def choices(self, name: str, item: Item = (), lang: str | None = None) -> list[ChoiceView]:
        q = self._q(name)
        source = q.params.get("choices_from")
        if not source:
            return super().choices(name, item, lang)
        return [ChoiceView(v, label) for v, label in self._repeat_choices(q, tuple(item), lang or self.lang)]

    def _repeat_choices(self, q: Question, item: Item, lang: str) -> list[tuple[str, str]]:
        from kiosk.forms.display import display_value

        src = q.params["choices_from"]
        rep = self._q(src["repeat"])
        parent = item[: len(rep.repeat_path)]
        label_q = self._q(src["label"])
        out: dict[str, str] = {}
        for i in range(self.item_count(rep.name, parent)):
            at = (*parent, i)
            value = self.value(src["value"], at)
            if value in (None, "") or str(value) in out:
                continue
            label = self.value(label_q.name, at)
            out[str(value)] = display_value(label_q, label, lang) if label not in (None, "") else str(value)
        return list(out.items())

    def _repeat_choice_error(self, q: Question, item: Item) -> str | None:
        error = self._compute_error(q, item)
        stored = self._answers.get((q.name, item))
        if error is None and stored is not None and self.visible(q.name, item):
            allowed = {v for v, _label in self._repeat_choices(q, item, self.lang)}
            if any(v not in allowed for v in ([stored] if isinstance(stored, str) else stored)):
                return t("forms.bad_choice", self.lang)
        return error

    # ------------------------------------------------------------ defaults that are expressions
    def _apply_defaults(self, questions: list[Question], item: Item) -> None:
        super()._apply_defaults(questions, item)
        for q in questions:
            fn = q.compiled.get("default")  # XForm first-load setvalue (xform_read)
            if fn is None or q.is_repeat or (q.name, item) in self._answers:
                continue
            from kiosk.forms.values_odk import expression_answer

            value = expression_answer(fn(_Env(self, q, item)))
            if value is not None:
                self._store(q, item, value)

    def _sync_counts(self) -> None:
        from kiosk.forms.repeat_count import counted_repeats, sync_counts

        repeats = getattr(self, "_counted", None)
        if repeats is None:
            repeats = self._counted = counted_repeats(self.form.pages_questions())
        if repeats:
            sync_counts(self, repeats)

    # ------------------------------------------------------------ errors
    def _question_error(self, q: Question, item: Item) -> str | None:
        if q.params.get("choices_from"):
            return self._repeat_choice_error(q, item)  # never cached: see choices()
        hit = self._hit(q.name, "err", item)
        if hit is not _MISS:
            return hit  # type: ignore[no-any-return]
        return self._cached(q.name, "err", item, lambda: self._compute_error(q, item))

    def _compute_error(self, q: Question, item: Item) -> str | None:
        if not q.has_value or q.calculate or not self.visible(q.name, item):
            return None
        key = (q.name, item)
        if key in self._bad:
            return t(self._bad[key], self.lang)
        stored = self._answers.get(key)
        if stored is None or (q.type == "consent" and stored is False):
            if self.is_required(q.name, item):
                if q.required_message:  # the form's own words (XForm jr:requiredMsg)
                    return pick(q.required_message, self.lang)
                return t("forms.consent_required" if q.type == "consent" else "forms.required", self.lang)
            return None
        if q.type in ("select_one", "select_multiple", "rank") and q.choice_filter:
            msg = self._filtered_choice_error(q, item, stored)
            if msg:
                return msg
        if q.type == "attachment":
            msg = check_attachment(q, stored.get("size", 0), stored.get("media_type", ""), self.lang,
                                   self.max_attachment_kb)
            if msg:
                return msg
        fn = q.compiled.get("constraint")
        if fn is not None and not to_bool(fn(_Env(self, q, item))):
            if q.constraint_message:
                return pick(q.constraint_message, self.lang)
            return t("forms.constraint", self.lang)
        return None

    def _filtered_choice_error(self, q: Question, item: Item, stored: Any) -> str | None:
        """A choice the filter no longer offers; a rank must order exactly those offered."""
        allowed = {c.value for c in self._allowed_choices(q, item)}
        chosen = [stored] if isinstance(stored, str) else stored
        if q.type == "rank":
            return None if set(chosen) == allowed else t("xform.bad_rank", self.lang)
        if any(v not in allowed for v in chosen):
            return t("forms.bad_choice", self.lang)
        return None

    def _repeat_error(self, q: Question, item: Item) -> str | None:
        n = self.item_count(q.name, item)
        if n == 0 and q.required_spec and not q.params.get("count") and self.is_required(q.name, item):
            return t("forms.repeat_required", self.lang, repeat=q.label(self.lang) or q.name)
        lo = self._count_limit(q, item, "min_count")
        hi = self._count_limit(q, item, "max_count")
        if lo is not None and n < lo:
            from kiosk.forms.repeat_count import MAX_ITEMS, over_cap, room

            if over_cap(lo) or not room(self):  # the form asks more than a kiosk holds
                return t("forms.repeat_cap", self.lang, max=MAX_ITEMS)
            return t("forms.too_few_items", self.lang, min=lo)
        if hi is not None and n > hi:
            return t("forms.too_many_items", self.lang, max=hi)
        return None

    def errors(self, screen: Screen | None = None) -> dict[Key, str]:
        """{(name, item): message in the current language} for the screen, or the form.
        Repeat count problems are keyed by (repeat name, parent item)."""
        out: dict[Key, str] = {}
        pairs = screen.all_pairs() if screen is not None else self._all_pairs()
        for q, item in pairs:
            msg = self._repeat_error(q, item) if q.is_repeat else self._question_error(q, item)
            if msg:
                out[(q.name, item)] = msg
        return out

    def is_complete(self) -> bool:
        """No errors anywhere: ``document()`` will succeed."""
        return not self.errors()

    # ------------------------------------------------------------ navigation
    def _builder(self) -> ScreenBuilder:
        return ScreenBuilder(self)

    def screens(self) -> list[Screen]:
        """The navigation units currently visible, in order."""
        return self._layout_screens(self._builder())

    @property
    def index(self) -> int:
        """Position of the current screen (0-based; "index + 1 / count" on screen)."""
        screens = self.screens()
        if not screens:
            return 0
        found = self._screen_pos.get(self._key) if self._key is not None else None
        if found is not None:
            self._pos = found
            return found
        self._pos = min(self._pos, len(screens) - 1)
        self._key = screens[self._pos].key
        return self._pos

    @property
    def count(self) -> int:
        """Number of screens currently visible."""
        return len(self.screens())

    @property
    def current(self) -> Screen:
        """The screen shown now; if answers hid it, the one that took its place."""
        screens = self.screens()
        if not screens:
            raise KioskError(f"form {self.form.id} has nothing to show")
        return screens[self.index]

    def next(self) -> bool:
        """Move on; refused (False) while the current screen has errors, which are then
        listed in ``shown_errors``; False on the last screen too."""
        cur = self.current
        if self.errors(cur):
            self.shown_errors.add(cur.key)
            return False
        i = self.index
        screens = self.screens()
        if i + 1 >= len(screens):
            return False
        self._pos, self._key = i + 1, screens[i + 1].key
        return True

    def prev(self) -> bool:
        """Go back one screen (never refused for errors); False on the first screen."""
        i = self.index
        if i == 0:
            return False
        screens = self.screens()
        self._pos, self._key = i - 1, screens[i - 1].key
        return True

    def go_to(self, key: str) -> bool:
        """Jump to the screen with ``key`` (e.g. from the review); False if it is not visible."""
        self.screens()
        found = self._screen_pos.get(key)
        if found is None:
            return False
        self._pos, self._key = found, key
        return True

    # ------------------------------------------------------------ results
    def document(self) -> dict[str, Any]:
        """The canonical answer document for finalize (relevant answers only, calculated
        values included; ``started_at``: when the resident began, ODK dateTime text).
        Raises KioskError naming the first missing/invalid question."""
        errors = self.errors()
        if errors:
            (name, item), msg = next(iter(errors.items()))
            where = name + "".join(f"[{i + 1}]" for i in item)
            raise KioskError(t("forms.incomplete", self.lang, form=self.form.id, question=where,
                               reason=msg))
        return {
            "form_id": self.form.id,
            "form_version": self.form.version,
            "language": self.lang,
            "started_at": format_datetime(self.started),
            "answers": self._nest(self.form.pages_questions(), (), raw=False),
        }

    def review(self) -> list[tuple[str, str]]:
        """(label, display value) rows for the review screen, current language."""
        from kiosk.forms.display import display_value

        rows: list[tuple[str, str]] = []
        for q, item in self._all_pairs():
            if q.is_repeat or not q.has_value or not self.visible(q.name, item):
                continue
            if q.calculate and not q.label_texts:
                continue  # a hidden calculation
            value = self.value(q.name, item)
            if value is None:
                continue
            label = q.label(self.lang) or q.name
            if item:
                label += " (" + ".".join(str(i + 1) for i in item) + ")"
            shown = display_value(q, value, self.lang)
            if shown.strip():
                rows.append((label, shown))
        return rows


