"""Client and server against the contract: every request and reply of a full round,
including enrolment, catalog (200 then 304), attachments and batches, is validated
against sync/contract/openapi.yaml; then the agency decrypts what arrived."""

from __future__ import annotations

import json

from kiosk.paths import Home
from tests.sync.contract import ValidatingTransport, validate_response
from tests.sync.helpers import Kiosk, enroll_code, server_ids


def test_full_round_matches_the_contract_and_agency_can_decrypt(server, isolated_home, tmp_path):
    from central.decrypt import decrypt_all
    from kiosk.device import load_device
    from kiosk.secrets import open_secrets
    from kiosk.store import Store
    from sync.enrol import enroll
    from sync.runtime import open_engine

    transport = ValidatingTransport()
    home = Home(isolated_home).ensure()
    info = enroll(home, server.url, enroll_code(server), client_kwargs={"transport": transport})
    assert info["catalog"]["changed"] and info["catalog"]["forms"] >= 1
    device = load_device(open_secrets(home.root))
    catalog = json.loads((home.catalog / "catalog.json").read_text("utf-8"))
    agency_id, agency = next(iter(catalog["agencies"].items()))
    kiosk = Kiosk(home, device, agency["keys"][0])

    store = Store.open(home)
    photo = bytes(range(256)) * 1500  # ~384 KB: several upload chunks
    draft = store.save_draft(None, form_id="test-form", form_version="1", answers={})
    value = store.add_attachment(draft, photo, name="scan.png", media_type="image/png",
                                 max_bytes=10**7)
    env = store.finalize({"form_id": "test-form", "form_version": "1",
                          "answers": {"name": "Бат", "scan": value}},
                         device=device, agency_jwk=kiosk.agency_jwk, demo=False, draft_id=draft)
    plain = [store.finalize({"form_id": "test-form", "form_version": "1",
                             "answers": {"n": i}}, device=device, agency_jwk=kiosk.agency_jwk,
                            demo=False).submission_id for i in range(5)]
    server.central.settings.limits.max_chunk_bytes = 100_000
    eng = open_engine(home, store=store, client_kwargs={"transport": transport})
    eng.client.state.limits["max_chunk_bytes"] = 100_000
    report = eng.run_once()
    assert report.state == "ok", report.error
    assert report.accepted == 6
    assert sorted(server_ids(server)) == sorted([env.submission_id, *plain])
    assert any(c.startswith("PUT /v1/attachments/") for c in transport.checked)
    assert any(c == "GET /v1/catalog 304" for c in transport.checked)
    assert any(c == "GET /v1/catalog 200" for c in transport.checked)
    assert any(c.startswith("POST /v1/submissions 200") for c in transport.checked)

    key_file = server.central.settings.data_dir / "agency-keys" / f"{agency_id}.jwk"
    out = tmp_path / "agency-out"
    result = decrypt_all(server.central.settings.data_dir, key_file, out)
    assert result["failed"] == [] and result["decrypted"] == 6
    doc = json.loads((out / f"{env.submission_id}.json").read_text("utf-8"))
    assert doc["device_signature"] == "verified"
    assert doc["payload"]["answers"]["name"] == "Бат"
    assert (out / env.submission_id / "scan.png").read_bytes() == photo


def test_problem_replies_match_the_contract(server):
    import httpx

    for method, path, kwargs in [
        ("GET", "/v1/catalog", {}),
        ("POST", "/v1/submissions", {"content": b"{}", "headers": {
            "Content-Type": "application/json"}}),
        ("POST", "/v1/enroll", {"json": {"code": "NOPE", "device_public_jwk": {
            "kty": "OKP", "crv": "Ed25519", "x": "A" * 43}}}),
        ("GET", "/v1/health", {"params": {"nonce": "x" * 200}}),
    ]:
        resp = httpx.request(method, server.url + path, **kwargs)
        assert resp.status_code >= 400
        validate_response(method, path, resp.status_code, resp.headers, resp.content)
