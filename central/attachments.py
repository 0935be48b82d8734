"""Resumable attachment upload: query the offset, PUT the rest, SHA-256 checked at the end.

Attachments arrive already encrypted by the kiosk (the record binds their
SHA-256), so the server stores opaque bytes per (device, sha256). A part file
grows only at its current offset; a PUT for another offset gets ``409`` with
the offset to resume from. When the last byte lands the whole file is hashed;
a mismatch deletes it (``422``) so the kiosk starts over instead of sealing a
corrupt part.

Crash consistency: the part file is the one truth about how far an upload got
(the offset is always its size, in ``status`` and in ``write`` alike), and the
row only says how big the blob will be and whether it was sealed. The row is
made before the first byte is written, so a crash can leave only states that
``status`` resolves: bytes written but not recorded (the next offset is the
file's size), or every byte there but not sealed (``status`` hashes and seals
it, so the kiosk is told "complete" — it never has to send an empty range).
A file without a row (left by an older server) is resumed the same way.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import threading
from pathlib import Path
from typing import Any

from central.storage import CentralStore, private_dir
from kiosk import ids

_RANGE = re.compile(r"^bytes (\d{1,15})-(\d{1,15})/(\d{1,15})$")
_EMPTY_RANGE = _RANGE
CRASH_ENV = "KIOSK_CENTRAL_TEST_CRASH_AT"  # test-only: SIGKILL this process at a named moment


class OffsetMismatch(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(f"upload must continue at byte {offset}")
        self.offset = offset


class DigestMismatch(Exception):
    pass


class TooManyOpenUploads(Exception):
    """A device started more uploads than it finished (a kiosk uploads one at a time)."""


MAX_OPEN_UPLOADS = 64


class BadDigest(ValueError):
    pass


def parse_content_range(value: str | None) -> tuple[int, int, int]:
    match = _RANGE.match((value or "").strip())
    if not match:
        raise ValueError("Content-Range must be 'bytes START-END/TOTAL' (at most 15 digits each)")
    start, end, total = (int(g) for g in match.groups())
    if not start <= end < total:
        raise ValueError("Content-Range is out of order")
    return start, end, total


def empty_range_total(value: str | None) -> int | None:
    """TOTAL of ``bytes TOTAL-(TOTAL-1)/TOTAL``: what an older kiosk sends when it thinks
    every byte is there; answered with the upload's state instead of a 400."""
    match = _EMPTY_RANGE.match((value or "").strip())
    if not match:
        return None
    start, end, total = (int(g) for g in match.groups())
    return total if start == total and end == total - 1 and total > 0 else None


def _write_durably(path: Path, data: bytes, mode: int) -> None:
    """All of ``data`` written and fsynced (0600, never through a symlink) before return."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode | os.O_NOFOLLOW, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _crash_point(name: str) -> None:
    """Test-only hook: with ``KIOSK_CENTRAL_TEST_CRASH_AT=name`` the server SIGKILLs
    itself here, so a crash test hits an exact moment instead of a lucky one."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class AttachmentStore:
    def __init__(self, root: Path, store: CentralStore) -> None:
        self.root = root
        self.store = store
        self.lock = threading.Lock()

    def _path(self, device_id: str, digest: str) -> Path:
        if not ids.is_sha256(digest):
            raise BadDigest("attachments are named by a lowercase hex SHA-256")
        ids.device_id(device_id)
        return ids.inside(self.root, device_id, digest)

    @staticmethod
    def _size(path: Path) -> int:
        try:
            return path.stat().st_size
        except FileNotFoundError:
            return 0

    def _seal(self, device_id: str, digest: str, path: Path, total: int) -> bool:
        """Every byte is there: hash it; True = sealed complete, False = dropped."""
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != digest:
            path.unlink(missing_ok=True)
            self.store.set_attachment(device_id, digest, total, 0, False)
            return False
        _crash_point("attachment-before-seal")
        self.store.set_attachment(device_id, digest, total, total, True)
        return True

    def _state(self, device_id: str, digest: str) -> dict[str, Any]:
        """Status under ``self.lock``, finishing an upload a crash left unsealed."""
        path = self._path(device_id, digest)
        row = self.store.attachment(device_id, digest)
        if row and row["complete"]:
            return {"sha256": digest, "offset": row["size"], "size": row["size"],
                    "complete": True}
        offset = self._size(path)
        size = int(row["size"]) if row else None
        if size is not None and offset > size:
            path.unlink(missing_ok=True)
            offset = 0
        if size is not None and offset == size and self._seal(device_id, digest, path, size):
            return {"sha256": digest, "offset": size, "size": size, "complete": True}
        return {"sha256": digest, "offset": self._size(path), "size": size, "complete": False}

    def status(self, device_id: str, digest: str) -> dict[str, Any]:
        with self.lock:
            return self._state(device_id, digest)

    def ready(self, device_id: str, digest: str, size: int) -> bool:
        if not ids.is_sha256(digest):
            return False
        with self.lock:
            state = self._state(device_id, digest)
        return bool(state["complete"] and (size < 0 or state["size"] == size))

    def write(self, device_id: str, digest: str, start: int, total: int,
              data: bytes) -> dict[str, Any]:
        path = self._path(device_id, digest)
        with self.lock:
            state = self._state(device_id, digest)
            if state["complete"]:  # a retry after the upload finished: say so
                return state
            if state["size"] != total:  # new upload (or the size changed): start clean
                if state["size"] is None and self.store.open_uploads(device_id) >= \
                        MAX_OPEN_UPLOADS:
                    raise TooManyOpenUploads(f"more than {MAX_OPEN_UPLOADS} unfinished uploads; "
                                             "finish one first")
                path.unlink(missing_ok=True)
                self.store.set_attachment(device_id, digest, total, 0, False)
            offset = self._size(path)
            if offset > total:
                path.unlink(missing_ok=True)
                offset = 0
            if start != offset:
                raise OffsetMismatch(offset)
            private_dir(path.parent)
            _write_durably(path, data, os.O_APPEND)
            offset += len(data)
            if offset < total:
                _crash_point("attachment-appended")
                return {"sha256": digest, "offset": offset, "size": total, "complete": False}
            if not self._seal(device_id, digest, path, total):
                raise DigestMismatch("attachment bytes do not match their SHA-256; "
                                     "upload it again from byte 0")
            return {"sha256": digest, "offset": total, "size": total, "complete": True}

    def read(self, device_id: str, digest: str) -> bytes:
        """A stored blob's bytes (FileNotFoundError if there is none)."""
        return self._path(device_id, digest).read_bytes()

    def put_complete(self, device_id: str, digest: str, data: bytes) -> None:
        """A whole blob from a bundle (its hash was bound by a verified record)."""
        if hashlib.sha256(data).hexdigest() != digest:
            raise DigestMismatch("attachment bytes do not match their SHA-256")
        path = self._path(device_id, digest)
        with self.lock:
            row = self.store.attachment(device_id, digest)
            if row and row["complete"]:
                return
            private_dir(path.parent)
            tmp = path.with_name(path.name + ".tmp")
            _write_durably(tmp, data, os.O_TRUNC)
            os.replace(tmp, path)
            self.store.set_attachment(device_id, digest, len(data), len(data), True)
