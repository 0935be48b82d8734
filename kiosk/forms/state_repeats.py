"""Repeat items of a session: how many, adding one, removing one (later items move up).

Split from kiosk.forms.state because it is bookkeeping over the session's stores
(answers, bad input and nested item counts are keyed by item tuples, so removing an
item renumbers every later one, nested repeats included), not a question of what an
answer or an expression means. The caps on items are kiosk.forms.repeat_count's.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from kiosk.forms.expr_eval import to_number
from kiosk.forms.model import Question
from kiosk.forms.state_env import EnvSession, _Env

Item = tuple[int, ...]
Key = tuple[str, Item]


class RepeatHost(EnvSession, Protocol):
    """What repeat bookkeeping needs of its session (``AnswerState`` has it)."""

    _answers: dict[Key, Any]
    _once: dict[Key, Any]
    _calc_prev: dict[Key, Any]
    _bad: dict[Key, str]
    _counts: dict[Key, int]

    def _q(self, name: str) -> Question: ...

    def _check_item(self, q: Question, item: Item) -> Item: ...

    def _apply_defaults(self, questions: list[Question], item: Item) -> None: ...

    def _clear(self) -> None: ...

    def item_count(self, repeat_name: str, parent_item: Item = ()) -> int: ...

    def _descendants(self, q: Question) -> set[str]: ...

    def _count_limit(self, q: Question, item: Item, field: str) -> int | None: ...


class RepeatItems:
    """The repeat half of ``AnswerState`` (a mixin: its methods run on the session)."""

    def item_count(self: RepeatHost, repeat_name: str, parent_item: Item = ()) -> int:
        """How many items the repeat has under ``parent_item`` (``()`` for a top-level one)."""
        return self._counts.get((repeat_name, tuple(parent_item)), 0)

    def add_item(self: RepeatHost, repeat_name: str, parent_item: Item = ()) -> Item | None:
        """Append an item; returns its item tuple, or None at the repeat's max_count (or
        the session's cap on items, kiosk.forms.repeat_count)."""
        from kiosk.forms.repeat_count import room

        q = self._q(repeat_name)
        parent_item = self._check_item(q, parent_item)
        n = self.item_count(repeat_name, parent_item)
        limit = self._count_limit(q, parent_item, "max_count")
        if limit is not None and n >= limit or not room(self):
            return None
        self._counts[(repeat_name, parent_item)] = n + 1
        new = (*parent_item, n)
        self._apply_defaults(q.children, new)
        self._clear()
        return new

    def remove_item(self: RepeatHost, repeat_name: str, item: Item) -> bool:
        """Remove one item (``item`` is the item's own tuple); later items move up."""
        q = self._q(repeat_name)
        item = tuple(item)
        parent, depth = item[:-1], len(item) - 1
        if len(parent) != len(q.repeat_path) or not 0 <= item[-1] < self.item_count(repeat_name, parent):
            return False
        inside = self._descendants(q)

        def move(store: dict[Key, Any]) -> None:
            for (name, it) in list(store):
                if name in inside and it[:depth] == parent:
                    value = store.pop((name, it))
                    if it[depth] > item[-1]:
                        store[(name, (*it[:depth], it[depth] - 1, *it[depth + 1:]))] = value
                    elif it[depth] < item[-1]:
                        store[(name, it)] = value

        move(self._answers)
        move(self._bad)
        move(self._once)  # an item's once() results and calculations' last values go with it
        move(self._calc_prev)
        move(self._counts)
        self._counts[(repeat_name, parent)] -= 1
        self._clear()
        return True

    def _descendants(self: RepeatHost, q: Question) -> set[str]:
        out: set[str] = set()
        for c in q.children:
            out.add(c.name)
            out |= self._descendants(c)
        return out

    def _count_limit(self: RepeatHost, q: Question, item: Item, field: str) -> int | None:
        spec = getattr(q, field)
        if spec is None:
            return None
        if isinstance(spec, int):
            return spec
        n = to_number(q.compiled[field](_Env(self, q, item[: len(q.repeat_path)])))
        return int(n) if math.isfinite(n) else None
