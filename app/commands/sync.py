"""``kiosk enroll``, ``kiosk sync``, ``kiosk export``, ``kiosk import-acks``.

Cheap to import (heavy imports inside the handlers). Human output by default,
``--json`` for machines; exit codes from kiosk.errors: network trouble is 6,
the server refusing this kiosk is 7, not enrolled is 4.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.commands._common import add_home, add_json, get_home, print_json
from kiosk.errors import EXIT_FAILED, EXIT_NETWORK, EXIT_OK, EXIT_SECURITY


def _lang(home: Any) -> str:
    try:
        from kiosk.config import load_config

        return load_config(home.config_file).language
    except Exception:  # noqa: BLE001 - a broken config must not hide the sync result
        return "en"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("enroll", help="enrol this kiosk with a central server (one-time code)")
    p.add_argument("--server", required=True, metavar="URL", help="central server URL")
    p.add_argument("--code", required=True, metavar="CODE", help="one-time enrolment code")
    p.add_argument("--name", metavar="NAME", help="a name for this kiosk (default: host name)")
    p.add_argument("--new-key", action="store_true",
                   help="make a new device identity (for a kiosk whose key was revoked)")
    add_home(p)
    add_json(p)
    p.set_defaults(func=cmd_enroll)

    p = sub.add_parser("sync", help="send queued submissions to the central server")
    p.add_argument("--once", action="store_true", help="one round, then exit (default: keep going)")
    p.add_argument("--no-catalog", action="store_true", help="do not update the catalog")
    p.add_argument("--retry-held", action="store_true",
                   help="send the held submissions at once (after fixing the server side)")
    add_home(p)
    add_json(p)
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("export", help="write the unacknowledged submissions not in an earlier "
                                      "bundle to a bundle file (USB stick)")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--all", action="store_true",
                   help="every unacknowledged submission, also those already in a bundle")
    p.add_argument("--odk", action="store_true",
                   help="write the unacknowledged ODK submissions to the folder --out, as ODK "
                        "Briefcase / Central take them (instances/<id>/submission.xml + files)")
    add_home(p)
    add_json(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import-acks", help="import acknowledgements from `kiosk-central export-acks`")
    p.add_argument("file", metavar="FILE")
    add_home(p)
    add_json(p)
    p.set_defaults(func=cmd_import_acks)


def cmd_enroll(args: argparse.Namespace) -> int:
    from kiosk.i18n import t
    from sync.enrol import enroll

    home = get_home(args)
    info = enroll(home, args.server, args.code, name=args.name, new_key=args.new_key)
    if info.get("replaced_device_id"):
        info["left_with_old_key"] = _left_with_old_key(home, info["replaced_device_id"])
    if args.json:
        print_json(info)
        return EXIT_OK
    print(t("sync.enrolled", _lang_of(args, home), device_id=info["device_id"],
            url=info["server_url"], forms=info["catalog"].get("forms", "?")))
    if info.get("replaced_device_id"):
        print(t("sync.new_key", _lang_of(args, home), old=info["replaced_device_id"],
                count=info["left_with_old_key"]))
    return EXIT_OK


def _left_with_old_key(home: Any, old_device_id: str) -> int:
    """kiosk-central submissions the replaced key sealed and no server acknowledged: kept
    on the kiosk, never sent under the new key (the server could not verify them)."""
    from kiosk.destination import DestinationKind
    from kiosk.store import Store

    with Store.open(home) as store:
        return store.unsent_sealed_by(old_device_id, DestinationKind.KIOSK_CENTRAL)


def _exit_for(state: str) -> int:
    from sync.state import NETWORK_TROUBLE, REFUSED_KIOSK, RoundState

    if state == RoundState.OK:
        return EXIT_OK
    if state in REFUSED_KIOSK:
        return EXIT_SECURITY
    if state in NETWORK_TROUBLE:
        return EXIT_NETWORK
    return EXIT_FAILED


def _print_round(report: Any, lang: str) -> None:
    from kiosk.i18n import t

    state = t(f"sync.state_{report.state}", lang)
    print(t("sync.summary", lang, state=state, sent=report.sent, accepted=report.accepted,
            duplicate=report.duplicate, rejected=report.rejected, retry=report.retry))
    if report.error:
        from kiosk.text_safe import printable  # a server's words: no terminal escapes

        said = t(report.error_key, lang, **report.error_params) if report.error_key else None
        print(f"  {printable(said or report.error)}")
    c = report.counts
    from kiosk.store.states import UNSENT

    unsent = sum(c.get(s, 0) for s in UNSENT)
    print(t("sync.queue", lang, unsent=unsent, held=c.get("held", 0),
            acknowledged=c.get("acknowledged", 0), rejected=c.get("rejected", 0)))
    if report.skew_seconds is not None and abs(report.skew_seconds) >= 60:
        print(t("sync.skew", lang, seconds=int(report.skew_seconds)))


def _lang_of(args: argparse.Namespace, home: Any) -> str:
    return str(getattr(args, "lang", None) or _lang(home))


def _kiosk_here(args: argparse.Namespace) -> Any:
    """The data folder, if it holds a kiosk (one clear line if not: never made here)."""
    from app.commands._common import require_kiosk

    home = get_home(args)
    return require_kiosk(home, _lang_of(args, home))


def cmd_sync(args: argparse.Namespace) -> int:
    from sync.runtime import make_loop, open_any_engine

    home = _kiosk_here(args)
    lang = _lang_of(args, home)
    if args.once:
        engine = open_any_engine(home, pull_catalog=not args.no_catalog)
        try:
            if args.retry_held:
                engine.store.send_again()
            report = engine.run_once()
        finally:
            engine.close()
        if args.json:
            print_json(report.as_dict())
        else:
            _print_round(report, lang)
        return _exit_for(report.state)

    import threading

    done = threading.Event()

    def on_status(status: Any) -> None:
        if args.json:
            print_json(status.as_dict())
        else:
            from kiosk.i18n import t

            print(t(f"sync.state_{status.state}", lang), status.counts, flush=True)
            if status.last_error:
                from kiosk.text_safe import printable

                said = (t(status.last_error_key, lang, **status.last_error_params)
                        if status.last_error_key else status.last_error)
                print(f"  {printable(said)}", flush=True)

    if args.retry_held:
        from kiosk.store import Store

        with Store.open(home) as store:
            store.send_again()
    loop = make_loop(home, on_status=on_status)
    loop.start()
    try:
        while loop.running:
            done.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        loop.stop()
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from kiosk.device import load_device
    from kiosk.i18n import t
    from kiosk.secrets import open_secrets
    from kiosk.store import Store
    from sync.media import export_queue

    home = _kiosk_here(args)
    if args.odk:
        from sync.odk.export import export_odk

        with Store.open(home) as store:
            info = export_odk(store, Path(args.out))
        if args.json:
            print_json(info)
        else:
            key = "odk.exported" if info["count"] else "odk.export_empty"
            print(t(key, _lang_of(args, home), count=info["count"], path=info["path"]))
        return EXIT_OK
    device = load_device(open_secrets(home.root))
    with Store.open(home) as store:
        info = export_queue(home, store, Path(args.out), device=device, everything=args.all)
    if args.json:
        print_json(info)
    else:
        key = "sync.exported" if info["count"] else "sync.export_empty"
        print(t(key, _lang_of(args, home), count=info["count"], path=info["path"]))
    return EXIT_OK


def cmd_import_acks(args: argparse.Namespace) -> int:
    from kiosk.i18n import t
    from kiosk.secrets import open_secrets
    from kiosk.store import Store
    from sync.enrol import require_enrolment
    from sync.media import import_acks

    home = _kiosk_here(args)
    enrolment = require_enrolment(open_secrets(home.root))
    with Store.open(home) as store:
        report = import_acks(store, Path(args.file), device_id=enrolment.device_id,
                             server_key=enrolment.server_key)
    if args.json:
        print_json(report)
    else:
        print(t("sync.acks_imported", _lang_of(args, home), **{k: report[k] for k in (
            "acknowledged", "already", "unknown", "invalid", "other_device")}))
        for problem in report["problems"]:
            print(f"  {problem}")
    return EXIT_FAILED if report["invalid"] else EXIT_OK
