"""``kiosk doctor [--json]``: is this kiosk healthy? Exit 0 all pass, 1 warnings, 2 failures."""

from __future__ import annotations

import argparse

from app.commands._common import add_home, add_json, get_home, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor",
        help="check data folder, database, keyring, enrolment, clock, server link and queue",
        description=(
            "Check this kiosk's health. Exit code: 0 all checks pass, 1 warnings, 2 failures."
        ),
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds to wait for the server at each network step (default 5)",
    )
    add_home(p)
    add_json(p)
    p.set_defaults(func=run)


def format_checks(checks: list, lang: str) -> str:
    """The human report: one line per check, its fix indented below when not passing."""
    from app.doctor import CheckStatus
    from kiosk.i18n import t

    labels = {s: t(f"doctor.status_{s.value}", lang) for s in CheckStatus}
    width = max(len(v) for v in labels.values())
    lines = []
    for c in checks:
        lines.append(f"{labels[c.status]:<{width}}  {c.title}: {c.message}")
        if c.status != CheckStatus.PASS and c.fix:
            lines.append(f"{'':<{width}}  {t('doctor.fix_prefix', lang)}: {c.fix}")
    counts = {s: sum(1 for c in checks if c.status == s) for s in CheckStatus}
    lines.append(t("doctor.summary", lang, passed=counts[CheckStatus.PASS],
                   warned=counts[CheckStatus.WARN], failed=counts[CheckStatus.FAIL]))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from app.doctor import diagnose, exit_code, report
    from kiosk.config import load_config
    from kiosk.errors import KioskError

    home = get_home(args)
    lang = getattr(args, "lang", None)
    checks = diagnose(home, server_timeout=args.timeout, lang=lang)
    if args.json:
        print_json(report(home, checks))
    else:
        if lang is None:
            try:
                lang = load_config(home.config_file).language
            except KioskError:
                lang = "mn"
        print(format_checks(checks, lang))
    return exit_code(checks)
