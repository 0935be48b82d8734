"""``kiosk bench`` forms figure: importing an XLSForm against pyxform's own conversion.

Issue 22 bounds ``kiosk forms import`` at 1.5x what pyxform alone takes to turn
the same spreadsheet into an XForm (the kiosk's import is that conversion, its
settings check, the XForm reader and the expression compiler). Both are timed
in the same run on the same file (a generated XLSForm of 300 questions in
groups, with choices, relevance, constraints and a repeat), in CPU time
(the machine is shared: wall time swung 3x between runs), rounds interleaved
after a warm-up round, median, so the ratio does not depend on the machine.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

TARGET_RATIO = 1.5
QUESTIONS = 300


def _survey(n: int) -> tuple[list[list[str]], list[list[str]]]:
    survey = [["type", "name", "label::Mongolian (mn)", "label::English (en)", "relevant",
               "constraint", "calculation", "required"]]
    for g in range(n // 30):
        survey.append(["begin_group", f"g{g}", f"Бүлэг {g}", f"Group {g}",
                       f"${{q{g * 30 - 30}}} != 0" if g else "", "", "", ""])
        for k in range(30):
            i = g * 30 + k
            kind = ("integer", "text", "select_one yn", "select_multiple animals", "calculate")[k % 5]
            rel = f"${{q{i - 1}}} != ''" if k % 3 == 1 else ""
            con = ". >= 0 and . < 200" if kind == "integer" else ""
            calc = f"${{q{i - 5}}} + 1" if kind == "calculate" and i >= 5 else ("1" if kind == "calculate" else "")
            survey.append([kind, f"q{i}", f"Асуулт {i}", f"Question {i}", rel, con, calc,
                           "yes" if k % 7 == 0 and kind != "calculate" else ""])
        survey.append(["end_group", "", "", "", "", "", "", ""])
    survey += [["begin_repeat", "member", "Гишүүн", "Member", "", "", "", ""],
               ["text", "member_name", "Нэр", "Name", "", "", "", ""],
               ["integer", "member_age", "Нас", "Age", "", ". < 130", "", ""],
               ["end_repeat", "", "", "", "", "", "", ""]]
    choices = [["list_name", "name", "label::Mongolian (mn)", "label::English (en)"],
               ["yn", "yes", "Тийм", "Yes"], ["yn", "no", "Үгүй", "No"],
               *[["animals", a, a, a] for a in ("horse", "cow", "camel", "sheep", "goat")]]
    return survey, choices


def write_form(path: Path, n: int = QUESTIONS) -> Path:
    import openpyxl

    survey, choices = _survey(n)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in survey:
        ws.append(row)
    cs = wb.create_sheet("choices")
    for row in choices:
        cs.append(row)
    ss = wb.create_sheet("settings")
    ss.append(["form_title", "form_id", "version", "default_language"])
    ss.append(["Bench", "bench_import", "1", "Mongolian (mn)"])
    wb.save(path)
    return path


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    from pyxform.xls2xform import convert as pyxform_convert

    from kiosk.forms.local_catalog import check_source, read_source

    path = write_form(Path(workdir) / "bench_import.xlsx")
    rounds = 5 if quick else 15
    pyx: list[float] = []
    kiosk: list[float] = []
    form = check_source(read_source(path))  # warm-up: imports, caches
    for _ in range(rounds):
        started = time.process_time()
        pyxform_convert(str(path), warnings=[], validate=False, pretty_print=False)
        pyx.append(time.process_time() - started)
        started = time.process_time()
        form = check_source(read_source(path))
        kiosk.append(time.process_time() - started)
    ratio = statistics.median(kiosk) / statistics.median(pyx)
    return {
        "xlsform_import_questions": len(form.questions),
        "xlsform_pyxform_cpu_ms": round(statistics.median(pyx) * 1000, 1),
        "xlsform_import_cpu_ms": round(statistics.median(kiosk) * 1000, 1),
        "xlsform_import_vs_pyxform_ratio": round(ratio, 3),
        "xlsform_import_vs_pyxform_target": TARGET_RATIO,
    }
