"""Reading request bodies from untrusted clients: bounded in bytes and in time, hashed
while they stream, gzip decoded with a limit and exactly one member.

Small bodies (JSON, attachment chunks) are kept in memory up to their limit;
bundles go to a temp file (0600, in the data folder's ``tmp/``) so three
parallel 300 MB uploads cost disk, not RAM. Decompression of a file runs in a
worker thread, in bounded steps, so a gzip bomb neither fills memory nor stalls
the event loop.

A slow client is cut off with ``408``: no chunk for ``idle`` seconds, or less
than ``min_rate`` bytes per second on average after a ``grace`` period (20
connections trickling one byte every few seconds cannot hold the server).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import ClientDisconnect, Request

from sync.auth import b64url

CHUNK = 256 * 1024
log = logging.getLogger("central.http_body")


class BodyProblem(Exception):
    """Turned into a problem+json reply by the app (status, code, detail)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass(frozen=True)
class BodyTimeouts:
    idle: float = 20.0  # seconds without a single byte
    grace: float = 10.0  # seconds before the average rate counts
    min_rate: float = 500.0  # bytes per second, on average, after the grace period


def _declared_length(request: Request, limit: int) -> int | None:
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    if not declared.isdigit() or len(declared) > 15:
        raise BodyProblem(400, "bad-request", "Content-Length is not a number")
    if int(declared) > limit:
        raise BodyProblem(413, "too-large", f"request body over {limit} bytes")
    return int(declared)


async def _timed_chunks(request: Request, timeouts: BodyTimeouts) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    total = 0
    stream = request.stream().__aiter__()
    while True:
        now = loop.time()
        # the latest moment the next byte may arrive and the average still be met
        rate_deadline = start + timeouts.grace + (total + 1) / timeouts.min_rate
        wait = max(0.0, min(timeouts.idle, rate_deadline - now))
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), timeout=wait)
        except StopAsyncIteration:
            return
        except ClientDisconnect:  # nobody to answer: a quiet 400, never a 500 and a traceback
            log.debug("a client went away before its request body was complete")
            raise BodyProblem(400, "client-disconnected",
                              "the connection closed before the body was complete") from None
        except TimeoutError:
            raise BodyProblem(408, "request-timeout",
                              "request body arrived too slowly; send it again") from None
        total += len(chunk)
        if chunk:
            yield chunk


async def read_small(request: Request, limit: int, timeouts: BodyTimeouts) -> tuple[bytes, str]:
    """(raw body bytes as received, base64url SHA-256 of them); 413 past ``limit``."""
    _declared_length(request, limit)
    h = hashlib.sha256()
    chunks, total = [], 0
    async for chunk in _timed_chunks(request, timeouts):
        total += len(chunk)
        if total > limit:
            raise BodyProblem(413, "too-large", f"request body over {limit} bytes")
        h.update(chunk)
        chunks.append(chunk)
    return b"".join(chunks), b64url(h.digest())


async def read_to_file(request: Request, limit: int, timeouts: BodyTimeouts,
                       tmp_dir: Path) -> tuple[Path, str]:
    """Stream the body into a new 0600 temp file; (path, base64url SHA-256)."""
    _declared_length(request, limit)
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=tmp_dir)
    path = Path(name)
    h = hashlib.sha256()
    total = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in _timed_chunks(request, timeouts):
                total += len(chunk)
                if total > limit:
                    raise BodyProblem(413, "too-large", f"request body over {limit} bytes")
                h.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, b64url(h.digest())


def _encoding(headers: Any) -> str:
    encoding = str(headers.get("content-encoding", "identity")).strip().lower()
    if encoding in ("", "identity"):
        return "identity"
    if encoding != "gzip":
        raise BodyProblem(415, "unsupported-encoding", f"content encoding {encoding[:40]!r} "
                                                       "not supported (gzip or identity)")
    return "gzip"


def gunzip_bytes(raw: bytes, limit: int) -> bytes:
    """Exactly one gzip member, nothing after it, at most ``limit`` bytes decoded."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        decoded = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise BodyProblem(400, "bad-request", "gzip body is corrupt") from None
    if len(decoded) > limit or inflater.unconsumed_tail:
        raise BodyProblem(413, "too-large", f"decompressed body over {limit} bytes")
    if not inflater.eof:
        raise BodyProblem(400, "bad-request", "gzip body is truncated")
    if inflater.unused_data:
        raise BodyProblem(400, "bad-request", "data after the gzip member (only one member, "
                                              "nothing after it, is accepted)")
    return decoded


def decode_small(headers: Any, raw: bytes, limit: int) -> bytes:
    return raw if _encoding(headers) == "identity" else gunzip_bytes(raw, limit)


def gunzip_file(src: Path, limit: int, tmp_dir: Path) -> Path:
    """Decode a gzip'd temp file into a new one, in bounded steps (run it in a thread)."""
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".decoded", dir=tmp_dir)
    out_path = Path(name)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    total = 0
    try:
        with open(src, "rb") as fh, os.fdopen(fd, "wb") as out:
            for block in iter(lambda: fh.read(CHUNK), b""):
                if inflater.eof:
                    raise BodyProblem(400, "bad-request", "data after the gzip member")
                data = block
                while data:
                    try:
                        piece = inflater.decompress(data, CHUNK)
                    except zlib.error:
                        raise BodyProblem(400, "bad-request", "gzip body is corrupt") from None
                    total += len(piece)
                    if total > limit:
                        raise BodyProblem(413, "too-large",
                                          f"decompressed body over {limit} bytes")
                    out.write(piece)
                    data = inflater.unconsumed_tail
                    if inflater.eof:
                        if inflater.unused_data or data:
                            raise BodyProblem(400, "bad-request", "data after the gzip member")
                        break
            for _ in range(64):  # drain what zlib still holds back (bounded steps)
                if inflater.eof:
                    break
                piece = inflater.decompress(inflater.unconsumed_tail, CHUNK)
                if not piece:
                    break
                total += len(piece)
                if total > limit:
                    raise BodyProblem(413, "too-large", f"decompressed body over {limit} bytes")
                out.write(piece)
            if not inflater.eof:
                raise BodyProblem(400, "bad-request", "gzip body is truncated")
            if inflater.unused_data:
                raise BodyProblem(400, "bad-request", "data after the gzip member")
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    return out_path


def file_encoding(headers: Any) -> str:
    return _encoding(headers)
