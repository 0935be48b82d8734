"""The nodes XPath location paths walk: the primary instance, secondary instances, choices.

The primary instance is never built as XML: a node is a (path, repeat item)
pair over the form's static tree (``FormDef.by_path`` plus the groups on the
way), and its value is read from the session's answers, so a path costs
nothing until it is evaluated and sees exactly what ``${name}`` sees.
Secondary instances are the ElementTree elements of ``FormDef.instances``,
wrapped on the way down so ``..`` works, or, for an instance of rows held as a
``Table``, a (table, row, column) view made when a step reaches it. A choice
being filtered is a node whose children are its keys (``value``, ``label``,
extra columns).

Nothing here raises on any data: a step that finds nothing gives no nodes.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from xml.etree.ElementTree import Element

from kiosk.forms import xpath_table as T
from kiosk.forms.instance_table import Table
from kiosk.forms.xpath_leaf import LeafNode, local, text_node
from kiosk.forms.xpath_leaf import matches as _matches
from kiosk.forms.xpath_table import DOC, ROOT, TNode

Item = tuple[int, ...]


class PrimaryDoc(Protocol):
    """What the session offers paths over the primary instance."""

    @property
    def tree(self) -> PrimaryTree: ...

    def node_value(self, q: Any, item: Item) -> Any: ...

    def repeat_items(self, q: Any, item: Item) -> int: ...


class PrimaryTree:
    """The static shape of the primary instance: children of every path, in form order."""

    def __init__(self, by_path: dict[str, Any]) -> None:
        self.by_path = by_path
        self.children: dict[str, list[str]] = {}
        self.rank: dict[str, int] = {}  # a path's place among its parent's children
        for path in by_path:
            parts = path.split("/")
            for i in range(1, len(parts)):
                parent, child = "/".join(parts[:i]), "/".join(parts[: i + 1])
                kids = self.children.setdefault(parent, [])
                if child not in kids:
                    self.rank[child] = len(kids)
                    kids.append(child)


_TREES: dict[int, PrimaryTree] = {}


def primary_tree(form: Any) -> PrimaryTree:
    """The (cached) tree of ``form``; dropped with the form."""
    key = id(form)
    tree = _TREES.get(key)
    if tree is None:
        tree = _TREES[key] = PrimaryTree(form.by_path)
        weakref.finalize(form, _TREES.pop, key, None)
    return tree


class PNode:
    """A node of the primary instance: ``q`` is its question (None for a group or the
    root); ``item`` the indexes of the repeats it is in (its own last, for a repeat)."""

    __slots__ = ("path", "item", "q")

    def __init__(self, path: str, item: Item, q: Any) -> None:
        self.path, self.item, self.q = path, item, q

    def key(self) -> Any:
        return ("p", self.path, self.item)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class XNode:
    """An element of a secondary instance (``el`` None: the instance's document node)."""

    __slots__ = ("el", "parent", "index", "root")

    def __init__(self, el: Element | None, parent: XNode | None, index: int = 0,
                 root: Element | None = None) -> None:
        self.el, self.parent, self.index, self.root = el, parent, index, root

    def key(self) -> Any:
        return ("x", id(self.el if self.el is not None else self.root))

    @property
    def name(self) -> str:
        return "" if self.el is None else local(self.el.tag)


def instance_node(root: Element | Table) -> Any:
    """The document node of a secondary instance."""
    return TNode(root, DOC) if isinstance(root, Table) else XNode(None, None, 0, root)


class ChoiceNode:
    """The choice a ``choice_filter`` is evaluated for."""

    __slots__ = ("choice", "label")

    def __init__(self, choice: Any, label: str) -> None:
        self.choice, self.label = choice, label

    def key(self) -> Any:
        return ("c", id(self.choice))

    @property
    def name(self) -> str:
        return "item"


_POSITIONS: weakref.WeakKeyDictionary[Element, dict[int, int]] = weakref.WeakKeyDictionary()


def child_position(el: Element, child: Element) -> int:
    """``child``'s place among all of ``el``'s children (for document order), from a map
    built once per element: secondary instances do not change after load."""
    places = _POSITIONS.get(el)
    if places is None:
        places = _POSITIONS[el] = {id(c): i for i, c in enumerate(el)}
    return places.get(id(child), 0)


_INDEXES: weakref.WeakKeyDictionary[Element, dict[tuple[str, str], dict[str, list[tuple[Element, int]]]]]
_INDEXES = weakref.WeakKeyDictionary()


def child_index(el: Element, test: str, key: str) -> dict[str, list[tuple[Element, int]]]:
    """``el``'s children named ``test`` by the text of their ``key`` children (with each
    child's position among its like-named siblings), built once per element: secondary
    instances do not change after load."""
    per = _INDEXES.get(el)
    if per is None:
        per = _INDEXES[el] = {}
    found = per.get((test, key))
    if found is None:
        found = per[(test, key)] = {}
        seen: dict[str, int] = {}
        for child in el:
            if not isinstance(child.tag, str):
                continue
            name = local(child.tag)
            i = seen[name] = seen.get(name, 0) + 1
            if not _matches(name, test):
                continue
            for sub in child:
                if isinstance(sub.tag, str) and _matches(local(sub.tag), key):
                    hits = found.setdefault("".join(sub.itertext()), [])
                    if not hits or hits[-1][0] is not child:
                        hits.append((child, i - 1))
    return found


def indexable(node: Any) -> bool:
    """Whether ``indexed_children`` may answer for ``node`` (a secondary instance's node)."""
    return isinstance(node, (XNode, TNode)) and (node.el is not None if isinstance(node, XNode)
                                                 else node.row == ROOT)


def indexed_children(node: Any, test: str, key: str, value: str) -> list[Any] | None:
    """``node``'s children named ``test`` whose ``key`` child's text is ``value``, through
    an index; None when ``node`` has no index (then the step is taken the general way)."""
    if isinstance(node, XNode) and node.el is not None:
        return [XNode(el, node, i) for el, i in child_index(node.el, test, key).get(value, ())]
    if isinstance(node, TNode) and node.row == ROOT:
        return T.indexed(node, test, key, value)
    return None


def pull(doc: Any, wanted: str, key_field: str, key: str) -> str:
    """``pulldata``: the text of the first ``wanted`` child of the first row of the
    instance ``doc`` (its document node) whose ``key_field`` child is ``key``."""
    if isinstance(doc, TNode):
        return T.pull(doc, wanted, key_field, key)
    if not isinstance(doc, XNode) or doc.root is None:
        return ""
    for el, _i in child_index(doc.root, "*", key_field).get(key, ()):
        for sub in el:
            if isinstance(sub.tag, str) and local(sub.tag) == wanted:
                return "".join(sub.itertext())
        return ""
    return ""


# ---------------------------------------------------------------- axes

def children(doc: PrimaryDoc | None, node: Any, test: str, ctx: Any = None) -> list[Any]:
    """Child nodes of ``node`` passing ``test`` (elements, and text nodes for ``node()``
    and ``text()``), in document order. For the primary instance, ``ctx`` (the context
    node of an absolute path) pins repeats it is inside to its own item."""
    if isinstance(node, TNode):
        return T.children(node, test)
    if isinstance(node, XNode):
        return _x_children(node, test)
    if isinstance(node, PNode):
        return _p_children(doc, node, test, ctx) if doc is not None else []
    if isinstance(node, ChoiceNode):
        c = node.choice
        keys: list[tuple[str, Any]] = [("value", c.value), ("label", node.label),
                                       *c.extra.items()]
        return [LeafNode(node, k, v, "key") for k, v in keys if _matches(k, test)]
    if isinstance(node, LeafNode) and node.kind == "key" and test in ("text()", "node()"):
        return [text_node(node, node.value)] if node.value not in (None, "") else []
    return []


def _x_children(node: XNode, test: str) -> list[Any]:
    """An element's children: the text between its child elements is a text node only
    when it is not blank (an instance is read as javarosa reads it); a leaf's text is
    its one text node."""
    el = node.el
    if el is None:
        root = node.root
        return [XNode(root, node, 0)] if root is not None and _matches(local(root.tag), test) else []
    texts, elements = test in ("text()", "node()"), test != "text()"
    mixed = len(el) > 0
    out: list[Any] = []
    if texts and el.text and (not mixed or el.text.strip()):
        out.append(text_node(node, el.text, 0))
    seen: dict[str, int] = {}
    for at, child in enumerate(el, 1):
        if isinstance(child.tag, str):
            name = local(child.tag)
            i = seen[name] = seen.get(name, 0) + 1
            if elements and _matches(name, test):
                out.append(XNode(child, node, i - 1))
        if texts and child.tail and child.tail.strip():
            out.append(text_node(node, child.tail, at))  # the text after the at-th child
    return out


def _p_children(doc: PrimaryDoc, node: PNode, test: str, ctx: Any) -> list[Any]:
    """A node of the primary instance: a group's children are its questions (every item
    of a repeat); a question's one child is the text of its answer, if it has one."""
    q = node.q
    if q is not None and q.has_value:
        if test not in ("text()", "node()"):
            return []
        value = doc.node_value(q, node.item)
        return [text_node(node, value)] if value not in (None, "") else []
    if test == "text()":
        return []
    tree = doc.tree
    pout: list[Any] = []
    for path in tree.children.get(node.path, ()):
        name = path.rsplit("/", 1)[-1]
        if not _matches(name, test):
            continue
        kid = tree.by_path.get(path)
        if kid is not None and kid.is_repeat:
            n = doc.repeat_items(kid, node.item)
            pinned = _pinned(ctx, path, len(node.item))
            for i in range(n):
                if pinned is None or pinned == i:
                    pout.append(PNode(path, (*node.item, i), kid))
        else:
            pout.append(PNode(path, node.item, kid))
    return pout


def _pinned(ctx: Any, path: str, depth: int) -> int | None:
    if isinstance(ctx, PNode) and len(ctx.item) > depth and (
        ctx.path == path or ctx.path.startswith(path + "/")
    ):
        return ctx.item[depth]
    return None


def parent(doc: PrimaryDoc | None, node: Any) -> Any:
    if isinstance(node, TNode):
        return T.parent(node)
    if isinstance(node, XNode):
        return node.parent
    if isinstance(node, LeafNode):
        return node.parent
    if isinstance(node, ChoiceNode):  # a choice of a nested itemset knows its item's parent
        return getattr(node.choice, "parent", None)
    if isinstance(node, PNode):
        if not node.path:
            return None
        path = node.path.rsplit("/", 1)[0]
        item = node.item[:-1] if node.q is not None and node.q.is_repeat else node.item
        q = doc.tree.by_path.get(path) if doc is not None else None
        return PNode(path, item, q)
    return None


def attributes(node: Any, test: str) -> list[Any]:
    if isinstance(node, TNode):
        return T.attributes(node, test)
    if isinstance(node, XNode) and node.el is not None:
        return [LeafNode(node, local(k), v, "attr", i)
                for i, (k, v) in enumerate(node.el.attrib.items()) if _matches(local(k), test)]
    return []


# ---------------------------------------------------------------- values

def node_name(node: Any) -> str:
    return str(getattr(node, "name", ""))


_BUSY = threading.local()


@contextmanager
def computing(doc: Any, node: Any) -> Iterator[bool]:
    """Whether ``node`` of ``doc`` is not already being read further up this thread's
    stack (a calculate reading its own node: ``string-length()``, or a group holding
    it: ``position(..)``); inside, reading it again gives the empty value, as javarosa
    reads the node's value before this calculation, instead of recursing forever."""
    busy: set[tuple[int, str, Item]] = _BUSY.__dict__.setdefault("nodes", set())
    key = (id(doc), getattr(node, "path", ""), getattr(node, "item", ()))
    if key in busy:
        yield False
        return
    busy.add(key)
    try:
        yield True
    finally:
        busy.discard(key)


def node_value(doc: PrimaryDoc | None, node: Any) -> Any:
    """A node's value: the answer (typed, as ``${name}`` gives it) for the primary
    instance, the string-value (text of every descendant) for other nodes."""
    if isinstance(node, PNode):
        if doc is not None and node.q is not None and node.q.has_value:
            return doc.node_value(node.q, node.item)
        if doc is None:
            return None
        with computing(doc, node) as free:
            return _string_value(doc, node) if free else None
    return _other_value(node)


def _string_value(doc: PrimaryDoc, node: PNode) -> Any:
    texts = []
    stack = list(reversed(children(doc, node, "*")))
    while stack:
        d = stack.pop()
        if d.q is not None and d.q.has_value:
            v = doc.node_value(d.q, d.item)
            if v is not None:
                texts.append(v)
        else:
            stack.extend(reversed(children(doc, d, "*")))
    if not texts:
        return None
    return texts[0] if len(texts) == 1 else "".join(str(t) for t in texts)


def _other_value(node: Any) -> Any:
    if isinstance(node, TNode):
        return T.value(node)
    if isinstance(node, XNode):
        if node.el is None:
            return "".join(node.root.itertext()) if node.root is not None else ""
        return "".join(node.el.itertext())
    if isinstance(node, LeafNode):
        return node.value
    if isinstance(node, ChoiceNode):
        return node.choice.value
    return None


def position_of(node: Any) -> int:
    """1-based position of ``node`` among the like-named nodes of its parent (for a repeat
    item, its index); 0 when it has none."""
    if isinstance(node, PNode):
        if node.q is not None and node.q.is_repeat and node.item:
            return node.item[-1] + 1
        return 1
    if isinstance(node, XNode):
        return node.index + 1
    if isinstance(node, TNode):
        return T.position(node)
    return 1 if node is not None else 0


def unique(nodes: Iterable[Any]) -> list[Any]:
    """Nodes in first-seen order without repeats (a node-set)."""
    seen: set[Any] = set()
    out = []
    for n in nodes:
        k = n.key()
        if k not in seen:
            seen.add(k)
            out.append(n)
    return out

