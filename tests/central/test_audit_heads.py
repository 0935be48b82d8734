"""Issue 21 item 9 and a Low item: the audit-head anchor moves only forward.

A genuine older bundle (or just its signed header line, replayed) carries an
older head: it is recorded, not an alarm. AUDIT-LOG-WENT-BACKWARDS is kept for a
head that contradicts a newer one: the live kiosk reporting less than it already
did, or the same entry with another hash. A ``seq`` past 2^63 is one refusal.
"""

from __future__ import annotations

import json

import httpx

from tests.central.attack import signed
from tests.sync.helpers import engine, enrolled_kiosk, finalize


def test_an_older_genuine_bundle_is_no_alarm(server, isolated_home, tmp_path):
    from central.bundle_import import import_bundle_file
    from central.trust import head_of
    from sync.media import export_queue

    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        finalize(kiosk, store, 2)
        export_queue(kiosk.home, store, tmp_path / "old.bundle", device=kiosk.device)
        finalize(kiosk, store, 2)
        eng = engine(kiosk, store, pull_catalog=False)
        assert eng.run_once().audit_head == "reported"
        eng.client.close()
    newer = head_of(server.central.store, kiosk.device.device_id)
    report = import_bundle_file(server.central, tmp_path / "old.bundle")
    assert report["manifest_verified"]
    known = head_of(server.central.store, kiosk.device.device_id)
    assert known["regressed_at"] is None
    assert (known["seq"], known["hash"]) == (newer["seq"], newer["hash"])  # only forward
    assert report.get("audit_head") == "older"


def test_a_contradicting_head_is_still_an_alarm(server, isolated_home):
    from central.trust import head_of, record_head

    kiosk = enrolled_kiosk(server, isolated_home)
    store, device = server.central.store, kiosk.device.device_id
    assert record_head(store, device, 10, "a" * 64, via="bundle")["status"] == "ok"
    assert record_head(store, device, 4, "b" * 64, via="bundle")["status"] == "older"
    assert head_of(store, device)["regressed_at"] is None
    # the same entry with another hash: the log was rewritten, whoever carries it
    assert record_head(store, device, 10, "c" * 64, via="bundle")["status"] == "regressed"
    assert head_of(store, device)["regressed_at"] is not None


def test_a_huge_audit_seq_is_one_refusal(server, isolated_home):
    from central.trust import parse_head

    kiosk = enrolled_kiosk(server, isolated_home)
    for seq in (2**63, 10**19 + 7):
        body = json.dumps({"seq": seq, "hash": "a" * 64}).encode()
        resp = httpx.post(server.url + "/v1/audit-head", content=body, headers=signed(
            kiosk, "POST", "/v1/audit-head", body, headers={"Content-Type": "application/json"}))
        assert resp.status_code == 400, resp.text
        assert "seq" in resp.json()["detail"]
    assert parse_head({"seq": 2**63 - 1, "hash": "a" * 64})[0] == 2**63 - 1
