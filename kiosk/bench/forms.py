"""Forms bench: re-evaluation after one answer on a synthetic 300-question form, and
loading the whole bundled catalog.

``reeval_300q_*``: one ``set_answer`` followed by bringing the whole form up to date
(every question's visibility, value, errors and the screen list), as the UI does after
each answer. The answers cycle over every answerable question, so the figure covers
answers with few and with many dependents. ``reeval_300q_full_*`` is the same with
the cache dropped (everything re-evaluated): the ratio shows what the dependency
graph saves. ``catalog_load_ms`` is a cold load (compiled-form cache cleared);
``catalog_load_warm_ms`` reuses compiled forms by content hash.
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

TARGET_REEVAL_MS = 2.0
TARGET_CATALOG_MS = 50.0


def synthetic_form(questions: int = 300) -> dict[str, Any]:
    """Pages of 30: an integer hub per page plus text, integer, select, date and
    calculated questions whose relevance, constraints and calculations use it."""
    def tx(s: str) -> dict[str, str]:
        return {"mn": s, "en": s}

    choices = [{"value": f"c{i}", "label": tx(f"C{i}"), "group": f"g{i % 3}"} for i in range(12)]
    pages: list[dict[str, Any]] = []
    n = 0
    while n < questions:
        p = len(pages)
        hub = f"p{p}_hub"
        qs: list[dict[str, Any]] = [
            {"name": hub, "type": "integer", "label": tx("hub"), "required": True,
             "constraint": ". >= 0 and . < 1000"}
        ]
        n += 1
        for i in range(1, 30):
            if n >= questions:
                break
            name = f"p{p}_q{i}"
            kind = i % 6
            if kind == 0:
                q = {"name": name, "type": "text", "label": tx(name),
                     "relevant": f"${{{hub}}} > {i}", "constraint": "string-length(.) < 40"}
            elif kind == 1:
                q = {"name": name, "type": "integer", "label": tx(name),
                     "constraint": f". <= ${{{hub}}} * 10", "required": f"${{{hub}}} > 5"}
            elif kind == 2:
                q = {"name": name, "type": "select_one", "label": tx(name), "choices": "opts",
                     "choice_filter": f"group = concat('g', ${{{hub}}} mod 3)"}
            elif kind == 3:
                q = {"name": name, "type": "date", "label": tx(name),
                     "constraint": ". <= today()", "relevant": f"not(${{{hub}}} = 7)"}
            elif kind == 4:
                prev = f"p{p}_q{i - 3}"
                q = {"name": name, "type": "integer", "label": tx(name),
                     "calculate": f"if(${{{prev}}} = '', 0, ${{{prev}}} + ${{{hub}}})"}
            else:
                older = f"p{p}_q{i - 5}" if i > 5 else hub
                q = {"name": name, "type": "text", "label": tx(name),
                     "calculate": f"concat('#', ${{{hub}}}, '-', string-length(${{{older}}}))"}
            qs.append(q)
            n += 1
        relevant = f"${{p{p - 1}_hub}} != 13" if p else ""
        pages.append({"name": f"page{p}", "title": tx(f"Page {p}"), "relevant": relevant,
                      "questions": qs})
    return {"format": 1, "id": "synthetic-300", "version": "1", "title": tx("Synthetic"),
            "category": "bench", "agency": "bench", "choice_lists": {"opts": choices},
            "pages": pages}


def _sample_answer(qtype: str, k: int) -> Any:
    if qtype == "integer":
        return k % 50
    if qtype == "text":
        return f"answer {k}"
    if qtype == "select_one":
        return f"c{k % 12}"
    if qtype == "date":
        return f"2020-01-{1 + k % 28:02d}"
    return None


def _refresh(session: Any) -> None:
    """What a UI does after an answer: screens, visibility, values and errors everywhere."""
    session.screens()
    session.errors()
    for name in session.form.questions:
        session.value(name)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    from kiosk.forms import FormSession, load_catalog
    from kiosk.forms import loader as forms_loader
    from kiosk.forms.expr_check import compile_form
    from kiosk.forms.model import build_form
    from kiosk.paths import bundled_catalog_dir

    form = build_form(synthetic_form(300))
    compile_form(form)
    session = FormSession(form, "mn", today=date(2026, 11, 26))
    answerable = [q for q in form.questions.values() if not q.calculate]
    rounds = 200 if quick else 1500
    _refresh(session)
    times: list[float] = []
    for k in range(rounds):
        q = answerable[k % len(answerable)]
        value = _sample_answer(q.type, k)
        started = time.perf_counter()
        session.set_answer(q.name, value)
        _refresh(session)
        times.append((time.perf_counter() - started) * 1000)

    full: list[float] = []
    for k in range(max(20, rounds // 20)):
        q = answerable[k % len(answerable)]
        started = time.perf_counter()
        session.set_answer(q.name, _sample_answer(q.type, k + 1))
        session._clear()  # drop every cached result: the no-dependency-graph baseline
        _refresh(session)
        full.append((time.perf_counter() - started) * 1000)

    folder = bundled_catalog_dir()
    cold: list[float] = []
    warm: list[float] = []
    loads = 10 if quick else 40
    problems = 0
    for _ in range(loads):
        forms_loader._compiled.clear()
        started = time.perf_counter()
        catalog = load_catalog(folder)
        cold.append((time.perf_counter() - started) * 1000)
        problems = len(catalog.problems)
        started = time.perf_counter()
        load_catalog(folder)
        warm.append((time.perf_counter() - started) * 1000)

    median = statistics.median(times)
    full_median = statistics.median(full)
    return {
        "synthetic_questions": len(form.questions),
        "reeval_300q_median_ms": round(median, 3),
        "reeval_300q_p99_ms": round(_percentile(times, 99), 3),
        "reeval_300q_target_ms": TARGET_REEVAL_MS,
        "reeval_300q_full_median_ms": round(full_median, 3),
        "reeval_incremental_speedup": round(full_median / median, 1) if median else None,
        "catalog_forms": len(catalog.forms),
        "catalog_problems": problems,
        "catalog_load_ms": round(statistics.median(cold), 3),
        "catalog_load_p99_ms": round(_percentile(cold, 99), 3),
        "catalog_load_warm_ms": round(statistics.median(warm), 3),
        "catalog_load_target_ms": TARGET_CATALOG_MS,
    }
