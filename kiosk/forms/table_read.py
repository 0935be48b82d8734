"""Rows of cells read into a Table (kiosk.forms.instance_table) from an XML tree, an XML
stream or GeoJSON features, never keeping a tree of the whole file.

An external XML instance was parsed whole (about 19 bytes of memory per byte of
file) before anything looked at it; here it is read as a stream of parser events,
each row going into the table and out of the parser's tree as soon as it ends.
A file that turns out not to be rows of cells (a row with an attribute, a cell with
children, two row tags, cells in another order) gives None, and the caller reads
it as a tree as before. What counts as rows of cells is the same for a tree
(``table_from_element``: inline instances) and a stream (``table_from_events``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

from kiosk.forms.instance_table import Table

Name = Callable[[str], str]  # a tag as the instance names it (the XForms namespace dropped)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _plain(tag: str) -> str:
    return tag


def table_from_element(root: ET.Element, name: Name = _plain) -> Table | None:
    """``root`` as a Table when it has the one shape a Table holds (rows of one tag, each
    of text-only children in one order, only ``lang`` attributes); else None."""
    rows = list(root)
    if root.attrib or not _blank(root.text) or not rows or not _ok_tag(root.tag, name):
        return None
    table = Table(name(root.tag), name(str(rows[0].tag)), [])
    for row in rows:
        if not _add_row(table, row, name) or not _blank(row.tail):
            return None
    return table.close()


def table_from_events(events: Iterable[tuple[str, ET.Element]], name: Name = _plain) -> Table | None:
    """The document of an ``iterparse`` with start and end events as a Table (see
    ``table_from_element``), each row dropped from the parser's tree once read."""
    table: Table | None = None
    root: ET.Element | None = None
    depth, previous = 0, None
    for event, el in events:
        if event == "start":
            depth += 1
            if depth > 3:
                return None
            if depth == 1:
                root = el
            continue
        depth -= 1
        if depth == 1 and root is not None:
            if table is None:
                if root.attrib or not _ok_tag(root.tag, name):
                    return None
                table = Table(name(root.tag), name(str(el.tag)), [])
            if not _add_row(table, el, name) or previous is not None and not _blank(previous.tail):
                return None
            if previous is not None:
                root.remove(previous)
            previous = el
        elif depth == 0 and root is not None:
            last_ok = previous is None or _blank(previous.tail)
            return table.close() if table is not None and last_ok and _blank(root.text) else None
    return None


def _ok_tag(tag: object, name: Name) -> bool:
    return isinstance(tag, str) and "{" not in name(tag)


def _add_row(table: Table, row: ET.Element, name: Name) -> bool:
    """Row ``row``'s cells added to ``table``; False when it does not fit a table."""
    if not _ok_tag(row.tag, name) or name(str(row.tag)) != table.row_tag or row.attrib \
            or not _blank(row.text):
        return False
    cells: list[tuple[int, str]] = []
    for child in row:
        if not _ok_tag(child.tag, name) or len(child) or set(child.attrib) - {"lang"} \
                or not _blank(child.tail):
            return False
        col = table.column(name(str(child.tag)), child.attrib.get("lang"))
        if cells and col <= cells[-1][0]:
            return False
        cells.append((col, child.text or ""))
    table.add_cells(cells)
    return True


def table_from_features(features: list[object], read: Callable[[object, int], dict[str, str]]) -> Table:
    """GeoJSON features as rows: ``read(feature, n)`` gives a row's cells by name (and
    raises for a bad feature); each feature is let go once read."""
    table = Table("root", "item", [])
    for n in range(len(features)):
        cells = read(features[n], n + 1)
        features[n] = None
        table.add_cells(sorted((table.column(key, None), text) for key, text in cells.items()))
    return table.close()
