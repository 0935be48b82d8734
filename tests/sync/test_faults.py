"""Bad links through the fault proxy, and bad replies from a scripted server.

Every submission arrives exactly once; a reply lost after the commit becomes
``duplicate`` on retry; a 503 storm causes backoff, not a tight loop; bad
replies give a clear error and acknowledge nothing.
"""

from __future__ import annotations

import threading

import pytest

from sync.client import CentralClient
from sync.engine import SyncEngine
from tests.sync.fakeserver import FakeCentral, json_reply
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import engine, finalize, server_ids

SUBMIT = b"POST /v1/submissions"


class FakeClock:
    """Engine time we can jump forward (retry schedules), never a sleep."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def proxy(server):
    with FaultProxy.to_url(server.url) as p:
        yield p


def _engine_via(kiosk, store, url, clock, **client_kwargs):
    return engine(kiosk, store, url=url, clock=clock,
                  client_kwargs={"timeout": 1.5, "connect_timeout": 2.0, **client_kwargs})


def test_every_submission_arrives_exactly_once_through_faults(server, kiosk, proxy):
    store = kiosk.store()
    ids = finalize(kiosk, store, 30)
    clock = FakeClock()
    proxy.inject(
        Fault("reset_up", at=200, match=SUBMIT),     # request cut mid-body
        Fault("reset_down", at=0, match=SUBMIT),     # committed, reply lost
        Fault("reset_down", at=40, match=SUBMIT),    # reply cut in its headers
        Fault("stall_down", at=0, stall=2.5, match=SUBMIT),  # silence, then close
        Fault("reset_up", at=0, match=SUBMIT),       # request never reaches the server
    )
    states = []
    eng = _engine_via(kiosk, store, proxy.url, clock, compress=False)
    eng.max_batch_items = 8
    for _ in range(15):
        report = eng.run_once()
        states.append(report.state)
        clock.now += 3600  # every scheduled retry is due
        if store.counts()["acknowledged"] == len(ids):
            break
    assert "outcome-unknown" in states
    got = server_ids(server)
    assert sorted(got) == sorted(ids)  # server count = unique IDs: no duplicates, none lost
    assert len(got) == len(set(got))
    assert store.counts()["acknowledged"] == len(ids)


def test_reply_lost_after_commit_is_a_duplicate_on_retry(server, kiosk, proxy):
    store = kiosk.store()
    ids = finalize(kiosk, store, 5)
    clock = FakeClock()
    proxy.inject(Fault("reset_down", at=0, match=SUBMIT))
    eng = _engine_via(kiosk, store, proxy.url, clock)
    first = eng.run_once()
    assert first.state == "outcome-unknown"
    assert server.central.store.count() == 5  # committed before the reply was lost
    assert store.counts()["acknowledged"] == 0
    clock.now += 3600
    second = engine(kiosk, store, url=proxy.url, clock=clock).run_once()
    assert second.state == "ok", second.error
    assert second.duplicate == 5 and second.accepted == 0
    assert server.central.store.count() == 5
    assert sorted(server_ids(server)) == sorted(ids)


def _fake_engine(kiosk, store, fake: FakeCentral, clock, rng=None, **kwargs) -> SyncEngine:
    from kiosk.device import load_device
    from kiosk.secrets import open_secrets

    device = load_device(open_secrets(kiosk.home.root))
    client = CentralClient(fake.url, device=device, server_key=fake.key, timeout=3.0,
                           connect_timeout=3.0, **kwargs)
    extra = {"rng": rng} if rng else {}
    return SyncEngine(kiosk.home, store, client, device_id=device.device_id,
                      pull_catalog=False, clock=clock, **extra)


@pytest.fixture
def fake():
    f = FakeCentral()
    yield f
    f.stop()


def test_503_storm_backs_off_instead_of_hammering(kiosk, fake):
    from sync.loop import SyncLoop

    store_path_home = kiosk.home
    fake.routes["/v1/submissions"] = lambda m, t, b: json_reply(
        {"type": "x/busy", "title": "busy", "status": 503, "detail": "overloaded"}, 503)
    store = kiosk.store()
    finalize(kiosk, store, 3)
    store.close()
    import time

    def make_round():
        from kiosk.store import Store

        s = Store.open(store_path_home)
        # rng pinned to the top of the jitter range: 5 s, 10 s, ... (deterministic)
        return _fake_engine(kiosk, s, fake, time.time, rng=lambda: 1.0).run_once

    rounds = []
    loop = SyncLoop(make_round, interval=0.5, on_status=lambda st: rounds.append(st.state))
    loop.start()
    window = threading.Event()
    window.wait(3.0)  # a measurement window: count what the loop did in 3 s
    loop.stop()
    posts = fake.counts["POST /v1/submissions"]
    assert posts == 1, fake.counts  # a tight loop would make hundreds
    assert rounds[0] == "server-busy"
    assert set(rounds) <= {"server-busy", "ok"}  # "ok" = link fine, nothing due yet
    # the backoff is persisted: a fresh engine after a "restart" sends nothing yet
    from kiosk.store import Store

    with Store.open(store_path_home) as s:
        again = _fake_engine(kiosk, s, fake, time.time, rng=lambda: 1.0).run_once()
        row = s.submission(s.submissions()[0]["id"])
        assert row["next_attempt_at"] > time.time() and row["attempts"] >= 1
        assert again.sent == 0 and fake.counts["POST /v1/submissions"] == posts
        assert s.counts()["queued"] == 3 and s.counts()["acknowledged"] == 0


HTML = (b"<!doctype html><html><head><title>Login</title></head>"
        b"<body>Welcome to FreeWiFi. Please log in.</body></html>")


def _html(m, t, b):
    return 200, {"Content-Type": "text/html; charset=utf-8"}, HTML


def _truncated(m, t, b):
    return 200, {"Content-Type": "application/json"}, b'{"results": [{"submission_id": "01'


def _wrong_type(m, t, b):
    return 200, {"Content-Type": "text/plain"}, b'{"results": []}'


def _huge(m, t, b):
    size = 50 * 1024 * 1024
    block = b" " * (1024 * 1024)
    return 200, {"Content-Type": "application/json", "Content-Length": str(size)}, (
        block for _ in range(50))


def _cut_body(m, t, b):
    return 200, {"Content-Type": "application/json", "Content-Length": "5000"}, b'{"res'


@pytest.mark.parametrize(
    "where, reply, state, words",
    [
        ("/v1/health", _html, "captive-portal", "captive portal"),
        ("/v1/submissions", _html, "captive-portal", "captive portal"),
        ("/v1/submissions", _truncated, "outcome-unknown", "not valid JSON"),
        ("/v1/submissions", _wrong_type, "outcome-unknown", "wrong content type"),
        ("/v1/submissions", _huge, "outcome-unknown", "larger than"),
        ("/v1/submissions", _cut_body, "outcome-unknown", "cut off"),
    ],
    ids=["portal-health", "portal-submit", "truncated-json", "wrong-type", "50mb", "short-body"],
)
def test_bad_replies_are_clear_errors_and_mark_nothing_sent(kiosk, fake, where, reply, state,
                                                            words):
    import time

    fake.routes[where] = reply
    store = kiosk.store()
    ids = finalize(kiosk, store, 3)
    report = _fake_engine(kiosk, store, fake, time.time).run_once()
    assert report.state == state
    assert words in report.error
    counts = store.counts()
    assert counts["acknowledged"] == 0 and counts["sent"] == 0 and counts["rejected"] == 0
    for sid in ids:
        assert store.submission(sid)["state"] in ("sealed", "queued")


def test_captive_portal_signed_by_another_key_is_not_the_server(kiosk, fake):
    """A JSON page that looks right but whose marker is not from the pinned key."""
    import time

    from sync.auth import generate_key

    fake.key = generate_key()  # marker signed, but not by the key the client pins
    store = kiosk.store()
    finalize(kiosk, store, 1)
    eng = _fake_engine(kiosk, store, fake, time.time)
    eng.client.server_key = generate_key()
    report = eng.run_once()
    assert report.state == "captive-portal"
    assert "pinned key" in report.error
    assert fake.counts["POST /v1/submissions"] == 0


def test_link_down_then_back_sends_within_seconds(server, kiosk):
    """Offline rounds probe with a short cap; when the link returns the queue drains."""
    from sync.loop import SyncLoop

    store = kiosk.store()
    ids = finalize(kiosk, store, 4)
    store.close()
    host, port = server.url.rsplit(":", 1)
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead_port = sock.getsockname()[1]
    sock.close()  # nothing listens there: the link is "down"
    target = {"url": f"http://127.0.0.1:{dead_port}"}
    proxy_holder: list[FaultProxy] = []

    def make_round():
        from kiosk.store import Store

        s = Store.open(kiosk.home)

        def run():
            eng = engine(kiosk, s, url=target["url"], client_kwargs={"connect_timeout": 1.0})
            try:
                return eng.run_once()
            finally:
                eng.client.close()

        return run

    seen: list[str] = []
    done = threading.Event()

    def on_status(st):
        seen.append(st.state)
        if st.state == "ok" and st.counts.get("acknowledged") == len(ids):
            done.set()

    loop = SyncLoop(make_round, interval=30, on_status=on_status)
    loop.start()
    try:
        deadline = threading.Event()
        for _ in range(100):
            if len(seen) >= 2:
                break
            deadline.wait(0.05)
        assert seen[:2] == ["offline", "offline"]
        proxy_holder.append(FaultProxy.to_url(server.url))
        target["url"] = proxy_holder[0].url  # the link comes back
        assert done.wait(10.0), seen  # offline probing is capped at a few seconds
    finally:
        loop.stop()
        for p in proxy_holder:
            p.stop()
    assert sorted(server_ids(server)) == sorted(ids)


def test_proxy_imposes_latency_and_bandwidth(server, kiosk):
    """The link simulator itself: a reply cannot arrive sooner than the link allows."""
    import time as _time

    store = kiosk.store()
    finalize(kiosk, store, 10, size=1500)
    with FaultProxy.to_url(server.url, latency=0.05, bandwidth=40_000) as slow:
        eng = engine(kiosk, store, url=slow.url, client_kwargs={"compress": False})
        started = _time.perf_counter()
        report = eng.run_once()
        elapsed = _time.perf_counter() - started
        assert report.state == "ok" and report.accepted == 10
        carried = slow.bytes_up + slow.bytes_down
        # each direction is serialised at 40 kB/s, and every exchange pays 2 x 50 ms
        assert elapsed >= max(slow.bytes_up, slow.bytes_down) / 40_000
        assert elapsed >= 3 * 2 * 0.05  # health, catalog, batch: three round trips
        assert carried > 10 * 1500
