"""Hostile forms bench (issue 21): what a form built to hurt the kiosk costs now.

Figures (part of the ``forms`` suite):

``choice_csv_{N}_rows_*``: a choices CSV of N rows (name, label, filter column) read as a
secondary instance and the form around it built: seconds (wall clock, no tracing) and,
under tracemalloc, the memory held afterwards and at the peak as a multiple of the
file's size; ``_filter_ms`` the first filtered list (it orders the filter column) and
``_open_filter_peak_x_file`` the peak of load, session and that filter together.
Issue 21 asks ≤ 1 s for 100,000 rows and ≤ 10× the file in memory (``_meets_target``;
the time one judged on ``_cpu_s``, the process's CPU time: on a busy machine the wall
clock mostly measures the others). Before the Table (issue 21 item 5): 8 MB held
49.7×, peak 51×, 1.59 s CPU; 100,000 rows 0.52 s CPU, 54×. ``choice_xml_*`` /
``choice_geojson_*``: the same 100,000 places as an XML file (streamed into a table;
was ~16× at the peak as a tree) and as GeoJSON (~12× before).

``regex_redos_{n}_chars_ms``: ``regex(., '(a+)+$')`` on n characters that do not match
(a backtracking engine took 63 s at 30).

``repeat_count_1e9_*`` / ``repeat_nested_3x60_*``: starting a session of a form whose
``jr:count`` is 10^9, or three nested repeats of 60: milliseconds, items made, screens.

``xlsx_formatted_last_row_*`` / ``xlsx_zip_bomb_*``: converting a spreadsheet whose
formatting reaches row 1,048,576 (was 60–150 s and 8.6 GiB), refusing one that unpacks
past the bound: seconds and the traced peak in MB.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

TARGET_X_FILE = 10  # issue 21: choices held in at most 10x the file's size
TARGET_LOAD_S = 1.0  # issue 21: a 100,000-row list loads in at most a second
HEAD = ('<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" '
        'xmlns:jr="http://openrosa.org/javarosa">')


def _traced(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, MB held after, MB at the peak)."""
    tracemalloc.start()
    try:
        result = fn()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, held / 2**20, peak / 2**20


def choices_form(rows: int, folder: Path) -> bytes:
    """A form choosing a place from ``places.csv`` (``rows`` rows, 50 districts), filtered
    by the district typed first (the bench and its memory test)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "places.csv", "w", encoding="utf-8") as fh:
        fh.write("name,label,district\n")
        for i in range(rows):
            fh.write(f"p{i},Газар {i},d{i % 50}\n")
    return (f'{HEAD}<h:head><h:title>t</h:title><model><instance><data id="t"><d/><p/>'
            '<meta><instanceID/></meta></data></instance>'
            '<instance id="places" src="jr://file-csv/places.csv"/>'
            '<bind nodeset="/data/d" type="string"/><bind nodeset="/data/p" type="string"/>'
            '</model></h:head><h:body><input ref="/data/d"><label>d</label></input>'
            '<select1 ref="/data/p"><label>p</label>'
            "<itemset nodeset=\"instance('places')/root/item[district = /data/d]\">"
            '<value ref="name"/><label ref="label"/></itemset></select1></h:body></h:html>'
            ).encode()


def _choices(rows: int, workdir: Path) -> dict[str, Any]:
    from kiosk.forms.session import FormSession
    from kiosk.forms.xform_read import read_xform

    folder = workdir / f"choices-{rows}"
    xml = choices_form(rows, folder)
    size = (folder / "places.csv").stat().st_size
    started, cpu = time.perf_counter(), time.process_time()
    form = read_xform(xml, source="t.xml", media_dir=folder)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    session = FormSession(form, "en")
    session.set_answer("d", "d7")
    started = time.perf_counter()
    shown = len(session.choices("p"))  # the first filter orders the district column
    filter_ms = (time.perf_counter() - started) * 1000
    _, held, peak = _traced(lambda: read_xform(xml, source="t.xml", media_dir=folder))
    _, _, used_peak = _traced(lambda: _open_and_filter(xml, folder, FormSession))
    mb = size / 2**20
    p = f"choice_csv_{rows}_rows"
    return {f"{p}_file_mb": round(mb, 2),
            f"{p}_load_s": round(seconds, 2),
            f"{p}_load_cpu_s": round(cpu, 2),
            f"{p}_held_x_file": round(held / mb, 1),
            f"{p}_peak_x_file": round(peak / mb, 1),
            f"{p}_filter_ms": round(filter_ms, 1),
            f"{p}_filter_shown": shown,
            f"{p}_open_filter_peak_x_file": round(used_peak / mb, 1),
            f"{p}_target_x_file": TARGET_X_FILE,
            f"{p}_memory_meets_target": max(peak, used_peak) / mb <= TARGET_X_FILE,
            **({f"{p}_load_target_s": TARGET_LOAD_S,
                f"{p}_load_meets_target": cpu <= TARGET_LOAD_S} if rows == 100_000 else {})}


def _open_and_filter(xml: bytes, folder: Path, session_type: Any) -> int:
    from kiosk.forms.xform_read import read_xform

    session = session_type(read_xform(xml, source="t.xml", media_dir=folder), "en")
    session.set_answer("d", "d7")
    return len(session.choices("p"))


def _choice_files(rows: int, workdir: Path) -> dict[str, Any]:
    """The same places as an XML file and as GeoJSON, read as secondary instances."""
    from kiosk.forms.xform_instances import _read_geojson, read_xml_instance

    xml, geojson = workdir / f"places-{rows}.xml", workdir / f"places-{rows}.geojson"
    with open(xml, "w", encoding="utf-8") as fh:
        fh.write("<root>")
        for i in range(rows):
            fh.write(f"<item><name>p{i}</name><label>Газар {i}</label><district>d{i % 50}</district></item>")
        fh.write("</root>")
    with open(geojson, "w", encoding="utf-8") as fh:
        fh.write('{"type": "FeatureCollection", "features": [')
        fh.write(",".join(
            f'{{"type": "Feature", "geometry": {{"type": "Point", "coordinates": [106.9, 47.9]}}, '
            f'"properties": {{"name": "p{i}", "label": "Газар {i}", "district": "d{i % 50}"}}}}'
            for i in range(rows)))
        fh.write("]}")
    out: dict[str, Any] = {}
    readers: list[tuple[str, Path, Callable[[bytes, str], Any]]] = [
        ("xml", xml, read_xml_instance), ("geojson", geojson, _read_geojson)]
    for kind, path, read in readers:
        mb = path.stat().st_size / 2**20
        cpu = time.process_time()
        read(path.read_bytes(), path.name)
        cpu = time.process_time() - cpu
        _, held, peak = _traced(partial(_read_file, read, path))
        p = f"choice_{kind}_{rows}_rows"
        out.update({f"{p}_file_mb": round(mb, 2), f"{p}_load_cpu_s": round(cpu, 2),
                    f"{p}_held_x_file": round(held / mb, 1), f"{p}_peak_x_file": round(peak / mb, 1),
                    f"{p}_memory_meets_target": peak / mb <= TARGET_X_FILE})
    return out


def _read_file(read: Callable[[bytes, str], Any], path: Path) -> Any:
    return read(path.read_bytes(), path.name)


def _regex() -> dict[str, Any]:
    from kiosk.forms.regex_safe import matches

    out: dict[str, Any] = {}
    for n in (30, 100_000):
        started = time.perf_counter()
        matches("(a+)+$", "a" * n + "!")
        out[f"regex_redos_{n}_chars_ms"] = round((time.perf_counter() - started) * 1000, 3)
    return out


def counted_form(count: str, levels: int = 1) -> bytes:
    """``levels`` nested repeats, each with jr:count=``count`` (the bench and its tests)."""
    def path(level: int) -> str:
        return "/data/" + "/".join(f"r{i}" for i in range(level + 1))

    def inst(level: int) -> str:
        inner = inst(level + 1) if level + 1 < levels else ""
        return f'<r{level} jr:template=""><x{level}/>{inner}</r{level}>'

    def body(level: int) -> str:
        inner = body(level + 1) if level + 1 < levels else ""
        return (f'<group ref="{path(level)}"><label>R</label><repeat nodeset="{path(level)}" '
                f'jr:count="{count}"><input ref="{path(level)}/x{level}"><label>x</label>'
                f'</input>{inner}</repeat></group>')

    return (f'{HEAD}<h:head><h:title>t</h:title><model><instance><data id="t">{inst(0)}'
            '<meta><instanceID/></meta></data></instance></model></h:head>'
            f'<h:body>{body(0)}</h:body></h:html>').encode()


def _repeats() -> dict[str, Any]:
    from kiosk.forms.session import FormSession
    from kiosk.forms.xform_read import read_xform

    out: dict[str, Any] = {}
    for label, count, levels in (("repeat_count_1e9", "1000000000", 1),
                                 ("repeat_nested_3x60", "60", 3)):
        form = read_xform(counted_form(count, levels), source="t.xml")
        started = time.perf_counter()
        session = FormSession(form)
        screens = len(session.screens())
        out[f"{label}_start_ms"] = round((time.perf_counter() - started) * 1000, 1)
        out[f"{label}_items"] = sum(session._counts.values())
        out[f"{label}_screens"] = screens
    return out


def _spreadsheets(workdir: Path) -> dict[str, Any]:
    import zipfile

    import openpyxl
    from openpyxl.styles import Font

    from kiosk.forms.xlsform import MAX_UNPACKED_BYTES, XlsFormError, convert

    path = workdir / "formatted.xlsx"
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "name", "Name"])
    survey.cell(row=1_048_576, column=16_384).font = Font(bold=True)
    book.create_sheet("settings").append(["form_id"])
    book["settings"].append(["formatted"])
    book.save(path)
    convert(path)  # pyxform imported: the figures are the conversion's own
    started = time.perf_counter()
    convert(path)
    seconds = time.perf_counter() - started
    _, _, peak = _traced(lambda: convert(path))
    out: dict[str, Any] = {"xlsx_formatted_last_row_s": round(seconds, 2),
                           "xlsx_formatted_last_row_peak_mb": round(peak, 1)}
    bomb = workdir / "bomb.xlsx"
    bomb.write_bytes(path.read_bytes())
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("xl/padding.xml", "w", force_zip64=True) as fh:
        block = b" " * 2**20
        for _ in range(MAX_UNPACKED_BYTES // len(block) + 8):
            fh.write(block)
    started = time.perf_counter()
    try:
        convert(bomb)
        refused = False
    except XlsFormError:
        refused = True
    out.update({"xlsx_zip_bomb_file_kb": round(bomb.stat().st_size / 1024),
                "xlsx_zip_bomb_refused": refused,
                "xlsx_zip_bomb_s": round(time.perf_counter() - started, 2)})
    return out


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for rows in (100_000,) if quick else (100_000, 290_000):  # 290k rows: the 8 MB CSV
        figures.update(_choices(rows, workdir))
    figures.update(_choice_files(100_000, workdir))
    figures.update(_regex())
    figures.update(_repeats())
    figures.update(_spreadsheets(workdir))
    return figures
