"""Secondary instances of an XForm: inline ones, and external CSV/XML files, as one shape.

Choice lists (itemsets) and lookups read ``instance('id')/root/item``. An inline
``<instance id="x">`` is taken as it is; ``jr://file-csv/x.csv`` becomes
``<root><item><col>value</col>…</item>…</root>`` (one item per row, the header
naming the children) and ``jr://file/x.xml`` its own root element, both read
from the form's media folder. A file that is missing or unreadable is refused
naming the instance, never an empty list. Rows of cells (every CSV, most XML and
GeoJSON files, pyxform's inline choice lists) are held as a compact Table
(kiosk.forms.instance_table: issue 21, a choices CSV cost 50x its size as a tree).
"""

from __future__ import annotations

import csv
import gc
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kiosk.forms.instance_table import Instance, Table
from kiosk.forms.model import FormLoadError
from kiosk.forms.table_read import table_from_element, table_from_events

XF = "{http://www.w3.org/2002/xforms}"
MAX_MEDIA_BYTES = 32 * 1024 * 1024  # a choices CSV of a few 100k rows; more is a mistake


def strip_ns(el: ET.Element) -> ET.Element:
    """A copy of ``el`` with the XForms default namespace removed from tags (items are
    read by plain names: ``item``, ``name``, ``label``)."""
    tag = el.tag.split("}", 1)[1] if el.tag.startswith(XF) else el.tag
    out = ET.Element(tag, dict(el.attrib))
    out.text, out.tail = el.text, el.tail
    for child in el:
        out.append(strip_ns(child))
    return out


def media_name(src: str) -> str:
    """``jr://file-csv/a b.csv`` -> ``a b.csv`` (the name in the media folder)."""
    return re.sub(r"^jr://[a-z\-]+/", "", src.strip())


def decode_csv(data: bytes) -> str:
    """CSV text: UTF-8 (or UTF-16 with its mark); else, as a spreadsheet program saves it
    here, Windows Cyrillic (cp1251) when non-ASCII bytes come in runs (whole words),
    else Windows Latin (cp1252: an accent here and there). Collect reads such a file
    too (it never refuses one)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    high = paired = 0  # counted over runs of high bytes: a list of their places cost 36 B each
    for run in re.finditer(rb"[\x80-\xff]+", data):
        size = run.end() - run.start()
        high += size
        paired += size if size > 1 else 0
    return data.decode("cp1251" if paired * 2 > high else "cp1252", errors="replace")


def read_csv_instance(data: bytes, where: str) -> Table:
    """The CSV as a Table (``<root><item>…</item>…</root>``: kiosk.forms.instance_table),
    read row by row straight into its columns (the text is never held as rows, cells or
    elements: issue 21, 8 MB took 2.4 GB as a tree), with the garbage collector paused
    while it grows."""
    text = decode_csv(data)
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(_lines(text), dialect)
    header = [h.strip() for h in next(rows, [])]
    if not any(header):
        raise FormLoadError(where, key="formload.csv_no_header")
    columns = _columns(header, where)
    paused = gc.isenabled()
    gc.disable()
    try:
        return _csv_table(rows, columns, where)
    finally:
        if paused:
            gc.enable()


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, one at a time (as a file gives them)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _columns(header: list[str], where: str) -> list[tuple[str, str | None]]:
    # "label::English (en)" (a translated column) -> <label lang="English (en)">
    columns: list[tuple[str, str | None]] = [
        (h.split("::", 1)[0].strip(), h.split("::", 1)[1].strip()) if "::" in h else (h, None)
        for h in header]
    bad = [h for (h, _lang) in columns if h and not re.fullmatch(r"[A-Za-z_][\w.\-]*(?::[\w.\-]+)?", h)]
    if bad:
        raise FormLoadError(where, key="formload.csv_column_name", params={"name": repr(bad[0])})
    return columns


def _csv_table(rows: Iterable[list[str]], columns: list[tuple[str, str | None]], where: str) -> Table:
    kept = [i for i, (name, _lang) in enumerate(columns) if name]  # a nameless column is dropped
    table = Table("root", "item", [columns[i] for i in kept])
    width = len(columns)
    for line, row in enumerate(rows, start=2):
        if len(row) > width:
            raise FormLoadError(where, key="formload.csv_row_width",
                                params={"line": line, "cells": len(row), "width": width})
        if not any(cell.strip() for cell in row):
            continue
        size = len(row)
        table.add_row(row if size == width == len(kept) else [row[i] if i < size else None for i in kept])
    return table.close()


def read_xml_instance(data: bytes, where: str) -> Instance:
    """The XML file's root: read as a stream of rows into a Table when it is rows of
    cells (kiosk.forms.table_read), else parsed whole as a tree."""
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException

    try:
        events = SafeET.iterparse(io.BytesIO(data), events=("start", "end"))
        table = table_from_events(events, _local)
        if table is not None:
            for _rest in events:  # none after the root: ends the parser, whose reference
                pass              # cycle would keep the file's bytes until a collection
            return table
        from kiosk.forms.xml_bounds import check_depth

        return strip_ns(check_depth(SafeET.fromstring(data), where))
    except (ET.ParseError, DefusedXmlException) as exc:
        raise FormLoadError(where, key="formload.instance_xml_unreadable",
                            params={"detail": str(exc)}) from None


def _local(tag: str) -> str:
    return tag[len(XF):] if tag.startswith(XF) else tag


def secondary_instances(model: ET.Element, media_dir: Path | None) -> tuple[dict[str, Instance], list[str]]:
    """(id -> instance, names of media files used). Unreadable files raise FormLoadError.
    An instance of rows is held as a Table (kiosk.forms.instance_table), any other shape
    as its root element."""
    out: dict[str, Instance] = {}
    used: list[str] = []
    for inst in model.findall(XF + "instance")[1:]:
        iid = inst.get("id")
        where = f"<instance id={iid!r}>"
        if not iid:
            raise FormLoadError("<instance>", key="formload.instance_no_id")
        src = inst.get("src")
        if src is None:
            children = list(inst)
            out[iid] = compact(strip_ns(children[0])) if children else ET.Element("root")
            continue
        name = media_name(src)
        used.append(name)
        if src.startswith("jr://file-csv/") or name.lower().endswith(".csv"):
            kind = "csv"
        elif src.startswith("jr://file/") and name.lower().endswith((".xml", ".geojson")):
            kind = name.lower().rsplit(".", 1)[-1]
        else:
            raise FormLoadError(where, key="formload.instance_src", params={"src": repr(src)})
        path = (media_dir / name) if media_dir is not None else None
        if media_dir is not None and path is not None and not path.resolve().is_relative_to(media_dir.resolve()):
            raise FormLoadError(where, key="formload.instance_media_leaves", params={"name": repr(name)})
        if path is None or not path.is_file():
            raise FormLoadError(where, key="formload.instance_media_missing", params={"name": repr(name)})
        if path.stat().st_size > MAX_MEDIA_BYTES:
            raise FormLoadError(where, key="formload.instance_media_large",
                                params={"name": repr(name), "mb": MAX_MEDIA_BYTES // 2**20})
        out[iid] = _READERS[kind](path.read_bytes(), f"{where} ({name})")
    return out, used


def compact(root: ET.Element) -> Instance:
    """``root`` as a Table when it is rows of cells, else as it is."""
    return table_from_element(root, _local) or root


def _read_geojson(data: bytes, where: str) -> Instance:
    from kiosk.forms.geojson_instance import read_geojson_instance

    return read_geojson_instance(data, where)


_READERS: dict[str, Callable[[bytes, str], Instance]] = {"csv": read_csv_instance, "xml": read_xml_instance, "geojson": _read_geojson}
