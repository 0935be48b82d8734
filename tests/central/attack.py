"""Helpers for the hostile-client suite: signed raw requests and hostile envelopes."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from kiosk.envelope import seal
from sync.auth import sign_request


def signed(kiosk: Any, method: str, target: str, body: bytes = b"", *,
           headers: dict[str, str] | None = None, sign_headers: dict[str, str] | None = None,
           key: Any = None, device_id: str | None = None) -> dict[str, str]:
    """Request headers with an Authorization over ``body`` and the covered headers.

    ``sign_headers`` (default: what is sent) lets a test sign one thing and send another.
    """
    sent = {**(headers or {}), **({"Content-Length": str(len(body))} if body else {})}
    auth = sign_request(device_id=device_id or kiosk.device.device_id,
                        key=key or kiosk.device.private_key, method=method, target=target,
                        body=body, created=int(time.time()),
                        headers=sent if sign_headers is None else sign_headers)
    return {**(headers or {}), "Authorization": auth}


def post_items(server: Any, kiosk: Any, items: list[dict[str, Any]]) -> httpx.Response:
    body = json.dumps({"items": items}).encode()
    return httpx.post(server.url + "/v1/submissions", content=body,
                      headers=signed(kiosk, "POST", "/v1/submissions", body,
                                     headers={"Content-Type": "application/json"}))


def hostile_item(kiosk: Any, submission_id: str, *, form_id: str = "test-form",
                 attachments: list[Any] | None = None) -> dict[str, Any]:
    """A correctly signed envelope whose submission ID the device chose freely."""
    env = seal({"form_id": form_id, "form_version": "1", "answers": {"note": "x"}},
               submission_id=submission_id, device=kiosk.device, agency_jwk=kiosk.agency_jwk,
               demo=False, attachments=attachments or [], finalized_at="2026-01-01T00:00:00Z")
    return {"submission_id": env.submission_id, "record": env.record, "jwe": env.jwe}


def problem_type(resp: httpx.Response) -> str:
    assert resp.headers["content-type"] == "application/problem+json", resp.text
    return str(resp.json()["type"]).rsplit("/", 1)[-1]
