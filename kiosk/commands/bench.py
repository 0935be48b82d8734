"""``kiosk bench``: speed and memory figures as JSON (never timed assertions in tests).

Each area contributes a suite module exposing ``run(quick: bool, workdir: Path) -> dict``
whose dict holds figures (``*_ms``, ``*_per_s``, ``*_mb``), the targets they are
compared with, and ratios measured in the same run. Suites from ``sync`` and ``ui``
are found by name at run time, like their commands.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import platform
import tempfile
import time
from pathlib import Path

from kiosk import __version__
from kiosk.commands._common import add_json, print_json

SUITES = {
    "forms": "kiosk.bench.forms",
    "catalog": "kiosk.bench.catalog_fresh",
    "store": "kiosk.bench.store",
    "sync": "sync.bench",
    "stall": "sync.bench_stall",  # a black-holed 2G link: how long a round is held
    "pin": "kiosk.bench.pin",  # what one staff PIN guess costs
    "odk": "sync.odk.bench",  # against the real ODK Central, when it is on this machine
    "ui": "ui.bench",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure speed and memory; prints JSON figures")
    p.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    p.add_argument(
        "--only", action="append", choices=sorted(SUITES), help="run only these suites"
    )
    p.add_argument("--out", metavar="FILE", help="also write the JSON figures to FILE")
    add_json(p)
    p.set_defaults(func=run)


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def run(args: argparse.Namespace) -> int:
    import json

    report: dict[str, object] = {
        "version": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "quick": bool(args.quick),
        "suites": {},
    }
    suites: dict[str, object] = {}
    for name, module in SUITES.items():
        if args.only and name not in args.only:
            continue
        if not _available(module):
            suites[name] = {"skipped": "not in this build"}
            continue
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"kiosk-bench-{name}-") as tmp:
            figures = importlib.import_module(module).run(bool(args.quick), Path(tmp))
        figures["suite_seconds"] = round(time.perf_counter() - started, 2)
        suites[name] = figures
    report["suites"] = suites
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    print_json(report)
    return 0
