"""``kiosk pin set``: the technician sets (or changes) the staff PIN.

The PIN is read from the terminal twice without echo, or from standard input
(one line) with ``--stdin`` for scripted installs; never from an argument,
where it would sit in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import sys

from kiosk.commands._common import add_home, get_home
from kiosk.errors import KioskError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pin", help="set the staff PIN (technicians)")
    verbs = p.add_subparsers(dest="pin_command", metavar="ACTION", required=True)
    s = verbs.add_parser("set", help="set or change the staff PIN (digits, 4 to 12)")
    s.add_argument("--stdin", action="store_true", help="read the PIN from standard input")
    s.add_argument("--lang", choices=("mn", "en"), default=argparse.SUPPRESS)
    add_home(s)
    s.set_defaults(func=run_set)
    st = verbs.add_parser("status", help="say whether a staff PIN is set")
    add_home(st)
    st.set_defaults(func=run_status)


def _read_pin(from_stdin: bool, lang: str) -> str:
    from kiosk.i18n import t

    if from_stdin:
        return sys.stdin.readline().strip()
    import getpass

    first = getpass.getpass(t("cli.pin_prompt", lang) + " ")
    again = getpass.getpass(t("cli.pin_again", lang) + " ")
    if first != again:
        raise KioskError(t("cli.pin_mismatch", lang))
    return first


def run_set(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.i18n import t
    from kiosk.pin import set_pin
    from kiosk.store import Store

    home = get_home(args).ensure()
    lang = getattr(args, "lang", None) or load_config(home.config_file).language
    pin = _read_pin(args.stdin, lang)
    with Store.open(home) as store:
        set_pin(store, pin, lang)
    print(t("cli.pin_set", lang))
    return 0


def run_status(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.i18n import t
    from kiosk.pin import has_pin
    from kiosk.store import Store

    home = get_home(args).ensure()
    lang = load_config(home.config_file).language
    with Store.open(home) as store:
        present = has_pin(store)
    print(t("cli.pin_is_set" if present else "cli.pin_not_set", lang))
    return 0 if present else 1
