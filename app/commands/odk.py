"""``kiosk odk connect|forms|pull|disconnect``: the kiosk and an ODK server.

Cheap to import (heavy imports inside the handlers). The password is read without
echo, or from standard input with ``--password-stdin``; never from an argument (shell
history, process list). Credentials go to the secrets store only; output shows the
URL with an app-user token masked.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.commands._common import add_home, add_json, get_home, print_json
from kiosk.errors import EXIT_FAILED, EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("odk", help="deliver to an ODK Central / KoboToolbox server (OpenRosa)")
    verbs = p.add_subparsers(dest="odk_command", metavar="ACTION", required=True)
    c = verbs.add_parser("connect", help="connect with an app-user URL, or a server URL and --user")
    c.add_argument("url", metavar="URL")
    c.add_argument("--user", metavar="NAME", help="user name (then the password is asked for)")
    c.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input (one line)")
    c.add_argument("--category", metavar="ID",
                   help="home-screen category for this server's forms (default: the catalog's "
                        "first)")
    c.add_argument("--keep-old", action="store_true",
                   help="keep delivering the unsent submissions made for the current "
                        "connection to it")
    c.add_argument("--moved", action="store_true",
                   help="the same server and project at a new address: its unsent "
                        "submissions go there")
    add_home(c)
    add_json(c)
    c.set_defaults(func=cmd_connect)
    f = verbs.add_parser("forms", help="list the forms the server offers")
    add_home(f)
    add_json(f)
    f.set_defaults(func=cmd_forms)
    pl = verbs.add_parser("pull", help="download new and changed forms and their media")
    add_home(pl)
    add_json(pl)
    pl.set_defaults(func=cmd_pull)
    d = verbs.add_parser("disconnect", help="forget the server's credentials")
    add_home(d)
    add_json(d)
    d.set_defaults(func=cmd_disconnect)


def _lang(home: Any, args: argparse.Namespace | None = None) -> str:
    if args is not None and getattr(args, "lang", None):
        return str(args.lang)
    try:
        from kiosk.config import load_config

        return load_config(home.config_file).language
    except Exception:  # noqa: BLE001 - a broken config must not hide the result
        return "en"


def _password(args: argparse.Namespace, lang: str) -> str | None:
    if not args.user:
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    from kiosk.i18n import t

    return getpass.getpass(t("odk.password_prompt", lang, user=args.user) + " ")


def cmd_connect(args: argparse.Namespace) -> int:
    from kiosk.i18n import t
    from kiosk.secrets import open_secrets
    from kiosk.store import Store
    from sync.odk import connection
    from sync.odk.catalog import pull_forms

    home = get_home(args).ensure()
    lang = _lang(home, args)
    conn = connection.parse_url(args.url, username=args.user, password=_password(args, lang))
    with conn.client() as client:
        offered = client.form_list()  # proves URL and credentials before anything is saved
        secrets = open_secrets(home.root)
        with Store.open(home) as store:
            connection.switch(secrets, store, conn, keep_old=args.keep_old, moved=args.moved)
        report = pull_forms(home, client, category=_category(home, args.category))
    info = {**conn.describe(), "forms": len(offered), "pull": report.as_dict()}
    if args.json:
        print_json(info)
    else:
        print(t("odk.connected", lang, url=conn.shown_url, forms=len(offered)))
        _print_pull(report, lang)
    return EXIT_OK


def _category(home: Any, wanted: str | None) -> str:
    """The category ODK forms appear in: one of the active catalog's (checked here)."""
    from kiosk.config import load_config
    from kiosk.errors import KioskError
    from kiosk.forms import active_catalog_dir, load_catalog

    catalog = load_catalog(active_catalog_dir(home, load_config(home.config_file)))
    ids = [c.id for c in catalog.categories]
    if wanted:
        if wanted not in ids:
            raise KioskError(key="odk.unknown_category",
                             params={"value": wanted, "known": ", ".join(ids) or "-"})
        return wanted
    return ids[0] if ids else ""


def _print_pull(report: Any, lang: str) -> None:
    from kiosk.i18n import t

    print(t("odk.pulled", lang, downloaded=len(report.downloaded),
            unchanged=len(report.unchanged), withdrawn=len(report.withdrawn),
            media=report.media_files, bytes=report.bytes))
    from kiosk.text_safe import printable  # a server's words: no terminal escapes

    for problem in report.problems:
        print(f"  {printable(problem)}")


def cmd_forms(args: argparse.Namespace) -> int:
    from kiosk.i18n import t
    from kiosk.secrets import open_secrets
    from sync.odk import connection
    from sync.odk.catalog import LocalCatalog, odk_dir

    home = get_home(args)
    lang = _lang(home, args)
    conn = connection.require(open_secrets(home.root))
    with conn.client() as client:
        offered = client.form_list()
    held = LocalCatalog(odk_dir(home)).index()["forms"]
    rows = []
    for e in offered:
        mine = held.get(e.form_id)
        state = "new" if mine is None else ("current" if mine.get("hash") == e.hash
                                            else "changed")
        rows.append({"form_id": e.form_id, "name": e.name, "version": e.version,
                     "hash": e.hash, "state": state})
    names = {e.form_id for e in offered}
    rows += [{"form_id": k, "name": v.get("name", ""), "version": v.get("version", ""),
              "hash": v.get("hash", ""), "state": "withdrawn"}
             for k, v in sorted(held.items()) if k not in names]
    if args.json:
        print_json({"url": conn.shown_url, "forms": rows})
    else:
        from kiosk.text_safe import printable  # a server's words: no terminal escapes

        print(t("odk.forms_header", lang, url=conn.shown_url))
        for r in rows:
            print(t("odk.form_line", lang, form_id=r["form_id"],
                    version=printable(r["version"] or "-"),
                    state=t(f"odk.state_{r['state']}", lang), name=printable(r["name"])))
    return EXIT_OK


def cmd_pull(args: argparse.Namespace) -> int:
    from kiosk.secrets import open_secrets
    from sync.odk import connection
    from sync.odk.catalog import pull_forms

    home = get_home(args).ensure()
    conn = connection.require(open_secrets(home.root))
    with conn.client() as client:
        report = pull_forms(home, client)
    if args.json:
        print_json(report.as_dict())
    else:
        _print_pull(report, _lang(home, args))
    return EXIT_FAILED if report.problems else EXIT_OK


def cmd_disconnect(args: argparse.Namespace) -> int:
    from kiosk.i18n import t
    from kiosk.secrets import open_secrets
    from sync.odk import connection

    home = get_home(args)
    lang = _lang(home, args)
    removed = connection.forget(open_secrets(home.root))
    if args.json:
        print_json({"disconnected": removed})
    else:
        print(t("odk.disconnected" if removed else "odk.not_connected", lang))
    return EXIT_OK
