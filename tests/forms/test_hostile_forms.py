"""Issue 21: no form can freeze or flood the kiosk — counted repeats capped from the first
item and across nesting, regex() in linear time, deep XML a one-line refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.bench.hostile_forms import counted_form  # the same forms the bench measures
from kiosk.forms.model import FormLoadError
from kiosk.forms.repeat_count import MAX_ITEMS, MAX_TOTAL_ITEMS
from kiosk.forms.session import FormSession
from kiosk.forms.xform_read import read_xform

HEAD = ('<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" '
        'xmlns:jr="http://openrosa.org/javarosa">')


def regex_form(pattern: str) -> bytes:
    return (f'{HEAD}<h:head><h:title>t</h:title><model><instance><data id="t"><a/>'
            '<meta><instanceID/></meta></data></instance>'
            f'<bind nodeset="/data/a" type="string" constraint="regex(., \'{pattern}\')"/>'
            '</model></h:head><h:body><input ref="/data/a"><label>a</label></input>'
            '</h:body></h:html>').encode()


@pytest.mark.timeout(60)
def test_a_billion_count_is_capped_before_the_first_item() -> None:
    session = FormSession(read_xform(counted_form("1000000000"), source="t.xml"))
    assert session.item_count("r0") == MAX_ITEMS
    assert len(session.screens()) <= MAX_ITEMS + 2
    errors = session.errors()
    assert any("more entries than a kiosk holds" in m or "багтаах" in m
               for m in errors.values()), errors


@pytest.mark.timeout(60)
def test_nested_counts_do_not_multiply_past_the_session_cap() -> None:
    session = FormSession(read_xform(counted_form("60", levels=3), source="t.xml"))
    assert sum(session._counts.values()) <= MAX_TOTAL_ITEMS
    assert len(session.screens()) <= MAX_TOTAL_ITEMS + 200
    assert session.add_item("r0") is None  # no room left for the resident either


@pytest.mark.timeout(60)
def test_catastrophic_regex_runs_in_linear_time() -> None:
    form = read_xform(regex_form("(a+)+$"), source="t.xml")
    session = FormSession(form)
    session.set_answer("a", "a" * 5000 + "!")  # backtracking: 2^5000 steps
    assert session.errors()  # evaluated, and the constraint says no


def test_a_pattern_that_cannot_run_safely_is_refused_at_import() -> None:
    with pytest.raises(FormLoadError) as err:
        read_xform(regex_form(r"(a)\1"), source="t.xml")
    assert "regular expression" in str(err.value)


def test_deep_xml_is_one_refusal_not_a_crash() -> None:
    deep = (f'{HEAD}<h:head><h:title>t</h:title><model><instance><data id="t">'
            + "<x>" * 5000 + "</x>" * 5000 +
            '</data></instance></model></h:head><h:body/></h:html>').encode()
    with pytest.raises(FormLoadError) as err:
        read_xform(deep, source="t.xml")
    assert "deep" in str(err.value)


def _formatted_to_the_last_row(path: Path) -> Path:
    """The household XLSForm with one styled empty cell at row 1,048,576 of each sheet
    (what a spreadsheet program leaves after formatting a whole column)."""
    import openpyxl
    from openpyxl.styles import Font

    from tests.forms.xlsform_builders import household_form

    household_form(path)
    book = openpyxl.load_workbook(path)
    for name in ("survey", "choices", "settings"):
        book[name].cell(row=1_048_576, column=1).font = Font(bold=True)
    book.save(path)
    return path


@pytest.mark.timeout(300)
def test_a_spreadsheet_formatted_to_the_last_row_is_read_by_its_used_cells(tmp_path: Path) -> None:
    import tracemalloc

    from kiosk.forms.xlsform import convert, sheet_rows

    path = _formatted_to_the_last_row(tmp_path / "formatted.xlsx")
    tracemalloc.start()
    try:
        rows = sheet_rows(path, "survey")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 20 <= len(rows) < 100, len(rows)
    assert peak < 20 * 1024 * 1024, f"{peak / 2**20:.0f} MB to read a 30-row sheet"
    assert b"household_survey" in convert(path)


def test_a_zip_bomb_spreadsheet_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    import zipfile

    from kiosk.forms.xlsform import MAX_UNPACKED_BYTES, XlsFormError, convert
    from tests.forms.xlsform_builders import household_form

    path = household_form(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("xl/padding.xml", "w", force_zip64=True) as out:
        block = b" " * (1 << 20)
        for _ in range(MAX_UNPACKED_BYTES // len(block) + 8):
            out.write(block)
    assert path.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(XlsFormError) as err:
        convert(path)
    assert "unpacks to more than" in str(err.value)


def test_a_malformed_xls_is_one_line_not_exit_70(kiosk_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "broken.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)  # an OLE header, no body
    result = kiosk_cli("forms", "check", str(bad))
    assert result.returncode not in (0, 70), result
    assert "Traceback" not in result.stderr and "broken.xls" in result.stdout + result.stderr
