"""Store bench: durable draft save vs a bare SQLite commit, finalize, a big queue.

``draft_save_p99_ms`` vs ``bare_full_commit_p99_ms``: the same durability
(WAL + synchronous=FULL, one transaction, a ~2 KB row) measured alternately in
the same run; the ratio is what encryption and the store add (target ≤ 2×).
``finalize_20kb_median_ms``: seal (canonical JSON, Ed25519 JWS, ECDH-ES JWE,
record, receipt) + the one-transaction write, for a 20 KB answer document.
``next_batch_*`` and ``db_open_*``: with ``queued_rows`` sealed submissions
(100,000; quick mode uses 10,000 and says so), made with direct inserts of
one real envelope's bytes under fresh IDs. ``counts_*``/``last_error_*`` at
each queue size on the way (1,000 / 10,000 / 100,000), and their growth ratio
from the smallest to the largest in the same run.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

TARGET_DRAFT_RATIO = 2.0
TARGET_FINALIZE_MS = 10.0
TARGET_NEXT_BATCH_MS = 5.0
TARGET_DB_OPEN_MS = 100.0
# counts()/last_error() run on every status refresh: they must not grow with the queue
TARGET_STATUS_READ_MS = 1.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _keys() -> tuple[Any, dict[str, Any]]:
    from joserfc.jwk import ECKey, OKPKey

    from kiosk.device import DeviceIdentity

    device = DeviceIdentity.from_private_jwk(OKPKey.generate_key("Ed25519").as_dict(private=True))
    agency = dict(ECKey.generate_key("P-256").as_dict(private=False), kid="bench-agency")
    return device, agency


def _draft_vs_bare(workdir: Path, rounds: int) -> dict[str, Any]:
    from kiosk.store import Store

    bare = sqlite3.connect(workdir / "bare.db", isolation_level=None)
    assert bare.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    bare.execute("PRAGMA synchronous = FULL")
    bare.execute("CREATE TABLE t (id TEXT PRIMARY KEY, v BLOB)")
    store = Store(workdir / "drafts.db", data_key=os.urandom(32))
    answers = {f"q{i}": "Ж" * 30 for i in range(30)}  # ~2 KB of answers
    blob = os.urandom(len(json.dumps(answers, ensure_ascii=False).encode()) + 28)
    draft_id = store.save_draft(None, form_id="bench", form_version="1", answers=answers)
    bare_t: list[float] = []
    draft_t: list[float] = []
    for i in range(rounds):
        answers["q0"] = str(i)
        t0 = time.perf_counter()
        bare.execute("BEGIN IMMEDIATE")
        bare.execute("INSERT OR REPLACE INTO t (id, v) VALUES ('draft', ?)", (blob,))
        bare.execute("COMMIT")
        t1 = time.perf_counter()
        store.save_draft(draft_id, form_id="bench", form_version="1", answers=answers)
        t2 = time.perf_counter()
        bare_t.append(t1 - t0)
        draft_t.append(t2 - t1)
    bare.close()
    store.close()
    bare_p99, draft_p99 = _pct(bare_t, 0.99), _pct(draft_t, 0.99)
    return {
        "draft_saves": rounds,
        "bare_full_commit_p50_ms": _ms(statistics.median(bare_t)),
        "bare_full_commit_p99_ms": _ms(bare_p99),
        "draft_save_p50_ms": _ms(statistics.median(draft_t)),
        "draft_save_p99_ms": _ms(draft_p99),
        "draft_save_p99_ratio_vs_bare": round(draft_p99 / bare_p99, 2),
        "draft_save_p99_ratio_target": TARGET_DRAFT_RATIO,
    }


def _finalize(workdir: Path, rounds: int, device: Any, agency: dict[str, Any]) -> dict[str, Any]:
    from kiosk.store import Store

    store = Store(workdir / "finalize.db", data_key=os.urandom(32))
    doc = {
        "form_id": "bench",
        "form_version": "1",
        "answers": {f"q{i}": "Ж" * 100 for i in range(100)},  # ~20 KB UTF-8
    }
    size = len(json.dumps(doc, ensure_ascii=False).encode())
    times: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        store.finalize(doc, device=device, agency_jwk=agency, demo=True)
        times.append(time.perf_counter() - t0)
    store.close()
    return {
        "finalize_payload_bytes": size,
        "finalizes": rounds,
        "finalize_20kb_median_ms": _ms(statistics.median(times)),
        "finalize_20kb_p99_ms": _ms(_pct(times, 0.99)),
        "finalize_20kb_target_ms": TARGET_FINALIZE_MS,
    }


def _status_reads(store: Any, rounds: int = 30) -> tuple[float, float]:
    """Median ms of counts() and last_error(), the reads every status refresh makes."""
    counts_t: list[float] = []
    error_t: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        store.counts()
        t1 = time.perf_counter()
        store.last_error()
        counts_t.append(t1 - t0)
        error_t.append(time.perf_counter() - t1)
    return _ms(statistics.median(counts_t)), _ms(statistics.median(error_t))


def _queue(workdir: Path, sizes: list[int], device: Any, agency: dict[str, Any]) -> dict[str, Any]:
    """Grow one queue through ``sizes``; status reads at each size, the batch at the last."""
    from kiosk.store import Store, uuid7

    path = workdir / "queue.db"
    store = Store(path, data_key=os.urandom(32))
    env = store.finalize(
        {"form_id": "bench", "form_version": "1", "answers": {"a": 1}},
        device=device,
        agency_jwk=agency,
        demo=True,
    )
    figures: dict[str, Any] = {}
    have, build_s = 1, 0.0
    for size in sizes:
        t0 = time.perf_counter()
        with store.write() as conn:
            # one in a hundred carries an error, as after a bad link
            conn.executemany(
                "INSERT INTO submissions (id, form_id, form_version, device_id, agency_kid, demo, "
                "finalized_at, state, attempts, next_attempt_at, last_error, payload_sha256, "
                "jwe_sha256, jwe, record, attachments, size) SELECT ?, form_id, form_version, "
                "device_id, agency_kid, demo, finalized_at, 'queued', 0, ?, ?, payload_sha256, "
                "jwe_sha256, jwe, record, attachments, size FROM submissions WHERE id = ?",
                (
                    (uuid7(), float(i % 1000), "timeout" if i % 100 == 0 else None,
                     env.submission_id)
                    for i in range(have, size)
                ),
            )
        build_s += time.perf_counter() - t0
        have = size
        assert store.counts()["queued"] + store.counts()["sealed"] == size
        counts_ms, error_ms = _status_reads(store)
        figures[f"counts_median_ms_at_{size}"] = counts_ms
        figures[f"last_error_median_ms_at_{size}"] = error_ms
    rows = sizes[-1]
    batch_t: list[float] = []
    for _ in range(50):
        t0 = time.perf_counter()
        batch = store.next_batch(2000.0, max_bytes=4_000_000, max_items=50)
        batch_t.append(time.perf_counter() - t0)
    assert len(batch) == 50
    store.close()
    open_t: list[float] = []
    for _ in range(10):
        t0 = time.perf_counter()
        s = Store(path, data_key=b"\0" * 32)
        open_t.append(time.perf_counter() - t0)
        s.close()
    first, last = sizes[0], sizes[-1]
    figures.update({
        "queued_rows": rows,
        "queue_db_mb": round(path.stat().st_size / 1e6, 1),
        "queue_build_s": round(build_s, 2),
        "next_batch_50_median_ms": _ms(statistics.median(batch_t)),
        "next_batch_50_p99_ms": _ms(_pct(batch_t, 0.99)),
        "next_batch_target_ms": TARGET_NEXT_BATCH_MS,
        # flat means the read costs the same at the largest queue as at the smallest
        f"counts_growth_{last}_vs_{first}": round(
            figures[f"counts_median_ms_at_{last}"] / max(figures[f"counts_median_ms_at_{first}"], 1e-3), 2),
        f"last_error_growth_{last}_vs_{first}": round(
            figures[f"last_error_median_ms_at_{last}"]
            / max(figures[f"last_error_median_ms_at_{first}"], 1e-3), 2),
        "status_read_target_ms": TARGET_STATUS_READ_MS,
        "db_open_median_ms": _ms(statistics.median(open_t)),
        "db_open_max_ms": _ms(max(open_t)),
        "db_open_target_ms": TARGET_DB_OPEN_MS,
    })
    return figures


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    device, agency = _keys()
    figures: dict[str, Any] = {}
    figures.update(_draft_vs_bare(workdir, 60 if quick else 400))
    figures.update(_finalize(workdir, 20 if quick else 200, device, agency))
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    figures.update(_queue(workdir, sizes, device, agency))
    rows = sizes[-1]
    if quick:
        figures["note"] = "quick mode: 10,000 queued rows instead of 100,000, fewer repetitions"
    figures["pass"] = {
        "draft_save_ratio": figures["draft_save_p99_ratio_vs_bare"] <= TARGET_DRAFT_RATIO,
        "finalize": figures["finalize_20kb_median_ms"] <= TARGET_FINALIZE_MS,
        "next_batch": figures["next_batch_50_median_ms"] <= TARGET_NEXT_BATCH_MS,
        "db_open": figures["db_open_median_ms"] <= TARGET_DB_OPEN_MS,
        "status_reads": max(figures[f"counts_median_ms_at_{rows}"],
                            figures[f"last_error_median_ms_at_{rows}"]) <= TARGET_STATUS_READ_MS,
    }
    return figures
