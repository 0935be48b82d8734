"""Retention: acknowledged envelopes and attachments go; a tombstone stays.

After ``retention_days`` (config, default 30) from the server's
acknowledgement, the JWE and the attachment blobs are deleted. What is kept —
the ID, payload hash, the signed record (metadata only) and both receipts —
is enough for dedup ("was this ID already delivered?") and for checking a
resident's receipt years later. Captured attachments whose draft no longer
exists (a crash between capture and the draft's first save) are removed after
a day.
"""

from __future__ import annotations

import logging
import time

from kiosk import audit
from kiosk.store.core import StoreBase, epoch

log = logging.getLogger("kiosk.store")

ORPHAN_SECONDS = 86_400


class RetentionMixin(StoreBase):
    def apply_retention(self, retention_days: int | None = None) -> int:
        """Purge with ``retention_days`` from the data folder's config.toml by default.

        Run at kiosk start (``Store.mark_open_drafts_interrupted``) and by sync after
        acknowledgements; a broken config skips retention (it never deletes on a guess).
        """
        if retention_days is None:
            from kiosk.config import load_config
            from kiosk.errors import KioskError

            try:
                retention_days = load_config(self.path.parent / "config.toml").retention_days
            except KioskError as exc:
                log.warning("retention skipped: %s", exc)
                return 0
        return self.purge_acknowledged(retention_days)

    def purge_acknowledged(self, retention_days: int, now: float | None = None) -> int:
        """Purge envelopes acknowledged more than ``retention_days`` ago; returns how many."""
        cutoff = epoch(now) - retention_days * 86_400
        ids = [
            r[0]
            for r in self.read(
                "SELECT id FROM submissions WHERE state = 'acknowledged' AND acknowledged_at <= ?",
                (cutoff,),
            )
        ]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            with self.write() as conn:
                conn.execute(
                    f"UPDATE submissions SET state = 'purged', jwe = NULL, purged_at = ? "
                    f"WHERE id IN ({marks})",
                    (time.time(), *chunk),
                )
                conn.execute(f"DELETE FROM attachments WHERE submission_id IN ({marks})", chunk)
                audit.append(conn, "purged", None, {"count": len(chunk)})
        if ids:
            log.info("retention purged %d acknowledged submission(s)", len(ids))
        self._purge_orphan_attachments(now)
        return len(ids)

    def _purge_orphan_attachments(self, now: float | None) -> None:
        from datetime import UTC, datetime

        cutoff = datetime.fromtimestamp(epoch(now) - ORPHAN_SECONDS, UTC).strftime(
            "%Y-%m-%dT%H:%M:%S"
        )
        with self.write() as conn:
            conn.execute(
                "DELETE FROM attachments WHERE submission_id IS NULL AND created_at < ? "
                "AND (draft_id IS NULL OR draft_id NOT IN (SELECT id FROM drafts))",
                (cutoff,),
            )
