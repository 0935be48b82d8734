"""Resumable attachment upload: query the offset, PUT the rest, SHA-256 checked at the end.

Attachments arrive already encrypted by the kiosk (the record binds their
SHA-256), so the server stores opaque bytes per (device, sha256). A part file
grows only at its current offset; a PUT for another offset gets ``409`` with
the offset to resume from. When the last byte lands the whole file is hashed;
a mismatch deletes it (``422``) so the kiosk starts over instead of sealing a
corrupt part.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Any

from central.storage import CentralStore

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


class OffsetMismatch(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(f"upload must continue at byte {offset}")
        self.offset = offset


class DigestMismatch(Exception):
    pass


class BadDigest(ValueError):
    pass


def parse_content_range(value: str | None) -> tuple[int, int, int]:
    match = _RANGE.match((value or "").strip())
    if not match:
        raise ValueError("Content-Range must be 'bytes START-END/TOTAL'")
    start, end, total = (int(g) for g in match.groups())
    if not start <= end < total:
        raise ValueError("Content-Range is out of order")
    return start, end, total


class AttachmentStore:
    def __init__(self, root: Path, store: CentralStore) -> None:
        self.root = root
        self.store = store
        self.lock = threading.Lock()

    def _path(self, device_id: str, digest: str) -> Path:
        if not _HEX64.match(digest):
            from central.app import Problem

            raise Problem(404, "not-found", "attachments are named by a lowercase hex SHA-256")
        safe_device = "".join(c for c in device_id if c.isalnum() or c in "-_")
        return self.root / safe_device / digest

    def status(self, device_id: str, digest: str) -> dict[str, Any]:
        path = self._path(device_id, digest)
        row = self.store.attachment(device_id, digest)
        if row is None:
            return {"sha256": digest, "offset": 0, "size": None, "complete": False}
        offset = path.stat().st_size if path.exists() else 0
        return {"sha256": digest, "offset": offset, "size": row["size"],
                "complete": bool(row["complete"])}

    def ready(self, device_id: str, digest: str, size: int) -> bool:
        row = self.store.attachment(device_id, digest)
        return bool(row and row["complete"] and (size < 0 or row["size"] == size))

    def write(self, device_id: str, digest: str, start: int, total: int,
              data: bytes) -> dict[str, Any]:
        path = self._path(device_id, digest)
        with self.lock:
            row = self.store.attachment(device_id, digest)
            if row and row["complete"]:
                return {"sha256": digest, "offset": row["size"], "size": row["size"],
                        "complete": True}
            offset = path.stat().st_size if path.exists() else 0
            if row and row["size"] != total:
                offset = 0
                path.unlink(missing_ok=True)
            if start != offset:
                raise OffsetMismatch(offset)
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "ab") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            offset += len(data)
            complete = False
            if offset >= total:
                h = hashlib.sha256()
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
                if h.hexdigest() != digest or offset != total:
                    path.unlink(missing_ok=True)
                    self.store.set_attachment(device_id, digest, total, 0, False)
                    raise DigestMismatch("attachment bytes do not match their SHA-256; "
                                         "upload it again from byte 0")
                complete = True
            self.store.set_attachment(device_id, digest, total, offset, complete)
            return {"sha256": digest, "offset": offset, "size": total, "complete": complete}

    def put_complete(self, device_id: str, digest: str, data: bytes) -> None:
        """A whole blob from a bundle (hash already checked by the caller)."""
        if hashlib.sha256(data).hexdigest() != digest:
            raise DigestMismatch("attachment bytes do not match their SHA-256")
        path = self._path(device_id, digest)
        with self.lock:
            row = self.store.attachment(device_id, digest)
            if row and row["complete"]:
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            self.store.set_attachment(device_id, digest, len(data), len(data), True)
