"""The dependency graph of a form's expressions, built once at load in linear time.

``values[x]``: questions whose value or visibility is computed from x (calculate,
relevant, the page's and enclosing repeats' relevance), ``others[x]``: questions
whose error, required/read-only state or offered choices use x (constraint,
required, read_only, choice_filter, min/max_count). ``rank`` orders questions so
every question comes after everything its value and visibility are computed from;
a session re-evaluates what one answer changed in that order and stops where a
result comes out the same (kiosk.forms.state), which is what makes the cost of an
answer grow with what it changes rather than with the size of the form.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

_VALUE_FIELDS = ("calculate", "relevant")


@dataclass
class DepGraph:
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    others: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pages: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ref -> page names
    rank: dict[str, int] = field(default_factory=dict)


def _subtree(q: Any) -> list[Any]:
    out = [q]
    stack = list(q.children)
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(c.children)
    return out


def build_graph(form: Any) -> DepGraph:
    values: dict[str, dict[str, None]] = {}
    others: dict[str, dict[str, None]] = {}
    pages: dict[str, dict[str, None]] = {}
    preds: dict[str, set[str]] = {name: set() for name in form.questions}

    def edge(table: dict[str, dict[str, None]], src: str, dst: str) -> None:
        table.setdefault(src, {})[dst] = None

    for page in form.pages:
        if not page.refs:
            continue
        inner = [d for top in page.questions for d in _subtree(top)]
        for ref in page.refs:
            edge(pages, ref, page.name)
            for d in inner:
                edge(values, ref, d.name)
                preds[d.name].add(ref)
    for q in form.questions.values():
        for c in q.children:
            preds[c.name].add(q.name)  # a child's visibility follows its repeat's
        for fld, refs in q.refs.items():
            if not refs:
                continue
            if fld in _VALUE_FIELDS:
                targets = _subtree(q) if fld == "relevant" else [q]
                for ref in refs:
                    for d in targets:
                        edge(values, ref, d.name)
                        preds[d.name].add(ref)
            else:
                for ref in refs:
                    edge(others, ref, q.name)
    return DepGraph(
        values={k: tuple(v) for k, v in values.items()},
        others={k: tuple(v) for k, v in others.items()},
        pages={k: tuple(v) for k, v in pages.items()},
        rank=_ranks(preds),
    )


def _ranks(preds: dict[str, set[str]]) -> dict[str, int]:
    """Topological positions (Kahn); names on a cycle (refused at load) go last."""
    succ: dict[str, list[str]] = {n: [] for n in preds}
    waiting = {}
    for n, ps in preds.items():
        known = [p for p in ps if p in succ and p != n]
        waiting[n] = len(known)
        for p in known:
            succ[p].append(n)
    ready = [n for n, k in waiting.items() if k == 0]
    rank: dict[str, int] = {}
    while ready:
        n = ready.pop()
        rank[n] = len(rank)
        for s in succ[n]:
            waiting[s] -= 1
            if waiting[s] == 0:
                ready.append(s)
    for n in preds:
        rank.setdefault(n, len(rank))
    return rank


_GRAPHS: dict[int, DepGraph] = {}


def graph_of(form: Any) -> DepGraph:
    """The form's graph (built on first use if compile_form did not; dropped with it)."""
    key = id(form)
    g = _GRAPHS.get(key)
    if g is None:
        g = _GRAPHS[key] = build_graph(form)
        weakref.finalize(form, _GRAPHS.pop, key, None)
    return g


def set_graph(form: Any, graph: DepGraph) -> None:
    key = id(form)
    if key not in _GRAPHS:
        weakref.finalize(form, _GRAPHS.pop, key, None)
    _GRAPHS[key] = graph
