"""Location questions (ODK geopoint) answered with the kiosk's own location.

A kiosk does not move: the technician sets where it stands (config ``location``) and
that is the answer to every location question. The UI shows it and the resident
confirms it; ``kiosk fill`` fills the ones an answers file leaves out.
"""

from __future__ import annotations

from typing import Any

Item = tuple[int, ...]


def _items(session: Any, questions: list[Any], item: Item) -> list[tuple[Any, Item]]:
    out: list[tuple[Any, Item]] = []
    for q in questions:
        if q.is_repeat:
            for i in range(session.item_count(q.name, item)):
                out += _items(session, q.children, (*item, i))
        else:
            out.append((q, item))
    return out


def answer_locations(session: Any, location: str) -> int:
    """Answer every unanswered, relevant geopoint question of ``session`` with ``location``;
    how many were answered."""
    done = 0
    for q, item in _items(session, session.form.pages_questions(), ()):
        if q.type != "geopoint" or q.calculate or not session.visible(q.name, item):
            continue
        if session.answer(q.name, item) is None:
            session.set_answer(q.name, location, item)
            done += 1
    return done
