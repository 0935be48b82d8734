"""``kiosk bench``: speed and memory figures as JSON (never timed assertions in tests).

Each area contributes a suite module exposing ``run(quick: bool, workdir: Path) -> dict``
whose dict holds figures (``*_ms``, ``*_per_s``, ``*_mb``), the targets they are
compared with, and ratios measured in the same run. The suites live in ``app.bench``
and are imported statically, inside the handler (they pull in the store, httpx, Qt):
``SUITES`` names them for ``--only``, ``_suites()`` maps each name to its module.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path
from types import ModuleType

from app.commands._common import add_json, print_json
from kiosk import __version__

# Order is the order of the report.
SUITES = ("forms", "catalog", "store", "sync", "bundles", "stall", "pin", "odk", "ui", "central",
          "hostile")


def _suites() -> dict[str, ModuleType]:
    from app.bench import (
        bundles,
        catalog_fresh,
        central,
        forms,
        hostile,
        odk,
        pin,
        stall,
        store,
        sync,
        ui,
    )

    suites = {
        "forms": forms,
        "catalog": catalog_fresh,
        "store": store,
        "sync": sync,
        "bundles": bundles,  # a USB bundle of N items: export, import, re-import
        "stall": stall,  # a black-holed 2G link: how long a round is held
        "pin": pin,  # what one staff PIN guess costs
        "odk": odk,  # against the real ODK Central, when it is on this machine
        "ui": ui,
        "central": central,  # kiosk-central: 1 SQLite node, 1 and 2 PostgreSQL nodes
        "hostile": hostile,  # kiosk-central under forged requests and idle sockets
    }
    assert tuple(suites) == SUITES
    return suites


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure speed and memory; prints JSON figures")
    p.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    p.add_argument(
        "--only", action="append", choices=sorted(SUITES), help="run only these suites"
    )
    p.add_argument("--out", metavar="FILE", help="also write the JSON figures to FILE")
    add_json(p)
    p.set_defaults(func=run)


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
    for name, module in _suites().items():
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"kiosk-bench-{name}-") as tmp:
            figures = module.run(bool(args.quick), Path(tmp))
        figures["suite_seconds"] = round(time.perf_counter() - started, 2)
        suites[name] = figures
    report["suites"] = suites
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    print_json(report)
    return 0
