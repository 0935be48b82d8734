"""Computed values a draft keeps, so a resumed form computes what it computed before.

ODK Collect saves a form's instance with every node's value, calculations included;
a resumed form therefore keeps what ``once(uuid())``, ``once(now())`` or the idiom
``if(. = '', now(), .)`` computed the first time. A kiosk draft holds answers only
(the answers-file shape), so the session hands out these values apart:
``AnswerState.kept()`` -> the JSON below, ``restore(answers, kept)`` takes it back.

Shape (version 1)::

    {"v": 1, "once": [[name, [item, …], value], …], "prev": [[name, [item, …], value], …],
     "started": "2026-11-26T10:20:30.400+08:00"}

``once``: what once() kept per question and repeat item; ``prev``: the last value of
each calculation that reads its own ``.``. Values are JSON; dates and times are
tagged (``{"date": "2026-11-26"}``, ``{"datetime": iso}``, ``{"time": iso}``); a
node-set is kept as its text. ``started``: when the resident began the form (ODK
dateTime text), the ``start`` metadata of an ODK submission as Collect fills it, so a
resumed draft keeps the instant it was first opened. Reading is lenient: a draft
without kept values (made before they existed) or with names the form no longer has
resumes with what remains; one without ``started`` counts as begun when it is resumed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from kiosk.forms.expr_values import NodeSet, format_datetime, to_string

Key = tuple[str, tuple[int, ...]]
VERSION = 1
_TAGS: dict[str, Any] = {"datetime": datetime, "date": date, "time": time}


def encode(once: dict[Key, Any], prev: dict[Key, Any],
           started: datetime | None = None) -> dict[str, Any]:
    """The JSON a draft stores for these values (empty maps give an empty section)."""
    out = {"v": VERSION, "once": _rows(once), "prev": _rows(prev)}
    if started is not None:
        out["started"] = format_datetime(started)
    return out


def started_of(kept: Any) -> datetime | None:
    """When the resident began, from ``encode``'s JSON; None when it is missing or not
    a time with its zone (an older draft: the caller keeps its own start)."""
    return aware_time(kept.get("started") if isinstance(kept, dict) else None)


def aware_time(text: Any) -> datetime | None:
    """ISO date-time text with its zone offset as a datetime; None for anything else."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def decode(kept: Any, names: set[str]) -> tuple[dict[Key, Any], dict[Key, Any]]:
    """(once, prev) from ``encode``'s JSON; entries of names not in ``names``, of a
    later version or malformed are left out (the draft still resumes)."""
    if not isinstance(kept, dict) or kept.get("v") != VERSION:
        return {}, {}
    return _keys(kept.get("once"), names), _keys(kept.get("prev"), names)


def _rows(values: dict[Key, Any]) -> list[list[Any]]:
    return [[name, list(item), _value(v)] for (name, item), v in values.items() if v is not None]


def _keys(rows: Any, names: set[str]) -> dict[Key, Any]:
    out: dict[Key, Any] = {}
    for row in rows if isinstance(rows, list) else []:
        key = _key(row, names)
        if key is not None:
            out[key] = _unvalue(row[2])
    return out


def _key(row: Any, names: set[str]) -> Key | None:
    if not (isinstance(row, list) and len(row) == 3 and row[0] in names):
        return None
    item = row[1]
    if not isinstance(item, list) or not all(type(i) is int and i >= 0 for i in item):
        return None
    return str(row[0]), tuple(item)


def _value(v: Any) -> Any:
    if isinstance(v, NodeSet):
        return to_string(v)
    for tag, kind in _TAGS.items():  # datetime first: a datetime is a date too
        if isinstance(v, kind):
            return {tag: v.isoformat()}
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    return v


def _unvalue(v: Any) -> Any:
    if isinstance(v, dict) and len(v) == 1:
        tag, text = next(iter(v.items()))
        kind = _TAGS.get(tag)
        if kind is not None and isinstance(text, str):
            try:
                return kind.fromisoformat(text)
            except ValueError:
                return None
    if isinstance(v, list):
        return [_unvalue(x) for x in v]
    return v
