"""``kiosk --lang mn forms import/check`` on broken form files: every problem and warning line
is Mongolian and names its place in Mongolian (issue 18).

Each broken file is imported by the real command line (a subprocess). A line passes when
it holds Cyrillic, names no ``$``, names the place ("хуудас survey, мөр 3, багана type")
and holds no English sentence (three Latin-script words in a row) outside quotes: a
converter's or the expression checker's own sentence is kept, quoted, as the detail.
The same file in English gives the English line, so a case cannot pass by printing the
same text in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.forms.xlsform_builders import (
    broken_reference_form,
    broken_settings_form,
    broken_survey_form,
    required_barcode_form,
    write_xlsform,
)

CYRILLIC = re.compile(r"[\u0400-\u04FF]")
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'|«[^»]*»")


def english_sentences(line: str) -> list[str]:
    """Runs of three or more Latin-script words outside quotes (a name is one word)."""
    words = QUOTED.sub(" | ", line).split()
    runs, run = [], []
    for word in words:
        if re.fullmatch(r"[A-Za-z]+", word.strip("()[],;:.")):
            run.append(word)
            continue
        if len(run) >= 3:
            runs.append(" ".join(run))
        run = []
    if len(run) >= 3:
        runs.append(" ".join(run))
    return runs


def test_the_sentence_check_can_fail() -> None:
    assert english_sentences("bad.xlsx: $: not a readable .xlsx file (not a zip archive)") == [
        "not a readable .xlsx file (not a zip archive)"]
    assert english_sentences('x: хөрвүүлэгч: "Unknown question type \'b\'."') == []


def _no_survey(path: Path) -> Path:
    """A workbook with a choices sheet and no survey sheet."""
    import openpyxl

    write_xlsform(path, [["list_name", "name", "label"], ["yn", "yes", "Yes"]])
    book = openpyxl.load_workbook(path)
    book["survey"].title = "choices"
    book.save(path)
    return path


def _pastel(path: Path) -> Path:
    """A choice_filter on a column no choice has (row 3): imported with a warning."""
    return write_xlsform(path, [["type", "name", "label", "choice_filter", "required"],
                                ["select_one colors", "color", "Colour?", "", ""],
                                ["select_one colors", "pastel", "Pastel?", "pastel=yes", "yes"]],
                         [["list_name", "name", "label", "pastel"],
                          ["colors", "red", "Red", "no"], ["colors", "mauve", "Mauve", "yes"]])


def _duplicate(path: Path) -> Path:
    return write_xlsform(path, [["type", "name", "label"], ["text", "a", "A"], ["integer", "a", "B"]])


def _bad_expression(path: Path) -> Path:
    return write_xlsform(path, [["type", "name", "label", "constraint"],
                                ["integer", "age", "Age", "foo(.) > 1"]])


def _write(content: bytes) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        path.write_bytes(content)
        return path
    return write


# file name, how it is made, the place named in Mongolian ("" for the whole file)
CASES = [
    ("bad.xlsx", _write(b"not a zip archive"), ""),
    ("villages.csv", _write(b"aimag,soum\n"), ""),
    ("nosurvey.xlsx", _no_survey, "хуудас survey"),
    ("unknown_type.xlsx", broken_survey_form, "хуудас survey, мөр 3, багана type"),
    ("pastel.xlsx", _pastel, "хуудас survey, мөр 3, багана choice_filter"),
    ("bad.xml", _write(b"<h:html xmlns:h='http://www.w3.org/1999/xhtml'><h:head>"), "XML-ийн мөр 1"),
    ("nohead.xml", _write(b"<h:html xmlns:h='http://www.w3.org/1999/xhtml'><h:head/></h:html>"),
     "элемент <h:head>"),
    ("duplicate.xlsx", _duplicate, "хуудас survey, мөр 3, багана name"),
    ("reference.xlsx", broken_reference_form, "хуудас survey, мөр 3, багана relevant"),
    ("expression.xlsx", _bad_expression, "хуудас survey, мөр 2, багана constraint"),
    ("barcode.xlsx", required_barcode_form, "хуудас survey, мөр 3"),
    ("settings.xlsx", broken_settings_form, "хуудас settings, мөр 2, багана public_key"),
]


def _lines(result: object, name: str) -> list[str]:
    text = f"{getattr(result, 'stdout', '')}\n{getattr(result, 'stderr', '')}"
    return [ln for ln in text.splitlines() if ln.startswith(f"{name}: ")]


@pytest.mark.parametrize(("name", "make", "place"), CASES, ids=[c[0] for c in CASES])
def test_each_problem_is_mongolian_and_names_its_place(kiosk_cli, tmp_path: Path, isolated_home: Path,  # type: ignore[no-untyped-def]
                                                       name: str, make: Callable[[Path], Path],
                                                       place: str) -> None:
    path = make(tmp_path / name)
    for verb in ("import", "check"):
        result = kiosk_cli("--lang", "mn", "forms", verb, str(path))
        assert "Traceback" not in result.stderr, result.stderr
        told = [ln for ln in _lines(result, name) if place in ln]
        told = [ln for ln in told if "анхааруулга" in ln] if name == "pastel.xlsx" else told
        assert told, f"{verb} {name}: no line naming {place!r}: {result.stdout}{result.stderr}"
        for line in told:
            assert CYRILLIC.search(line), line
            assert english_sentences(line) == [], line
            assert "$" not in line, line
        english = kiosk_cli("--lang", "en", "forms", verb, str(path))
        assert not set(told) & set(_lines(english, name)), told
