"""``kiosk receipt verify STRING [--key FILE] [--json]`` and ``kiosk receipt show ID``.

Verification is offline and anchored to this kiosk's own device key: without
``--key`` a receipt verifies only if this kiosk signed it. ``--key`` checks a
receipt of another kiosk against a public key the technician got from the
central server's signed key list; a receipt that names *this* kiosk but is
signed by any other key is refused whatever ``--key`` says, and a valid
signature by a given key is reported as exactly that ("signed by the key you
gave"), never as proof that an enrolled kiosk issued it. Exit 0 valid, 7 not
authentic.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.commands._common import add_home, add_json, get_home, print_json
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


def _own_device(home: object) -> object | None:
    from kiosk.device import load_device
    from kiosk.errors import ConfigError
    from kiosk.secrets import open_secrets

    try:
        return load_device(open_secrets(home.root))  # type: ignore[attr-defined]
    except (ConfigError, NotFoundError):
        return None


def _given_key(path: str) -> dict:
    from kiosk.device import device_id_for

    try:
        jwk = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(key="cli.key_file_not_found", params={"path": path}) from None
    except (OSError, ValueError) as exc:
        raise SecurityError(key="cli.not_a_jwk_file",
                            params={"path": path, "reason": exc.__class__.__name__}) from None
    if not isinstance(jwk, dict):
        raise SecurityError(key="cli.not_a_jwk_file", params={"path": path, "reason": "JSON"})
    jwk = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x")}
    device_id_for(jwk)  # validates the key type
    return jwk


def _public_key(args: argparse.Namespace, claimed: str | None, own: object | None,
                lang: str) -> tuple[dict, bool]:
    """(key to verify with, anchored?) — anchored means it is this kiosk's own key."""
    from kiosk.device import device_id_for

    own_id = getattr(own, "device_id", None)
    if args.key:
        jwk = _given_key(args.key)
        if own_id is not None and claimed == own_id and device_id_for(jwk) != own_id:
            raise SecurityError(key="trust.receipt_foreign_key", params={"device": own_id})
        return jwk, own_id is not None and device_id_for(jwk) == own_id
    if own is None:
        raise SecurityError(key="trust.receipt_no_own_key")
    if claimed and claimed != own_id:
        raise SecurityError(key="trust.receipt_other_kiosk", params={"device": claimed, "own": own_id})
    return own.public_jwk, True  # type: ignore[attr-defined]


def run_verify(args: argparse.Namespace) -> int:
    from app.commands._common import cli_lang, usable_home
    from kiosk.i18n import t
    from kiosk.receipt import matches_envelope, peek_device_id, receipt_number, verify_receipt

    home = get_home(args)
    lang = cli_lang(args, home)
    usable_home(home, lang)
    if not args.key:
        from app.commands._common import require_kiosk

        require_kiosk(home, lang)
    own = _own_device(home) if home.root.is_dir() else None
    key, anchored = _public_key(args, peek_device_id(args.text), own, lang)
    claims = verify_receipt(args.text, key)
    local = None
    if home.db.is_file():
        from kiosk.store import Store

        with Store.open(home) as store:
            env = store.envelope(claims["id"])
            if env is not None and claims["dev"] != getattr(own, "device_id", None):
                # our own submission: only our key can have vouched for it
                raise SecurityError(key="trust.receipt_our_submission",
                                    params={"id": claims["id"], "device": claims["dev"]})
            if env is not None:
                if not matches_envelope(claims, jwe_sha256=env.jwe_sha256,
                                        payload_sha256=env.payload_sha256):
                    raise SecurityError(key="store.receipt_hash_mismatch")
                local = store.submission(claims["id"])["state"]
    if args.json:
        print_json({"valid": True, "anchored": anchored, "claims": claims, "local_state": local,
                    "number": receipt_number(claims["id"])})
        return 0
    if anchored:
        print(t("store.receipt_valid", lang, id=claims["id"], device=claims["dev"],
                time=claims["t"]))
    else:
        print(t("trust.receipt_valid_given_key", lang, id=claims["id"], device=claims["dev"],
                time=claims["t"]))
    print(t("flow.receipt_number_line", lang, number=receipt_number(claims["id"])))
    if claims.get("demo"):
        print(t("store.demo_label", lang))
    if local:
        print(t("store.receipt_local_state", lang, state=t(f"store.state_{local}", lang)))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from app.commands._common import cli_lang, require_kiosk
    from kiosk.receipt import render_png, render_svg
    from kiosk.store import Store

    home = get_home(args)
    require_kiosk(home, cli_lang(args, home))
    with Store.open(home) as store:
        info = store.submission(args.submission_id)
    qr = info["receipt_qr"]
    if qr is None:
        raise NotFoundError(key="cli.no_receipt", params={"submission_id": args.submission_id})
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
