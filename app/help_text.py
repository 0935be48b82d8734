"""``kiosk --help`` (and every sub-command's help) in the kiosk's language.

The command modules write their help in English beside each option, where a
developer reads it. What a technician reads comes from the one translation catalog
(``assets/i18n/help.json``): ``help.<command path>.<dest>`` (``kiosk_forms_import.category``),
else ``help.any.<dest>`` for the options every command shares (``--home``, ``--lang``,
``--json``, ``-h``), each with ``mn`` and ``en``. ``tests/test_cli_help.py`` checks that
every help text of the parser has its entry and that the entry's English is the
text written in the code, so the two cannot drift apart.

argparse's own words ("usage:", "options", "positional arguments") come from the
same catalog (``help.argparse_*``). Nothing here runs unless help is printed: the
parser is worded in the chosen language when it formats its help, not when built.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

SHARED = "any"  # the section of help texts every command shares


def help_path(prog: str) -> str:
    """``kiosk forms import`` -> ``kiosk_forms_import`` (the catalog's name for it)."""
    return "_".join(prog.split()).replace("-", "_")


def entries(parser: argparse.ArgumentParser, path: str = "kiosk"
            ) -> Iterator[tuple[str, str, str]]:
    """(command path, dest, English text) of every help text under ``parser``."""
    if parser.description:
        yield path, "description", parser.description
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            yield path, action.dest, action.help
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.help:
                    yield path, f"cmd_{choice.dest}", choice.help
            for name, child in action.choices.items():
                yield from entries(child, f"{path}_{help_path(name)}")


def mark_paths(parser: argparse.ArgumentParser, path: str = "kiosk") -> None:
    """Remember each parser's command path (cheap: no catalog is read)."""
    parser.help_path = path  # type: ignore[attr-defined]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                mark_paths(child, f"{path}_{help_path(name)}")


def key_for(path: str, dest: str, catalog: dict[str, dict[str, str]]) -> str | None:
    """The catalog key of one help text: its command's own, else the shared one."""
    for key in (f"help.{path}.{dest}", f"help.{SHARED}.{dest}"):
        if key in catalog:
            return key
    return None


def localise(parser: argparse.ArgumentParser, lang: str) -> None:
    """Word ``parser``'s help texts (not its children's: each is worded when it prints)."""
    from kiosk.i18n import catalog, t

    words = catalog()
    path = getattr(parser, "help_path", "kiosk")

    def say(dest: str, text: str) -> str:
        key = key_for(path, dest, words)
        return t(key, lang) if key else text

    if parser.description:
        parser.description = say("description", parser.description)
    parser._positionals.title = t("help.argparse_positionals", lang)
    parser._optionals.title = t("help.argparse_options", lang)
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            action.help = say(action.dest, action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.help:
                    choice.help = say(f"cmd_{choice.dest}", choice.help)


class LocalHelpFormatter(argparse.HelpFormatter):
    """argparse's formatter with "usage: " in ``lang`` (set by the parser that prints)."""

    lang = "mn"

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        if prefix is None:
            from kiosk.i18n import t

            prefix = t("help.argparse_usage", self.lang)
        super().add_usage(usage, actions, groups, prefix)
