"""The kiosk's HTTP client for the central API (httpx, no Qt).

It turns every way a reply can go wrong into one of a few error classes the
engine acts on — this is where "never mistake a bad reply for success" lives:

- ``Unreachable``: nothing was sent (DNS, refused, connect timeout). Go offline.
- ``OutcomeUnknown``: the request may have arrived (reset, read timeout,
  truncated or malformed reply, captive-portal page, oversized body). Resend the
  same bytes later; the server's dedup makes that safe.
- ``ServerBusy``: 5xx, 408, 429: retry with backoff (``retry_after`` if given).
- ``AuthRefused``: the server does not accept this device (unknown, revoked,
  bad signature). Stop sending and tell staff.
- ``Refused``: any other 4xx — definitive for what was sent; ``reason`` is the
  server's problem detail.

Replies are read as a stream and cut off at ``max_reply_bytes``; only JSON with
the expected content type counts. The server's ``Date`` header gives the clock
skew, which is reported and also used to date request signatures.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

import httpx
from joserfc.jwk import OKPKey

from kiosk.device import DeviceIdentity
from kiosk.errors import NetworkError, SecurityError
from sync import jsonlimits
from sync.auth import CATALOG_TYP, HEALTH_TYP, sign_request, verify_json
from sync.state import RoundState

USER_AGENT = "soum-kiosk-sync/1"
REPLY_JSON_LIMITS = jsonlimits.JsonLimits(max_bytes=64 * 1024 * 1024, max_depth=64,
                                          max_items=10_000_000, max_int_digits=40)
GZIP_MIN_BYTES = 1024
# Stall detection is by progress, never by size: a request during which no byte
# moves for this long is abandoned as outcome-unknown (config: sync_stall_seconds).
DEFAULT_STALL_SECONDS = 20.0
MAX_STALL_SECONDS = 30.0
# A request must carry at least this much for its duration to say anything about
# the link's rate (smaller ones measure the round trip, not the bandwidth).
RATE_SAMPLE_MIN_BYTES = 4096
# One request carries about this many seconds of the measured link (a few).
BATCH_SECONDS = 5.0
FIRST_BATCH_BYTES = 32 * 1024
MIN_BATCH_BYTES = 8 * 1024


class SyncError(NetworkError):
    kind: RoundState = RoundState.ERROR


class Unreachable(SyncError):
    kind = RoundState.OFFLINE


class OutcomeUnknown(SyncError):
    kind = RoundState.OUTCOME_UNKNOWN


class CaptivePortal(OutcomeUnknown):
    kind = RoundState.CAPTIVE_PORTAL


class ServerBusy(SyncError):
    kind = RoundState.SERVER_BUSY

    def __init__(self, message: str = "", retry_after: float | None = None, *,
                 key: str | None = None, params: Mapping[str, object] | None = None) -> None:
        super().__init__(message, key=key, params=params)
        self.retry_after = retry_after


class Refused(SyncError):
    kind = RoundState.REFUSED

    def __init__(self, message: str, status: int, code: str = "", *,
                 key: str | None = None, params: Mapping[str, object] | None = None) -> None:
        super().__init__(message, key=key, params=params)
        self.status = status
        self.code = code


class AuthRefused(SecurityError):
    kind = RoundState.AUTH

    def __init__(self, message: str, code: str = "", *,
                 key: str | None = None, params: Mapping[str, object] | None = None) -> None:
        super().__init__(message, key=key, params=params)
        self.code = code


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes
    data: Any = None


@dataclass
class ClientState:
    skew_seconds: float | None = None  # our clock minus the server's (+ = kiosk ahead)
    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    limits: dict[str, int] = field(default_factory=dict)
    # measured link rate in payload bytes (before gzip) per second, None until measured
    link_bytes_per_s: float | None = None

    def note_rate(self, payload_bytes: int, seconds: float) -> None:
        """One sample (bytes sent / time until the whole reply was in), smoothed."""
        if payload_bytes < RATE_SAMPLE_MIN_BYTES or seconds <= 0:
            return
        sample = payload_bytes / seconds
        old = self.link_bytes_per_s
        self.link_bytes_per_s = sample if old is None else 0.5 * old + 0.5 * sample


def _problem_code(reply: Reply) -> tuple[str, str]:
    data = reply.data if isinstance(reply.data, dict) else {}
    code = str(data.get("type", "")).rsplit("/", 1)[-1]
    return code, str(data.get("detail") or data.get("title") or f"HTTP {reply.status}")


class CentralClient:
    """One keep-alive connection pool to one server; not thread-safe (one per thread)."""

    def __init__(
        self,
        base_url: str,
        *,
        device: DeviceIdentity | None = None,
        server_key: OKPKey | None = None,
        timeout: float = DEFAULT_STALL_SECONDS,
        connect_timeout: float = 10.0,
        max_reply_bytes: int = 16 * 1024 * 1024,
        compress: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.device = device
        self.server_key = server_key
        self.max_reply_bytes = max_reply_bytes
        # httpx applies read/write timeouts to each socket operation: "no byte moved
        # for this long", whatever the size of the body — the stall bound
        self.timeout = max(0.5, min(float(timeout), MAX_STALL_SECONDS))
        self.connect_timeout = min(connect_timeout, self.timeout)
        self.compress = compress
        self.state = ClientState()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"},
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------
    def now(self) -> float:
        """Our best idea of the server's time (for signatures)."""
        return time.time() - (self.state.skew_seconds or 0.0)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        expect_json: bool = True,
        ok: tuple[int, ...] = (200,),
    ) -> Reply:
        hdrs = dict(headers or {})
        body = b""
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
            content_type = "application/json"
        elif content is not None:
            body = content
        if body and content_type:
            hdrs["Content-Type"] = content_type
        payload_bytes = len(body)
        if self.compress and len(body) >= GZIP_MIN_BYTES and content_type != "application/octet-stream":
            body = gzip.compress(body, compresslevel=6, mtime=0)
            hdrs["Content-Encoding"] = "gzip"
        request = self._http.build_request(method, path, content=body or None, headers=hdrs)
        if signed:
            if self.device is None:
                raise AuthRefused("", "not-enrolled", key="errors.not_enrolled")
            request.headers["Authorization"] = sign_request(
                device_id=self.device.device_id, key=self.device.private_key,
                method=method, target=request.url.raw_path.decode("ascii"), body=body,
                created=int(self.now()), nonce=secrets.token_urlsafe(16),
                headers=request.headers,
            )
        self.state.requests += 1
        self.state.bytes_sent += len(body)
        started = monotonic()
        reply = self._send(request, method)
        self.state.note_rate(payload_bytes, monotonic() - started)
        self._note_date(reply.headers.get("date"))
        if reply.status in ok:
            if expect_json and method != "HEAD" and reply.status != 304:
                reply.data = self._json(reply, problem=False)
            return reply
        if reply.status == 304 and 304 in ok:
            return reply
        self._raise_for(reply)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, request: httpx.Request, method: str) -> Reply:
        try:
            response = self._http.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol,
                httpx.PoolTimeout) as exc:
            raise Unreachable(key="errors.unreachable",
                              params={"url": self.base_url, "reason": type(exc).__name__}) from None
        except httpx.TimeoutException as exc:
            raise OutcomeUnknown(key="wire.link_stalled", params={
                "url": self.base_url, "seconds": f"{self.timeout:g}",
                "reason": type(exc).__name__}) from None
        except httpx.TransportError as exc:
            raise OutcomeUnknown(key="wire.send_failed", params={
                "url": self.base_url, "reason": type(exc).__name__}) from None
        try:
            chunks, total = [], 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > self.max_reply_bytes:
                    raise OutcomeUnknown(key="wire.reply_too_large", params={
                        "url": self.base_url, "mb": self.max_reply_bytes // (1024 * 1024)})
                chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise OutcomeUnknown(key="wire.reply_stalled", params={
                "url": self.base_url, "seconds": f"{self.timeout:g}",
                "reason": type(exc).__name__}) from None
        except httpx.TransportError as exc:
            raise OutcomeUnknown(key="wire.reply_cut", params={
                "url": self.base_url, "reason": type(exc).__name__}) from None
        except httpx.DecodingError:
            raise OutcomeUnknown(key="wire.reply_bad_gzip", params={"url": self.base_url}) from None
        finally:
            response.close()
        body = b"".join(chunks)
        self.state.bytes_received += len(body)
        return Reply(response.status_code, response.headers, body)

    def _note_date(self, value: str | None) -> None:
        if not value:
            return
        try:
            server = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError):
            return
        self.state.skew_seconds = round(time.time() - server, 1)

    def _json(self, reply: Reply, *, problem: bool) -> Any:
        ctype = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        wanted = ("application/json", "application/problem+json") if problem else (
            "application/json",)
        if ctype not in wanted:
            if "html" in ctype or reply.body.lstrip()[:1] == b"<":
                raise CaptivePortal(key="wire.web_page", params={
                    "url": self.base_url, "status": reply.status, "type": ctype or "-"})
            raise OutcomeUnknown(key="wire.reply_wrong_type", params={
                "url": self.base_url, "type": ctype or "-", "status": reply.status})
        try:  # a hostile or broken server must not crash the kiosk with deep JSON either
            return jsonlimits.loads(reply.body, REPLY_JSON_LIMITS)
        except (ValueError, UnicodeDecodeError):
            raise OutcomeUnknown(key="wire.reply_bad_json", params={
                "url": self.base_url, "status": reply.status}) from None

    def _raise_for(self, reply: Reply) -> None:
        status = reply.status
        if 300 <= status < 400:
            raise CaptivePortal(key="wire.redirected", params={
                "url": self.base_url, "location": reply.headers.get("location", "?")})
        try:
            reply.data = self._json(reply, problem=True)
        except OutcomeUnknown:
            if status >= 500 or status in (408, 429):
                raise ServerBusy(retry_after=self._retry_after(reply), key="wire.server_busy",
                                 params={"status": status}) from None
            raise
        code, detail = _problem_code(reply)
        if status >= 500 or status in (408, 429):
            raise ServerBusy(retry_after=self._retry_after(reply), key="wire.server_busy_said",
                             params={"status": status, "detail": detail})
        if status in (401, 403) and code in ("unknown-device", "revoked", "bad-signature",
                                             "unauthenticated", "stale", "replay"):
            raise AuthRefused("", code, key="wire.kiosk_refused", params={"code": code, "detail": detail})
        raise Refused("", status, code, key="wire.request_refused",
                      params={"status": status, "code": code or "-", "detail": detail})

    @staticmethod
    def _retry_after(reply: Reply) -> float | None:
        value = reply.headers.get("retry-after", "")
        return float(value) if value.isdigit() else None

    def bytes_per_request(self, ceiling: int) -> int:
        """How much one request should carry: a few seconds of the measured link.

        The server answers only once the whole body is in, so on a slow link the
        reply can take size ÷ rate seconds with no byte moving; keeping that well
        under the stall bound is what lets the bound be short. Before the rate is
        measured the first request is small (it measures the rate).
        """
        seconds = min(BATCH_SECONDS, self.timeout / 4)
        rate = self.state.link_bytes_per_s
        if rate is None:
            return min(ceiling, FIRST_BATCH_BYTES)
        return max(MIN_BATCH_BYTES, min(ceiling, int(rate * seconds)))

    # -- API ------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """The health reply, its marker checked against the pinned key (if any)."""
        nonce = secrets.token_urlsafe(16)
        reply = self.request("GET", f"/v1/health?nonce={nonce}", signed=False)
        data = reply.data
        if not isinstance(data, dict) or data.get("service") != "soum-kiosk-central":
            raise CaptivePortal(key="wire.not_central", params={"url": self.base_url})
        if self.server_key is not None:
            try:
                marker = verify_json(str(data.get("marker")), self.server_key, typ=HEALTH_TYP)
            except SecurityError:
                raise CaptivePortal(key="wire.not_enrolled_server",
                                    params={"url": self.base_url}) from None
            if marker.get("nonce") != nonce:
                raise CaptivePortal(key="wire.replayed_marker", params={"url": self.base_url})
        limits = data.get("limits")
        if isinstance(limits, dict):
            self.state.limits = {k: int(v) for k, v in limits.items() if isinstance(v, int)}
        return dict(data)

    def enroll(self, code: str, public_jwk: dict[str, Any], name: str) -> dict[str, Any]:
        pub = {k: public_jwk[k] for k in ("kty", "crv", "x")}
        reply = self.request("POST", "/v1/enroll", json_body={
            "code": code, "device_public_jwk": pub, "name": name}, signed=False, ok=(201,))
        if not isinstance(reply.data, dict):
            raise OutcomeUnknown(key="wire.enrol_reply_shape")
        return dict(reply.data)

    def catalog(self, etag: str | None) -> dict[str, Any] | None:
        """The verified listing, or None when ``etag`` is still current."""
        headers = {"If-None-Match": etag} if etag else {}
        reply = self.request("GET", "/v1/catalog", headers=headers, ok=(200, 304))
        if reply.status == 304:
            return None
        if self.server_key is None:
            raise SecurityError(key="wire.catalog_no_server_key")
        data = reply.data if isinstance(reply.data, dict) else {}
        listing = verify_json(str(data.get("signature")), self.server_key, typ=CATALOG_TYP)
        return listing

    def form_file(self, sha256: str) -> bytes:
        import hashlib

        reply = self.request("GET", f"/v1/catalog/forms/{sha256}", expect_json=False)
        if hashlib.sha256(reply.body).hexdigest() != sha256:
            raise OutcomeUnknown(key="wire.form_file_damaged", params={"sha256": sha256[:12]})
        return reply.body

    def submit(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        reply = self.request("POST", "/v1/submissions", json_body={"items": items})
        data = reply.data
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or len(results) != len(items):
            raise OutcomeUnknown(key="wire.batch_count", params={
                "sent": len(items), "got": len(results) if isinstance(results, list) else 0})
        for sent, result in zip(items, results, strict=True):
            if not isinstance(result, dict) or result.get("submission_id") != sent["submission_id"]:
                raise OutcomeUnknown(key="wire.batch_mismatch", params={"id": sent["submission_id"]})
        return results

    def report_audit_head(self, head: dict[str, Any]) -> dict[str, Any]:
        """Tell the server where this kiosk's audit log ends; Refused(409,
        "audit-regressed") if it ended further on before."""
        reply = self.request("POST", "/v1/audit-head",
                             json_body={"seq": int(head["seq"]), "hash": str(head["hash"])})
        return dict(reply.data) if isinstance(reply.data, dict) else {}

    def attachment_offset(self, sha256: str) -> tuple[int, bool]:
        reply = self.request("GET", f"/v1/attachments/{sha256}")
        data = reply.data if isinstance(reply.data, dict) else {}
        return int(data.get("offset", 0)), bool(data.get("complete"))

    def upload_attachment(self, sha256: str, blob: bytes, chunk: int | None = None) -> None:
        """Resume from the server's offset; done when the server says complete.

        The server's offset is the truth. When it says every byte is there but not
        yet complete (it stopped between the last write and sealing the upload),
        asking again lets it finish; nothing here ever sends an empty range.
        """
        # a few seconds of the measured link each, so a chunk never looks like a stall
        chunk = chunk or min(int(self.state.limits.get("max_chunk_bytes", 256 * 1024)),
                             self.bytes_per_request(256 * 1024))
        offset, complete = self.attachment_offset(sha256)
        restarted = False
        for _ in range(len(blob) // max(chunk, 1) + 4):
            if complete:
                return
            if not 0 <= offset < len(blob):
                # all bytes on the server (or a nonsense offset): ask once more, then
                # leave it for the next round rather than send a range that cannot exist
                offset, complete = self.attachment_offset(sha256)
                if complete:
                    return
                if not 0 <= offset < len(blob):
                    break
            part = blob[offset:offset + chunk]
            end = offset + len(part) - 1
            try:
                reply = self.request(
                    "PUT", f"/v1/attachments/{sha256}", content=part,
                    content_type="application/octet-stream",
                    headers={"Content-Range": f"bytes {offset}-{end}/{len(blob)}"})
            except Refused as exc:
                if exc.status == 409:  # resume where the server really is
                    offset, complete = self.attachment_offset(sha256)
                    continue
                if exc.status == 422 and not restarted:  # server dropped a bad copy
                    restarted = True
                    offset, complete = self.attachment_offset(sha256)
                    continue
                raise
            data = reply.data if isinstance(reply.data, dict) else {}
            offset, complete = int(data.get("offset", 0)), bool(data.get("complete"))
        if not complete:
            raise OutcomeUnknown(key="wire.attachment_incomplete", params={"sha256": sha256[:12]})
