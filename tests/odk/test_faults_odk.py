"""Bad links and crashes between the kiosk and the real ODK Central: exactly once.

Resets and stalls during the multipart POSTs go through the fault proxy
(sync.linksim); the crash is a real `kiosk sync --once` child killed with SIGKILL while
its POST is on the wire. Every case ends with exactly one submission per ID on Central.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from kiosk.envelope import jws_verify
from sync.odk.deliver import open_delivery
from tests.conftest import REPO
from tests.odk.helpers import FORMS, PHOTO, household_xform
from tests.odk.kiosk_side import connect_kiosk
from tests.sync.faultproxy import Fault, FaultProxy

POST = b"POST /v1/key/"


def _proxied(url: str, proxy: FaultProxy) -> str:
    return proxy.url + url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _drain(kiosk, delivery, *, rounds: int = 30) -> None:
    """Rounds until nothing is left to send (backoff skipped: due again at once)."""
    deadline = time.monotonic() + 120
    for _ in range(rounds):
        delivery.run_once()
        counts = kiosk.store.counts()
        if counts["acknowledged"] + counts["rejected"] == sum(counts.values()):
            return
        assert time.monotonic() < deadline, counts
        with kiosk.store.write() as conn:
            conn.execute("UPDATE submissions SET next_attempt_at = 0 "
                         "WHERE state IN ('sealed', 'queued', 'sent')")
    raise AssertionError(f"not delivered after {rounds} rounds: {kiosk.store.counts()}")


def test_resets_and_stalls_during_multipart_posts_deliver_once(make_form, central,
                                                               isolated_home) -> None:
    pid, form_id, user = make_form(household_xform(), encrypted=True)
    with FaultProxy.to_url(central.base) as proxy:
        kiosk = connect_kiosk(isolated_home, _proxied(user.url, proxy), form_id)
        ids = [kiosk.finalize() for _ in range(4)]
        proxy.inject(
            Fault("reset_up", at=700, match=POST),  # request cut mid-body
            Fault("reset_down", at=0, match=POST),  # committed, reply lost
            Fault("stall_down", at=0, stall=2.0, match=POST),  # silence, then close
            Fault("reset_down", at=30, match=POST),  # reply cut in its headers
            Fault("reset_up", at=0, match=POST),  # request never reaches the server
        )
        delivery = open_delivery(kiosk.home, kiosk.store, timeout=10.0)
        assert delivery is not None
        _drain(kiosk, delivery)
        assert proxy.connections >= 5
    assert {kiosk.store.submission(i)["state"] for i in ids} == {"acknowledged"}
    assert central.count(pid, form_id) == 4
    assert sorted(s["instanceId"] for s in central.submissions(pid, form_id)) == \
        sorted(f"uuid:{i}" for i in ids)


def test_parts_split_under_the_accepted_length_and_the_jws_travels(make_form, central,
                                                                  isolated_home) -> None:
    """A form with a ``kiosk_signature`` field gets the kiosk's JWS as an attachment; with
    a small accepted length the photo and the JWS go in two POSTs of the same XML."""
    from kiosk.device import load_or_create_device

    xform = (FORMS / "household_signed.xml").read_bytes()
    pid, form_id, user = make_form(xform)
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    delivery = open_delivery(kiosk.home, kiosk.store)
    assert delivery is not None and delivery.client is not None
    delivery.client._max_body = len(PHOTO) // 2  # as if HEAD said so: one file per POST
    report = delivery.run_once()
    assert report.accepted == 1
    receipt = kiosk.store.submission(sid)["server_receipt"]
    assert receipt["posts"] == 2
    assert central.attachment(pid, form_id, f"uuid:{sid}", "photo.jpg") == PHOTO
    jws = central.attachment(pid, form_id, f"uuid:{sid}", "kiosk-signature.jws")
    device = load_or_create_device(kiosk.store.secrets())
    _, payload = jws_verify(jws, device.public_jwk, typ="kiosk-submission+jws")
    claims = json.loads(payload)
    assert claims["submission_id"] == sid and claims["device_id"] == device.device_id
    assert central.count(pid, form_id) == 1


@pytest.mark.parametrize("fault", ["mid-body", "reply-held"])
def test_sigkill_mid_post_then_sync_again_one_submission(make_form, central, isolated_home,
                                                         fault: str) -> None:
    pid, form_id, user = make_form(household_xform())
    with FaultProxy.to_url(central.base) as proxy:
        kiosk = connect_kiosk(isolated_home, _proxied(user.url, proxy), form_id)
        sid = kiosk.finalize()
        kiosk.store.close()
        # mid-body: part of the request, then a dead link; reply-held: the whole request
        # reached Central (committed), its reply is held back
        proxy.inject(Fault("blackhole", at=2000, match=POST) if fault == "mid-body"
                     else Fault("stall_down", at=0, stall=60, match=POST))
        child = subprocess.Popen([sys.executable, "-m", "app", "sync", "--once"], cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=dict(os.environ, KIOSK_HOME=str(kiosk.home.root)))
        deadline = time.monotonic() + 60

        def on_the_wire() -> bool:
            if fault == "mid-body":  # the link went dead 2000 bytes into the POST
                return any(c.holed.is_set() for c in proxy._conns)
            return proxy.bytes_up > len(PHOTO)

        while not on_the_wire():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the POST never started"
            time.sleep(0.02)
        if fault == "reply-held":
            while central.count(pid, form_id) < 1:
                assert time.monotonic() < deadline, "Central never committed"
                time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    again = connect_kiosk(isolated_home, user.url, form_id, moved=True)
    assert again.store.submission(sid)["state"] in ("sent", "sealed", "queued")
    with again.store.write() as conn:
        conn.execute("UPDATE submissions SET next_attempt_at = 0")
    delivery = open_delivery(again.home, again.store)
    assert delivery is not None and delivery.run_once().accepted == 1
    assert again.store.submission(sid)["state"] == "acknowledged"
    assert central.count(pid, form_id) == 1
    assert central.attachment(pid, form_id, f"uuid:{sid}", "photo.jpg") == PHOTO
