"""The kiosk's durable, private store (one SQLite file, ``home.db``).

``Store.open(home)`` opens (creating or upgrading) the database of a data
folder; ``Store(path)`` opens a given file. See the mixins for each part:
drafts (drafts.py), finalize and the outbox API used by sync (outbox.py),
held items and reads by destination (held.py),
retention (retention.py), states (states.py), schema history (schema.py), open/upgrade rules
(db.py). docs/security.md describes what is encrypted and with which key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.errors import StorageError, os_reason
from kiosk.paths import Home
from kiosk.store.core import CommitUnknown, DraftKeptError, utc_now_iso
from kiosk.store.drafts import AttachmentTooLarge, Draft, DraftInfo
from kiosk.store.held import HeldItem, HeldMixin
from kiosk.store.ids import uuid7
from kiosk.store.outbox import EncryptedBlob, OutboxItem, OutboxMixin
from kiosk.store.retention import RetentionMixin
from kiosk.store.schema import SCHEMA_VERSION
from kiosk.store.states import STATES, UNSENT, SubmissionState

__all__ = [
    "STATES",
    "SCHEMA_VERSION",
    "UNSENT",
    "AttachmentTooLarge",
    "CommitUnknown",
    "Draft",
    "DraftKeptError",
    "DraftInfo",
    "EncryptedBlob",
    "HeldItem",
    "OutboxItem",
    "Store",
    "SubmissionState",
    "utc_now_iso",
    "uuid7",
]


class Store(HeldMixin, RetentionMixin, OutboxMixin):
    """Drafts, submissions/outbox, attachments, receipts, audit log, settings."""

    @classmethod
    def open(cls, home: Home | str | Path | None = None, **kwargs: Any) -> Store:
        """The store of a data folder (``Home``, a folder path, or KIOSK_HOME)."""
        from kiosk.paths import home as resolve

        h = home if isinstance(home, Home) else resolve(home)
        try:
            h.ensure()
        except OSError as exc:  # e.g. a file where a folder of the data folder belongs
            raise StorageError(key="core.folder_unusable", params={
                "path": exc.filename or h.root, **os_reason(exc)}) from None
        return cls(h.db, backups=h.backups, **kwargs)

    def mark_open_drafts_interrupted(self) -> int:
        """The kiosk-start hook: drafts left open become interrupted, and retention runs."""
        count = super().mark_open_drafts_interrupted()
        self.clean_orphan_attachments()
        self.apply_retention()
        return count
