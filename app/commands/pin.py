"""``kiosk pin set``: the technician sets (or changes) the staff PIN.

The PIN is read from the terminal without echo, or from standard input with
``--stdin`` for scripted installs; never from an argument, where it would sit
in the shell history and the process list. Over an existing PIN the current
one is asked first (with ``--stdin``: the first line); a technician who does
not know it uses ``--reset``, which is written to the audit log.
"""

from __future__ import annotations

import argparse
import sys

from app.commands._common import add_home, get_home
from kiosk.errors import ConfigError, KioskError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pin", help="set the staff PIN (technicians)")
    verbs = p.add_subparsers(dest="pin_command", metavar="ACTION", required=True)
    s = verbs.add_parser("set", help="set or change the staff PIN (6 to 12 digits)")
    s.add_argument("--stdin", action="store_true",
                   help="read from standard input: the current PIN (if one is set), "
                        "then the new PIN, one per line")
    s.add_argument("--reset", action="store_true",
                   help="replace a PIN nobody remembers (technicians; written to the audit log)")
    s.add_argument("--lang", choices=("mn", "en"), default=argparse.SUPPRESS)
    add_home(s)
    s.set_defaults(func=run_set)
    st = verbs.add_parser("status", help="say whether a staff PIN is set")
    st.add_argument("--lang", choices=("mn", "en"), default=argparse.SUPPRESS)
    add_home(st)
    st.set_defaults(func=run_status)


def _line() -> str:
    return sys.stdin.readline().strip() if sys.stdin is not None else ""


def _ask(key: str, lang: str) -> str:
    import getpass

    from kiosk.i18n import t

    return getpass.getpass(t(key, lang) + " ")


def _read(from_stdin: bool, need_current: bool, lang: str) -> tuple[str | None, str]:

    if from_stdin:
        current = _line() if need_current else None
        return current, _line()
    if sys.stdin is None or not sys.stdin.isatty():
        raise ConfigError(key="trust.pin_no_terminal")
    current = _ask("trust.pin_current_prompt", lang) if need_current else None
    first = _ask("cli.pin_prompt", lang)
    again = _ask("cli.pin_again", lang)
    if first != again:
        raise KioskError(key="cli.pin_mismatch")
    return current, first


def run_set(args: argparse.Namespace) -> int:
    from app.commands._common import cli_lang, usable_home
    from kiosk.i18n import t
    from kiosk.pin import change_pin, has_pin
    from kiosk.store import Store

    home = get_home(args)
    lang = cli_lang(args, home)
    usable_home(home, lang).ensure()
    with Store.open(home) as store:
        need_current = has_pin(store) and not args.reset
        current, pin = _read(args.stdin, need_current, lang)
        change_pin(store, pin, current=current, reset=args.reset, lang=lang)
    print(t("cli.pin_set", lang))
    return 0


def run_status(args: argparse.Namespace) -> int:
    from app.commands._common import cli_lang, require_kiosk
    from kiosk.i18n import t
    from kiosk.pin import has_pin, lockout_remaining
    from kiosk.store import Store

    home = get_home(args)
    lang = cli_lang(args, home)
    if not home.db.exists():
        print(t("cli.pin_not_set", lang))
        return 1
    require_kiosk(home, lang)
    with Store.open(home) as store:
        present = has_pin(store)
        locked = lockout_remaining(store) if present else 0.0
    print(t("cli.pin_is_set" if present else "cli.pin_not_set", lang))
    if locked > 0:
        print(t("trust.pin_locked_for", lang, seconds=int(locked + 0.999)))
    return 0 if present else 1
