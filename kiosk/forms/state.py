"""Answers and evaluation: the half of FormSession that knows no navigation.

Keeps the answers (normalised per type; bad input kept with its error key so
the resident can fix it) and says what they mean: relevance, calculations,
required/read-only states, choice filters, and the primary document XPath paths
walk. Repeat items are addressed by ``item``: a tuple of 0-based indices, one per
enclosing repeat. Two halves live apart because they decide no value:
kiosk.forms.state_layout caches results and re-evaluates in dependency order after
an answer (and patches the screen layout), kiosk.forms.state_repeats adds and
removes repeat items.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from kiosk.admin_units import admin_units
from kiosk.errors import KioskError
from kiosk.forms import expr_funcs_odk as O
from kiosk.forms import values as V
from kiosk.forms import xpath_nodes as X
from kiosk.forms.deps import graph_of
from kiosk.forms.expr_eval import (
    CHOICE_PLANS,
    NodeSet,
    to_bool,
    to_string,
)
from kiosk.forms.expr_values import now_on
from kiosk.forms.kept import decode as decode_kept
from kiosk.forms.kept import encode as encode_kept
from kiosk.forms.kept import started_of
from kiosk.forms.model import Choice, FormDef, Question
from kiosk.forms.state_env import _coerce, _Env, _index_choices, _PageEnv, _to_json
from kiosk.forms.state_layout import _MISS, IncrementalState, Item, Key
from kiosk.forms.state_repeats import RepeatItems
from kiosk.forms.views import ChoiceView, QuestionView

__all__ = ["AnswerState", "Item", "Key", "_Env", "_PageEnv"]


class AnswerState(IncrementalState, RepeatItems):
    """Answers, repeats and expression results of one session (see FormSession)."""

    def __init__(self, form: FormDef, lang: str = "mn", today: date | None = None,
                 max_attachment_kb: int = 4096, started: datetime | None = None) -> None:
        """``today`` fixes what today() and age() mean (tests, a session left open past
        midnight); ``max_attachment_kb`` is the config limit for forms that set none;
        ``started``: when the resident began (timezone-aware; default now, on ``today``)."""
        self.form = form
        self.max_attachment_kb = max_attachment_kb
        self._lang = lang
        from kiosk.clock import trusted_today

        self.today = today or trusted_today()  # never before the build date (a wrong clock)
        self.started = started or now_on(self.today)  # ODK start/today (sync.odk.seal)
        self._answers: dict[Key, Any] = {}
        self._bad: dict[Key, str] = {}
        self._counts: dict[Key, int] = {}
        self._once: dict[Key, Any] = {}
        self._calc_prev: dict[Key, Any] = {}  # a calculation's last value (what ``.`` reads in it)
        self._reads_self: set[str] = set()  # calculations whose ``.`` read _calc_prev (kept())
        self._computing: set[Key] = set()
        self._vis_busy: set[Key] = set()  # visibilities being computed (see _compute_value)
        self._page_busy: set[str] = set()  # page conditions being computed
        self._seed = random.SystemRandom().randrange(1, 2**31 - 1)  # randomize() with no seed
        self._init_caches()
        self._choice_indexes: dict[tuple[str, str], Any] = {}
        self._pages = {p.name: p for p in form.pages}
        self._graph = graph_of(form)
        self._views: dict[str, QuestionView] = {}  # stateless wrappers, made once
        self._key: str | None = None
        self._pos = 0
        self.shown_errors: set[str] = set()  # screens where next() was refused
        self._apply_defaults(form.pages_questions(), ())
        self._compute_calculations()  # as javarosa does when a form opens: once(now()) is now

    # ------------------------------------------------------------ language
    @property
    def lang(self) -> str:
        return self._lang

    @lang.setter
    def lang(self, value: str) -> None:
        """Switch language: messages, labels and screen titles follow."""
        self._lang = value
        self._clear()

    # ------------------------------------------------------------ answers
    def _q(self, name: str) -> Question:
        q = self.form.questions.get(name)
        if q is None:
            raise KioskError(f"form {self.form.id} has no question {name!r}")
        return q

    def _check_item(self, q: Question, item: Item) -> Item:
        item = tuple(item)
        if len(item) != len(q.repeat_path):
            raise KioskError(
                f"form {self.form.id}: question {q.name} needs {len(q.repeat_path)} item "
                f"index(es), got {len(item)}"
            )
        return item

    def set_answer(self, name: str, value: Any, item: Item = ()) -> None:
        """Store an answer, normalised (РД, phone, …); bad input is kept and reported by
        ``errors()``; ``None`` clears it. Raises only for an unknown question name."""
        q = self._q(name)
        item = self._check_item(q, item)
        stored, err = V.normalise(q, value, self.today)
        key = (name, item)
        if stored is None:
            self._answers.pop(key, None)
        else:
            self._answers[key] = stored
        if err:
            self._bad[key] = err
        else:
            self._bad.pop(key, None)
        self._invalidate(name)

    def answer(self, name: str, item: Item = ()) -> Any:
        """The stored answer (canonical value, or the raw input when it was bad)."""
        return self._answers.get((name, tuple(item)))

    def answers(self) -> dict[str, Any]:
        """Every stored answer, nested like an answers file (repeats as lists): for drafts.
        Questions with a default that were cleared appear as ``None``."""
        return self._nest(self.form.pages_questions(), (), raw=True)

    def kept(self) -> dict[str, Any]:
        """What the computations kept: once() results and the previous value of each
        calculation reading its own ``.``; a draft stores it beside ``answers()`` so a
        resumed session computes the same (kiosk.forms.kept). Every relevant calculation
        is computed first, so none takes its first value only after a resume."""
        self._compute_calculations()
        prev = {k: v for k, v in self._calc_prev.items() if k[0] in self._reads_self}
        return encode_kept(self._once, prev, self.started)

    def _compute_calculations(self) -> None:
        """Every relevant calculation's value now (cached until what it reads changes)."""
        for q, item in self._all_pairs():
            if q.calculate:
                self._expr_value(q, item)

    def restore(self, answers: dict[str, Any], kept: dict[str, Any] | None = None) -> list[str]:
        """Replace all answers with ``answers`` (the shape ``answers()`` returns) and the
        computed values with ``kept`` (``kept()``; None or an older draft's nothing: they
        are computed afresh, and the resident counts as begun at this session's start).
        Missing questions get their defaults. Returns names that are not in this form."""
        self._answers.clear()
        self._bad.clear()
        self._counts.clear()
        self._once, self._calc_prev = decode_kept(kept, set(self.form.questions))
        self.started = started_of(kept) or self.started
        self._reads_self = {name for name, _item in self._calc_prev}
        self._clear()
        unknown: list[str] = []
        self._restore_level(self.form.pages_questions(), (), answers, unknown)
        return unknown

    def _restore_level(self, questions: list[Question], item: Item, data: dict[str, Any],
                       unknown: list[str]) -> None:
        names = {q.name for q in questions}
        unknown.extend(k for k in data if k not in names and k not in self.form.questions)
        for q in questions:
            if q.is_repeat:
                items = data.get(q.name)
                rows = items if isinstance(items, list) else []
                self._counts[(q.name, item)] = len(rows)
                for i, row in enumerate(rows):
                    self._restore_level(q.children, (*item, i), row if isinstance(row, dict) else {},
                                        unknown)
                if q.name not in data:
                    del self._counts[(q.name, item)]
                    self._init_repeat(q, item)
            elif q.has_value and not q.calculate:
                if q.name in data:
                    if data[q.name] is not None:
                        self._store(q, item, data[q.name])
                elif q.default is not None:
                    self._store(q, item, q.default)

    def _store(self, q: Question, item: Item, value: Any) -> None:
        stored, err = V.normalise(q, value, self.today)
        key = (q.name, item)
        if stored is not None:
            self._answers[key] = stored
        if err:
            self._bad[key] = err

    def _apply_defaults(self, questions: list[Question], item: Item) -> None:
        for q in questions:
            if q.is_repeat:
                self._init_repeat(q, item)
            elif q.default is not None and not q.calculate and (q.name, item) not in self._answers:
                self._store(q, item, q.default)

    def _init_repeat(self, q: Question, item: Item) -> None:
        from kiosk.forms.repeat_count import initial_items

        n = initial_items(self, q)  # capped before the first item (jr:count="1e9")
        self._counts[(q.name, item)] = n
        for i in range(n):
            self._apply_defaults(q.children, (*item, i))

    # ------------------------------------------------------------ evaluation
    def _ref(self, name: str, here: tuple[str, ...], item: Item) -> Any:
        target = self.form.questions[name]
        outer = target.repeat_path
        k = 0
        while k < len(outer) and k < len(here) and outer[k] == here[k]:
            k += 1
        base = item[:k]
        if k == len(outer) and not target.is_repeat:
            return self._expr_value(target, base)
        items = [base]
        for rep in outer[k:]:
            items = [(*b, i) for b in items for i in range(self.item_count(rep, b))]
        if target.is_repeat:
            # A repeat that is not relevant is empty, like any other non-relevant answer:
            # its items are dropped from the document, so count() must not see them.
            return NodeSet(
                [True for b in items if self.visible(name, b) for _ in range(self.item_count(name, b))]
            )
        return NodeSet([self._expr_value(target, it) for it in items])

    # ------------------------------------------------------------ primary document
    @property
    def tree(self) -> X.PrimaryTree:
        return X.primary_tree(self.form)

    def node_value(self, q: Question, item: Item) -> Any:
        return self._expr_value(q, item)

    def repeat_items(self, q: Question, item: Item) -> int:
        """Items of repeat ``q`` under ``item`` as the document has them (none when the
        repeat is not relevant)."""
        return self.item_count(q.name, item) if self.visible(q.name, item) else 0

    def _indexed(self, name: str, picks: dict[str, int], here: tuple[str, ...], item: Item) -> Any:
        """indexed-repeat(): ``name`` in the picked (0-based) items of its repeats; repeats
        not picked follow the asking question's item where they enclose it, else item 1."""
        target = self.form.questions[name]
        chosen: list[int] = []
        for depth, rep in enumerate(target.repeat_path):
            if rep in picks:
                i = picks[rep]
            elif depth < len(here) and here[depth] == rep:
                i = item[depth]
            else:
                i = 0
            if not 0 <= i < self.item_count(rep, tuple(chosen)):
                return None
            chosen.append(i)
        return self._expr_value(target, tuple(chosen))

    def _once_value(self, name: str, item: Item, value: Any) -> Any:
        """once(): the first non-empty result is kept for the rest of the session."""
        key = (name, item)
        kept = self._once.get(key)
        if kept is not None:
            return kept
        if to_string(value) != "":
            self._once[key] = value
        return value

    def _ref_nodes(self, name: str, here: tuple[str, ...], item: Item) -> list[Any]:
        """The nodes ``${name}`` stands for from a question in repeats ``here`` at ``item``."""
        target = self.form.questions[name]
        outer = target.repeat_path
        k = 0
        while k < len(outer) and k < len(here) and outer[k] == here[k]:
            k += 1
        items = [item[:k]]
        for rep in outer[k:]:
            rq = self.form.questions[rep]
            items = [(*b, i) for b in items for i in range(self.repeat_items(rq, b))]
        if target.is_repeat:
            items = [(*b, i) for b in items for i in range(self.repeat_items(target, b))]
        return [X.PNode(target.path, it, target) for it in items]

    def _expr_value(self, q: Question, item: Item) -> Any:
        hit = self._hit(q.name, "v", item)
        if hit is not _MISS:
            return hit
        return self._cached(q.name, "v", item, lambda: self._compute_value(q, item))

    def _compute_value(self, q: Question, item: Item) -> Any:
        """The value, empty when not relevant; read while its own relevance is being decided
        (a page's condition reading, through calculations, a question on that page), the
        answer as it stands: javarosa keeps values of irrelevant nodes readable, so its
        forms rely on no cycle there."""
        deciding = (q.name, item) in self._vis_busy or q.page in self._page_busy
        if not deciding and not self.visible(q.name, item):
            return None
        return self._own_value(q, item)

    def _own_value(self, q: Question, item: Item) -> Any:
        key = (q.name, item)
        if q.calculate:
            return self._calculated(q, item, key)
        if key in self._bad:
            return None
        return V.expr_value(q, self._answers.get(key))

    def _calculated(self, q: Question, item: Item, key: Key) -> Any:
        """A calculation's value; its own ``.`` (``if(. = '', now(), .)``) reads the value it
        had before this computation, empty at first, as javarosa does (``_dot_value``)."""
        self._computing.add(key)
        try:
            value = _coerce(q.type, q.compiled["calculate"](_Env(self, q, item)))
        finally:
            self._computing.discard(key)
        self._calc_prev[key] = value
        return value

    def _dot_value(self, q: Question, item: Item) -> Any:
        """``.`` in an expression of ``q``: its value, or in its own calculation the value
        it held before."""
        key = (q.name, item)
        if key in self._computing:
            self._reads_self.add(q.name)
            return self._calc_prev.get(key)
        return self._own_value(q, item)

    def visible(self, name: str, item: Item = ()) -> bool:
        """Whether the question is relevant now (its page and enclosing repeats too)."""
        item = tuple(item)
        hit = self._hit(name, "vis", item)
        if hit is not _MISS:
            return bool(hit)
        q = self._q(name)
        key = (name, item)
        self._vis_busy.add(key)
        try:
            return bool(self._cached(name, "vis", item, lambda: self._compute_visible(q, item)))
        finally:
            self._vis_busy.discard(key)

    def _compute_visible(self, q: Question, item: Item) -> bool:
        if q.parent is not None:
            if not self.visible(q.parent, item[:-1]):
                return False
        elif not self.page_visible(q.page):
            return False
        fn = q.compiled.get("relevant")
        return fn is None or to_bool(fn(_Env(self, q, item)))

    def page_visible(self, page_name: str) -> bool:
        """Whether a page's own ``relevant`` holds (pages without one always do)."""
        hit = self._page_cache.get(page_name)
        if hit is not None:
            return hit
        page = self._pages[page_name]
        if page.compiled_relevant is None:
            return True
        first = page.questions[0] if page.questions else None
        if first is None:
            return False
        self._page_busy.add(page_name)  # its own questions read as answered meanwhile
        try:
            value = to_bool(page.compiled_relevant(_PageEnv(self, first, ())))
        finally:
            self._page_busy.discard(page_name)
        self._page_cache[page_name] = value
        return value

    def is_required(self, name: str, item: Item = ()) -> bool:
        """``required`` now (it may be an expression over other answers)."""
        q = self._q(name)
        spec = q.required_spec
        if isinstance(spec, bool):
            return spec
        return bool(self._cached(name, "req", tuple(item),
                                 lambda: to_bool(q.compiled["required"](_Env(self, q, tuple(item))))))

    def is_read_only(self, name: str, item: Item = ()) -> bool:
        """``read_only`` now; calculated questions are always read-only."""
        q = self._q(name)
        spec = q.read_only_spec
        if isinstance(spec, bool):
            return spec or bool(q.calculate)
        return to_bool(q.compiled["read_only"](_Env(self, q, tuple(item))))

    def value(self, name: str, item: Item = ()) -> Any:
        """The question's value as the document holds it (calculations included);
        None when not relevant, unanswered or invalid."""
        q = self._q(name)
        item = tuple(item)
        if q.type in ("attachment", "signature") and not q.calculate:
            if not self.visible(name, item) or (name, item) in self._bad:
                return None
            return self._answers.get((name, item))
        return _to_json(q.type, self._expr_value(q, item))

    def derived(self, name: str, item: Item = ()) -> dict[str, Any]:
        """For a valid registry number: {"birth_date": date, "sex": "male"/"female"}."""
        from kiosk.validators import parse_registry_number

        value = self.answer(name, item)
        if value is None or (name, tuple(item)) in self._bad:
            return {}
        info = parse_registry_number(value, self.today)
        if isinstance(info, str):
            return {}
        return {"birth_date": info.birth_date, "sex": info.sex}

    def question(self, name: str) -> QuestionView:
        """The question as this session shows it (texts in ``lang``, live choices)."""
        view = self._views.get(name)
        if view is None:
            view = self._views[name] = QuestionView(self, self._q(name))
        return view

    def choices(self, name: str, item: Item = (), lang: str | None = None) -> list[ChoiceView]:
        """The choices offered now: choice_filter applied per choice (current language)."""
        q = self._q(name)
        lang = lang or self.lang
        item = tuple(item)
        if q.type == "aimag_soum":
            return [ChoiceView(u.code, u.name(lang)) for u in admin_units().aimags]
        allowed = self._allowed_choices(q, item)
        if "randomize" in q.params:
            allowed = self._shuffled(q, item, allowed)
        return [ChoiceView(c.value, c.text(lang), c.extra) for c in allowed]

    def _shuffled(self, q: Question, item: Item, choices: Sequence[Choice]) -> list[Choice]:
        """``randomize(…, seed)`` choices: the order ODK gives for that seed; with no seed,
        one order for this session (a submission), as Collect keeps it while filling."""
        fn = q.compiled.get("randomize_seed")
        seed = O.seed_of(fn(_Env(self, q, item))) if fn is not None else self._seed
        return [choices[i] for i in O.shuffled(list(range(len(choices))), seed, None)]

    def _allowed_choices(self, q: Question, item: Item) -> Sequence[Choice]:
        fn = q.compiled.get("choice_filter")
        if fn is None:
            return q.choice_list
        return list(self._cached(q.name, "choices", item, lambda: [
            c for c in self._candidates(q, item, fn) if to_bool(fn(_Env(self, q, item, c)))
        ]))

    def _candidates(self, q: Question, item: Item, fn: Any) -> Sequence[Choice]:
        """The choices a filter ``key = value [and …]`` can accept, through an index of
        the choice list by that key (a long CSV list costs what it matches); else all."""
        plan = CHOICE_PLANS.get(fn)
        if plan is None:
            return q.choice_list
        key, value_fn = plan
        v = value_fn(_Env(self, q, item))
        if isinstance(v, NodeSet):
            v = v[0] if len(v) == 1 else None
        if not isinstance(v, str):
            return q.choice_list
        index = self._choice_indexes.get((q.name, key), _MISS)
        if index is _MISS:
            index = self._choice_indexes[(q.name, key)] = _index_choices(q.choice_list, key)
        if index is None:
            return q.choice_list
        return index.get(v, [])


    def _nest(self, questions: list[Question], item: Item, raw: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for q in questions:
            if not raw and not self.visible(q.name, item):
                continue
            if q.is_repeat:
                out[q.name] = [self._nest(q.children, (*item, i), raw)
                               for i in range(self.item_count(q.name, item))]
            elif raw:
                if q.calculate or not q.has_value:
                    continue
                key = (q.name, item)
                if key in self._answers:
                    out[q.name] = self._answers[key]
                elif q.default is not None:
                    out[q.name] = None
            elif q.has_value:
                value = self.value(q.name, item)
                if value is not None:
                    out[q.name] = value
        return out
