"""Trust anchors the central server offers: enrolled devices' keys, kiosks' audit heads.

- ``GET /v1/devices/keys``: every enrolled device's public key (and whether it
  is revoked) as one JWS signed by the server key (``typ``
  ``kiosk-device-keys+jws``). Anyone holding the server's public key — an
  agency, an auditor, ``kiosk-central receipt verify`` — checks a kiosk receipt
  against it: a receipt is genuine only if the key that signed it is listed.
- ``POST /v1/audit-head`` (signed by the device): the kiosk's audit-log head
  ``{seq, hash}`` after each sync (bundles carry it too). The server keeps the
  newest per device and refuses (409 ``audit-regressed``, and keeps a flag for
  the operator) a head that went backwards — fewer entries, or the same count
  with another hash: the kiosk's log was cut or its database replaced.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kiosk.errors import SecurityError

DEVICE_KEYS_TYP = "kiosk-device-keys+jws"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def device_keys(store: Any) -> list[dict[str, Any]]:
    """Every enrolled device: id, public JWK, enrolled/revoked times (no names)."""
    rows = store.device_keys()
    return [{"device_id": r[0], "public_jwk": json.loads(r[1]), "enrolled_at": r[2],
             "revoked_at": r[3]} for r in rows]


def signed_key_list(central: Any) -> str:
    from sync.auth import sign_json

    return sign_json({"server_kid": central.kid, "issued_at": int(time.time()),
                      "devices": device_keys(central.store)},
                     central.key, typ=DEVICE_KEYS_TYP, kid=central.kid)


def verify_key_list(token: str, server_key: Any) -> dict[str, dict[str, Any]]:
    """The list (device ID -> entry) if ``token`` is signed by ``server_key``."""
    from sync.auth import verify_json

    listing = verify_json(token, server_key, typ=DEVICE_KEYS_TYP)
    devices = listing.get("devices")
    if not isinstance(devices, list):
        raise SecurityError("device key list has no devices")
    return {str(d["device_id"]): d for d in devices if isinstance(d, dict) and "device_id" in d}


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
    """Keep the newest head; {"status": "ok"|"regressed", "seq": known seq, ...}
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
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValueError("audit head seq must be a whole number >= 0")
    if not isinstance(digest, str) or not (digest == "" and seq == 0 or _HEX64.fullmatch(digest)):
        raise ValueError("audit head hash must be 64 lowercase hex digits")
    return seq, digest


def routes(central: Any) -> list[Route]:
    """The routes of this module, for central/app.py."""
    from central.app import Problem

    async def keys(request: Request) -> Response:
        await central.body(request, 0)
        return JSONResponse({"signature": signed_key_list(central), "server_kid": central.kid})

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


def cmd_receipt_verify(args: Any) -> int:
    """``kiosk-central receipt verify STRING [--keys FILE --server-key FILE]``.

    Default: against this server's own signed key list (built and verified here).
    With ``--keys``: a saved ``GET /v1/devices/keys`` reply, checked with the
    server public key in ``--server-key`` (an agency's offline check).
    """
    from central.cli import _central, _print_json
    from kiosk.errors import NotFoundError
    from sync.auth import import_public

    if args.keys:
        if not args.server_key:
            raise SecurityError("--keys needs --server-key FILE (the server's public JWK) "
                                "to check the list's signature")
        try:
            token = json.loads(open(args.keys, encoding="utf-8").read())["signature"]
            server = import_public(json.loads(open(args.server_key, encoding="utf-8").read()))
        except FileNotFoundError as exc:
            raise NotFoundError(f"file not found: {exc.filename}") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SecurityError(f"cannot read the key list or server key "
                                f"({type(exc).__name__})") from None
    else:
        central = _central(args)
        token, server = signed_key_list(central), central.key
    result = check_receipt(args.text, verify_key_list(token, server))
    claims = result["claims"]
    if args.json:
        _print_json({"valid": True, **result})
        return 0
    print(f"receipt is genuine: submission {claims['id']}, device {claims['dev']} "
          f"(enrolled here), sealed {claims['t']}" + (" [DEMO]" if claims.get("demo") else ""))
    if result["revoked_at"]:
        print(f"  note: device {claims['dev']} has since been revoked")
    return 0
