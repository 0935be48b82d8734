"""``kiosk logs --export FILE``: one zip for support — the log files and the doctor report."""

from __future__ import annotations

import argparse
from typing import Any

from app.commands._common import add_home, get_home


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "logs",
        help="pack the log files and a doctor report into a zip for support",
        description=(
            "Write a zip with the kiosk's log files (personal data and secrets scrubbed) "
            "and a doctor report (doctor.json) for support."
        ),
    )
    p.add_argument("--export", metavar="FILE", required=True, help="the zip file to write")
    p.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        metavar="S",
        help="seconds the doctor waits for the server (default 3)",
    )
    add_home(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.doctor import diagnose, report
    from kiosk.config import load_config
    from kiosk.errors import KioskError
    from kiosk.i18n import t
    from kiosk.logs import export_bundle

    home = get_home(args)
    lang = getattr(args, "lang", None)
    if lang is None:
        try:
            lang = load_config(home.config_file).language
        except KioskError:
            lang = "mn"
    def diagnosis() -> dict[str, Any]:
        return report(home, diagnose(home, server_timeout=args.timeout, lang=lang))

    target, count = export_bundle(home, Path(args.export), diagnosis)
    print(t("doctor.export_done", lang, path=target, files=count))
    if count == 0:
        print(t("doctor.export_no_logs", lang))
    return 0
