"""Usage errors of the ``kiosk`` command line, in the kiosk's language.

argparse writes its own usage errors in English ("the following arguments are
required: ..."). A technician reads Mongolian by default, so ``KioskParser.error``
recognises argparse's common messages, says them through the translation catalog
(``cli.usage_*`` in assets/i18n/cli.json) naming the option or argument, and points
at ``--help``: one line on stderr, exit 2, as argparse does. Its help is worded in the
same language (app/help_text.py).

The language is known before the command line is parsed (``argv_lang``): ``--lang``
anywhere in it, else the data folder's config, else Mongolian.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from app.help_text import LocalHelpFormatter, localise
from kiosk.errors import EXIT_USAGE

LANGS = ("mn", "en")

# argparse's English messages (Python 3.11+) -> (catalog key, names of the groups).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"the following arguments are required: (?P<names>.+)"), "cli.usage_required"),
    (re.compile(r"unrecognized arguments: (?P<names>.+)"), "cli.usage_unrecognized"),
    (re.compile(r"one of the arguments (?P<names>.+) is required"), "cli.usage_one_of"),
    (re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<names>.+)"),
     "cli.usage_ambiguous"),
    (re.compile(r"argument (?P<option>\S+): invalid choice: (?P<value>.+) "
                r"\(choose from (?P<names>.+)\)"), "cli.usage_invalid_choice"),
    (re.compile(r"argument (?P<option>\S+): invalid (?P<kind>\w+) value: (?P<value>.+)"),
     "cli.usage_invalid_value"),
    (re.compile(r"argument (?P<option>\S+): expected (?:one|at least one|\d+) arguments?"),
     "cli.usage_needs_value"),
    (re.compile(r"argument (?P<option>\S+): not allowed with argument (?P<names>\S+)"),
     "cli.usage_not_allowed_with"),
    (re.compile(r"argument (?P<option>\S+): ignored explicit argument (?P<value>.+)"),
     "cli.usage_no_value"),
)


_KINDS = {"int": "cli.kind_int", "float": "cli.kind_float"}  # argparse's type names


def argv_lang(argv: Sequence[str]) -> str:
    """The language of messages for this command line, before it is parsed."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--lang=") else None
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        if value in LANGS:
            return str(value)
    return _config_lang(argv)


def _config_lang(argv: Sequence[str]) -> str:
    from app.commands._common import cli_lang
    from kiosk.paths import home

    folder = None
    for i, arg in enumerate(argv):
        if arg == "--home" and i + 1 < len(argv):
            folder = argv[i + 1]
        elif arg.startswith("--home="):
            folder = arg.split("=", 1)[1]
    try:
        return cli_lang(argparse.Namespace(lang=None), home(folder or os.environ.get("KIOSK_HOME")))
    except Exception:  # noqa: BLE001 - the language of an error must not cause one
        return "mn"


def translate(message: str, lang: str) -> str:
    """argparse's English ``message`` in ``lang`` (unchanged when not recognised)."""
    from kiosk.i18n import t

    for pattern, key in _PATTERNS:
        found = pattern.fullmatch(message.strip())
        if found:
            params = found.groupdict()
            if params.get("kind") in _KINDS:
                params["kind"] = t(_KINDS[params["kind"]], lang)
            return t(key, lang, **params)
    return message


class KioskParser(argparse.ArgumentParser):
    """argparse with usage errors and help in the kiosk's language (``lang``, set before
    parsing); the help is worded from the catalog when it is printed (app/help_text.py)."""

    lang = "mn"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", LocalHelpFormatter)
        super().__init__(*args, **kwargs)

    def format_help(self) -> str:
        localise(self, self.lang)
        LocalHelpFormatter.lang = self.lang
        return super().format_help()

    def format_usage(self) -> str:
        LocalHelpFormatter.lang = self.lang
        return super().format_usage()

    def error(self, message: str) -> NoReturn:
        from kiosk.i18n import t

        text = translate(message, self.lang)
        hint = t("cli.usage_help_hint", self.lang, prog=self.prog)
        sys.stderr.write(f"{self.prog}: error: {text} ({hint})\n")
        raise SystemExit(EXIT_USAGE)


def show_group_help(parser: argparse.ArgumentParser, verbs: Sequence[str]) -> int:
    """``kiosk forms`` with no verb: its help on stdout, one line saying what is missing."""
    from kiosk.i18n import t

    parser.print_help()
    lang = KioskParser.lang
    print(f"{parser.prog}: error: {t('cli.usage_needs_verb', lang, verbs=', '.join(verbs))}",
          file=sys.stderr)
    return EXIT_USAGE
