"""A secondary instance of rows held as columns: what a choices CSV costs in memory.

A CSV (or a regular XML/GeoJSON file) of 290,000 rows held as an ElementTree was
about 19 bytes of memory per byte of file, and a ``Choice`` per row 33 more (issue
21). Most secondary instances have one shape, ``<root><item><col>text</col>…</item>…``,
so they are held as a ``Table``: the root and row tags, the column names (with the
``lang`` of a translated column), and per column one string of every cell joined
with an array of where each cell ends. A cell is sliced out when something reads
it; XPath node views (``kiosk.forms.xpath_nodes.TNode``) and choices
(``kiosk.forms.table_choices``) are made from rows on demand, never stored.

Cells a row lacks (a short CSV row, an XML item without that child) are remembered
as absent, so ``count(item/x)`` and ``item[x]`` see what the file holds. Whitespace
between elements is not kept (as javarosa reads an instance): a row's string-value
is its cells' text. An instance of any other shape stays an ElementTree
(kiosk.forms.table_read, which reads rows into tables, says None).
"""

from __future__ import annotations

import bisect
import xml.etree.ElementTree as ET
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, islice, repeat

_CHUNK = 4096  # rows whose cells are joined at a time while a table is read


class Column:
    """One column's cells: ``text[ends[i]:ends[i + 1]]`` is row i's."""

    __slots__ = ("text", "ends", "_parts", "_size")

    def __init__(self) -> None:
        self.text = ""
        self.ends = array("I", [0])
        self._parts: list[str] = []
        self._size = 0

    def add(self, cells: list[str]) -> None:
        """Append the cells of the next rows (joined: a list of strs costs ~60 B a cell)."""
        self._parts.append("".join(cells))
        self.ends.extend(islice(accumulate(map(len, cells), initial=self._size), 1, None))
        self._size = self.ends[-1]

    def close(self) -> None:
        self.text = "".join(self._parts)
        self._parts = []

    def __getitem__(self, row: int) -> str:
        return self.text[self.ends[row]:self.ends[row + 1]]


class Table:
    """Rows of named cells; see the module doc. Read-only once built."""

    def __init__(self, tag: str, row_tag: str, columns: list[tuple[str, str | None]]) -> None:
        self.tag, self.row_tag = tag, row_tag
        self.names = tuple(name for name, _lang in columns)
        self.langs = tuple(lang for _name, lang in columns)
        self.columns = [Column() for _ in columns]
        self.absent: dict[int, set[int]] = {}  # column -> rows without that cell
        self.rows = 0
        self._orders: dict[tuple[int, bool], array[int]] = {}
        self._pending: list[list[str]] = [[] for _ in columns]  # cells not yet in a column
        self._index: dict[tuple[str, str | None], int] = {}
        for col, key in enumerate(columns):
            self._index.setdefault(key, col)

    def column(self, name: str, lang: str | None) -> int:
        """Column (name, lang), added if new (every row so far lacks it): for readers
        that learn the columns as they go (an XML file, GeoJSON properties)."""
        col = self._index.get((name, lang))
        if col is None:
            col = self._index[(name, lang)] = len(self.names)
            self.names, self.langs = (*self.names, name), (*self.langs, lang)
            column = Column()
            flushed = self.rows - self.rows % _CHUNK
            column.ends.extend(repeat(0, flushed))
            self.columns.append(column)
            self._pending.append([""] * (self.rows - flushed))
            if self.rows:
                self.absent[col] = set(range(self.rows))
        return col

    def add_cells(self, cells: Iterable[tuple[int, str]]) -> None:
        """A row given as (column, text) of the cells it has."""
        row: list[str | None] = [None] * len(self.names)
        for col, text in cells:
            row[col] = text
        self.add_row(row)

    # -- building
    def add_row(self, cells: Sequence[str | None]) -> None:
        """A row: one entry per column, None where the row has no such cell."""
        if len(cells) != len(self._pending):
            raise ValueError("a row has as many cells as the table has columns")
        for col, (pending, cell) in enumerate(zip(self._pending, cells, strict=True)):
            if cell is None:
                self.absent.setdefault(col, set()).add(self.rows)
                cell = ""
            pending.append(cell)
        self.rows += 1
        if self.rows % _CHUNK == 0:
            self._flush()

    def _flush(self) -> None:
        for column, pending in zip(self.columns, self._pending, strict=True):
            column.add(pending)
            pending.clear()

    def close(self) -> Table:
        self._flush()
        for column in self.columns:
            column.close()
        return self

    # -- reading
    def cell(self, row: int, col: int) -> str | None:
        """Row ``row``'s cell of column ``col`` (None: the row has none)."""
        gone = self.absent.get(col)
        if gone is not None and row in gone:
            return None
        return self.columns[col][row]

    def present(self, row: int) -> Iterator[int]:
        """The columns row ``row`` has a cell in, in document order."""
        for col in range(len(self.names)):
            gone = self.absent.get(col)
            if gone is None or row not in gone:
                yield col

    def row_text(self, row: int) -> str:
        """The string-value of row ``row``'s element (its cells' text in order)."""
        return "".join(self.columns[col][row] for col in self.present(row))

    def columns_named(self, name: str) -> list[int]:
        return [col for col, n in enumerate(self.names) if n == name]

    def rows_where(self, col: int, value: str, strip: bool = False) -> list[int]:
        """The rows (ascending) whose cell of ``col`` is ``value`` (stripped first when
        ``strip``), through an order of the rows by that cell built on first use
        (4 bytes a row)."""
        order = self._order(col, strip)
        column = self.columns[col]

        def key(row: int) -> str:
            text = column[row]
            return text.strip() if strip else text

        lo = bisect.bisect_left(order, value, key=key)
        hi = bisect.bisect_right(order, value, lo=lo, key=key)
        gone = self.absent.get(col, ())
        return [row for row in order[lo:hi] if row not in gone]

    def _order(self, col: int, strip: bool) -> array[int]:
        order = self._orders.get((col, strip))
        if order is None:
            column = self.columns[col]

            def key(row: int) -> str:
                return column[row].strip() if strip else column[row]

            # a stable sort: equal cells stay in row order
            order = array("I", sorted(range(self.rows), key=key))
            self._orders[(col, strip)] = order
        return order

    def duplicates(self, col: int, rows: Iterable[int]) -> list[str]:
        """The stripped cells of ``col`` that two of ``rows`` (ascending) share, in the
        order their second row comes."""
        order, column = self._order(col, True), self.columns[col]
        shared: set[str] = set()
        for a, b in zip(order, order[1:], strict=False):
            text = column[a].strip()
            if text == column[b].strip():
                shared.add(text)
        out: list[str] = []
        seen: set[str] = set()
        for row in rows if shared else ():
            text = column[row].strip()
            if text in shared and text not in out:
                if text in seen:
                    out.append(text)
                seen.add(text)
        return out

    def to_element(self) -> ET.Element:
        """The same instance as an ElementTree (for a reader that needs one: rare shapes)."""
        root = ET.Element(self.tag)
        for row in range(self.rows):
            item = ET.SubElement(root, self.row_tag)
            for col in self.present(row):
                lang = self.langs[col]
                child = ET.SubElement(item, self.names[col], {"lang": lang} if lang else {})
                child.text = self.columns[col][row]
        return root

    def findall(self, path: str) -> list[ET.Element]:
        """ElementTree's ``findall`` on the tree this table stands for (built for the call:
        for a check or a test, never a path the kiosk takes per row)."""
        return self.to_element().findall(path)


Instance = ET.Element | Table  # a secondary instance as FormDef.instances holds it


def instance_texts(inst: Instance, tag: str) -> Iterator[str]:
    """The text of every ``tag`` element of an instance, one at a time."""
    if isinstance(inst, Table):
        for col in inst.columns_named(tag):
            column = inst.columns[col]
            yield from (column[row] for row in range(inst.rows))
    else:
        yield from (el.text or "" for el in inst.iter(tag))
