"""Several kiosk-central nodes on one PostgreSQL behave as one server.

Two nodes share a fresh database: in-process nodes (each its own app, pool and
limiters) for dedup, replay, revocation, enrolment and rate limits; real
``kiosk-central serve`` processes for the crash cases — a node SIGKILLed mid-upload
or mid-batch, and the kiosk finishing on the other node.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from central.app import Guards, Settings
from central.server import start_in_thread
from kiosk.paths import bundled_catalog_dir
from sync.auth import generate_key
from tests.central.attack import post_items, problem_type, signed
from tests.central.test_crash_upload import CRASH_ENV, _kiosk_with_photo, _later
from tests.sync.helpers import engine, enrolled_kiosk, finalize

pytestmark = pytest.mark.needs_system
REPO = Path(__file__).resolve().parents[2]


def _node(tmp: Path, name: str, url: str, guards: Guards | None = None):
    return start_in_thread(Settings(tmp / name, bundled_catalog_dir(), database_url=url,
                                    guards=guards or Guards()))


@pytest.fixture
def nodes(tmp_path, pg_url):
    a, b = _node(tmp_path, "a", pg_url), _node(tmp_path, "b", pg_url)
    yield a, b
    a.stop()
    b.stop()


def _cli(*args: str, url: str, data: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "central.cli", *args, "--data", str(data),
                           "--database-url", url], capture_output=True, text=True, timeout=120,
                          cwd=REPO)


def _serve(data: Path, url: str, crash_at: str | None = None) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    proc = subprocess.Popen(
        [sys.executable, "-m", "central.cli", "serve", "--port", "0", "--data", str(data),
         "--database-url", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=REPO, env=env)
    line = proc.stdout.readline() if proc.stdout else ""
    assert "listening on" in line, line + (proc.stderr.read(2000) if proc.stderr else "")
    return proc, line.split("listening on ", 1)[1].split()[0]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def _items(kiosk, n: int) -> list[dict]:
    """``n`` new sealed items (sent by hand: they stay queued in the kiosk)."""
    store = kiosk.store()
    new = set(finalize(kiosk, store, n))
    return [{"submission_id": i.id, "record": i.record, "jwe": i.jwe}
            for i in store.next_batch(time.time() + 10, 10**9, 1000) if i.id in new]


def test_dedup_holds_across_nodes_even_when_they_race(nodes, isolated_home):
    a, b = nodes
    kiosk = enrolled_kiosk(a, isolated_home)
    first = _items(kiosk, 3)
    on_a = post_items(a, kiosk, first).json()["results"]
    on_b = post_items(b, kiosk, first).json()["results"]
    assert [r["status"] for r in on_a] == ["accepted"] * 3
    assert [r["status"] for r in on_b] == ["duplicate"] * 3
    assert [r["receipt"] for r in on_b] == [r["receipt"] for r in on_a]
    fresh = _items(kiosk, 5)
    gate, replies = threading.Barrier(2), {}

    def send(node) -> None:
        gate.wait(timeout=30)
        replies[node.url] = post_items(node, kiosk, fresh).json()["results"]

    threads = [threading.Thread(target=send, args=(n,)) for n in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for index, item in enumerate(fresh):
        statuses = sorted(replies[n.url][index]["status"] for n in (a, b))
        assert statuses == ["accepted", "duplicate"], (item["submission_id"], statuses)
    assert a.central.store.count() == 3 + len(fresh)


def test_a_request_replayed_to_the_other_node_is_refused(nodes, isolated_home):
    a, b = nodes
    kiosk = enrolled_kiosk(a, isolated_home)
    body = json.dumps({"items": _items(kiosk, 1)}).encode()
    headers = signed(kiosk, "POST", "/v1/submissions", body,
                     headers={"Content-Type": "application/json"})
    assert httpx.post(a.url + "/v1/submissions", content=body, headers=headers).status_code == 200
    again = httpx.post(b.url + "/v1/submissions", content=body, headers=headers)
    assert again.status_code == 401 and problem_type(again) == "replay"


def test_a_revoked_device_is_refused_by_every_node(nodes, isolated_home, pg_url, tmp_path):
    a, b = nodes
    kiosk = enrolled_kiosk(a, isolated_home)
    for node in (a, b):
        ok = httpx.get(node.url + "/v1/catalog", headers=signed(kiosk, "GET", "/v1/catalog"))
        assert ok.status_code == 200
    res = _cli("revoke", kiosk.device.device_id, url=pg_url, data=tmp_path / "admin")
    assert res.returncode == 0, res.stderr
    for node in (a, b):
        refused = httpx.get(node.url + "/v1/catalog", headers=signed(kiosk, "GET", "/v1/catalog"))
        assert refused.status_code == 403 and problem_type(refused) == "revoked"


def test_an_enrolment_code_works_once_across_nodes(nodes):
    a, b = nodes
    code, _ = a.central.store.new_enroll_code(600)
    gate, statuses = threading.Barrier(2), []

    def enrol(node) -> None:
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": generate_key().as_dict()["x"]}
        gate.wait(timeout=30)
        statuses.append(httpx.post(node.url + "/v1/enroll", json={
            "code": code, "device_public_jwk": jwk}).status_code)

    threads = [threading.Thread(target=enrol, args=(n,)) for n in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [201, 403]
    assert len(b.central.store.devices()) == 1


def test_rate_limits_are_counted_over_all_nodes(tmp_path, pg_url):
    guards = Guards(auth_failures_per_minute=0.1, auth_failures_burst=10)  # slow refill
    a, b = _node(tmp_path, "a", pg_url, guards), _node(tmp_path, "b", pg_url, guards)
    try:
        def bad(node) -> int:
            return httpx.post(node.url + "/v1/submissions", content=b'{"items": []}', headers={
                "Content-Type": "application/json",
                "Authorization": "KioskJWS a.b.c"}).status_code

        assert [bad(a) for _ in range(5)] + [bad(b) for _ in range(5)] == [401] * 10
        assert bad(a) == 429 and bad(b) == 429  # each node alone saw only 5 (of 10 allowed)
    finally:
        a.stop()
        b.stop()


def test_one_bundle_import_at_a_time_across_nodes(pg_url):
    from central.db.postgres import PgStore

    one, two = PgStore(pg_url), PgStore(pg_url)
    entered = threading.Event()

    def second() -> None:
        with two.import_lock():
            entered.set()

    try:
        with one.import_lock():
            waiter = threading.Thread(target=second)
            waiter.start()
            deadline = time.monotonic() + 30
            while not one._scalar("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' "
                                  "AND NOT granted"):
                assert time.monotonic() < deadline, "the second import never queued"
            assert not entered.is_set()
        assert entered.wait(30)
        waiter.join(timeout=30)
    finally:
        one.close()
        two.close()


def test_upload_started_on_a_killed_node_is_finished_on_the_other(tmp_path, isolated_home,
                                                                   pg_url):
    dying, url_a = _serve(tmp_path / "a", pg_url, crash_at="attachment-appended")
    other, url_b = _serve(tmp_path / "b", pg_url)
    try:
        code = json.loads(_cli("enroll-code", "--json", url=pg_url, data=tmp_path / "x").stdout)
        kiosk, sid = _kiosk_with_photo(isolated_home, url_a, code["code"])
        with kiosk.store() as store:
            report = engine(kiosk, store, pull_catalog=False).run_once()
            assert report.state in ("outcome-unknown", "offline"), report.as_dict()
            assert dying.wait(timeout=30) == -signal.SIGKILL
        import psycopg

        with psycopg.connect(pg_url) as conn:
            received = conn.execute("SELECT received, complete FROM attachments").fetchall()
        assert len(received) == 1 and received[0][0] > 0 and not received[0][1]  # half-way
        with kiosk.store() as store:
            report = engine(kiosk, store, url=url_b, pull_catalog=False, clock=_later).run_once()
            assert report.state == "ok" and report.accepted == 1, report.as_dict()
        subs = json.loads(_cli("submissions", "--json", url=pg_url, data=tmp_path / "x").stdout)
        assert [s["submission_id"] for s in subs] == [sid]
    finally:
        _stop(dying)
        _stop(other)


@pytest.mark.parametrize("moment", ["intake-before-commit", "intake-committed"])
def test_batch_on_a_killed_node_is_delivered_once_by_the_other(tmp_path, isolated_home, pg_url,
                                                                moment):
    dying, url_a = _serve(tmp_path / "a", pg_url, crash_at=moment)
    other, url_b = _serve(tmp_path / "b", pg_url)
    try:
        code = json.loads(_cli("enroll-code", "--json", url=pg_url, data=tmp_path / "x").stdout)
        from kiosk.paths import Home
        from sync.enrol import enroll

        enroll(Home(isolated_home).ensure(), url_a, code["code"])
        from tests.sync.helpers import Kiosk

        kiosk = _reload(isolated_home, Kiosk)
        with kiosk.store() as store:
            ids = finalize(kiosk, store, 4)
            report = engine(kiosk, store, pull_catalog=False).run_once()
            assert report.state in ("outcome-unknown", "offline"), report.as_dict()
            assert dying.wait(timeout=30) == -signal.SIGKILL
            report = engine(kiosk, store, url=url_b, pull_catalog=False, clock=_later).run_once()
            assert report.state == "ok", report.as_dict()
            assert store.counts()["acknowledged"] == 4 and store.counts()["rejected"] == 0
        subs = json.loads(_cli("submissions", "--json", url=pg_url, data=tmp_path / "x").stdout)
        assert sorted(s["submission_id"] for s in subs) == sorted(ids)
    finally:
        _stop(dying)
        _stop(other)


def _reload(home_root: Path, kiosk_cls):
    from kiosk.device import load_device
    from kiosk.paths import Home
    from kiosk.secrets import open_secrets

    home = Home(home_root)
    catalog = json.loads((home.catalog / "catalog.json").read_text("utf-8"))
    agency = next(iter(catalog["agencies"].values()))
    return kiosk_cls(home, load_device(open_secrets(home.root)), agency["keys"][0])


def test_an_upload_request_needs_one_pooled_connection_only(pg_url):
    """A request holding one pooled connection never waits for a second (with a full pool
    every request would wait on itself): a pool of one still takes new uploads."""
    from central.db.pg_attachments import DbAttachmentStore
    from central.db.postgres import PgStore

    store = PgStore(pg_url, pool_size=1)
    store.pool.timeout = 5.0  # a nested wait fails in 5 s instead of hanging the test
    try:
        blobs = DbAttachmentStore(store)
        device = "kiosk-0000000000000001"
        for i in range(3):
            state = blobs.write(device, f"{i:064x}", 0, 1000, b"x")
            assert state == {"sha256": f"{i:064x}", "offset": 1, "size": 1000,
                             "complete": False}
    finally:
        store.close()
