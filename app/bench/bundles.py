"""USB-bundle figures for ``kiosk bench`` (``run(quick, workdir) -> dict``), issue 20.

A queue of N submissions (100,000 in the full run, 2,000 in quick mode; every
50th with a 2 kB encrypted photo) goes through the real commands as fresh
processes: ``kiosk export`` → ``kiosk-central import`` → the same import again.
Each reports seconds and peak RSS (``ru_maxrss`` of that process alone); the
memory target holds for both sides whatever N is, since neither holds the item
list (signed chunked manifest, sync.bundles). ``exactly_once``: the server holds
N distinct submissions after both imports. The store's fsync is off only while
preparing the queue (a throwaway database), never while measuring.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.bench.sync import BENCH_PASSPHRASE, PASSPHRASE_ENV, _enrol, _fill, _server

TARGET_MB = 200
PHOTO_EVERY = 50

_MEASURED = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr[-2000:],
                  "seconds": time.perf_counter() - t, "peak_rss_mb": ru.ru_maxrss / 1024}))
"""


def _measured(*argv: str) -> dict[str, Any]:
    """``python -m argv`` in a fresh process: its output, seconds and peak RSS."""
    env = dict(os.environ)
    repo = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([repo, env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", _MEASURED, sys.executable, "-m", *argv],
                         capture_output=True, text=True, env=env, timeout=3600)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise RuntimeError(f"{argv[0]} {argv[1]} failed: {result['stderr'].strip()[-500:]}")
    return result


def _photos(store: Any, device: Any, agency: dict[str, Any], n: int) -> None:
    store.conn.execute("PRAGMA synchronous = OFF")  # preparation only
    for _ in range(n):
        draft = store.save_draft(None, form_id="bench", form_version="1", answers={})
        value = store.add_attachment(draft, os.urandom(2048), name="photo.jpg",
                                     media_type="image/jpeg", max_bytes=10**6)
        store.finalize({"form_id": "bench", "form_version": "1", "answers": {"photo": value}},
                       device=device, agency_jwk=agency, demo=False, draft_id=draft)
    store.conn.execute("PRAGMA synchronous = FULL")


def _figures(step: dict[str, Any]) -> dict[str, float]:
    return {"seconds": round(step["seconds"], 1), "peak_rss_mb": round(step["peak_rss_mb"], 1)}


def _round_trip(workdir: Path, n: int) -> dict[str, Any]:
    from kiosk.store import Store

    server = _server(workdir / "central")
    try:
        home, device, agency = _enrol(server, workdir / "kiosk")
        with Store.open(home) as store:
            photos = n // PHOTO_EVERY
            _fill(store, device, agency, n - photos)
            _photos(store, device, agency, photos)
        out = workdir / "usb.ndjson"
        data = str(server.central.settings.data_dir)
        export = _measured("app", "export", "--out", str(out), "--json",
                           "--home", str(home.root))
        first = _measured("central.cli", "import", str(out), "--json", "--data", data)
        again = _measured("central.cli", "import", str(out), "--json", "--data", data)
        with server.central.store.lock:
            rows, distinct = server.central.store.db.conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT submission_id) FROM submissions").fetchone()
    finally:
        server.stop()
    counts = (json.loads(first["stdout"])["counts"], json.loads(again["stdout"])["counts"])
    peak = max(s["peak_rss_mb"] for s in (export, first, again))
    exactly_once = rows == distinct == n and counts == ({"accepted": n}, {"duplicate": n})
    return {"items": n, "with_photo": photos, "bundle_mb": round(out.stat().st_size / 1e6, 1),
            "export": _figures(export), "import": _figures(first),
            "reimport": _figures(again), "exactly_once": exactly_once,
            "target_mb": TARGET_MB, "meets_target": exactly_once and peak <= TARGET_MB}


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    previous = os.environ.get(PASSPHRASE_ENV)
    os.environ[PASSPHRASE_ENV] = BENCH_PASSPHRASE  # bench homes use an encrypted file
    try:
        figures: dict[str, Any] = {"round_trip": _round_trip(workdir, 2_000 if quick else 100_000)}
    finally:
        if previous is None:
            os.environ.pop(PASSPHRASE_ENV, None)
        else:
            os.environ[PASSPHRASE_ENV] = previous
    if quick:
        figures["quick_note"] = "quick mode: 2,000 items instead of 100,000"
    return figures
