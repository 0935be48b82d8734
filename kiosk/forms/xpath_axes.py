"""XPath 1.0's axes over every kind of node the kiosk has (kiosk.forms.xpath_nodes).

An axis is walked from the child and parent links alone, so it works the same over
the primary instance (repeats included), secondary instances held as trees or as
tables, and choices. Forward axes give nodes in document order, reverse axes
(ancestor, preceding-sibling, preceding) nearest first, as XPath counts positions
in predicates; the evaluator puts a reverse step's result back in document order,
and sorts a union, or a step that may mix the nodes of several context nodes, by
``in_document_order``.

The walks only make the nodes an expression asks for: a name test walks elements,
not text nodes, and nothing is read of the primary instance's answers unless
``node()`` or ``text()`` asks for its text. The namespace axis is not offered: the
kiosk's nodes carry no namespace nodes (instances are read without their prefixes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.forms import xpath_nodes as X
from kiosk.forms import xpath_table as T
from kiosk.forms.xpath_leaf import LeafNode, node_test

REVERSE = frozenset({"ancestor", "ancestor-or-self", "preceding-sibling", "preceding"})


def _kids_test(test: str) -> str:
    """What to ask ``children`` for while walking towards nodes passing ``test``."""
    return "node()" if test in ("node()", "text()") else "*"


def _is_attr(node: Any) -> bool:
    return getattr(node, "kind", "") == "attr"


def descendants(doc: Any, node: Any, include_self: bool, test: str = "node()") -> list[Any]:
    kids = _kids_test(test)
    out = [node] if include_self else []
    if _is_attr(node):
        return out
    stack = list(reversed(X.children(doc, node, kids)))
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(X.children(doc, n, kids)))
    return out


def ancestors(doc: Any, node: Any, include_self: bool, test: str = "node()") -> list[Any]:
    out = [node] if include_self else []
    p = X.parent(doc, node)
    while p is not None:
        out.append(p)
        p = X.parent(doc, p)
    return out


def siblings(doc: Any, node: Any, following: bool, test: str = "node()") -> list[Any]:
    """The following (in order) or preceding (nearest first) siblings of ``node``."""
    up = X.parent(doc, node)
    if up is None or _is_attr(node):
        return []
    kind = getattr(node, "kind", "element")
    kids = X.children(doc, up, "node()" if kind == "text" else _kids_test(test))
    keys = [k.key() for k in kids]
    try:
        i = keys.index(node.key())
    except ValueError:
        return []
    return kids[i + 1:] if following else list(reversed(kids[:i]))


def following(doc: Any, node: Any, test: str = "node()") -> list[Any]:
    """Every node after ``node`` in document order but its descendants (after an
    attribute: its element's content too)."""
    out: list[Any] = []
    n = node
    if _is_attr(node):
        n = X.parent(doc, node)
        out += descendants(doc, n, False, test) if n is not None else []
    while n is not None:
        for sib in siblings(doc, n, True, test):
            out += descendants(doc, sib, True, test)
        n = X.parent(doc, n)
    return out


def preceding(doc: Any, node: Any, test: str = "node()") -> list[Any]:
    """Every node before ``node`` in document order but its ancestors, nearest first."""
    out: list[Any] = []
    n = X.parent(doc, node) if _is_attr(node) else node
    while n is not None:
        for sib in siblings(doc, n, False, test):
            out += reversed(descendants(doc, sib, True, test))
        n = X.parent(doc, n)
    return out


def _self(doc: Any, node: Any, test: str) -> list[Any]:
    return [node]


def _parent(doc: Any, node: Any, test: str) -> list[Any]:
    p = X.parent(doc, node)
    return [p] if p is not None else []


_AXES: dict[str, Callable[[Any, Any, str], list[Any]]] = {
    "self": _self,
    "parent": _parent,
    "descendant": lambda doc, n, t: descendants(doc, n, False, t),
    "descendant-or-self": lambda doc, n, t: descendants(doc, n, True, t),
    "ancestor": lambda doc, n, t: ancestors(doc, n, False, t),
    "ancestor-or-self": lambda doc, n, t: ancestors(doc, n, True, t),
    "following-sibling": lambda doc, n, t: siblings(doc, n, True, t),
    "preceding-sibling": lambda doc, n, t: siblings(doc, n, False, t),
    "following": following,
    "preceding": preceding,
}


def step(doc: Any, node: Any, axis: str, test: str, ctx: Any = None) -> list[Any]:
    """The nodes one location step selects from ``node`` (before predicates)."""
    if axis == "child":
        return X.children(doc, node, test, ctx)
    if axis == "attribute":
        return X.attributes(node, test)
    walk = _AXES.get(axis)
    return [n for n in walk(doc, node, test) if node_test(n, test)] if walk is not None else []


# ---------------------------------------------------------------- document order

def in_document_order(doc: Any, nodes: list[Any]) -> list[Any]:
    """``nodes`` sorted in document order (the primary instance first, then each other
    document; a stable sort, so nodes without a known place keep theirs)."""
    return sorted(nodes, key=lambda n: _place(doc, n))


def _place(doc: Any, node: Any) -> tuple[int, ...]:
    if isinstance(node, X.PNode):
        return _p_place(doc, node)
    if isinstance(node, X.XNode):
        return _x_place(node)
    if isinstance(node, T.TNode):
        return _t_place(node)
    if isinstance(node, LeafNode):
        before = (-1, node.index) if node.kind == "attr" else (2 * node.index,)
        return (*_place(doc, node.parent), *before)
    return (2, id(node))


def _p_place(doc: Any, node: Any) -> tuple[int, ...]:
    """(0, then per step down its place among its siblings and, for a repeat, the item)."""
    out, k = [0], 0
    if doc is None:
        return tuple(out)
    tree, path = doc.tree, ""
    for part in node.path.split("/")[1:]:
        path += "/" + part
        out.append(tree.rank.get(path, 0))
        q = tree.by_path.get(path)
        if q is not None and q.is_repeat:
            out.append(node.item[k] if k < len(node.item) else -1)
            k += 1
    return tuple(out)


def _x_place(node: Any) -> tuple[int, ...]:
    if node.el is None:
        return (1, id(node.root))
    up = node.parent
    if up is None or up.el is None:
        return (1, id(node.root if up is None else up.root), 1)
    return (*_x_place(up), 2 * X.child_position(up.el, node.el) + 1)


def _t_place(node: Any) -> tuple[int, ...]:
    head = (1, id(node.table))
    if node.row == T.DOC:
        return head
    if node.row == T.ROOT:
        return (*head, 1)
    return (*head, 1, 2 * node.row + 1) if node.col == T.ROW else \
        (*head, 1, 2 * node.row + 1, 2 * node.col + 1)
