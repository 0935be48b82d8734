"""counts() comes from a trigger-kept table: it must equal a full GROUP BY after every
kind of write the outbox makes, after an upgrade, and after a failed transaction."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from kiosk.envelope import b64url_decode
from kiosk.paths import home
from kiosk.store import Store
from kiosk.store.outbox import STATES
from tests.store.conftest import document
from tests.store.test_migrations import FIXTURES, KEYS


def _scan(store: Store, demo_only: bool = False) -> dict[str, int]:
    out = dict.fromkeys(STATES, 0)
    where = "WHERE demo = 1" if demo_only else ""
    for state, n in store.read(f"SELECT state, COUNT(*) FROM submissions {where} GROUP BY state"):
        out[state] = n
    return out


def _agree(store: Store) -> None:
    assert store.counts() == _scan(store)
    assert store.demo_counts() == _scan(store, demo_only=True)


def test_counts_follow_every_outbox_write(store, device, agency):
    _, public = agency
    envs = [
        store.finalize(document(n=str(i)), device=device, agency_jwk=public, demo=bool(i % 2))
        for i in range(6)
    ]
    _agree(store)
    ids = [e.submission_id for e in envs]
    store.mark_sent(ids[:4])
    _agree(store)
    store.schedule_retry(ids[0], "timeout", time.time() + 5)
    store.mark_rejected(ids[1], "bad form")
    store.mark_acknowledged_many([(ids[2], {"r": 1}), (ids[3], {"r": 2})])
    _agree(store)
    assert store.counts()["acknowledged"] == 2 and store.counts()["rejected"] == 1
    # the same acknowledgement again changes nothing
    store.mark_acknowledged(ids[2], {"r": 1})
    _agree(store)
    assert store.purge_acknowledged(30, now=time.time() + 31 * 86400) == 2
    _agree(store)
    assert store.counts()["purged"] == 2


def test_a_rolled_back_write_leaves_counts_exact(store, device, agency):
    _, public = agency
    env = store.finalize(document(a="1"), device=device, agency_jwk=public, demo=False)
    before = store.counts()
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            conn.execute("UPDATE submissions SET state = 'sent' WHERE id = ?", (env.submission_id,))
            raise RuntimeError("power cut mid-transaction")
    assert store.counts() == before
    _agree(store)


def test_upgrade_from_schema_3_counts_existing_rows(isolated_home: Path):
    h = home(isolated_home).ensure()
    shutil.copyfile(FIXTURES / "kiosk-schema3.db", h.db)
    raw = sqlite3.connect(h.db)
    expected = dict(raw.execute("SELECT state, COUNT(*) FROM submissions GROUP BY state"))
    raw.close()
    assert expected, "the schema-3 fixture should hold submissions"
    with Store(h.db, backups=h.backups, data_key=b64url_decode(KEYS["data_key"])) as store:
        counts = store.counts()
        assert {k: v for k, v in counts.items() if v} == expected
        _agree(store)


def test_last_error_is_the_newest_error_by_index(store, device, agency):
    _, public = agency
    a, b = (store.finalize(document(x=str(i)), device=device, agency_jwk=public, demo=False) for i in range(2))
    assert store.last_error() is None
    store.schedule_retry(a.submission_id, "first", time.time() + 10)
    store.schedule_retry(b.submission_id, "second", time.time() + 20)
    assert store.last_error() == "second"
    plan = " ".join(
        str(r[-1]) for r in store.read(
            "EXPLAIN QUERY PLAN SELECT last_error FROM submissions INDEXED BY idx_submissions_error "
            "WHERE last_error IS NOT NULL AND state IN ('queued', 'rejected') "
            "ORDER BY next_attempt_at DESC LIMIT 1"
        )
    )
    assert "idx_submissions_error" in plan and "TEMP B-TREE" not in plan
