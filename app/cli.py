"""The ``kiosk`` command line (stable: technicians, scripts and tests use it).

``kiosk`` alone starts the kiosk UI on the embedded default. Every other verb
is a sub-command registered by a small module (see command_modules) exposing
``register(subparsers)``; the parser it adds sets ``func(args) -> int``.

Every command module is imported statically (``command_modules()`` returns
modules, never names): ``app`` is the top floor, so it may import ``kiosk``,
``sync`` and ``ui`` alike, and PyInstaller finds every module by following the
imports. Command modules must be cheap to import — heavy imports (Qt, httpx,
the store) go inside the handler — so ``kiosk --help`` is fast. Bare ``kiosk``
does not even build the parser (``_bare_start``).

Errors: a KioskError is printed as one line on stderr with its exit code;
anything else is logged with a reference and reported as one line too.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from functools import partial
from types import ModuleType

from app.help_text import mark_paths
from app.usage import KioskParser, argv_lang, show_group_help
from kiosk import __version__
from kiosk.errors import EXIT_FAILED, EXIT_INTERNAL, ConfigError, KioskError
from kiosk.logs import configure_for_cli

log = logging.getLogger("kiosk.cli")

# Commands that only read or send: they never create a data folder (or a kiosk in it).
READ_ONLY_COMMANDS = frozenset(
    {"status", "sync", "export", "audit", "receipt", "import-acks", "logs", "doctor"}
)

def command_modules() -> tuple[ModuleType, ...]:
    """Every sub-command module, in the order of ``kiosk --help``.

    Imported here, not at the top, so bare ``kiosk`` (the resident's start) skips them.
    """
    from app.commands import (
        audit,
        bench,
        doctor,
        fill,
        forms,
        location,
        logs,
        odk,
        pin,
        receipt,
        status,
        sync,
        ui,
    )

    return (
        forms,  # forms list | forms check DIR
        fill,  # fill FORM_ID --answers FILE
        status,  # status
        receipt,  # receipt verify STRING
        audit,  # audit verify
        pin,  # pin set | pin status
        location,  # location show | location set
        sync,  # enroll, sync, export, import-acks
        odk,  # odk connect | forms | pull | disconnect
        doctor,  # doctor
        logs,  # logs --export FILE
        ui,  # screenshots, demo (and the default: start the UI)
        bench,  # bench
    )


def _base_parser(exit_on_error: bool = True) -> argparse.ArgumentParser:
    parser = KioskParser(
        prog="kiosk",
        exit_on_error=exit_on_error,
        description=(
            "Soum Kiosk: fill government service forms offline; deliver them signed "
            "and encrypted, exactly once. With no command, starts the kiosk."
        ),
    )
    parser.add_argument("--version", action="version", version=f"soum-kiosk {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        default=None,
        help="data folder (default: $KIOSK_HOME or the platform's user data folder)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation end to end in a temporary home, then exit",
    )
    parser.add_argument(
        "--lang", choices=("mn", "en"), default=None, help="start language (default: config)"
    )
    return parser


def _bare_start(argv: Sequence[str]) -> argparse.Namespace | None:
    """``kiosk [--home DIR] [--lang L]``: parsed without loading every sub-command.

    Starting the kiosk is the one path where start-up time is felt (a resident
    waits); importing and registering all command modules costs ~80 ms of it.
    Anything else (a command, --help, --version, a typo) takes the full parser.
    """
    if any(a in ("-h", "--help", "--version") for a in argv):
        return None
    try:
        args, rest = _base_parser(exit_on_error=False).parse_known_args(list(argv))
    except argparse.ArgumentError:
        return None  # the full parser reports the same error, with every command listed
    if rest or args.self_test:
        return None
    args.command = None
    return args


def _accept_lang_everywhere(parser: argparse.ArgumentParser) -> None:
    """``--lang`` after any sub-command too (``kiosk sync --once --lang en``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if "--lang" not in child._option_string_actions:  # groups too: kiosk forms --lang en
                    child.add_argument("--lang", choices=("mn", "en"),
                                       default=argparse.SUPPRESS,
                                       help="language of this command's messages")
                _accept_lang_everywhere(child)


def _help_for_bare_groups(parser: argparse.ArgumentParser) -> None:
    """A command group with no verb (``kiosk forms``) prints its help, not a bare error."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for child in action.choices.values():
            verbs = child._subparsers and next(
                a for a in child._actions if isinstance(a, argparse._SubParsersAction))
            if verbs:
                verbs.required = False
                child.set_defaults(func=partial(_group_help, child, tuple(verbs.choices)))
            _help_for_bare_groups(child)


def _group_help(parser: argparse.ArgumentParser, verbs: tuple[str, ...],
                args: argparse.Namespace) -> int:
    return show_group_help(parser, verbs)


def build_parser() -> argparse.ArgumentParser:
    parser = _base_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        module.register(sub)
    _accept_lang_everywhere(parser)
    _help_for_bare_groups(parser)
    mark_paths(parser)
    return parser


def _screen_problem() -> str | None:
    """Why Qt could not open a window here (a catalog key), said before Qt aborts over it."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return "cli.no_screen"


def _start_ui(args: argparse.Namespace) -> int:
    problem = _screen_problem()
    if problem:
        raise ConfigError(key=problem)
    from app import start  # Qt: only when the kiosk window really starts

    return int(start.run(args))


def _self_test(args: argparse.Namespace) -> int:
    from app import selftest

    return int(selftest.run(args))


def _check_home(args: argparse.Namespace) -> None:
    """A ``--home`` (or KIOSK_HOME) that cannot be a folder: one line, whatever the command."""
    from app.commands._common import cli_lang, usable_home
    from kiosk.paths import home

    where = home(args.home)
    usable_home(where, cli_lang(args, where) if where.root.is_dir() else (args.lang or "en"))


def _lang(args: argparse.Namespace) -> str:
    """The language of this command's messages: --lang, else the data folder's config."""
    from app.commands._common import cli_lang
    from kiosk.paths import home

    try:
        return cli_lang(args, home(args.home))
    except Exception:  # noqa: BLE001 - the language of an error must not cause one
        return KioskParser.lang


def t(key: str, lang: str) -> str:
    from kiosk.i18n import t as say

    return say(key, lang)


def error_text(exc: KioskError, lang: str) -> str:
    from kiosk.i18n import error_text as worded

    return worded(exc, lang)


def main(argv: Sequence[str] | None = None) -> int:
    # Everything this process writes is private: the data folder holds the database,
    # logs, config, enrolment and secrets; an export on a USB stick is for the agency.
    os.umask(0o077)
    argv = sys.argv[1:] if argv is None else list(argv)
    KioskParser.lang = argv_lang(argv)  # usage errors are said before the args exist
    args = _bare_start(argv)
    if args is None:
        args = build_parser().parse_args(argv)
    if args.home:
        # One source of truth for every part (and for child processes).
        os.environ["KIOSK_HOME"] = os.path.abspath(args.home)
    # Rotating, scrubbed log files in the data folder (kiosk/logs.py).
    configure_for_cli(args.home, create=getattr(args, "command", None) not in READ_ONLY_COMMANDS,
                      lang=KioskParser.lang)
    try:
        _check_home(args)
        if args.self_test:
            return _self_test(args)
        func = getattr(args, "func", None)
        if func is None:
            return _start_ui(args)
        return int(func(args) or 0)
    except KioskError as exc:
        print(f"kiosk: error: {error_text(exc, _lang(args))}", file=sys.stderr)
        return exc.exit_code
    except EOFError:  # Ctrl+D (or no more input) at a prompt: nothing was done
        print(f"kiosk: error: {t('cli.input_ended', _lang(args))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"kiosk: {t('cli.interrupted', _lang(args))}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `kiosk status --json | head`: the reader left; not an error of ours. Point stdout
        # at devnull so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports it
    except Exception:  # noqa: BLE001 - last line of defence: no traceback on screen
        log.exception("unexpected error in kiosk %s", " ".join(sys.argv[1:2]))
        print(f"kiosk: error: {t('cli.internal_error', _lang(args))}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
