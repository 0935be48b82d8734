"""Crash safety: a child that saves drafts and finalizes in a loop is SIGKILLed at
random points, again and again; after every kill the database must be intact and
every finalize that returned must be there exactly once, with its outbox row.

Children are forked from the test process (real processes, real SIGKILL, their
own SQLite connections) so that 200+ kills fit in well under two minutes.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import time

import pytest

from kiosk import audit
from kiosk.device import load_or_create_device
from kiosk.paths import home
from kiosk.secrets import open_secrets
from kiosk.store import Store, uuid7
from kiosk.store.atrest import AtRest
from tests.store.conftest import document

KILLS = 220


def _child(root, device, agency_pub, wfd: int, seed: int) -> None:
    """Runs in the forked child: never returns (os._exit)."""
    try:
        rnd = random.Random(seed)
        store = Store.open(home(root))
        store.mark_open_drafts_interrupted()
        os.write(wfd, b"READY\n")
        while True:
            did = store.save_draft(
                None, form_id="test-form", form_version="1", answers={"step": 0}, demo=True
            )
            for step in range(1, rnd.randint(2, 5)):
                store.save_draft(
                    did,
                    form_id="test-form",
                    form_version="1",
                    answers={"step": step, "pad": "ж" * rnd.randint(0, 3000)},
                )
                os.write(wfd, f"DRAFT {did} {step}\n".encode())  # after the save returned
            photo = None
            if rnd.random() < 0.5:
                photo = store.add_attachment(
                    did,
                    os.urandom(rnd.randint(100, 20000)),
                    name="p.jpg",
                    media_type="image/jpeg",
                    max_bytes=1 << 20,
                )
            sid = uuid7()
            os.write(wfd, f"FINALIZING {did} {sid}\n".encode())
            doc = document(step=9, photo=photo) if photo else document(step=9)
            env = store.finalize(
                doc,
                device=device,
                agency_jwk=agency_pub,
                demo=True,
                draft_id=did,
                submission_id=sid,
            )
            # reported only after finalize returned (i.e. after COMMIT)
            os.write(wfd, f"FIN {sid} {env.jwe_sha256} {did}\n".encode())
    except BaseException as exc:  # noqa: BLE001 - report, never fall back into pytest
        os.write(wfd, f"ERR {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(3)


def _read_lines(fd: int, buf: bytearray, deadline: float, until: bytes | None) -> list[str]:
    lines: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf.extend(chunk)
        while b"\n" in buf:
            line, _, rest = bytes(buf).partition(b"\n")
            buf[:] = rest
            lines.append(line.decode())
            if until is not None and line.startswith(until):
                return lines
    return lines


def _check(db_path, finalized: dict[str, tuple[str, str]]) -> None:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "SELECT s.id, s.jwe_sha256, s.state, r.qr IS NOT NULL, s.attachments "
            "FROM submissions s LEFT JOIN receipts r ON r.submission_id = s.id"
        ).fetchall()
        by_id: dict[str, list[tuple]] = {}
        for row in rows:
            by_id.setdefault(row[0], []).append(row)
        for sid, (jwe_hash, draft_id) in finalized.items():
            assert len(by_id.get(sid, [])) == 1, (
                f"finalized {sid} present {len(by_id.get(sid, []))}x"
            )
            (_, stored_hash, state, has_receipt, atts) = by_id[sid][0]
            assert stored_hash == jwe_hash and state == "sealed" and has_receipt
            assert conn.execute("SELECT 1 FROM drafts WHERE id = ?", (draft_id,)).fetchone() is None
        for sid, [row] in by_id.items():  # no half-written submissions either
            assert row[3], f"submission {sid} without its receipt"
            for att in json.loads(row[4]):
                assert conn.execute(
                    "SELECT submission_id FROM attachments WHERE sha256 = ?", (att["sha256"],)
                ).fetchone() == (sid,)
        report = audit.verify(conn)
        assert report.ok, report.problems
    finally:
        conn.close()


def _check_drafts(db_path, lines: list[str], atrest: AtRest) -> None:
    """Every draft save that returned is on disk, unless the draft was finalized —
    and then its submission (ID announced before finalize) is there."""
    saved: dict[str, int] = {}
    finalizing: dict[str, str] = {}
    for line in lines:
        kind, *rest = line.split()
        if kind == "DRAFT":
            saved[rest[0]] = int(rest[1])
        elif kind == "FINALIZING":
            finalizing[rest[0]] = rest[1]
    conn = sqlite3.connect(db_path)
    try:
        for did, step in saved.items():
            row = conn.execute("SELECT sealed FROM drafts WHERE id = ?", (did,)).fetchone()
            if row is None:
                sid = finalizing.get(did)
                assert sid is not None, f"draft {did} lost"
                count = conn.execute("SELECT COUNT(*) FROM submissions WHERE id = ?", (sid,))
                assert count.fetchone()[0] == 1, f"draft {did} gone but {sid} not stored"
                continue
            assert atrest.open(row[0], table="drafts", row_id=did)["answers"]["step"] >= step
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_at_random_points_loses_and_duplicates_nothing(isolated_home, agency):
    device = load_or_create_device(open_secrets())
    open_secrets().data_key()
    Store.open(home(isolated_home)).close()
    atrest = AtRest(open_secrets().data_key())
    rnd = random.Random(20261126)
    finalized: dict[str, tuple[str, str]] = {}
    required = 0
    for i in range(KILLS):
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            _child(isolated_home, device, agency[1], wfd, seed=i)
        os.close(wfd)
        buf = bytearray()
        lines = _read_lines(rfd, buf, time.monotonic() + 30, until=b"READY")
        assert lines and lines[-1] == "READY", lines
        # the random kill point: after 0-2 reported finalizes (so progress never depends
        # on machine speed), then 0-30 ms further into the drafts/finalizes
        want = rnd.randint(0, 2)
        lines = []
        while sum(ln.startswith("FIN ") for ln in lines) < want:
            more = _read_lines(rfd, buf, time.monotonic() + 30, until=b"FIN ")
            assert more, "child stopped reporting"
            lines += more
        lines += _read_lines(rfd, buf, time.monotonic() + rnd.uniform(0, 0.03), until=None)
        required += want
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lines += _read_lines(rfd, buf, time.monotonic() + 1, until=None)
        os.close(rfd)
        errors = [ln for ln in lines if ln.startswith("ERR")]
        assert not errors, errors
        for line in lines:
            if line.startswith("FIN "):
                _, sid, jwe_hash, draft_id = line.split()
                finalized[sid] = (jwe_hash, draft_id)
        _check(isolated_home / "kiosk.db", finalized)
        _check_drafts(isolated_home / "kiosk.db", lines, atrest)
    assert len(finalized) >= required
    with Store.open(home(isolated_home)) as store:
        store.mark_open_drafts_interrupted()
        # more may be stored than reported: killed after COMMIT, before the report line
        # (outcome unknown to the caller; complete and single, as _check showed)
        assert store.counts()["sealed"] >= len(finalized)
        for d in store.interrupted_drafts()[:20]:  # interrupted drafts still decrypt
            store.load_draft(d.id)
