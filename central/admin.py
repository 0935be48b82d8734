"""``kiosk-central migrate`` and ``kiosk-central doctor``: the database, from the command line.

``migrate`` applies missing schema versions (``serve`` does the same at start; both
are idempotent, and on PostgreSQL several nodes may run them at once). ``doctor``
opens the database *without* migrating and prints one line per check —
reachable (and durable: ``synchronous_commit``/``fsync`` on), migrated, consistent —
exiting 1 if any fails, so a deploy script or a health timer can use it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from central.backend import database_url, open_store
from kiosk.errors import ConfigError, KioskError

DEFAULT_DATA = "central-data"


def _where(args: argparse.Namespace) -> tuple[Path, str | None]:
    data = Path(args.data or os.environ.get("KIOSK_CENTRAL_DATA") or DEFAULT_DATA).resolve()
    return data, database_url(args.database_url)


def cmd_migrate(args: argparse.Namespace) -> int:
    data, url = _where(args)
    store = open_store(data, url, migrate=False)
    try:
        before = store.schema_version()
        after = store.migrate()
    finally:
        store.close()
    if args.json:
        sys.stdout.write(json.dumps({"backend": store.backend.value, "from": before,
                                     "to": after}) + "\n")
    else:
        print(f"{store.backend.value}: schema version {before} -> {after}")
    return 0


def cmd_agency_keys(args: argparse.Namespace) -> int:
    from central.backend import open_backend
    from central.keys import export_agency_keys

    data, url = _where(args)
    backend = open_backend(data, url)
    try:
        out = Path(args.out)
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        written = export_agency_keys(backend.vault, out)
    finally:
        backend.store.close()
    print(f"wrote {len(written)} agency private key(s) into {out} (keep them secret)")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    data, url = _where(args)
    if url is None and not (data / "central.db").exists():
        raise ConfigError(f"{data}: no central.db here (wrong --data, or use --database-url)")
    try:
        store = open_store(data, url, migrate=False)
    except KioskError as exc:
        rows = [{"check": "reachable", "ok": False, "detail": str(exc)}]
    else:
        try:
            rows = [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in store.checks()]
        finally:
            store.close()
    if args.json:
        sys.stdout.write(json.dumps(rows) + "\n")
    else:
        for row in rows:
            print(f"{'ok  ' if row['ok'] else 'FAIL'}  {row['check']:10}  {row['detail']}")
    return 0 if all(r["ok"] for r in rows) else 1
