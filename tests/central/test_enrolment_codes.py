"""One-time enrolment codes: used once, expire, unknown refused — over real HTTP."""

from __future__ import annotations

import httpx

from sync.auth import generate_key


def _enroll(server, code: str) -> httpx.Response:
    key = generate_key()
    pub = key.as_dict(private=False)
    return httpx.post(server.url + "/v1/enroll", json={
        "code": code, "device_public_jwk": {"kty": "OKP", "crv": "Ed25519", "x": pub["x"]},
        "name": "test"})


def test_codes_are_one_time_expiring_and_case_insensitive(server):
    store = server.central.store
    code, _ = store.new_enroll_code(600)
    first = _enroll(server, code.lower())
    assert first.status_code == 201, first.text
    second = _enroll(server, code)
    assert second.status_code == 403 and "already used" in second.json()["detail"]
    expired, _ = store.new_enroll_code(-1)
    resp = _enroll(server, expired)
    assert resp.status_code == 403 and "expired" in resp.json()["detail"]
    resp = _enroll(server, "ABCD-EFGH-JKLM")
    assert resp.status_code == 403 and "unknown" in resp.json()["detail"]
    assert len(store.devices()) == 1


def test_enrolment_reply_is_signed_by_the_key_health_proves(server):
    from sync.auth import ENROLMENT_TYP, HEALTH_TYP, import_public, verify_json

    code, _ = server.central.store.new_enroll_code(600)
    reply = _enroll(server, code).json()
    key = import_public(reply["server_public_jwk"])
    cert = verify_json(reply["credentials"]["certificate"], key, typ=ENROLMENT_TYP)
    assert cert["device_id"] == reply["device_id"]
    health = httpx.get(server.url + "/v1/health", params={"nonce": "n0nce-12345"}).json()
    marker = verify_json(health["marker"], key, typ=HEALTH_TYP)
    assert marker["nonce"] == "n0nce-12345"
    assert health["limits"]["max_batch_items"] >= 1
