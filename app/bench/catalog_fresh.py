"""The first catalog load as a kiosk start pays it: in a fresh process, imports included.

A reload inside a warm process (``catalog_load_ms``) hides the import of the forms
engine and its validators; a kiosk pays those once at every start. The child times
from before ``import kiosk.forms`` to the loaded catalog; the parent also times the
whole child (interpreter start included) so the two can be compared.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from kiosk.forms import load_catalog
from kiosk.paths import bundled_catalog_dir
t1 = time.perf_counter()
catalog = load_catalog(bundled_catalog_dir())
t2 = time.perf_counter()
print(json.dumps({"imports_ms": (t1 - t0) * 1000, "load_ms": (t2 - t1) * 1000,
                  "forms": len(catalog.forms), "jsonschema": "jsonschema" in sys.modules}))
"""


def run_fresh(rounds: int) -> dict[str, Any]:
    repo = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([repo, os.environ.get("PYTHONPATH", "")]))
    inner: list[float] = []
    imports: list[float] = []
    whole: list[float] = []
    child: dict[str, Any] = {}
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                             env=env, timeout=120, check=True)
        whole.append((time.perf_counter() - t0) * 1000)
        child = json.loads(out.stdout.strip().splitlines()[-1])
        inner.append(child["imports_ms"] + child["load_ms"])
        imports.append(child["imports_ms"])
    return {
        "catalog_load_fresh_process_ms": round(statistics.median(inner), 1),
        "catalog_load_fresh_imports_ms": round(statistics.median(imports), 1),
        "catalog_load_fresh_with_interpreter_ms": round(statistics.median(whole), 1),
        "catalog_load_fresh_imports_jsonschema": child.get("jsonschema"),
        "catalog_load_fresh_rounds": rounds,
    }


TARGET_FRESH_MS = 150.0  # imports + first load; the home screen waits for it after first paint


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    figures = run_fresh(3 if quick else 10)
    figures["catalog_load_fresh_target_ms"] = TARGET_FRESH_MS
    figures["pass"] = {
        "fresh_load": figures["catalog_load_fresh_process_ms"] <= TARGET_FRESH_MS,
        "no_jsonschema_when_valid": figures["catalog_load_fresh_imports_jsonschema"] is False,
    }
    return figures
