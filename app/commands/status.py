"""``kiosk status [--json]``: submissions per state, DEMO count, queue age.

Reads only metadata (no keyring needed): safe for a technician on any kiosk.
"""

from __future__ import annotations

import argparse
from typing import Any

from app.commands._common import add_home, add_json, get_home, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="count submissions per state (and DEMO ones)")
    p.add_argument("--lang", choices=("mn", "en"), default=argparse.SUPPRESS)
    add_home(p)
    add_json(p)
    p.set_defaults(func=run)


def collect(store: Any) -> dict[str, Any]:
    from kiosk.store import UNSENT

    counts = store.counts()
    demo = store.demo_counts()
    age = store.oldest_unsent_age()
    # submissions for an ODK server (sync.odk seals them with agency_kid "odk"); only on a
    # kiosk that ever connected to one (its odk/ folder), so others keep their flat reads
    odk: dict[str, int] = {}
    if (store.path.parent / "odk").is_dir():
        from kiosk.destination import DestinationKind

        odk = {k: n for k, n in store.counts_for(DestinationKind.ODK).items() if n}
    return {
        "counts": counts,
        "demo_counts": demo,
        "total": sum(counts.values()),
        "demo_total": sum(demo.values()),
        "unsent": sum(counts[s] for s in UNSENT),
        "oldest_unsent_seconds": None if age is None else round(age, 1),
        "interrupted_drafts": len(store.interrupted_drafts()),
        "last_error": store.last_error(),
        "schema_version": store.schema_version(),
        "odk_counts": odk,
        "held_reasons": store.held_by_reason(),
    }


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a combining mark none, a wide (CJK) letter two."""
    import unicodedata

    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` display columns (str.ljust counts code points)."""
    return text + " " * max(0, width - display_width(text))


def run(args: argparse.Namespace) -> int:
    from app.commands._common import cli_lang, require_kiosk
    from kiosk.config import load_config
    from kiosk.i18n import t
    from kiosk.store import STATES, UNSENT, Store

    home = get_home(args)
    require_kiosk(home, cli_lang(args, home))
    lang = getattr(args, "lang", None) or load_config(home.config_file).language
    with Store.open(home) as store:
        info = collect(store)
    if args.json:
        print_json(info)
        return 0
    print(t("store.status_title", lang))
    names = [t(f"store.state_{s}", lang) for s in STATES]
    width = max(display_width(n) for n in [*names, t("store.status_total", lang), t("store.status_demo_count", lang)])
    for state in STATES:
        line = f"  {pad(t(f'store.state_{state}', lang), width)} {info['counts'][state]:>6}"
        if info["demo_counts"][state]:
            line += f"   ({t('store.demo_label', lang)}: {info['demo_counts'][state]})"
        print(line)
    if info["held_reasons"]:
        from kiosk.destination import held_words

        print(f"  {t('store.status_held', lang)}")
        for reason, n in sorted(info["held_reasons"].items()):
            print(f"    {held_words(reason, lang)}: {n}")
    print(f"  {pad(t('store.status_total', lang), width)} {info['total']:>6}")
    print(f"  {pad(t('store.status_demo_count', lang), width)} {info['demo_total']:>6}")
    if info["oldest_unsent_seconds"] is not None:
        hours = round(info["oldest_unsent_seconds"] / 3600, 1)
        print(t("store.status_oldest_unsent", lang, hours=hours))
    if info["odk_counts"]:
        c = info["odk_counts"]
        print(t("odk.status_line", lang, waiting=sum(c.get(s, 0) for s in UNSENT),
                delivered=c.get("acknowledged", 0), refused=c.get("rejected", 0)))
    if info["interrupted_drafts"]:
        print(t("store.status_interrupted", lang, count=info["interrupted_drafts"]))
    if info["last_error"]:
        from kiosk.text_safe import printable  # a server's words: no terminal escapes

        print(t("store.status_last_error", lang, error=printable(info["last_error"])))
    return 0
