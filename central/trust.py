"""Trust anchors the central server offers: enrolled devices' keys, kiosks' audit heads.

- ``GET /v1/devices/keys``: every enrolled device's public key (and whether it
  is revoked) as ``parts``: JWSs signed by the server key (``typ``
  ``kiosk-device-keys+jws``), each over at most ``KEYS_PER_PART`` devices and
  bound to the others by ``list_id``, ``part`` and ``parts`` — so a signed
  payload stays small however many kiosks are enrolled (one JWS over all of
  them hit joserfc's 128 kB default at ~530 devices). Anyone holding the
  server's public key — an agency, an auditor, ``kiosk-central receipt
  verify`` — checks a kiosk receipt against it: a receipt is genuine only if
  the key that signed it is listed. A saved single-``signature`` list (the
  earlier form) is still read.
- ``POST /v1/audit-head`` (signed by the device): the kiosk's audit-log head
  ``{seq, hash}`` after each sync (bundles carry it too). The server keeps the
  newest per device and refuses (409 ``audit-regressed``, and keeps a flag for
  the operator) a head that went backwards — fewer entries, or the same count
  with another hash: the kiosk's log was cut or its database replaced. A bundle's
  head is where the log ended when the bundle was made: an older one (a genuine
  old bundle imported late) is recorded as ``older``, not an alarm; the same
  entry with another hash still is.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from central.settings import Problem
from kiosk.errors import SecurityError

DEVICE_KEYS_TYP = "kiosk-device-keys+jws"
KEYS_PER_PART = 250  # ~60 kB of signed payload per part
MAX_SEQ = 2**63  # a signed 64-bit column holds it on both backends
_HEX64 = re.compile(r"[0-9a-f]{64}")


def device_keys(store: Any) -> list[dict[str, Any]]:
    """Every enrolled device: id, public JWK, enrolled/revoked times (no names)."""
    rows = store.device_keys()
    return [{"device_id": r[0], "public_jwk": json.loads(r[1]), "enrolled_at": r[2],
             "revoked_at": r[3]} for r in rows]


def signed_key_list(central: Any) -> dict[str, Any]:
    """The reply of ``GET /v1/devices/keys``: ``{server_kid, parts: [JWS, ...]}``."""
    from sync.auth import sign_json

    devices = device_keys(central.store)
    groups = [devices[i:i + KEYS_PER_PART] for i in range(0, len(devices), KEYS_PER_PART)]
    head = {"server_kid": central.kid, "issued_at": int(time.time()),
            "list_id": str(uuid.uuid4()), "parts": max(1, len(groups))}
    parts = [sign_json({**head, "part": n, "devices": group}, central.key,
                       typ=DEVICE_KEYS_TYP, kid=central.kid)
             for n, group in enumerate(groups or [[]])]
    return {"server_kid": central.kid, "parts": parts}


def verify_key_list(reply: Any, server_key: Any) -> dict[str, dict[str, Any]]:
    """The list (device ID -> entry) if every part of ``reply`` is signed by
    ``server_key`` and the parts are one whole list; SecurityError otherwise."""
    from sync.auth import verify_json

    tokens = reply.get("parts") if isinstance(reply, dict) else None
    if tokens is None and isinstance(reply, dict) and "signature" in reply:
        tokens = [reply["signature"]]  # a list saved before it came in parts
    if not isinstance(tokens, list) or not tokens:
        raise SecurityError("device key list has no signed parts")
    out: dict[str, dict[str, Any]] = {}
    first: dict[str, Any] | None = None
    for n, token in enumerate(tokens):
        listing = verify_json(token, server_key, typ=DEVICE_KEYS_TYP)
        first = first or listing
        _check_part(listing, first, n, len(tokens))
        out.update({str(d["device_id"]): d for d in listing["devices"]
                    if isinstance(d, dict) and "device_id" in d})
    return out


def _check_part(listing: dict[str, Any], first: dict[str, Any], n: int, total: int) -> None:
    """Part ``n`` of ``total`` belongs to the same list as the first, in its place."""
    if not isinstance(listing.get("devices"), list):
        raise SecurityError("device key list has no devices")
    if "parts" not in listing and total == 1:
        return  # the earlier single-JWS form
    if listing.get("list_id") != first.get("list_id") or listing.get("part") != n or \
            listing.get("parts") != total:
        raise SecurityError(f"device key list part {n} is not part {n} of {total} of one "
                            "list (parts mixed, missing or reordered)")


def check_receipt(text: str, keys: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The receipt's claims, verified against the listed key of the device it names."""
    from kiosk.receipt import peek_device_id, verify_receipt

    claimed = peek_device_id(text)
    if not claimed:
        raise SecurityError("this is not a kiosk receipt")
    entry = keys.get(claimed)
    if entry is None:
        raise SecurityError(f"receipt names device {claimed}, which is not enrolled here: "
                            "not a genuine receipt")
    claims = verify_receipt(text, entry["public_jwk"])
    return {"claims": claims, "revoked_at": entry.get("revoked_at")}


def record_head(store: Any, device_id: str, seq: int, digest: str, *,
                via: str = "online") -> dict[str, Any]:
    """Keep the newest head; {"status": "ok"|"older"|"regressed", "seq": known seq, ...}
    (the table and the rule: ``central.db.sql.SqlStore.record_head``)."""
    return dict(store.record_head(device_id, seq, digest, via))


def head_of(store: Any, device_id: str) -> dict[str, Any] | None:
    head = store.head_of(device_id)
    return None if head is None else dict(head)


def parse_head(data: Any) -> tuple[int, str]:
    """(seq, hash) from a reported head; ValueError naming what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("audit head must be a JSON object {seq, hash}")
    seq, digest = data.get("seq"), data.get("hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < MAX_SEQ:
        raise ValueError("audit head seq must be a whole number from 0 to 2^63 - 1")
    if not isinstance(digest, str) or not (digest == "" and seq == 0 or _HEX64.fullmatch(digest)):
        raise ValueError("audit head hash must be 64 lowercase hex digits")
    return seq, digest


def routes(central: Any) -> list[Route]:
    """The routes of this module, for central/app.py."""
    async def keys(request: Request) -> Response:
        await central.body(request, 0)
        return JSONResponse(signed_key_list(central))

    async def audit_head(request: Request) -> Response:
        device_id, _, decoded = await central.authenticate(request, 4_000)
        data = central.json_body(request, decoded)
        try:
            seq, digest = parse_head(data)
        except ValueError as exc:
            raise Problem(400, "bad-request", str(exc)) from None
        result = record_head(central.store, device_id, seq, digest)
        if result["status"] == "regressed":
            raise Problem(409, "audit-regressed",
                          f"this kiosk's audit log went backwards: {result['detail']}",
                          known_seq=result["seq"])
        return JSONResponse({"status": "ok", "seq": seq})

    return [Route("/v1/devices/keys", keys, methods=["GET"]),
            Route("/v1/audit-head", audit_head, methods=["POST"])]
