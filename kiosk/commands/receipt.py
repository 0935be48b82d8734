"""``kiosk receipt verify STRING [--key FILE] [--json]`` and ``kiosk receipt show ID``.

Verification is offline: the receipt is a JWS by the device key, checked
against this kiosk's own public key or one given with ``--key`` (a public JWK
file, e.g. from the central server). Exit 0 valid, 7 not authentic.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kiosk.commands._common import add_home, add_json, get_home, print_json
from kiosk.errors import NotFoundError, SecurityError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("receipt", help="verify or show a submission receipt (QR code)")
    verbs = p.add_subparsers(dest="receipt_command", metavar="VERB", required=True)
    v = verbs.add_parser("verify", help="check a receipt's signature offline")
    v.add_argument("text", metavar="STRING", help="the text of the receipt QR code")
    v.add_argument("--key", metavar="FILE", help="device public JWK (default: this kiosk's)")
    v.add_argument("--lang", choices=("mn", "en"), default=argparse.SUPPRESS)
    add_home(v)
    add_json(v)
    v.set_defaults(func=run_verify)
    s = verbs.add_parser("show", help="print a submission's receipt and render its QR code")
    s.add_argument("submission_id", metavar="ID")
    s.add_argument("--svg", metavar="FILE", help="write the QR code as SVG")
    s.add_argument("--png", metavar="FILE", help="write the QR code as PNG")
    add_home(s)
    add_json(s)
    s.set_defaults(func=run_show)


def _public_key(args: argparse.Namespace, claimed: str | None) -> dict:
    from kiosk.device import device_id_for, load_device

    if args.key:
        try:
            jwk = json.loads(Path(args.key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFoundError(f"key file not found: {args.key}") from None
        except (OSError, ValueError) as exc:
            raise SecurityError(f"{args.key}: not a JWK file ({exc.__class__.__name__})") from None
        if not isinstance(jwk, dict):
            raise SecurityError(f"{args.key}: not a JWK")
        if "d" in jwk:
            jwk = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x")}
        device_id_for(jwk)  # validates the key type
        return jwk
    own = load_device()
    if claimed and claimed != own.device_id:
        raise SecurityError(
            f"this receipt is from device {claimed}, not this kiosk ({own.device_id}); "
            "give that device's public key with --key FILE"
        )
    return own.public_jwk


def run_verify(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.i18n import t
    from kiosk.receipt import peek_device_id, verify_receipt

    home = get_home(args)
    lang = getattr(args, "lang", None) or load_config(home.config_file).language
    claims = verify_receipt(args.text, _public_key(args, peek_device_id(args.text)))
    local = None
    if home.db.exists():
        from kiosk.store import Store

        with Store.open(home) as store:
            env = store.envelope(claims["id"])
            if env is not None:
                if not env.payload_sha256.startswith(claims["ph"]):
                    raise SecurityError(t("store.receipt_hash_mismatch", lang))
                local = store.submission(claims["id"])["state"]
    if args.json:
        print_json({"valid": True, "claims": claims, "local_state": local})
        return 0
    print(t("store.receipt_valid", lang, id=claims["id"], device=claims["dev"], time=claims["t"]))
    if claims.get("demo"):
        print(t("store.demo_label", lang))
    if local:
        print(t("store.receipt_local_state", lang, state=t(f"store.state_{local}", lang)))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from kiosk.receipt import render_png, render_svg
    from kiosk.store import Store

    home = get_home(args)
    if not home.db.exists():
        raise NotFoundError(f"no kiosk database in {home.root}")
    with Store.open(home) as store:
        info = store.submission(args.submission_id)
    qr = info["receipt_qr"]
    if qr is None:
        raise NotFoundError(f"no receipt for submission {args.submission_id}")
    if args.svg:
        Path(args.svg).write_bytes(render_svg(qr))
    if args.png:
        Path(args.png).write_bytes(render_png(qr))
    if args.json:
        print_json(
            {
                "submission_id": info["id"],
                "receipt": qr,
                "demo": info["demo"],
                "state": info["state"],
            }
        )
    else:
        print(qr)
    return 0
