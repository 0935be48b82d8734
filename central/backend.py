"""Which storage backend a command or server uses: ``--database-url`` picks PostgreSQL.

Without a URL (``--database-url`` / ``KIOSK_CENTRAL_DATABASE_URL``) everything stays
in the data folder: the SQLite database, attachment files and key files. With a
``postgresql://`` URL every piece of shared state is in that database (see
``central.db.postgres``) and the data folder only holds temp files of the node.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central.attachments import AttachmentStore
from central.keys import FileVault, Vault
from central.storage import CentralStore, private_dir
from kiosk.errors import ConfigError

DATABASE_ENV = "KIOSK_CENTRAL_DATABASE_URL"
SCHEMES = ("postgresql://", "postgres://")


@dataclass
class Backend:
    """What a server or command stores into: rows, attachment bytes, keys."""

    store: Any  # central.db.sql.SqlStore: CentralStore or PgStore
    attachments: Any  # AttachmentStore or DbAttachmentStore (same methods)
    vault: Vault


def database_url(explicit: str | None) -> str | None:
    """The URL from the option, else the environment; None = SQLite in the data folder."""
    url = (explicit or os.environ.get(DATABASE_ENV) or "").strip()
    if not url:
        return None
    if not url.startswith(SCHEMES):
        raise ConfigError(f"--database-url must start with postgresql:// (got "
                          f"{url.split(':', 1)[0]!r}); leave it out to use SQLite in --data")
    return url


def open_store(data_dir: Path, url: str | None, *, migrate: bool = True) -> Any:
    if url is None:
        return CentralStore(data_dir / "central.db", migrate=migrate)
    from central.db.postgres import PgStore

    return PgStore(url, migrate=migrate)


def open_backend(data_dir: Path, url: str | None) -> Backend:
    store = open_store(data_dir, url)
    if url is None:
        return Backend(store, AttachmentStore(private_dir(data_dir / "attachments"), store),
                       FileVault(data_dir))
    from central.db.pg_attachments import DbAttachmentStore
    from central.keys import DbVault

    return Backend(store, DbAttachmentStore(store), DbVault(store))
