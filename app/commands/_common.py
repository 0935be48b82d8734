"""Helpers every sub-command uses, so options mean the same everywhere."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.paths import Home, home


def add_home(parser: argparse.ArgumentParser) -> None:
    """Accept ``--home DIR`` after the sub-command too (``kiosk status --home X``)."""
    parser.add_argument(
        "--home",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="data folder (default: $KIOSK_HOME or the platform's user data folder)",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def get_home(args: argparse.Namespace) -> Home:
    return home(getattr(args, "home", None))


def print_json(obj: object) -> None:
    """Machine output for ``--json``: UTF-8, one document, stable key order."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str))
    sys.stdout.write("\n")


def cli_lang(args: argparse.Namespace, where: Home) -> str:
    """``--lang`` (before or after the sub-command), else the config's, else "mn".

    A broken config is reported by the command that needs it, not here.
    """
    lang = getattr(args, "lang", None)
    if lang:
        return str(lang)
    try:
        from kiosk.config import load_config

        return load_config(where.config_file).language
    except Exception:  # noqa: BLE001 - the language of an error must not cause one
        return "mn"


def usable_home(where: Home, lang: str) -> Home:
    """``where`` if it can be a data folder; one clear line (ConfigError) if not."""
    from kiosk.errors import ConfigError

    root = where.root
    if root.exists() and not root.is_dir():
        raise ConfigError(key="trust.home_not_folder", params={"path": root})
    parent = next((p for p in (root, *root.parents) if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise ConfigError(key="trust.home_not_folder", params={"path": parent})
    return where


def require_kiosk(where: Home, lang: str) -> Home:
    """For commands that only read or send: the data folder must hold a kiosk.

    Such a command never creates an empty kiosk where there was none (a typo in
    ``--home`` would otherwise "succeed" on an empty queue).
    """
    from kiosk.errors import NotFoundError

    usable_home(where, lang)
    has_db = where.db.is_file() and where.db.stat().st_size > 0
    # a kiosk's marks: its database, an enrolment, an ODK connection's files, its config
    marks = ("enrolment.json", "odk", "config.toml")
    if not has_db and not any((where.root / mark).exists() for mark in marks):

        raise NotFoundError(key="trust.no_kiosk_here", params={"path": where.root})
    return where
