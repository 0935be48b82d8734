"""``kiosk audit verify [--json]``: is the hash-chained audit log intact? (exit 1 if not)
and ``kiosk audit list``: the newest entries (IDs and events only — no personal data)."""

from __future__ import annotations

import argparse
import json

from app.commands._common import add_home, add_json, get_home, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="verify or list the tamper-evident audit log")
    verbs = p.add_subparsers(dest="audit_command", metavar="VERB", required=True)
    v = verbs.add_parser("verify", help="check the hash chain; exit 1 on any change")
    v.add_argument("--lang", choices=("mn", "en"), default=argparse.SUPPRESS)
    add_home(v)
    add_json(v)
    v.set_defaults(func=run_verify)
    ls = verbs.add_parser("list", help="show the newest entries")
    ls.add_argument("--limit", type=int, default=50)
    add_home(ls)
    add_json(ls)
    ls.set_defaults(func=run_list)


def run_verify(args: argparse.Namespace) -> int:
    from app.commands._common import cli_lang, require_kiosk
    from kiosk.config import load_config
    from kiosk.i18n import t
    from kiosk.store import Store

    home = get_home(args)
    require_kiosk(home, cli_lang(args, home))
    lang = getattr(args, "lang", None) or load_config(home.config_file).language
    with Store.open(home) as store:
        report = store.verify_audit()
    if args.json:
        print_json(report.as_dict())
    elif report.ok:
        print(t("store.audit_ok", lang, count=report.entries))
    else:
        print(t("store.audit_broken", lang, count=len(report.problems)))
        for problem in report.problems:
            print(f"  - {problem}")
    return 0 if report.ok else 1


def run_list(args: argparse.Namespace) -> int:
    from app.commands._common import cli_lang, require_kiosk
    from kiosk.store import Store

    home = get_home(args)
    require_kiosk(home, cli_lang(args, home))
    with Store.open(home) as store:
        rows = store.read(
            "SELECT seq, at, event, subject, details FROM audit_log ORDER BY seq DESC LIMIT ?",
            (max(1, args.limit),),
        )
    entries = [
        {"seq": r[0], "at": r[1], "event": r[2], "subject": r[3], "details": json.loads(r[4])}
        for r in rows
    ]
    if args.json:
        print_json(entries)
    else:
        for e in entries:
            print(f"{e['seq']:>6}  {e['at']}  {e['event']:<20} {e['subject'] or ''}")
    return 0
