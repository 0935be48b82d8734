"""Issue 21 (server side): a stranger who knows only a kiosk's public device ID, or
who shares nothing with it but the network, cannot stop it syncing.

Every test runs a real kiosk-central on loopback (both storage backends where the
counters live in the store) and real kiosks or raw sockets against it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from sync.auth import generate_key
from tests.central.attack import signed
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
