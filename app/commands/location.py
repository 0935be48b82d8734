"""``kiosk location show`` and ``kiosk location set "LAT LON [ALT [ACC]]"``: where the kiosk stands.

A kiosk does not move, so ODK location questions (geopoint) are answered with the
location set here (config key ``location``, docs/config.md). ``set`` checks the value
and rewrites only that key of config.toml, keeping every other line and comment.
"""

from __future__ import annotations

import argparse

from app.commands._common import add_home, add_json, cli_lang, get_home, print_json
from kiosk.errors import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("location", help="show or set the kiosk's location (for location questions)")
    verbs = p.add_subparsers(dest="location_command", metavar="VERB", required=True)
    show = verbs.add_parser("show", help="the configured location")
    add_home(show)
    add_json(show)
    show.set_defaults(func=run_show)
    st = verbs.add_parser("set", help='set it: "latitude longitude [altitude [accuracy]]"')
    st.add_argument("value", metavar="LOCATION", help='e.g. "47.9185 106.9176 1350 10"; "" clears it')
    add_home(st)
    add_json(st)
    st.set_defaults(func=run_set)


def run_show(args: argparse.Namespace) -> int:
    from kiosk.config import load_config

    config = load_config(get_home(args).config_file)
    if args.json:
        print_json({"location": config.location})
    else:
        from kiosk.i18n import t

        print(config.location or t("tech.location_not_set", cli_lang(args, get_home(args))))
    return EXIT_OK


def run_set(args: argparse.Namespace) -> int:
    from kiosk.config_edit import set_location

    home = get_home(args).ensure()
    value = set_location(home.config_file, args.value).location
    if args.json:
        print_json({"location": value})
    else:
        print(value or "(cleared)")
    return EXIT_OK
