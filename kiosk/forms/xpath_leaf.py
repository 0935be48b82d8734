"""What every kind of XPath node shares: node tests, and the leaves (an attribute, a
text node, a key of a choice) that the primary instance, secondary instances held as
trees or as tables (kiosk.forms.xpath_nodes, kiosk.forms.xpath_table) and choices
all give the same way.

The kiosk's instances hold elements, attributes and text, never comments or
processing instructions (an instance is read without them, as javarosa reads it), so
``comment()`` and ``processing-instruction()`` select nothing here.
"""

from __future__ import annotations

from typing import Any


class LeafNode:
    """An attribute, a text node, or a key of a choice: a name and a text value.
    ``index`` tells apart the text nodes of one element with mixed content."""

    __slots__ = ("parent", "name", "value", "kind", "index")

    def __init__(self, parent: Any, name: str, value: Any, kind: str, index: int = 0) -> None:
        self.parent, self.name, self.value, self.kind = parent, name, value, kind
        self.index = index

    def key(self) -> Any:
        return ("l", self.parent.key(), self.name, self.kind, self.index)


def text_node(parent: Any, value: Any, index: int = 0) -> LeafNode:
    """A text node (its name is empty, as XPath's name() of a text node is)."""
    return LeafNode(parent, "", value, "text", index)


def local(tag: Any) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1] if text.startswith("{") else text


def matches(name: str, test: str) -> bool:
    """Whether an element (or attribute) named ``name`` passes a name test ``test``
    (``node()`` passes every one; the other node-type tests none)."""
    if test in ("*", "node()"):
        return True
    if test.endswith(")"):
        return False
    if ":" in test:
        prefix, rest = test.split(":", 1)
        return rest == "*" or rest == name
    return test == name


def node_test(node: Any, test: str) -> bool:
    """Whether ``node`` (any kind) passes ``test`` on an axis whose principal node type
    is the element (every axis but attribute): ``*`` and names take elements only."""
    if test == "node()":
        return True
    kind = getattr(node, "kind", "element")
    if test == "text()":
        return kind == "text"
    if kind in ("text", "attr"):
        return False
    name = str(getattr(node, "name", ""))
    return name != "" and matches(name, test)
