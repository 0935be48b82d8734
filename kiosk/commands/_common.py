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
