"""``kiosk location show`` and ``kiosk location set "LAT LON [ALT [ACC]]"``: where the kiosk stands.

A kiosk does not move, so ODK location questions (geopoint) are answered with the
location set here (config key ``location``, docs/config.md). ``set`` checks the value
and rewrites only that key of config.toml, keeping every other line and comment.
"""

from __future__ import annotations

import argparse
import re

from kiosk.commands._common import add_home, add_json, get_home, print_json
from kiosk.errors import EXIT_OK, ConfigError


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
        print(config.location or "(not set)")
    return EXIT_OK


def run_set(args: argparse.Namespace) -> int:
    from kiosk.config import load_config, location_problem, write_default_config

    value = " ".join(args.value.split())
    problem = location_problem(value) if value else None
    if problem:
        raise ConfigError(f"location {problem}")
    home = get_home(args).ensure()
    path = home.config_file
    load_config(path)  # a broken file is reported, never overwritten
    write_default_config(path)
    text = path.read_text(encoding="utf-8")
    line = f'location = "{value}"'
    pattern = re.compile(r"^location\s*=.*$", re.MULTILINE)
    text = pattern.sub(line, text, count=1) if pattern.search(text) else text.rstrip("\n") + f"\n{line}\n"
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    load_config(tmp)  # the result must still be a valid config
    tmp.replace(path)
    if args.json:
        print_json({"location": value})
    else:
        print(value or "(cleared)")
    return EXIT_OK
