"""UI sub-commands: ``kiosk screenshots`` (and, from the demo helper, ``kiosk demo``).

Cheap to import: Qt is imported inside the handlers only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands._common import add_home, add_json, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "screenshots",
        help="render every screen to PNG offscreen (mn/en, default/high contrast, 100/150/200 %% text)",
    )
    p.add_argument("--out", metavar="DIR", required=True, help="folder for the PNG files")
    p.add_argument("--lang", choices=("mn", "en"), action="append",
                   help="only this language (repeatable; default: both)")
    p.add_argument("--quick", action="store_true",
                   help="two combinations only (default 100 %%, high contrast 200 %%)")
    add_home(p)
    add_json(p)
    p.set_defaults(func=_screenshots)
    register_demo(sub)


def register_demo(sub: argparse._SubParsersAction) -> None:
    """``kiosk demo`` (reference server on loopback + an enrolled kiosk): app/demo.py."""
    from app import demo

    demo.register(sub)


def _screenshots(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui import qtlog
    from ui.screenshots import take_screenshots

    qtlog.install()  # no "propagateSizeHints" line per rendered screen

    langs = tuple(dict.fromkeys(args.lang)) if args.lang else ("mn", "en")
    from app.doctor import run_checks

    written = take_screenshots(Path(args.out), langs, quick=args.quick, doctor=run_checks)
    if args.json:
        print_json({"out": str(Path(args.out).resolve()), "count": len(written),
                    "files": [p.name for p in written]})
    else:
        print(f"{len(written)} screenshots in {Path(args.out).resolve()}")
    return 0
