"""The server refuses what it must: replays, strangers, revoked kiosks, tampering, alg none."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from kiosk.envelope import seal
from sync.auth import SCHEME, canonical, generate_key, sign_request
from tests.sync.helpers import engine, finalize


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sent_headers(body: bytes, ctype: str = "application/json") -> dict[str, str]:
    """The covered headers ``_post`` sends (httpx adds Content-Length)."""
    return {"Content-Type": ctype, "Content-Length": str(len(body))}


def _signed_post(kiosk, server, body: bytes, *, created: float | None = None,
                 target: str = "/v1/submissions"):
    auth = sign_request(device_id=kiosk.device.device_id, key=kiosk.device.private_key,
                        method="POST", target=target, body=body,
                        created=int(created or time.time()), headers=_sent_headers(body))
    return auth


def _items(kiosk, n=1):
    store = kiosk.store()
    finalize(kiosk, store, n)
    batch = store.next_batch(time.time() + 10, 10**9, 100)
    return store, [{"submission_id": i.id, "record": i.record, "jwe": i.jwe} for i in batch]


def _post(server, body: bytes, auth: str) -> httpx.Response:
    return httpx.post(server.url + "/v1/submissions", content=body,
                      headers={"Authorization": auth, "Content-Type": "application/json"})


def _detail(resp: httpx.Response) -> str:
    assert resp.headers["content-type"] == "application/problem+json"
    return resp.json()["type"].rsplit("/", 1)[-1]


def test_replayed_request_is_refused(server, kiosk):
    _, items = _items(kiosk)
    body = json.dumps({"items": items}).encode()
    auth = _signed_post(kiosk, server, body)
    first = _post(server, body, auth)
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "accepted"
    again = _post(server, body, auth)
    assert again.status_code == 401 and _detail(again) == "replay"


def test_stale_and_misbound_requests_are_refused(server, kiosk):
    _, items = _items(kiosk)
    body = json.dumps({"items": items}).encode()
    stale = _post(server, body, _signed_post(kiosk, server, body, created=time.time() - 3600))
    assert stale.status_code == 401 and _detail(stale) == "stale"
    other_body = _post(server, body, _signed_post(kiosk, server, b'{"items": []}'))
    assert other_body.status_code == 401 and _detail(other_body) == "bad-signature"
    other_path = _post(server, body, _signed_post(kiosk, server, body, target="/v1/catalog"))
    assert other_path.status_code == 401 and _detail(other_path) == "bad-signature"
    unsigned = httpx.post(server.url + "/v1/submissions", content=body,
                          headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert server.central.store.count() == 0


def test_alg_none_request_token_is_refused(server, kiosk):
    _, items = _items(kiosk)
    body = json.dumps({"items": items}).encode()
    header = {"alg": "none", "typ": "kiosk-request+jws", "kid": kiosk.device.device_id}
    claims = {"m": "POST", "t": "/v1/submissions", "d": _b64(__import__("hashlib").sha256(body).digest()),
              "c": int(time.time()), "n": "abcdefghijklmnop"}
    token = f"{_b64(json.dumps(header).encode())}.{_b64(canonical(claims))}."
    resp = _post(server, body, f"{SCHEME} {token}")
    assert resp.status_code == 401
    assert server.central.store.count() == 0


def test_alg_none_record_is_rejected_per_item(server, kiosk):
    store, items = _items(kiosk)
    record = items[0]["record"]
    head, payload, _sig = record.split(".")
    forged_head = _b64(json.dumps({"alg": "none", "typ": "kiosk-record+jws",
                                   "kid": kiosk.device.device_id}).encode())
    items[0]["record"] = f"{forged_head}.{payload}."
    body = json.dumps({"items": items}).encode()
    resp = _post(server, body, _signed_post(kiosk, server, body))
    result = resp.json()["results"][0]
    assert result["status"] == "rejected" and "does not verify" in result["reason"]
    assert server.central.store.count() == 0


def _flip(text: str, index: int) -> str:
    c = text[index]
    return text[:index] + ("A" if c != "A" else "B") + text[index + 1:]


@pytest.mark.parametrize("field, where", [("jwe", 0.5), ("jwe", 0.9), ("record", 0.5),
                                          ("record", 0.95)])
def test_bit_flipped_envelope_is_rejected(server, kiosk, field, where):
    _, items = _items(kiosk)
    value = items[0][field]
    items[0][field] = _flip(value, int(len(value) * where))
    body = json.dumps({"items": items}).encode()
    resp = _post(server, body, _signed_post(kiosk, server, body))
    result = resp.json()["results"][0]
    assert result["status"] == "rejected", result
    assert server.central.store.count() == 0


def test_unknown_device_is_refused_and_sync_stops(server, kiosk, tmp_path):
    from kiosk.device import DeviceIdentity

    stranger = DeviceIdentity.from_private_jwk(dict(generate_key().as_dict(private=True)))
    body = b'{"items": []}'
    auth = sign_request(device_id=stranger.device_id, key=stranger.private_key, method="POST",
                        target="/v1/submissions", body=body, created=int(time.time()),
                        headers=_sent_headers(body))
    unknown = _post(server, body, auth)
    assert unknown.status_code == 401
    # a kiosk claiming an enrolled ID with another key fails the signature — and gets
    # exactly the same answer, so nobody can probe which device IDs are enrolled
    auth = sign_request(device_id=kiosk.device.device_id, key=stranger.private_key,
                        method="POST", target="/v1/submissions", body=body,
                        created=int(time.time()), headers=_sent_headers(body))
    wrong_key = _post(server, body, auth)
    assert wrong_key.status_code == 401
    assert _detail(unknown) == _detail(wrong_key) == "bad-signature"
    assert unknown.json()["detail"] == wrong_key.json()["detail"]


def test_revoked_device_is_refused_and_told(server, kiosk, kiosk_cli):
    store = kiosk.store()
    finalize(kiosk, store, 2)
    assert server.central.store.revoke(kiosk.device.device_id)
    report = engine(kiosk, store).run_once()
    assert report.state == "auth" and "revoked" in report.error
    assert server.central.store.count() == 0
    assert store.counts()["acknowledged"] == 0 and store.counts()["rejected"] == 0
    store.close()
    cli = kiosk_cli("sync", "--once", "--no-catalog")
    assert cli.returncode == 7, cli.stderr + cli.stdout
    assert "revoked" in cli.stdout


def test_demo_submissions_are_refused_by_a_real_server(server, kiosk):
    store = kiosk.store()
    finalize(kiosk, store, 2, demo=True)
    report = engine(kiosk, store).run_once()
    assert report.rejected == 2 and server.central.store.count() == 0
    rows = store.submissions("rejected")
    assert all("DEMO" in r["last_error"] for r in rows)


def test_same_id_other_bytes_is_a_conflict(server, kiosk):
    store, items = _items(kiosk)
    body = json.dumps({"items": items}).encode()
    assert _post(server, body, _signed_post(kiosk, server, body)).json()["results"][0][
        "status"] == "accepted"
    other = seal({"form_id": "test-form", "form_version": "1", "answers": {"note": "changed"}},
                 submission_id=items[0]["submission_id"], device=kiosk.device,
                 agency_jwk=kiosk.agency_jwk, demo=False, attachments=[],
                 finalized_at="2026-01-01T00:00:00Z")
    body = json.dumps({"items": [{"submission_id": other.submission_id, "record": other.record,
                                  "jwe": other.jwe}]}).encode()
    result = _post(server, body, _signed_post(kiosk, server, body)).json()["results"][0]
    assert result["status"] == "conflict"
    assert server.central.store.count() == 1


def test_no_stack_trace_on_garbage(server, kiosk):
    body = b"\x1f\x8b not really gzip"
    auth = sign_request(device_id=kiosk.device.device_id, key=kiosk.device.private_key,
                        method="POST", target="/v1/submissions", body=body,
                        created=int(time.time()),
                        headers={**_sent_headers(body), "Content-Encoding": "gzip"})
    resp = httpx.post(server.url + "/v1/submissions", content=body,
                      headers={"Authorization": auth, "Content-Type": "application/json",
                               "Content-Encoding": "gzip"})
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in resp.text
    resp = httpx.post(server.url + "/v1/enroll", content=b"[1,2", headers={
        "Content-Type": "application/json"})
    assert resp.status_code == 400 and "Traceback" not in resp.text
