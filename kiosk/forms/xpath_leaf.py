"""What every kind of XPath node shares: name tests, and the leaves (an attribute, a
text node, a key of a choice) that the primary instance, secondary instances held as
trees or as tables (kiosk.forms.xpath_nodes, kiosk.forms.xpath_table) and choices
all give the same way."""

from __future__ import annotations

from typing import Any


class LeafNode:
    """An attribute, a text node, or a key of a choice: a name and a text value."""

    __slots__ = ("parent", "name", "value", "kind")

    def __init__(self, parent: Any, name: str, value: Any, kind: str) -> None:
        self.parent, self.name, self.value, self.kind = parent, name, value, kind

    def key(self) -> Any:
        return ("l", id(self.parent), self.name, self.kind)


def local(tag: Any) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1] if text.startswith("{") else text


def matches(name: str, test: str) -> bool:
    if test in ("*", "node()"):
        return True
    if ":" in test:
        prefix, rest = test.split(":", 1)
        return rest == "*" or rest == name
    return test == name
