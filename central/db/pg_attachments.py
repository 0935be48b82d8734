"""Resumable attachment upload with the bytes in PostgreSQL, so any node finishes it.

Same contract as ``central.attachments.AttachmentStore`` (status, ready, write,
put_complete, read). Why the bytes are in the database (``bytea`` chunks) and not
in a shared folder: the chunk and the offset it advances are committed in *one*
transaction, so there is no state between "bytes written" and "progress recorded"
for a crash to leave behind — a node SIGKILLed at any moment leaves either the
chunk and its offset or neither, and the next node (any node) resumes at the
committed offset. A shared folder would need a cluster filesystem with working
locks and fsync on every node, and would fall outside ``pg_dump`` backups.
Attachments are small (a kiosk's photos and scans, at most ``max_attachment_bytes``
and sent in chunks of at most ``max_chunk_bytes``), so rows of ``bytea`` fit.

Concurrent PUTs of one upload (two nodes, a retried request) queue on a transaction
advisory lock keyed by (device, SHA-256); the loser sees the new offset and gets
``409`` with it, exactly as on one node.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from central.attachments import (
    MAX_OPEN_UPLOADS,
    BadDigest,
    DigestMismatch,
    OffsetMismatch,
    TooManyOpenUploads,
    _crash_point,
)
from central.db.postgres import PgStore
from kiosk import ids

CHUNK = 1 << 20  # a whole blob from a bundle is stored in rows of this size


def _state(digest: str, row: Any) -> dict[str, Any]:
    if row is None:
        return {"sha256": digest, "offset": 0, "size": None, "complete": False}
    size, received, complete = int(row[0]), int(row[1]), bool(row[2])
    return {"sha256": digest, "offset": size if complete else received, "size": size,
            "complete": complete}


class DbAttachmentStore:
    def __init__(self, store: PgStore) -> None:
        self.store = store

    @staticmethod
    def _check(device_id: str, digest: str) -> None:
        if not ids.is_sha256(digest):
            raise BadDigest("attachments are named by a lowercase hex SHA-256")
        ids.device_id(device_id)

    @staticmethod
    def _lock(tx: Any, device_id: str, digest: str) -> Any:
        tx.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
                   (f"{device_id}/{digest}",))
        return tx.execute("SELECT size, received, complete FROM attachments "
                          "WHERE device_id = ? AND sha256 = ?", (device_id, digest)).fetchone()

    def status(self, device_id: str, digest: str) -> dict[str, Any]:
        self._check(device_id, digest)
        _, rows = self.store.query("SELECT size, received, complete FROM attachments "
                                   "WHERE device_id = ? AND sha256 = ?", (device_id, digest))
        return _state(digest, rows[0] if rows else None)

    def ready(self, device_id: str, digest: str, size: int) -> bool:
        if not ids.is_sha256(digest):
            return False
        state = self.status(device_id, digest)
        return bool(state["complete"] and (size < 0 or state["size"] == size))

    def write(self, device_id: str, digest: str, start: int, total: int,
              data: bytes) -> dict[str, Any]:
        self._check(device_id, digest)
        with self.store.transaction() as tx:
            state = _state(digest, self._lock(tx, device_id, digest))
            if state["complete"]:  # a retry after the upload finished: say so
                return state
            if state["size"] != total:  # new upload (or the size changed): start clean
                if state["size"] is None and self._open_uploads(tx, device_id) >= \
                        MAX_OPEN_UPLOADS:
                    raise TooManyOpenUploads(f"more than {MAX_OPEN_UPLOADS} unfinished uploads; "
                                             "finish one first")
                self._restart(tx, device_id, digest, total)
                state["offset"] = 0
            if start != state["offset"]:
                raise OffsetMismatch(state["offset"])
            tx.execute("INSERT INTO attachment_chunks (device_id, sha256, start, data) "
                       "VALUES (?, ?, ?, ?)", (device_id, digest, start, data))
            offset = start + len(data)
            sealed = offset >= total and self._hash(tx, device_id, digest) == digest
            if offset >= total and not sealed:
                self._restart(tx, device_id, digest, total)
            else:
                self.store.put_attachment_row(tx, device_id, digest, total, offset, sealed)
        if offset >= total and not sealed:
            raise DigestMismatch("attachment bytes do not match their SHA-256; "
                                 "upload it again from byte 0")
        if not sealed:
            _crash_point("attachment-appended")  # committed; the reply is what is lost
        return {"sha256": digest, "offset": offset, "size": total, "complete": sealed}

    @staticmethod
    def _open_uploads(tx: Any, device_id: str) -> int:
        """``SqlStore.open_uploads`` on this transaction's own connection (a second pooled
        connection per request would let a full pool wait on itself)."""
        return int(tx.value("SELECT COUNT(*) FROM attachments WHERE device_id = ? AND "
                            "complete = 0 AND updated_at > ?", (device_id, time.time() - 86_400)))

    def _restart(self, tx: Any, device_id: str, digest: str, total: int) -> None:
        tx.execute("DELETE FROM attachment_chunks WHERE device_id = ? AND sha256 = ?",
                   (device_id, digest))
        self.store.put_attachment_row(tx, device_id, digest, total, 0, False)

    @staticmethod
    def _hash(tx: Any, device_id: str, digest: str) -> str:
        h = hashlib.sha256()
        cur = tx.execute("SELECT data FROM attachment_chunks WHERE device_id = ? AND sha256 = ? "
                         "ORDER BY start", (device_id, digest))
        for (chunk,) in cur:
            h.update(chunk)
        return h.hexdigest()

    def put_complete(self, device_id: str, digest: str, data: bytes) -> None:
        """A whole blob from a bundle (its hash was bound by a verified record)."""
        if hashlib.sha256(data).hexdigest() != digest:
            raise DigestMismatch("attachment bytes do not match their SHA-256")
        self._check(device_id, digest)
        with self.store.transaction() as tx:
            if _state(digest, self._lock(tx, device_id, digest))["complete"]:
                return
            self._restart(tx, device_id, digest, len(data))
            for start in range(0, len(data), CHUNK):
                tx.execute("INSERT INTO attachment_chunks (device_id, sha256, start, data) "
                           "VALUES (?, ?, ?, ?)", (device_id, digest, start,
                                                   data[start:start + CHUNK]))
            self.store.put_attachment_row(tx, device_id, digest, len(data), len(data), True)

    def read(self, device_id: str, digest: str) -> bytes:
        """A sealed blob's bytes (FileNotFoundError if it is not complete here)."""
        self._check(device_id, digest)
        if not self.status(device_id, digest)["complete"]:
            raise FileNotFoundError(f"attachment {digest} is not stored complete")
        _, rows = self.store.query("SELECT data FROM attachment_chunks WHERE device_id = ? "
                                   "AND sha256 = ? ORDER BY start", (device_id, digest))
        return b"".join(bytes(r[0]) for r in rows)
