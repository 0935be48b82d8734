"""Receipts checked against a real anchor, and audit heads the server watches (issue 10)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import httpx
from joserfc.jwk import OKPKey

from kiosk.device import DeviceIdentity
from kiosk.envelope import canonical_json, jws_sign
from kiosk.receipt import RECEIPT_TYP, peek_device_id
from tests.conftest import REPO
from tests.sync.helpers import engine, enrolled_kiosk, finalize


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *cmd], capture_output=True, text=True,
                          cwd=REPO, timeout=120)


def _forged(dev: str, key: OKPKey) -> str:
    claims = {"v": 2, "id": "01900000-0000-7000-8000-000000000009", "eh": "ab" * 8,
              "t": "2026-11-30T10:00:00.000Z", "dev": dev, "demo": False}
    return jws_sign(canonical_json(claims), key, kid=dev, typ=RECEIPT_TYP)


def test_receipt_from_another_key_is_refused_and_never_called_valid(server, isolated_home,
                                                                   tmp_path):
    kiosk = enrolled_kiosk(server, isolated_home)
    home = str(kiosk.home.root)
    attacker = OKPKey.generate_key("Ed25519")
    key_file = tmp_path / "attacker.jwk"
    key_file.write_text(json.dumps(attacker.as_dict(private=False)), "utf-8")
    claiming_us = _forged(kiosk.device.device_id, attacker)
    for extra in ((), ("--key", str(key_file))):
        out = _run("app", "receipt", "verify", claiming_us, "--lang", "en", *extra,
                   "--home", home)
        assert out.returncode == 7, out.stdout + out.stderr
        assert "valid" not in out.stdout.lower()
    attacker_id = DeviceIdentity.from_private_jwk(attacker.as_dict(private=True)).device_id
    own_name = _forged(attacker_id, attacker)
    out = _run("app", "receipt", "verify", own_name, "--key", str(key_file), "--json",
               "--home", home)
    assert out.returncode == 0 and json.loads(out.stdout)["anchored"] is False
    out = _run("app", "receipt", "verify", own_name, "--key", str(key_file), "--lang", "en",
               "--home", home)
    assert "Receipt is valid" not in out.stdout and "key you gave" in out.stdout
    central = _run("central.cli", "receipt", "verify", own_name, "--data",
                   str(server.central.settings.data_dir))
    assert central.returncode == 7 and "not enrolled" in central.stderr


def test_genuine_receipt_checks_against_the_servers_signed_key_list(server, isolated_home,
                                                                   tmp_path):
    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        [sid] = finalize(kiosk, store, 1)
        qr = store.receipt_qr(sid)
    assert peek_device_id(qr) == kiosk.device.device_id
    own = _run("app", "receipt", "verify", qr, "--json", "--home", str(kiosk.home.root))
    assert own.returncode == 0 and json.loads(own.stdout)["anchored"] is True
    data = str(server.central.settings.data_dir)
    out = _run("central.cli", "receipt", "verify", qr, "--data", data)
    assert out.returncode == 0, out.stderr
    assert "genuine" in out.stdout
    listing = httpx.get(server.url + "/v1/devices/keys").json()
    (tmp_path / "keys.json").write_text(json.dumps(listing), "utf-8")
    (tmp_path / "server.jwk").write_text(
        json.dumps(server.central.key.as_dict(private=False)), "utf-8")
    offline = _run("central.cli", "receipt", "verify", qr, "--keys", str(tmp_path / "keys.json"),
                   "--server-key", str(tmp_path / "server.jwk"), "--data", str(tmp_path / "x"))
    assert offline.returncode == 0, offline.stderr
    other = OKPKey.generate_key("Ed25519")
    (tmp_path / "other.jwk").write_text(json.dumps(other.as_dict(private=False)), "utf-8")
    wrong = _run("central.cli", "receipt", "verify", qr, "--keys", str(tmp_path / "keys.json"),
                 "--server-key", str(tmp_path / "other.jwk"), "--data", str(tmp_path / "x"))
    assert wrong.returncode == 7  # a list not signed by the server anchors nothing


def test_receipt_hash_cannot_confirm_a_guessed_answer(server, isolated_home):
    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        env = store.finalize({"form_id": "test-form", "form_version": "1",
                              "answers": {"note": "yes"}},
                             device=kiosk.device, agency_jwk=kiosk.agency_jwk, demo=False)
        qr = store.receipt_qr(env.submission_id)
    import base64

    body = qr.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert "ph" not in claims
    text = json.dumps(claims)
    assert env.payload_sha256[:16] not in text  # the answers' hash is not in the receipt
    assert claims["eh"] == env.jwe_sha256[:16] == hashlib.sha256(env.jwe.encode()).hexdigest()[:16]


def test_server_refuses_an_audit_head_that_went_backwards(server, isolated_home, tmp_path):
    from central.trust import head_of

    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        finalize(kiosk, store, 2)
        eng = engine(kiosk, store, pull_catalog=False)
        assert eng.run_once().audit_head == "reported"
        eng.client.close()
    first = head_of(server.central.store, kiosk.device.device_id)
    copy = tmp_path / "old.db"
    shutil.copyfile(kiosk.home.db, copy)  # the database as it was (WAL checkpointed on close)
    with kiosk.store() as store:
        finalize(kiosk, store, 2)
        eng = engine(kiosk, store, pull_catalog=False)
        assert eng.run_once().audit_head == "reported"
        eng.client.close()
    later = head_of(server.central.store, kiosk.device.device_id)
    assert later["seq"] > first["seq"] and later["regressed_at"] is None
    for suffix in ("-wal", "-shm"):
        (kiosk.home.root / f"kiosk.db{suffix}").unlink(missing_ok=True)
    shutil.copyfile(copy, kiosk.home.db)  # put the older copy back
    with kiosk.store() as store:
        assert store.verify_audit().ok  # locally consistent: only the server can tell
        eng = engine(kiosk, store, pull_catalog=False)
        report = eng.run_once()
        eng.client.close()
    assert report.audit_head == "regressed"
    flagged = head_of(server.central.store, kiosk.device.device_id)
    assert flagged["regressed_at"] is not None and flagged["seq"] == later["seq"]


def test_a_bundle_carries_the_audit_head_and_a_regression_is_flagged(server, isolated_home,
                                                                     tmp_path):
    from central.bundle_import import import_bundle_file
    from central.trust import head_of
    from sync.media import export_queue

    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        finalize(kiosk, store, 2)
        head = store.audit_head()
        export_queue(kiosk.home, store, tmp_path / "a.bundle", device=kiosk.device)
    report = import_bundle_file(server.central, tmp_path / "a.bundle")
    assert report["manifest_verified"]
    known = head_of(server.central.store, kiosk.device.device_id)
    assert known["seq"] == head["seq"] and known["via"] == "bundle"
    from central.trust import record_head

    assert record_head(server.central.store, kiosk.device.device_id, head["seq"] - 1,
                       "0" * 64)["status"] == "regressed"


def test_central_devices_lists_a_regressed_audit_log(server, isolated_home):
    from central.trust import record_head

    kiosk = enrolled_kiosk(server, isolated_home)
    store = server.central.store
    record_head(store, kiosk.device.device_id, 10, "a" * 64)
    assert record_head(store, kiosk.device.device_id, 4, "b" * 64)["status"] == "regressed"
    out = _run("central.cli", "devices", "--data", str(server.central.settings.data_dir))
    assert out.returncode == 0, out.stderr
    assert "audit=10" in out.stdout and "AUDIT-LOG-WENT-BACKWARDS" in out.stdout
