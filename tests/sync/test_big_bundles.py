"""USB bundles of any size (issue 20): real kiosk, real `kiosk export` and
`kiosk-central import` subprocesses, a real central store.

A bundle's manifest is signed in chunks (sync.bundles), so 5,000 items (100,000 in
the slow test) export, import and re-import exactly once — before, a manifest over
~727 items failed joserfc's default payload limit and nothing was ever imported.
Also: export writes only items in no earlier bundle unless --all, a killed export's
`.part` files are removed by the next one, chunks cannot be dropped or reordered
unnoticed, format-1 bundles still import.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sync import bundles
from tests.sync.helpers import finalize

REPO = Path(__file__).resolve().parents[2]


def _run(*argv: str, timeout: float = 580) -> tuple[subprocess.CompletedProcess, dict]:
    """``argv`` as a child of a fresh wrapper process: (result, {seconds, peak_rss_mb})."""
    wrapper = ("import resource, subprocess, sys, time, json\n"
               "t = time.monotonic()\n"
               "r = subprocess.run(sys.argv[1:])\n"
               "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "print(json.dumps({'seconds': round(time.monotonic() - t, 2), "
               "'peak_rss_mb': round(ru.ru_maxrss / 1024, 1)}), file=sys.stderr)\n"
               "sys.exit(r.returncode)\n")
    res = subprocess.run([sys.executable, "-c", wrapper, sys.executable, *argv],
                         capture_output=True, text=True, timeout=timeout, cwd=REPO)
    assert "Traceback" not in res.stderr, res.stderr[-2000:]
    figures = json.loads(res.stderr.strip().splitlines()[-1])
    return res, figures


def _export(*extra: str, out: Path) -> tuple[dict, dict]:
    res, figures = _run("-m", "app", "export", "--out", str(out), "--json", *extra)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout), figures


def _import(server, bundle: Path) -> tuple[dict, dict]:
    res, figures = _run("-m", "central.cli", "import", str(bundle), "--json", "--data",
                        str(server.central.settings.data_dir))
    report = json.loads(res.stdout)
    assert res.returncode == 0, (report["errors"], report["results"][:5])
    return report, figures


def _server_rows(server) -> tuple[int, int]:
    with server.central.store.lock:
        row = server.central.store.db.conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT submission_id) FROM submissions").fetchone()
    return int(row[0]), int(row[1])


def _fill(kiosk, n: int, *, every_attachment: int = 50) -> list[str]:
    """``n`` sealed submissions; every ``every_attachment``-th has an encrypted photo."""
    ids: list[str] = []
    with kiosk.store() as store:
        for i in range(n):
            if i % every_attachment != every_attachment - 1:
                ids += finalize(kiosk, store, 1, size=50)
                continue
            draft = store.save_draft(None, form_id="test-form", form_version="1", answers={})
            value = store.add_attachment(draft, os.urandom(2048) + i.to_bytes(4, "big"),
                                         name="photo.jpg", media_type="image/jpeg",
                                         max_bytes=10**6)
            env = store.finalize({"form_id": "test-form", "form_version": "1",
                                  "answers": {"photo": value}}, device=kiosk.device,
                                 agency_jwk=kiosk.agency_jwk, demo=False, draft_id=draft)
            ids.append(env.submission_id)
    return ids


def _round_trip(server, kiosk, tmp_path: Path, n: int) -> dict[str, Any]:
    ids = _fill(kiosk, n)
    out = tmp_path / "usb" / "queue.ndjson"
    out.parent.mkdir()
    info, export_fig = _export(out=out)
    assert info["count"] == n
    report, import_fig = _import(server, out)
    assert report["manifest_verified"] and report["errors"] == []
    assert report["counts"] == {"accepted": n} and report["results"] == []
    again, reimport_fig = _import(server, out)
    assert again["counts"] == {"duplicate": n}
    assert _server_rows(server) == (n, n)  # exactly once: 0 lost, 0 duplicated
    with server.central.store.lock:
        stored = {r[0] for r in server.central.store.db.conn.execute(
            "SELECT submission_id FROM submissions")}
    assert stored == set(ids)
    return {"items": n, "bundle_mb": round(out.stat().st_size / 1e6, 1),
            "export": export_fig, "import": import_fig, "reimport": reimport_fig}


def test_5000_item_bundle_imports_exactly_once(server, kiosk, tmp_path):
    figures = _round_trip(server, kiosk, tmp_path, 5_000)
    print("\n5k bundle:", json.dumps(figures))
    again, _ = _export(out=tmp_path / "usb" / "second.ndjson")
    assert again["count"] == 0  # every item is in the earlier bundle already
    everything, _ = _export("--all", out=tmp_path / "usb" / "all.ndjson")
    assert everything["count"] == 5_000


@pytest.mark.slow
@pytest.mark.timeout(1200)  # ~100k finalizes, then export, import and re-import
def test_100000_item_bundle_imports_exactly_once(server, kiosk, tmp_path):
    start = time.monotonic()
    figures = _round_trip(server, kiosk, tmp_path, 100_000)
    figures["whole_test_seconds"] = round(time.monotonic() - start, 1)
    print("\n100k bundle:", json.dumps(figures))


def test_export_leaves_out_items_in_an_earlier_bundle(server, kiosk, tmp_path):
    first = _fill(kiosk, 3)
    a, _ = _export(out=tmp_path / "a.ndjson")
    assert sorted(a["submission_ids"]) == sorted(first)
    second = _fill(kiosk, 2)
    b, _ = _export(out=tmp_path / "b.ndjson")
    assert sorted(b["submission_ids"]) == sorted(second)
    c, _ = _export("--all", out=tmp_path / "c.ndjson")
    assert sorted(c["submission_ids"]) == sorted(first + second)
    for name, count in (("a", 3), ("b", 2), ("c", 5)):
        report, _ = _import(server, tmp_path / f"{name}.ndjson")
        assert sum(report["counts"].values()) == count
    assert _server_rows(server) == (5, 5)


def test_killed_export_leaves_nothing_behind_and_counts_nothing(server, kiosk, tmp_path):
    ids = _fill(kiosk, 3_000, every_attachment=10)
    out = tmp_path / "queue.ndjson"
    child = subprocess.Popen([sys.executable, "-m", "app", "export", "--out", str(out)],
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts: list[Path] = []
    deadline = time.monotonic() + 120
    while not parts and child.poll() is None and time.monotonic() < deadline:
        parts = list(kiosk.home.tmp.glob("bundle-*.part"))
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert parts and child.returncode == -signal.SIGKILL, "export ended before it was killed"
    assert not out.exists()  # never a half-written bundle under the real name
    out_part = bundles.part_path(out)
    out_part.write_bytes(b"half a bundle")  # as if killed while writing to the stick
    info, _ = _export(out=out)
    assert info["count"] == len(ids)  # the killed export counted none as exported
    assert not list(kiosk.home.tmp.glob("bundle-*.part")) and not out_part.exists()
    report, _ = _import(server, out)
    assert report["counts"] == {"accepted": len(ids)}


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(bundles, "CHUNK_ITEMS", 4)


def _chunked(kiosk, tmp_path: Path, n: int, name: str = "chunked"
             ) -> tuple[Path, list[bytes]]:
    from sync.media import export_queue

    _fill(kiosk, n)
    out = tmp_path / f"{name}.ndjson"
    with kiosk.store() as store:
        export_queue(kiosk.home, store, out, device=kiosk.device)
    return out, out.read_bytes().split(b"\n")[:-1]


def _import_in_process(server, path: Path) -> dict:
    from central.bundle_import import import_bundle_file

    return import_bundle_file(server.central, path)


def test_a_dropped_chunk_is_reported_and_the_rest_imports(server, kiosk, tmp_path,
                                                          small_chunks):
    out, lines = _chunked(kiosk, tmp_path, 10)  # header, then 4 + 4 + 2 items
    assert sum(1 for x in lines if x.startswith(b'{"chunk"')) == 3
    out.write_bytes(b"\n".join(lines[:6] + lines[11:]) + b"\n")  # chunk 1 and its 4 items cut
    report = _import_in_process(server, out)
    assert report["manifest_verified"]
    assert report["counts"] == {"accepted": 6, "missing": 4}
    assert any("chunk(s) 1..1" in e for e in report["errors"])
    assert _server_rows(server) == (6, 6)


def test_reordered_or_foreign_chunks_are_refused(server, kiosk, tmp_path, small_chunks):
    out, lines = _chunked(kiosk, tmp_path, 8)
    swapped = [lines[0]] + lines[6:11] + lines[1:6]  # chunk 1 (and items) before chunk 0
    out.write_bytes(b"\n".join(swapped) + b"\n")
    report = _import_in_process(server, out)
    assert report["counts"].get("accepted", 0) == 4  # chunk 1 verifies; chunk 0 is out of place
    assert any("reordered" in e for e in report["errors"])
    _, other_lines = _chunked(kiosk, tmp_path, 4, "other")
    mixed = [lines[0]] + other_lines[1:6]  # another bundle's chunk under this header
    out.write_bytes(b"\n".join(mixed) + b"\n")
    report = _import_in_process(server, out)
    assert any("another bundle" in e for e in report["errors"])
    assert not [r for r in report["results"] if r["status"] == "accepted"]


def test_format_1_bundles_still_import(server, kiosk, tmp_path):
    from sync.auth import MANIFEST_TYP, sign_json

    _fill(kiosk, 3)
    with kiosk.store() as store:
        items = [store.envelope(r[0]) for r in store.read("SELECT id FROM submissions")]
    did = kiosk.device.device_id
    lines = [bundles._item_line(bundles.BundleItem(e.submission_id, e.record, e.jwe), did)
             for e in items]
    import hashlib

    manifest = sign_json({"format": bundles.BUNDLE_FORMAT_V1, "device_id": did,
                          "created_at": int(time.time()),
                          "items": [{"submission_id": e.submission_id,
                                     "sha256": hashlib.sha256(line).hexdigest()}
                                    for e, line in zip(items, lines, strict=True)]},
                         kiosk.device.private_key, typ=MANIFEST_TYP, kid=did)
    header = json.dumps({"format": bundles.BUNDLE_FORMAT_V1, "device_id": did,
                         "manifest": manifest}).encode()
    path = tmp_path / "old.ndjson"
    path.write_bytes(b"\n".join([header, *lines]) + b"\n")
    report, _ = _import(server, path)
    assert report["manifest_verified"] and report["counts"] == {"accepted": 3}


def test_held_items_travel_in_the_bundle_and_stay_held(server, kiosk, tmp_path):
    ids = _fill(kiosk, 3)
    with kiosk.store() as store:
        store.mark_held(ids[0], "form-closed", "closed on the server", time.time() + 600)
    info, _ = _export(out=tmp_path / "a.ndjson")
    assert sorted(info["submission_ids"]) == sorted(ids)
    with kiosk.store() as store:
        assert store.submission(ids[0])["state"] == "held"  # reason and slow schedule kept
        assert {store.submission(i)["state"] for i in ids[1:]} == {"sent"}
    report, _ = _import(server, tmp_path / "a.ndjson")
    assert report["counts"] == {"accepted": 3}
