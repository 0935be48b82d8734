"""The OpenRosa HTTP client: formList, form and media downloads, HEAD/POST submissions.

Why its own client: OpenRosa servers (ODK Central, KoboToolbox, Aggregate) speak XML
with ``X-OpenRosa-Version: 1.0`` and authenticate with an app-user token in the URL,
HTTP Basic (only over HTTPS: a password never crosses the network in clear) or Digest
when the server asks for it. Outcomes map onto the sync engine's error classes
(sync.client) so the existing backoff applies unchanged:

- 201/202: received (also for the same bytes sent again: the server deduplicates);
- 401/403: ``CredentialsRefused``; other 4xx: ``RefusedReply`` (409: ``Conflict``).
  Both carry the status and the start of the body: what a refusal means (form
  closed, not assigned, a true conflict …) is sync.odk.problems' business;
- 5xx/408/429: ``ServerBusy``; resets/timeouts after sending: ``OutcomeUnknown``;
  nothing sent: ``Unreachable``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx

from sync.client import AuthRefused, OutcomeUnknown, Refused, ServerBusy, Unreachable
from sync.odk.multipart import DEFAULT_MAX_BODY, Request
from sync.state import RoundState

OPENROSA_HEADERS = {"X-OpenRosa-Version": "1.0", "User-Agent": "soum-kiosk-odk/1"}
XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"
SLOWEST_LINK_BYTES_PER_S = 2000  # as sync.client: a 2G link still gets its time
MAX_REPLY_BYTES = 8 * 1024 * 1024  # formList, manifest, submission replies (downloads: fetch_to)


class TooLarge(OutcomeUnknown):
    """A reply or download past its size bound (or the pull's quota): not resumed.
    ``received``: the bytes that came before it was cut (they count against a quota)."""

    received = 0


class DeadlineExceeded(OutcomeUnknown):
    """A request past its overall deadline (a server trickling bytes): not resumed."""

    received = 0


REPLY_BODY_KEPT = 64_000  # what a refusal keeps of the reply for sync.odk.problems


class RefusedReply(Refused):
    """A 4xx reply, with its status and the start of its body (structured, for
    sync.odk.problems.classify)."""

    def __init__(self, message: str, status: int, body: bytes = b"", *,
                 key: str | None = None, params: dict[str, object] | None = None) -> None:
        super().__init__(message, status, key=key, params=params)
        self.body = body[:REPLY_BODY_KEPT]


class Conflict(RefusedReply):
    """409: Central says the form is closed, or this instanceID has other content, …"""

    kind = RoundState.CONFLICT


class CredentialsRefused(AuthRefused):
    """401/403, with its status and body: on Central's submission endpoint a 401 is also
    what an app user not assigned to the form gets (the caller probes to tell)."""

    def __init__(self, message: str, status: int, body: bytes = b"", *,
                 key: str | None = None, params: dict[str, object] | None = None) -> None:
        super().__init__(message, key=key, params=params)
        self.status = status
        self.body = body[:REPLY_BODY_KEPT]


@dataclass(frozen=True)
class FormEntry:
    form_id: str
    name: str
    version: str
    hash: str
    download_url: str
    manifest_url: str | None


@dataclass(frozen=True)
class MediaEntry:
    filename: str
    hash: str
    download_url: str


@dataclass(frozen=True)
class Received:
    status: int
    message: str
    instance_id: str | None


class OpenRosaAuth(httpx.Auth):
    """Basic over HTTPS (or loopback), Digest when the server's challenge asks for it.

    The scheme a server asked for is remembered, so later requests (and the big
    multipart bodies) are not sent twice to learn it again.
    """

    requires_request_body = True

    def __init__(self, username: str, password: str,
                 origin: tuple[str, str, int] | None = None) -> None:
        self._user = username
        self._password = password
        self._digest = httpx.DigestAuth(username, password)
        self.scheme: str | None = None
        # the configured server's (scheme, host, port): no credential goes anywhere else,
        # whatever URL a formList or manifest names (OpenRosaClient sets it; else the
        # first request's)
        self.origin = origin

    def _basic(self) -> str:
        raw = f"{self._user}:{self._password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.origin is None:  # used alone: bound to the first server it talks to
            self.origin = origin_of(request.url)
        if origin_of(request.url) != self.origin:
            yield request
            return
        if self.scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        if _basic_allowed(request.url):
            request.headers["Authorization"] = self._basic()
        response = yield request
        challenge = response.headers.get("www-authenticate", "").lower()
        if response.status_code == 401 and challenge.startswith("digest"):
            self.scheme = "digest"
            request.headers.pop("Authorization", None)
            yield from self._digest.auth_flow(request)
        elif response.status_code != 401 and "Authorization" in request.headers:
            self.scheme = "basic"


def origin_of(url: httpx.URL | str) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port filled in."""
    url = httpx.URL(url) if isinstance(url, str) else url
    port = url.port or (443 if url.scheme == "https" else 80)
    return (url.scheme, url.host.lower(), port)


def _basic_allowed(url: httpx.URL) -> bool:
    return url.scheme == "https" or url.host in ("127.0.0.1", "localhost", "::1")


def _parse(body: bytes) -> ET.Element:
    """Server XML with DTDs and entities refused (defusedxml): a hostile or broken server
    cannot make the kiosk expand an entity bomb."""
    from defusedxml import ElementTree as SafeET

    return SafeET.fromstring(body)


def _xml(body: bytes, what: str) -> ET.Element:
    from defusedxml.common import DefusedXmlException

    try:
        return _parse(body)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise OutcomeUnknown(key="wire.odk_bad_xml",
                             params={"what": what, "reason": type(exc).__name__}) from None


def _text(el: ET.Element, local: str) -> str:
    for child in el:
        if child.tag.rsplit("}", 1)[-1] == local:
            return (child.text or "").strip()
    return ""


def parse_form_list(body: bytes) -> list[FormEntry]:
    root = _xml(body, "form list")
    out = []
    for el in root:
        if el.tag.rsplit("}", 1)[-1] != "xform":
            continue
        out.append(FormEntry(form_id=_text(el, "formID"), name=_text(el, "name"),
                             version=_text(el, "version"), hash=_text(el, "hash"),
                             download_url=_text(el, "downloadUrl"),
                             manifest_url=_text(el, "manifestUrl") or None))
    return [f for f in out if f.form_id and f.download_url]


def parse_manifest(body: bytes) -> list[MediaEntry]:
    root = _xml(body, "media manifest")
    out = []
    for el in root:
        if el.tag.rsplit("}", 1)[-1] == "mediaFile":
            out.append(MediaEntry(filename=_text(el, "filename"), hash=_text(el, "hash"),
                                  download_url=_text(el, "downloadUrl")))
    return [m for m in out if m.filename and m.download_url]


def _message(body: bytes) -> str:
    """The server's own words about a reply, short and with no control characters (they
    are stored with the item and printed by ``kiosk status``)."""
    from defusedxml.common import DefusedXmlException

    from kiosk.text_safe import printable

    try:
        root = _parse(body)
    except (ET.ParseError, DefusedXmlException):
        return printable(body[:200].decode("utf-8", "replace").strip())
    texts = [(el.text or "").strip() for el in root.iter() if el.tag.endswith("message")]
    return printable(" ".join(t for t in texts if t)[:300])


def safe_url(url: str) -> str:
    """A URL fit for logs and screens: an app-user token in the path is masked."""
    parts = urlsplit(url)
    segs = parts.path.split("/")
    for i, seg in enumerate(segs[:-1]):
        if seg == "key":
            segs[i + 1] = "…"
    return f"{parts.scheme}://{parts.netloc}{'/'.join(segs)}"


class OpenRosaClient:
    """One server (an app-user base URL or a server URL); not thread-safe."""

    def __init__(self, base_url: str, *, auth: httpx.Auth | None = None,
                 timeout: float = 30.0, connect_timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None,
                 on_bytes: Callable[[int, int], None] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.deadline: float | None = None  # time.monotonic() by which a pull round ends
        if isinstance(auth, OpenRosaAuth) and auth.origin is None:
            auth.origin = origin_of(self.base_url)
        self._max_body: int | None = None
        self._on_bytes = on_bytes
        self.requests = 0  # HTTP requests made (a round's report counts them)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout), headers=OPENROSA_HEADERS,
            auth=auth, follow_redirects=True, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpenRosaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    # --- transport -----------------------------------------------------------------

    def _read_timeout(self) -> httpx.Timeout | None:
        """The client's timeout, shortened to what is left of the round's deadline."""
        if self.deadline is None:
            return None
        left = max(0.1, min(self.timeout, self.deadline - time.monotonic()))
        return httpx.Timeout(left, connect=min(left, self._http.timeout.connect or left))

    def _check_pace(self, where: str, started: float, moved: int) -> None:
        """An overall deadline per request: ``timeout`` plus the time the bytes moved so
        far take on the slowest link we serve (a server trickling a byte every few
        seconds is cut), and never past the round's deadline."""
        now = time.monotonic()
        allowed = started + self.timeout + moved / SLOWEST_LINK_BYTES_PER_S
        if now > allowed or (self.deadline is not None and now > self.deadline):
            raise DeadlineExceeded(key="wire.odk_too_slow", params={"url": where})

    def _request(self, method: str, url: str, *, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> httpx.Response:
        timeout = self._read_timeout() if method == "GET" else None
        if body:
            timeout = httpx.Timeout(self.timeout + len(body) / SLOWEST_LINK_BYTES_PER_S,
                                    connect=self._http.timeout.connect)
        where = safe_url(url)
        started = time.monotonic()
        self.requests += 1
        try:
            request = self._http.build_request(
                method, url, content=body, headers=headers,
                timeout=timeout if timeout else httpx.USE_CLIENT_DEFAULT)
            streamed = self._http.send(request, stream=True)
            try:
                data = bytearray()
                for chunk in streamed.iter_bytes():
                    data += chunk
                    if method == "GET":  # the pull; a submission's reply keeps its timeouts
                        self._check_pace(where, started, len(data))
                    if len(data) > MAX_REPLY_BYTES:  # a reply, not a download: cut it off
                        raise TooLarge(key="wire.odk_reply_too_large", params={
                            "method": method, "url": where, "limit": MAX_REPLY_BYTES})
            finally:
                streamed.close()
            headers_out = httpx.Headers([(k, v) for k, v in streamed.headers.multi_items()
                                         if k.lower() not in ("content-encoding",
                                                              "transfer-encoding")])
            resp = httpx.Response(streamed.status_code, headers=headers_out, content=bytes(data),
                                  request=request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            raise Unreachable(key="errors.unreachable",
                              params={"url": where, "reason": type(exc).__name__}) from None
        except httpx.TransportError as exc:
            raise OutcomeUnknown(key="wire.odk_connection_lost", params={
                "method": method, "url": where, "reason": type(exc).__name__}) from None
        if self._on_bytes:
            self._on_bytes(len(body or b""), len(resp.content))
        self._classify(resp, method, where)
        return resp

    @staticmethod
    def _classify(resp: httpx.Response, method: str, where: str) -> None:
        status = resp.status_code
        if status < 300:
            return
        detail = _message(resp.content)
        if status in (401, 403):
            if detail:
                raise CredentialsRefused("", status, resp.content, key="wire.odk_credentials_said",
                                         params={"url": where, "status": status, "detail": detail})
            raise CredentialsRefused("", status, resp.content, key="wire.odk_credentials",
                                     params={"url": where, "status": status})
        if status == 409:
            raise Conflict("", status, resp.content, key="wire.odk_http_said",
                           params={"method": method, "url": where, "status": status,
                                   "detail": detail or "-"})
        if status >= 500 or status in (408, 429):
            retry = resp.headers.get("retry-after")
            raise ServerBusy(retry_after=float(retry) if retry and retry.isdigit() else None,
                             key="wire.odk_http", params={"method": method, "url": where,
                                                          "status": status})
        raise RefusedReply("", status, resp.content, key="wire.odk_http_said",
                           params={"method": method, "url": where, "status": status,
                                   "detail": detail or "-"})

    # --- forms -----------------------------------------------------------------------

    def form_list(self) -> list[FormEntry]:
        return parse_form_list(self._request("GET", self.url("formList")).content)

    def get(self, url: str, *, etag: str | None = None,
            range_from: int = 0) -> tuple[int, bytes, httpx.Headers]:
        """(status, body, headers): 304 when ``etag`` still matches; 206 when resumed."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if range_from:
            headers["Range"] = f"bytes={range_from}-"
        resp = self._request("GET", self.url(url), headers=headers)
        return resp.status_code, resp.content, resp.headers

    def fetch_to(self, url: str, part: Any, limit: int) -> int:
        """Stream ``url`` onto the end of file ``part`` (a Path), resuming with Range from
        its current size; what arrived before a cut stays there. Bytes received."""
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        where = safe_url(self.url(url))
        got = 0
        started = time.monotonic()
        timeout = self._read_timeout()
        try:
            with self._http.stream("GET", self.url(url), headers=headers,
                                   timeout=timeout or httpx.USE_CLIENT_DEFAULT) as resp:
                if resp.status_code == 416 and have:  # already complete
                    return 0
                self._classify(resp, "GET", where)
                mode = "ab" if resp.status_code == 206 else "wb"
                with open(part, mode) as out:
                    for chunk in resp.iter_bytes():
                        got += len(chunk)
                        if have * (mode == "ab") + got > limit:
                            raise TooLarge(key="wire.odk_file_too_large", params={"url": where, "limit": limit})
                        out.write(chunk)
                        self._check_pace(where, started, got)
        except (TooLarge, DeadlineExceeded) as exc:
            exc.received = got
            raise
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            raise Unreachable(key="errors.unreachable",
                              params={"url": where, "reason": type(exc).__name__}) from None
        except httpx.TransportError as exc:
            raise OutcomeUnknown(key="wire.odk_connection_lost", params={
                "method": "GET", "url": where, "reason": type(exc).__name__}) from None
        finally:
            if self._on_bytes:
                self._on_bytes(0, got)
        return got

    def manifest(self, url: str) -> list[MediaEntry]:
        return parse_manifest(self._request("GET", self.url(url)).content)

    # --- submissions ------------------------------------------------------------------

    def max_body(self, submission_url: str | None = None) -> int:
        """HEAD /submission once per client: the server's accepted content length."""
        if self._max_body is None:
            resp = self._request("HEAD", self.url(submission_url or "submission"))
            value = resp.headers.get("x-openrosa-accept-content-length", "")
            self._max_body = int(value) if value.isdigit() and int(value) > 0 else DEFAULT_MAX_BODY
        return self._max_body

    def submit(self, requests: Iterable[Request], submission_url: str | None = None,
               date: float | None = None) -> Received:
        """Every POST of one submission in order; the last reply is the receipt."""
        received = Received(0, "", None)
        headers = {"Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                         time.gmtime(date or time.time()))}
        for req in requests:
            resp = self._request("POST", self.url(submission_url or "submission"),
                                 body=req.body,
                                 headers={**headers, "Content-Type": req.content_type})
            if resp.status_code not in (200, 201, 202):
                raise OutcomeUnknown(key="wire.odk_unexpected_status", params={"status": resp.status_code})
            received = Received(resp.status_code, _message(resp.content), None)
        return received

    def raw(self) -> Any:
        return self._http
