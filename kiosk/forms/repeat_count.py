"""Repeats whose number of items the form fixes (XForm ``jr:count``): kept at that number.

In an ODK form, ``jr:count="/data/members"`` means the repeat has exactly as many items
as that answer says, created and removed by the form, not by the resident. The reader
marks such repeats (``Question.params["count"]``); after each answer the session brings
their item counts to the number (adding items at the end, or removing the last ones),
so "household members: 3" gives three member entries to fill. A count that is empty or
not a number leaves the items as they are.

Bounds: a form's count is a stranger's input (an ODK server's form, a resident's
answer). No repeat gets more than MAX_ITEMS items and a whole session no more than
MAX_TOTAL_ITEMS (nested counted repeats multiply: 3 levels of 60 would be 219,660
items); both hold from the first item made when the session starts, and a repeat
that wants more than the kiosk holds says so (``over_cap``) instead of "add more".
"""

from __future__ import annotations

from typing import Any

from kiosk.forms.model import Question

Item = tuple[int, ...]
MAX_ITEMS = 500  # a count answer of 10**9 must not make a billion items
MAX_TOTAL_ITEMS = 2000  # items of all repeats of one session together


def total_items(session: Any) -> int:
    return sum(session._counts.values())


def room(session: Any) -> int:
    """How many more repeat items this session may make."""
    return max(0, MAX_TOTAL_ITEMS - total_items(session))


def initial_items(session: Any, q: Question) -> int:
    """Items a repeat starts with (its fixed count), within both caps."""
    n = q.min_count if isinstance(q.min_count, int) else 0
    return max(0, min(n, MAX_ITEMS, room(session)))


def over_cap(wanted: int | None) -> bool:
    """A count the kiosk will not make (the form cannot be finished as written)."""
    return wanted is not None and wanted > MAX_ITEMS


def counted_repeats(questions: list[Question]) -> list[Question]:
    out: list[Question] = []
    for q in questions:
        if q.is_repeat:
            if q.params.get("count"):
                out.append(q)
            out += counted_repeats(q.children)
    return out


def _parent_items(session: Any, q: Question) -> list[Item]:
    items: list[Item] = [()]
    for name in q.repeat_path:
        items = [(*it, i) for it in items for i in range(session.item_count(name, it))]
    return items


def sync_counts(session: Any, repeats: list[Question]) -> bool:
    """Bring every counted repeat to its count; True when any item was added or removed."""
    changed = False
    for q in repeats:
        for parent in _parent_items(session, q):
            if not session.visible(q.name, parent):
                continue
            want = session._count_limit(q, parent, "min_count")
            if want is None:
                continue
            want = max(0, min(want, MAX_ITEMS))
            have = session.item_count(q.name, parent)
            while have < want and session.add_item(q.name, parent) is not None:
                have, changed = have + 1, True
            while have > want and session.remove_item(q.name, (*parent, have - 1)):
                have, changed = have - 1, True
    return changed
