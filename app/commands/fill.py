"""``kiosk fill FORM_ID --answers FILE [--json]``: headless fill + finalize.

For digitising paper forms and for tests: the same validation, sealing and
single-transaction store write as the kiosk screen. Prints the submission ID;
invalid answers give one line naming the question (exit 1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands._common import add_home, add_json, get_home, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fill", help="fill a form from an answers file and finalize it")
    p.add_argument("form_id", metavar="FORM_ID", help="form id from the catalog (kiosk or ODK id)")
    p.add_argument("--answers", required=True, metavar="FILE", help='{"answers": {...}} file')
    p.add_argument(
        "--lang", choices=("mn", "en"), default=argparse.SUPPRESS, help="language of messages"
    )
    add_home(p)
    add_json(p)
    p.set_defaults(func=run)


def _odk_id(catalog: object, form_id: str) -> str:
    form = getattr(catalog, "forms", {}).get(form_id)
    return form.odk.xml_form_id if form is not None and form.odk is not None else form_id


def run(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.finalize import fill_from_file
    from kiosk.forms import load_active_catalog
    from kiosk.i18n import t
    from kiosk.store import Store
    from sync.odk.deliver import OdkDelivery

    home = get_home(args).ensure()
    config = load_config(home.config_file)
    lang = getattr(args, "lang", None) or config.language
    catalog = load_active_catalog(home, config)
    with Store.open(home) as store:
        env = fill_from_file(
            store,
            catalog,
            args.form_id,
            Path(args.answers),
            lang=lang,
            default_max_kb=config.max_attachment_kb,
            location=config.location,
            destination=OdkDelivery(store, None),  # seals the ODK server's forms
        )
        qr = store.receipt_qr(env.submission_id)
    if args.json:
        print_json(
            {
                "submission_id": env.submission_id,
                "form_id": env.form_id,
                "xml_form_id": _odk_id(catalog, env.form_id),
                "form_version": env.form_version,
                "demo": env.demo,
                "finalized_at": env.finalized_at,
                "payload_sha256": env.payload_sha256,
                "device_id": env.device_id,
                "receipt": qr,
            }
        )
    else:
        print(env.submission_id)
        if env.demo:
            print(t("store.demo_notice", lang), file=sys.stderr)
    return 0
