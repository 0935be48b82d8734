"""The signed device-key list at 10,000 devices (issue 20): before, one JWS over every
device hit joserfc's 128 kB payload default at ~530 devices and no receipt could be
checked. Now it comes in signed parts bound by list_id/part/parts: a real server on
loopback, a real kiosk's receipt checked offline against the saved list."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from central.trust import KEYS_PER_PART, verify_key_list
from kiosk.errors import SecurityError
from sync.auth import b64url
from tests.conftest import REPO
from tests.sync.helpers import enrolled_kiosk, finalize

DEVICES = 10_000


def _enrol_many(store, n: int) -> None:
    """``n`` enrolled devices, straight into the server's table (enrolment is tested
    elsewhere; what matters here is how many the list holds)."""
    rows = [(f"kiosk-{i:016x}", json.dumps({"crv": "Ed25519", "kty": "OKP",
                                             "x": b64url(os.urandom(32))}), "", time.time())
            for i in range(n)]
    with store.transaction() as conn:
        conn.executemany("INSERT INTO devices (device_id, public_jwk, name, enrolled_at) "
                         "VALUES (?, ?, ?, ?)", rows)


def test_ten_thousand_devices_and_a_receipt_checked_against_them(server, isolated_home,
                                                                 tmp_path):
    kiosk = enrolled_kiosk(server, isolated_home)
    _enrol_many(server.central.store, DEVICES)
    with kiosk.store() as store:
        [sid] = finalize(kiosk, store, 1)
        qr = store.receipt_qr(sid)
    reply = httpx.get(server.url + "/v1/devices/keys", timeout=60).json()
    assert len(reply["parts"]) == -(-(DEVICES + 1) // KEYS_PER_PART)
    listed = verify_key_list(reply, server.central.key)
    assert len(listed) == DEVICES + 1 and kiosk.device.device_id in listed
    (tmp_path / "keys.json").write_text(json.dumps(reply), "utf-8")
    (tmp_path / "server.jwk").write_text(
        json.dumps(server.central.key.as_dict(private=False)), "utf-8")
    offline = subprocess.run(
        [sys.executable, "-m", "central.cli", "receipt", "verify", qr, "--keys",
         str(tmp_path / "keys.json"), "--server-key", str(tmp_path / "server.jwk"),
         "--data", str(tmp_path / "x")], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert offline.returncode == 0, offline.stderr
    assert "genuine" in offline.stdout


@pytest.fixture
def two_lists(server):
    _enrol_many(server.central.store, KEYS_PER_PART * 2 + 1)
    first = httpx.get(server.url + "/v1/devices/keys", timeout=60).json()
    second = httpx.get(server.url + "/v1/devices/keys", timeout=60).json()
    assert len(first["parts"]) == 3
    return first, second


@pytest.mark.parametrize("change", ["drop-last", "drop-first", "swap", "mix", "empty"])
def test_a_list_with_parts_missing_reordered_or_mixed_is_refused(server, two_lists, change):
    first, second = two_lists
    parts = list(first["parts"])
    changed = {"drop-last": parts[:-1], "drop-first": parts[1:],
               "swap": [parts[1], parts[0], parts[2]],
               "mix": [parts[0], second["parts"][1], parts[2]], "empty": []}[change]
    assert verify_key_list(first, server.central.key)  # the untouched list verifies
    with pytest.raises(SecurityError):
        verify_key_list({**first, "parts": changed}, server.central.key)


def test_a_saved_single_signature_list_is_still_read(server):
    from central.trust import DEVICE_KEYS_TYP, device_keys
    from sync.auth import sign_json

    _enrol_many(server.central.store, 3)
    token = sign_json({"server_kid": server.central.kid, "issued_at": int(time.time()),
                       "devices": device_keys(server.central.store)},
                      server.central.key, typ=DEVICE_KEYS_TYP, kid=server.central.kid)
    assert len(verify_key_list({"signature": token}, server.central.key)) == 3
