"""``kiosk-central``: run and administer the reference central server.

Sub-commands: serve, enroll-code, devices, revoke, submissions, decrypt,
import, technician-token, export-acks. Anything a device or bundle chose (IDs,
names, reasons) is escaped before it reaches the terminal (``kiosk.ids.printable``). Errors are one line and an exit code (kiosk.errors),
never a traceback. The data folder holds the database and the server's keys.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.errors import EXIT_INTERNAL, KioskError, NotFoundError, SecurityError
from kiosk.ids import printable
from sync import jsonlimits

log = logging.getLogger("central.cli")
DEFAULT_DATA = "central-data"


def _data(args: argparse.Namespace) -> Path:
    return Path(args.data or os.environ.get("KIOSK_CENTRAL_DATA") or DEFAULT_DATA).resolve()


def _url(args: argparse.Namespace) -> str | None:
    from central.backend import database_url

    return database_url(getattr(args, "database_url", None))


def _store(args: argparse.Namespace) -> Any:
    from central.backend import open_store

    return open_store(_data(args), _url(args))


def _central(args: argparse.Namespace) -> Any:
    from central.app import Central, Settings
    from kiosk.paths import bundled_catalog_dir

    catalog = Path(args.catalog) if getattr(args, "catalog", None) else bundled_catalog_dir()
    return Central(Settings(_data(args), catalog, accept_demo=getattr(args, "accept_demo", False),
                            database_url=_url(args)))


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def cmd_serve(args: argparse.Namespace) -> int:
    from central.app import Settings
    from central.server import serve_forever
    from kiosk.paths import bundled_catalog_dir

    catalog = Path(args.catalog) if args.catalog else bundled_catalog_dir()
    if not (catalog / "catalog.json").exists():
        raise NotFoundError(key="tech.central_no_catalog", params={"folder": catalog})
    settings = Settings(_data(args), catalog, accept_demo=args.accept_demo,
                        database_url=_url(args), trusted_proxies=tuple(args.trusted_proxy))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def ready(port: int) -> None:
        mode = " (DEMO submissions accepted)" if args.accept_demo else ""
        print(f"kiosk-central listening on http://{args.host}:{port}{mode}", flush=True)

    serve_forever(settings, args.host, args.port, on_ready=ready)
    return 0


def cmd_enroll_code(args: argparse.Namespace) -> int:
    store = _store(args)
    code, expires = store.new_enroll_code(int(args.ttl * 60))
    if args.json:
        _print_json({"code": code, "expires_at": int(expires)})
    else:
        print(code)
        print(f"one-time; expires {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(expires))}",
              file=sys.stderr)
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    from central.trust import head_of

    store = _store(args)
    rows = store.devices()
    for row in rows:  # the audit head each kiosk last reported (and any regression)
        row["audit_head"] = head_of(store, row["device_id"])
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("no devices enrolled")
    for row in rows:
        state = "REVOKED" if row.get("revoked_at") else "active"
        head = row["audit_head"] or {}
        audit = f"audit={head['seq']}" if head else "audit=?"
        if head.get("regressed_at"):
            audit += " AUDIT-LOG-WENT-BACKWARDS"
        print(f"{printable(row['device_id'])}  {state:7}  submissions={row['submissions']}  "
              f"{audit}  {printable(row.get('name') or '')}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    store = _store(args)
    if store.device(args.device) is None:
        raise NotFoundError(key="tech.central_no_device", params={"device": args.device})
    changed = store.revoke(args.device)
    print(f"{args.device} revoked" if changed else f"{args.device} was already revoked")
    return 0


def cmd_submissions(args: argparse.Namespace) -> int:
    rows = _store(args).submissions()
    out = [{
        "submission_id": r["submission_id"], "device_id": r["device_id"], "form_id": r["form_id"],
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r["received_at"])),
        "verified": bool(r["verified"]), "demo": bool(r["demo"]), "via": r["via"],
    } for r in rows]
    if args.json:
        _print_json(out)
        return 0
    if not out:
        print("no submissions received")
    for r in out:
        flags = ("verified" if r["verified"] else "UNVERIFIED") + ("  DEMO" if r["demo"] else "")
        print(f"{printable(r['submission_id'])}  {printable(r['device_id'])}  "
              f"{printable(r['form_id']):24}  {r['received_at']}  {flags}")
    return 0


def cmd_decrypt(args: argparse.Namespace) -> int:
    from central.decrypt import decrypt_all

    report = decrypt_all(_data(args), Path(args.key), Path(args.out), _url(args))
    if args.json:
        _print_json(report)
    else:
        print(f"decrypted {report['decrypted']} submission(s) into {args.out}; "
              f"skipped {report['skipped']} for other keys; failed {len(report['failed'])}")
        for fail in report["failed"]:
            print(f"  {printable(fail['submission_id'])}: {printable(fail['reason'])}",
                  file=sys.stderr)
    return 1 if report["failed"] else 0


def cmd_import(args: argparse.Namespace) -> int:
    from central.bundle_import import import_bundle_file

    path = Path(args.bundle)
    if not path.is_file():
        raise NotFoundError(key="tech.central_no_bundle", params={"path": path})
    report = import_bundle_file(_central(args), path)
    if args.json:
        _print_json(report)
    else:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report["counts"].items())) or "nothing"
        print(f"{printable(path.name)}: {counts}")
        for err in report["errors"]:
            print(f"  {printable(err)}", file=sys.stderr)
        for r in report["results"]:
            if r["status"] not in ("accepted", "duplicate"):
                print(f"  {printable(r['submission_id'])}: {r['status']}: "
                      f"{printable(r.get('reason', ''))}", file=sys.stderr)
    bad = report["errors"] or any(
        r["status"] not in ("accepted", "duplicate") for r in report["results"])
    return 1 if bad else 0


def cmd_technician_token(args: argparse.Namespace) -> int:
    token, expires = _store(args).new_technician_token(int(args.ttl * 60), args.note or "")
    if args.json:
        _print_json({"token": token, "expires_at": int(expires)})
    else:
        print(token)
        print("for POST /v1/bundles as 'Authorization: Bearer <token>'; expires "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(expires))}", file=sys.stderr)
    return 0


def cmd_export_acks(args: argparse.Namespace) -> int:
    from central.backend import open_backend
    from central.keys import server_key, server_kid
    from sync.bundles import ACKS_FORMAT

    backend = open_backend(_data(args), _url(args))
    key = server_key(backend.vault)
    rows = backend.store.submissions()
    acks = [{"device_id": r["device_id"], "submission_id": r["submission_id"],
             "receipt": r["receipt"]}
            for r in rows if not args.device or r["device_id"] == args.device]
    doc = {"format": ACKS_FORMAT, "server_kid": server_kid(key), "created_at": int(time.time()),
           "acks": acks}
    out = Path(args.out)
    out.write_text(json.dumps(doc, indent=1), "utf-8")
    print(f"wrote {len(acks)} acknowledgement(s) to {out}")
    return 0


# a saved GET /v1/devices/keys reply: parts of 250 devices (~60 kB each)
KEY_LIST_LIMITS = jsonlimits.JsonLimits(max_bytes=64_000_000, max_depth=8, max_items=100_000)
KEY_FILE_LIMITS = jsonlimits.JsonLimits(max_bytes=16_000, max_depth=4, max_items=64)


def _receipt_verify(args: argparse.Namespace) -> int:
    """``kiosk-central receipt verify STRING [--keys FILE --server-key FILE]``.

    Default: against this server's own signed key list (built and verified here).
    With ``--keys``: a saved ``GET /v1/devices/keys`` reply, checked with the
    server public key in ``--server-key`` (an agency's offline check).
    """
    from central.trust import check_receipt, signed_key_list, verify_key_list
    from sync.auth import import_public

    if args.keys:
        if not args.server_key:
            raise SecurityError(key="tech.central_keys_need_server_key")
        try:  # files someone handed over: parsed with limits (depth, size, integers)
            reply = jsonlimits.loads(Path(args.keys).read_bytes(), KEY_LIST_LIMITS)
            server = import_public(jsonlimits.loads(Path(args.server_key).read_bytes(),
                                                    KEY_FILE_LIMITS))
        except FileNotFoundError as exc:
            raise NotFoundError(key="tech.central_file_missing", params={"path": exc.filename}) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SecurityError(key="tech.central_keys_unreadable",
                                params={"reason": type(exc).__name__}) from None
    else:
        central = _central(args)
        reply, server = signed_key_list(central), central.key
    result = check_receipt(args.text, verify_key_list(reply, server))
    claims = result["claims"]
    if args.json:
        _print_json({"valid": True, **result})
        return 0
    print(f"receipt is genuine: submission {claims['id']}, device {claims['dev']} "
          f"(enrolled here), sealed {claims['t']}" + (" [DEMO]" if claims.get("demo") else ""))
    if result["revoked_at"]:
        print(f"  note: device {claims['dev']} has since been revoked")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-central",
        description="Reference central server for Soum Kiosk: receives signed, encrypted "
                    "submissions exactly once.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    from central import admin

    def add(name: str, func: Any, help: str, *, json_flag: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--data", metavar="DIR", default=None,
                       help=f"server data folder (default: $KIOSK_CENTRAL_DATA or ./{DEFAULT_DATA})")
        p.add_argument("--database-url", metavar="URL", default=None,
                       help="postgresql://USER:PASSWORD@HOST:PORT/DB: keep all shared state "
                            "there, for several nodes (default: $KIOSK_CENTRAL_DATABASE_URL, "
                            "else SQLite in the data folder)")
        if json_flag:
            p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=func)
        return p

    p = add("serve", cmd_serve, "run the server (HTTP; put TLS in front of it)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787, help="0 picks a free port (printed)")
    p.add_argument("--catalog", metavar="DIR", help="catalog folder (default: the bundled sample)")
    p.add_argument("--accept-demo", action="store_true",
                   help="accept DEMO submissions (only for `kiosk demo`); they stay labelled DEMO")
    p.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                   help="a reverse proxy whose X-Forwarded-For is believed (repeat for more; "
                        "default: none)")
    p = add("enroll-code", cmd_enroll_code, "make a one-time enrolment code", json_flag=True)
    p.add_argument("--ttl", type=float, default=60, metavar="MINUTES", help="validity (minutes)")
    add("devices", cmd_devices, "list enrolled devices", json_flag=True)
    p = add("revoke", cmd_revoke, "revoke a device: its requests are refused from now on")
    p.add_argument("device", metavar="DEVICE")
    add("submissions", cmd_submissions, "list received submissions", json_flag=True)
    p = add("decrypt", cmd_decrypt, "agency side: decrypt submissions and check device "
            "signatures", json_flag=True)
    p.add_argument("--key", required=True, metavar="AGENCY_KEY", help="agency private JWK file")
    p.add_argument("--out", required=True, metavar="DIR")
    p = add("import", cmd_import, "import a removable-media bundle", json_flag=True)
    p.add_argument("bundle", metavar="BUNDLE")
    p.add_argument("--catalog", metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument("--accept-demo", action="store_true", help="accept DEMO submissions")
    p = add("technician-token", cmd_technician_token,
            "make a token a technician uses to upload bundles over HTTP", json_flag=True)
    p.add_argument("--ttl", type=float, default=24 * 60, metavar="MINUTES",
                   help="validity (minutes, default one day)")
    p.add_argument("--note", metavar="TEXT", help="who or what it is for (kept on the server)")
    p = add("receipt", _receipt_verify, "check a kiosk receipt against the signed list of "
            "enrolled devices' keys", json_flag=True)
    p.add_argument("verb", choices=("verify",))
    p.add_argument("text", metavar="STRING", help="the text of the receipt QR code")
    p.add_argument("--keys", metavar="FILE", help="a saved GET /v1/devices/keys reply")
    p.add_argument("--server-key", metavar="FILE", help="the server's public JWK (with --keys)")
    add("migrate", admin.cmd_migrate, "bring the database schema up to date (serve does too)",
        json_flag=True)
    p = add("agency-keys", admin.cmd_agency_keys, "write the agency private keys (for "
            "decrypt --key) into a folder, from the data folder or the database")
    p.add_argument("--out", required=True, metavar="DIR")
    add("doctor", admin.cmd_doctor, "is the database reachable, migrated and consistent?",
        json_flag=True)
    p = add("export-acks", cmd_export_acks, "write acknowledgements for `kiosk import-acks`")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--device", metavar="DEVICE", help="only this device's acknowledgements")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KioskError as exc:
        print(f"kiosk-central: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except SecurityError as exc:  # pragma: no cover - SecurityError is a KioskError
        print(f"kiosk-central: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback on screen
        import traceback

        log_file = _data(args) / "central-errors.log"
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            with open(log_file, "a", encoding="utf-8") as fh:
                fh.write(time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()))
                fh.write(traceback.format_exc())
        except OSError:
            pass
        print(f"kiosk-central: error: internal error ({type(exc).__name__}); details in "
              f"{log_file}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
