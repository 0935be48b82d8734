"""XPath nodes of a secondary instance held as a Table (kiosk.forms.instance_table).

A node is a view (table, row, column) made when a location step reaches it and
dropped after: the document node, the root element, a row's element, one of its
cells; a cell's ``lang`` is its one attribute and its text its one text node. Steps
over it give what they give over the same instance as an ElementTree
(kiosk.forms.xpath_nodes dispatches here), and ``item[key = value]`` and
``pulldata`` go through the table's order of the key column.
"""

from __future__ import annotations

from typing import Any

from kiosk.forms.instance_table import Table
from kiosk.forms.xpath_leaf import LeafNode, matches, text_node

DOC, ROOT, ROW = -2, -1, -1  # TNode.row of the document node and the root; TNode.col of a row


class TNode:
    """A node of a Table instance: the document node (row DOC), its root element (row
    ROOT), a row's element (col ROW) or one of its cells (col >= 0)."""

    __slots__ = ("table", "row", "col")

    def __init__(self, table: Table, row: int, col: int = ROW) -> None:
        self.table, self.row, self.col = table, row, col

    def key(self) -> Any:
        return ("t", id(self.table), self.row, self.col)

    @property
    def name(self) -> str:
        t = self.table
        if self.row == DOC:
            return ""
        if self.row == ROOT:
            return t.tag
        return t.row_tag if self.col == ROW else t.names[self.col]


def children(node: TNode, test: str) -> list[Any]:
    t, row, col = node.table, node.row, node.col
    if row == DOC:
        return [TNode(t, ROOT)] if test != "text()" and matches(t.tag, test) else []
    if row == ROOT:
        return [TNode(t, r) for r in range(t.rows)] if matches(t.row_tag, test) else []
    if col == ROW:
        if test == "text()":
            return []
        return [TNode(t, row, c) for c in t.present(row) if matches(t.names[c], test)]
    text = t.cell(row, col)
    return [text_node(node, text)] if test in ("text()", "node()") and text else []


def parent(node: TNode) -> Any:
    if node.row == DOC:
        return None
    if node.row == ROOT:
        return TNode(node.table, DOC)
    return TNode(node.table, node.row) if node.col != ROW else TNode(node.table, ROOT)


def attributes(node: TNode, test: str) -> list[Any]:
    lang = node.table.langs[node.col] if node.row >= 0 and node.col >= 0 else None
    return [LeafNode(node, "lang", lang, "attr")] if lang is not None and matches("lang", test) else []


def value(node: TNode) -> str:
    """The string-value: a cell's text, a row's cells' text, the whole table's."""
    t = node.table
    if node.row < 0:
        return "".join(t.row_text(r) for r in range(t.rows))
    return t.row_text(node.row) if node.col == ROW else t.cell(node.row, node.col) or ""


def position(node: TNode) -> int:
    if node.row < 0:
        return 1
    if node.col == ROW:
        return node.row + 1
    name = node.table.names[node.col]
    return sum(1 for c in node.table.present(node.row) if c <= node.col and node.table.names[c] == name)


def indexed(root: TNode, test: str, key: str, value: str) -> list[Any]:
    """The root's rows named ``test`` whose ``key`` cell is ``value``."""
    t = root.table
    if not matches(t.row_tag, test):
        return []
    rows: set[int] = set()
    for col, name in enumerate(t.names):
        if matches(name, key):
            rows.update(t.rows_where(col, value))
    return [TNode(t, r) for r in sorted(rows)]


def pull(doc: TNode, wanted: str, key_field: str, key: str) -> str:
    """``pulldata``: the first ``wanted`` cell of the first row whose ``key_field`` is ``key``."""
    for row in indexed(TNode(doc.table, ROOT), "*", key_field, key)[:1]:
        hits = children(row, wanted)
        return value(hits[0]) if hits else ""
    return ""
