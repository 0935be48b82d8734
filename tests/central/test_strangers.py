"""Issue 21 (server side): a stranger who knows only a kiosk's public device ID, or
who shares nothing with it but the network, cannot stop it syncing.

Every test runs a real kiosk-central on loopback (both storage backends where the
counters live in the store) and real kiosks or raw sockets against it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from sync.auth import generate_key
from tests.central.attack import signed
from tests.central.conftest import SQLITE_ONLY
from tests.sync.helpers import engine, enrolled_kiosk, finalize, server_ids


def _guarded(data: Path, guards, db_url: str | None = None, **settings):
    from central.app import Settings
    from central.server import start_in_thread
    from kiosk.paths import bundled_catalog_dir

    return start_in_thread(Settings(data, bundled_catalog_dir(), guards=guards,
                                    database_url=db_url, **settings))


def _forge(url: str, kiosk) -> int:
    """A request naming ``kiosk``'s device ID, signed with a key nobody enrolled."""
    headers = signed(kiosk, "GET", "/v1/catalog", key=generate_key())
    return httpx.get(url + "/v1/catalog", headers=headers).status_code


def test_forged_requests_naming_a_kiosk_do_not_lock_it_out(tmp_path, isolated_home, db_url):
    from central.app import Guards

    # a tiny failure budget, refilling slowly: today's code locks the named device out
    server = _guarded(tmp_path / "c", Guards(auth_failures_per_minute=0.1,
                                             auth_failures_burst=5), db_url)
    stop = threading.Event()
    statuses: list[int] = []
    try:
        kiosk = enrolled_kiosk(server, isolated_home)
        statuses += [_forge(server.url, kiosk) for _ in range(10)]  # budget spent, and more

        def forger() -> None:
            while not stop.wait(0.05):
                statuses.append(_forge(server.url, kiosk))

        thread = threading.Thread(target=forger, daemon=True)
        thread.start()
        store = kiosk.store()
        ids = finalize(kiosk, store, 3)
        report = engine(kiosk, store).run_once()
        stop.set()
        thread.join(10)
        assert report.state == "ok", report.error
        assert sorted(server_ids(server)) == sorted(ids)
        assert set(statuses) <= {401, 429} and 401 in statuses
        assert statuses[-1] == 429  # the stranger's own source is what gets slowed down
    finally:
        stop.set()
        server.stop()


def test_failures_are_charged_to_the_network_prefix(tmp_path, isolated_home, db_url):
    """Walking through the addresses of one /24 does not multiply the budget."""
    from central.app import Guards

    server = _guarded(tmp_path / "c", Guards(auth_failures_per_minute=0.1,
                                             auth_failures_burst=4), db_url)
    try:
        def fail_from(host: str) -> int:
            transport = httpx.HTTPTransport(local_address=host)
            with httpx.Client(transport=transport) as client:
                return client.get(server.url + "/v1/catalog",
                                  headers={"Authorization": "KioskJWS a.b.c"}).status_code

        codes = [fail_from(f"127.0.0.{n}") for n in range(2, 8)]
        assert codes[:4] == [401] * 4 and codes[4:] == [429, 429]
    finally:
        server.stop()


@pytest.mark.parametrize(("host", "key"), [
    ("203.0.113.77", "203.0.113.0/24"),
    ("::ffff:203.0.113.9", "203.0.113.0/24"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("testclient", "testclient"),
])
def test_source_prefix(host, key):
    from central.policy import source_prefix

    assert source_prefix(host) == key


# -- connections and the network ------------------------------------------------------
def _enrol_attempt(url: str, forwarded_for: str) -> int:
    return httpx.post(url + "/v1/enroll", headers={"X-Forwarded-For": forwarded_for}, json={
        "code": "AAAA-BBBB-CCCC", "device_public_jwk": {
            "kty": "OKP", "crv": "Ed25519", "x": generate_key().as_dict()["x"]}}).status_code


@SQLITE_ONLY
def test_forwarded_for_is_believed_only_from_named_proxies(tmp_path, isolated_home, db_url):
    from central.app import Guards

    guards = Guards(enrol_per_minute=0.1, enrol_burst=3)
    plain = _guarded(tmp_path / "a", guards)
    try:  # a different claimed address each time: only the socket's own counts
        codes = [_enrol_attempt(plain.url, f"198.51.{n}.7") for n in range(5)]
        assert codes == [403, 403, 403, 429, 429]
    finally:
        plain.stop()
    proxied = _guarded(tmp_path / "b", guards, trusted_proxies=("127.0.0.1",))
    try:
        codes = [_enrol_attempt(proxied.url, f"198.51.{n}.7") for n in range(5)]
        assert codes == [403] * 5  # behind a named proxy each kiosk has its own budget
    finally:
        proxied.stop()


@SQLITE_ONLY
def test_idle_connections_from_one_source_do_not_stop_other_kiosks(tmp_path, isolated_home,
                                                                   db_url):
    import socket

    from central.app import Guards

    server = _guarded(tmp_path / "c", Guards(connection_limit=500, connections_per_source=50))
    idle: list[socket.socket] = []
    try:
        kiosk = enrolled_kiosk(server, isolated_home)  # from 127.0.0.1
        for _ in range(500):  # a stranger in another network (127.0.2.0/24)
            sock = socket.socket()
            sock.bind(("127.0.2.9", 0))
            sock.connect(("127.0.0.1", server.port))
            idle.append(sock)
        store = kiosk.store()
        ids = finalize(kiosk, store, 2)
        report = engine(kiosk, store).run_once()
        assert report.state == "ok", report.error
        assert sorted(server_ids(server)) == sorted(ids)
        # the stranger's connections past its cap were closed unread
        idle[-1].settimeout(10)
        assert idle[-1].recv(1) == b""
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def test_client_gone_mid_body_is_no_error(tmp_path, isolated_home, caplog, db_url):
    import logging
    import socket

    from tests.sync.helpers import start_server

    server = start_server(tmp_path / "c", database_url=db_url)
    caplog.set_level(logging.DEBUG, logger="central")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                         b"\r\nContent-Length: 1000\r\n\r\n{\"code\": ")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not [
                r for r in caplog.records if r.name.startswith("central")]:
            threading.Event().wait(0.02)  # polling the log with a deadline
        records = [r for r in caplog.records if r.name.startswith("central")]
        assert records, "the server never noticed the client went away"
        assert all(r.levelno < logging.WARNING and not r.exc_info for r in records), \
            [r.getMessage() for r in records]
    finally:
        server.stop()


def test_a_repeated_covered_header_is_refused(server, kiosk):
    """Two Content-Range copies: the signature covered one, the server must not use the other."""
    import hashlib

    blob = b"abcd"
    target = f"/v1/attachments/{hashlib.sha256(blob).hexdigest()}"
    covered = {"Content-Type": "application/octet-stream", "Content-Range": "bytes 0-3/8",
               "Content-Length": "4"}
    auth = signed(kiosk, "PUT", target, blob, headers={}, sign_headers=covered)
    sent = [("Content-Type", "application/octet-stream"), ("Content-Range", "bytes 0-3/4"),
            ("Content-Range", "bytes 0-3/8"), ("Authorization", auth["Authorization"])]
    resp = httpx.put(server.url + target, content=blob, headers=sent)
    assert resp.status_code == 400, resp.text
    assert "Content-Range" in resp.json()["detail"]
    assert server.central.attachments.status(kiosk.device.device_id,
                                             target.rsplit("/", 1)[1])["offset"] == 0


def test_a_verified_key_that_keeps_failing_is_slowed_down_from_anywhere(tmp_path,
                                                                        isolated_home, db_url):
    """Failures after the signature verified (a body not matching its hash) are the key
    holder's own: they are charged to the key, whichever network they come from."""
    from central.app import Guards

    server = _guarded(tmp_path / "c", Guards(auth_failures_per_minute=0.1,
                                             auth_failures_burst=3), db_url)
    try:
        kiosk = enrolled_kiosk(server, isolated_home)

        def put_from(host: str, sent: bytes) -> int:
            target = "/v1/attachments/" + "a" * 64
            covered = {"Content-Type": "application/octet-stream",
                       "Content-Range": "bytes 0-3/4"}
            headers = signed(kiosk, "PUT", target, b"abcd", headers=covered)
            with httpx.Client(transport=httpx.HTTPTransport(local_address=host)) as client:
                return client.put(server.url + target, content=sent, headers=headers).status_code

        assert [put_from("127.0.4.1", b"abcX") for _ in range(3)] == [401] * 3
        assert put_from("127.0.5.1", b"abcd") == 429  # the key's budget, from a fresh network
    finally:
        server.stop()
