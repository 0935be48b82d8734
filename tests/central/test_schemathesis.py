"""Schemathesis against the reference server: no 5xx, every reply matches the contract.

Requests are signed with an enrolled device key (so the protected operations are
exercised beyond 401); examples per operation are kept small for CI.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sync.auth import sign_request
from tests.sync.helpers import start_server

SPEC = Path(__file__).resolve().parents[2] / "sync" / "contract" / "openapi.yaml"
schema = schemathesis.openapi.from_path(str(SPEC))

# Bundles are NDJSON: fuzz with arbitrary lines, including a plausible header.
schemathesis.openapi.media_type("application/x-ndjson", st.one_of(
    st.binary(max_size=2000),
    st.lists(st.text(max_size=200), max_size=5).map(lambda ls: "\n".join(ls).encode()),
    st.just(b'{"format": "soum-kiosk-bundle/1", "device_id": "kiosk-0", "manifest": "a.b.c"}'
            b'\n{"submission_id": "x", "record": "a.b.c", "jwe": "a.b.c.d.e"}\n'),
))


class DeviceAuth(requests.auth.AuthBase):
    def __init__(self, device) -> None:
        self.device = device

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        r.headers["Authorization"] = sign_request(
            device_id=self.device.device_id, key=self.device.private_key, method=r.method or "GET",
            target=r.path_url, body=body, created=int(time.time()), headers=r.headers)
        return r


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from kiosk.device import DeviceIdentity
    from sync.auth import generate_key

    server = start_server(tmp_path_factory.mktemp("central-fuzz"))
    device = DeviceIdentity.from_private_jwk(dict(generate_key().as_dict(private=True)))
    code, _ = server.central.store.new_enroll_code(600)
    pub = {k: device.public_jwk[k] for k in ("kty", "crv", "x")}
    assert server.central.store.use_enroll_code(code, device.device_id, pub, "fuzz") is None
    yield server, DeviceAuth(device)
    server.stop()


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_server_honours_the_contract(case, live):
    server, auth = live
    # Per-item verdicts are by design (a bad record is `rejected` inside a 200), and the
    # signing hook re-adds Authorization, so the "negative data must be refused" checks
    # do not apply; what must hold: no 5xx and every reply exactly as the contract says.
    case.call_and_validate(base_url=server.url, auth=auth, checks=CHECKS)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, allow_header_conformance]
