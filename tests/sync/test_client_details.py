"""Client details over real sockets: clock skew, compression, resumable attachments,
the background loop's callbacks and "sync now"."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
import types

import httpx
import pytest

from sync.auth import sign_request
from sync.client import Refused
from tests.sync.helpers import engine, finalize, server_ids


def test_clock_skew_is_measured_and_signatures_use_server_time(server, kiosk, monkeypatch):
    import sync.client as client_mod

    fake_time = types.SimpleNamespace(time=lambda: time.time() + 3600.0)  # kiosk 1 h ahead
    monkeypatch.setattr(client_mod, "time", fake_time)
    store = kiosk.store()
    ids = finalize(kiosk, store, 2)
    report = engine(kiosk, store).run_once()
    assert report.state == "ok", report.error  # requests dated in server time: accepted
    assert 3590 <= report.skew_seconds <= 3610
    assert sorted(server_ids(server)) == sorted(ids)
    from sync.state import clock_info

    assert 3590 <= clock_info(kiosk.home)["skew_seconds"] <= 3610


def _auth(kiosk, method, target, body=b"", headers=None):
    """Signed over the body and the covered headers httpx will send (Content-Length too)."""
    sent = {**(headers or {}), **({"Content-Length": str(len(body))} if body else {})}
    return sign_request(device_id=kiosk.device.device_id, key=kiosk.device.private_key,
                        method=method, target=target, body=body, created=int(time.time()),
                        headers=sent)


def test_gzip_both_ways(server, kiosk):
    store = kiosk.store()
    finalize(kiosk, store, 20)
    items = [{"submission_id": i.id, "record": i.record, "jwe": i.jwe}
             for i in store.next_batch(time.time() + 5, 10**9, 50)]
    raw = json.dumps({"items": items}).encode()
    body = gzip.compress(raw)
    assert len(body) < len(raw) * 0.9
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    resp = httpx.post(server.url + "/v1/submissions", content=body, headers={
        "Authorization": _auth(kiosk, "POST", "/v1/submissions", body, headers),
        **headers, "Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers["content-encoding"] == "gzip"
    assert [r["status"] for r in resp.json()["results"]] == ["accepted"] * 20


def test_gzip_bomb_is_refused_without_a_5xx(server, kiosk):
    body = gzip.compress(b"{" + b" " * 50_000_000 + b"}")
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    resp = httpx.post(server.url + "/v1/submissions", content=body, headers={
        "Authorization": _auth(kiosk, "POST", "/v1/submissions", body, headers), **headers})
    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"


def test_attachment_upload_resumes_from_the_server_offset(server, kiosk):
    from sync.runtime import open_engine

    eng = open_engine(kiosk.home, store=kiosk.store())
    client = eng.client
    blob = bytes(range(256)) * 1000
    digest = hashlib.sha256(blob).hexdigest()
    # a first attempt that died after one chunk
    client.request("PUT", f"/v1/attachments/{digest}", content=blob[:100_000],
                   content_type="application/octet-stream",
                   headers={"Content-Range": f"bytes 0-99999/{len(blob)}"})
    assert client.attachment_offset(digest) == (100_000, False)
    head = client.request("HEAD", f"/v1/attachments/{digest}", expect_json=False)
    assert head.headers["upload-offset"] == "100000"
    # a stale resume at the wrong offset gets 409 with the right one
    with pytest.raises(Refused) as info:
        client.request("PUT", f"/v1/attachments/{digest}", content=blob[:10],
                       content_type="application/octet-stream",
                       headers={"Content-Range": f"bytes 0-9/{len(blob)}"})
    assert info.value.status == 409
    before = client.state.bytes_sent
    client.upload_attachment(digest, blob, chunk=60_000)
    assert client.state.bytes_sent - before < len(blob) - 90_000  # only the rest was sent
    assert client.attachment_offset(digest) == (len(blob), True)


def test_attachment_with_wrong_hash_is_refused(server, kiosk):
    from sync.runtime import open_engine

    client = open_engine(kiosk.home, store=kiosk.store()).client
    blob = b"not what the hash says" * 10
    digest = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(Refused) as info:
        client.upload_attachment(digest, blob)
    assert info.value.status == 422
    assert client.attachment_offset(digest) == (0, False)


def test_loop_reports_status_and_wakes_on_sync_now(server, kiosk):
    from sync.runtime import make_loop

    store = kiosk.store()
    finalize(kiosk, store, 2)
    statuses = []
    got = threading.Event()

    def on_status(st):
        statuses.append((st.state, dict(st.counts), st.skew_seconds))
        got.set()

    loop = make_loop(kiosk.home, interval=600, on_status=on_status)
    loop.start()
    try:
        assert got.wait(15)
        assert statuses[0][0] == "ok" and statuses[0][1]["acknowledged"] == 2
        got.clear()
        finalize(kiosk, store, 3)
        loop.wake()  # "sync now": no waiting for the 600 s interval
        assert got.wait(15)
        assert statuses[-1][1]["acknowledged"] == 5
    finally:
        loop.stop()
    assert not loop.running
    assert server.central.store.count() == 5


def test_loop_on_a_kiosk_not_enrolled_says_so_and_waits(isolated_home):
    from kiosk.paths import Home
    from sync.runtime import make_loop

    got = threading.Event()
    statuses = []

    def on_status(st):
        statuses.append((st.state, st.last_error))
        got.set()

    loop = make_loop(Home(isolated_home).ensure(), interval=1, on_status=on_status)
    loop.start()
    try:
        assert got.wait(10)
        assert statuses[0][0] == "not-enrolled" and "kiosk enroll" in statuses[0][1]
        got.clear()
        loop.wake()  # tries again (still not enrolled), never a crash or a busy loop
        assert got.wait(10)
        assert len(statuses) == 2 and loop.running
    finally:
        loop.stop()
    assert not loop.running
