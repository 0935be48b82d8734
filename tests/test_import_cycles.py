"""No import cycles between the project's modules.

import-linter's contracts say which floor may import which; they say nothing about
two files of one package importing each other. A cycle there means neither file can
be understood, tested or moved without the other. This counts them on the same graph
import-linter builds (grimp), imports only for the type checker included: a
``TYPE_CHECKING`` import is still an arrow a reader has to follow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
PROJECT = ("app", "kiosk", "sync", "ui", "central")


def project_packages() -> list[str]:
    """The project's top-level packages present in this checkout."""
    return [name for name in PROJECT if (REPO / name / "__init__.py").is_file()]


def import_graph(packages: Iterable[str]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (anywhere in the file)."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def cycles(graph: Mapping[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e", "d"}, "f": set()}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]


def test_no_import_cycles_between_modules():
    found = [sorted(c) for c in cycles(import_graph(project_packages()))]
    assert found == [], f"{len(found)} import cycle(s) between modules: {found}"
