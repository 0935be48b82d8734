"""``kiosk --help`` and every sub-command's help speak the kiosk's language.

The help texts are written in English beside each option (app/commands/*) and worded
for the technician from the catalog (assets/i18n/help.json, app/help_text.py). These
tests check that every help text of the parser has its entry, that the entry's English
is the text in the code (no drift), and that every parser's help printed in Mongolian
holds no Latin-script prose — argparse's own "usage:" and "options" included.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from app.cli import build_parser
from app.help_text import entries, key_for
from app.usage import KioskParser
from kiosk.i18n import catalog, t
from tests.test_cli_lang import latin_prose

# Names a help text may hold in Latin script besides the command line's own
# (formats, products and protocols the technician types or sees as such).
NAMES = frozenset({"PNG", "SVG", "QR", "OpenRosa", "KoboToolbox", "Central", "Briefcase",
                   "loopback", "zip", "DEMO", "id", "app-user", "JSON", "ODK"})


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def test_every_help_text_has_its_catalog_entry() -> None:
    words = catalog()
    missing, drifted = [], []
    for path, dest, text in entries(build_parser()):
        key = key_for(path, dest, words)
        if key is None:
            missing.append(f"help.{path}.{dest}: {text!r}")
        elif words[key]["en"] != text:
            drifted.append(f"{key}: code says {text!r}, catalog {words[key]['en']!r}")
        elif not words[key].get("mn"):
            missing.append(f"{key}: no mn")
    assert not missing and not drifted, "\n".join(missing + drifted)


@pytest.fixture
def lang_mn() -> Iterator[None]:
    before = KioskParser.lang
    KioskParser.lang = "mn"
    yield
    KioskParser.lang = before


def test_every_help_reads_in_mongolian(lang_mn: None) -> None:
    problems = []
    for parser in _parsers(build_parser()):
        text = parser.format_help()
        assert text.startswith(t("help.argparse_usage", "mn")), text
        prose = latin_prose(text, NAMES)
        if prose:
            problems.append(f"{parser.prog}: {prose}")
    assert not problems, "\n".join(problems)


def test_help_in_a_real_process_follows_lang(kiosk_cli) -> None:  # type: ignore[no-untyped-def]
    mn = kiosk_cli("forms", "import", "--help")
    en = kiosk_cli("--lang", "en", "forms", "import", "--help")
    assert mn.returncode == en.returncode == 0, (mn.stderr, en.stderr)
    assert mn.stdout.startswith(t("help.argparse_usage", "mn") + "kiosk forms import")
    assert en.stdout.startswith("usage: kiosk forms import") and "options:" in en.stdout
    assert t("help.kiosk_forms_import.category", "mn").split()[0] in mn.stdout
    assert not latin_prose(mn.stdout, NAMES), mn.stdout
