"""``kiosk enroll --new-key``: a revoked kiosk gets a new device identity (issue 20) and
is told what happens to its queue: what the old key sealed stays, counted, and is never
sent under the new key (the server could not verify it, so it would be rejected)."""

from __future__ import annotations

import json

from kiosk.device import load_device
from kiosk.secrets import DEVICE_KEY_RETIRED, open_secrets
from sync.runtime import open_engine
from tests.sync.helpers import enroll_code, enrolled_kiosk, finalize, start_server


def test_new_key_after_revocation_keeps_the_old_keys_queue(tmp_path, isolated_home, kiosk_cli):
    server = start_server(tmp_path / "central-data")
    try:
        kiosk = enrolled_kiosk(server, isolated_home)
        with kiosk.store() as store:
            old_ids = finalize(kiosk, store, 3)
        assert server.central.store.revoke(kiosk.device.device_id)
        res = kiosk_cli("enroll", "--new-key", "--server", server.url, "--code",
                        enroll_code(server), "--lang", "en")
        assert res.returncode == 0, res.stderr
        assert f"replaced {kiosk.device.device_id}" in res.stdout
        assert "3 unsent submission(s) sealed with the old key" in res.stdout
        secrets = open_secrets(kiosk.home.root)
        new = load_device(secrets)
        assert new.device_id != kiosk.device.device_id
        assert json.loads(secrets.get(DEVICE_KEY_RETIRED))["x"] == kiosk.device.public_jwk["x"]
        with kiosk.store() as store:
            fresh = finalize(type(kiosk)(kiosk.home, new, kiosk.agency_jwk), store, 2)
            engine = open_engine(kiosk.home, store=store, pull_catalog=False)
            report = engine.run_once()
            engine.close()
            assert (report.state, report.accepted, report.rejected) == ("ok", 2, 0), report
            assert {store.submission(i)["state"] for i in fresh} == {"acknowledged"}
            assert {store.submission(i)["state"] for i in old_ids} == {"sealed"}  # kept
    finally:
        server.stop()


def test_failed_enrolment_with_new_key_keeps_the_old_key(tmp_path, isolated_home, kiosk_cli):
    server = start_server(tmp_path / "central-data")
    try:
        kiosk = enrolled_kiosk(server, isolated_home)
        res = kiosk_cli("enroll", "--new-key", "--server", server.url, "--code", "WRONG-CODE")
        assert res.returncode != 0
        assert load_device(open_secrets(kiosk.home.root)).device_id == kiosk.device.device_id
    finally:
        server.stop()
