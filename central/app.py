"""The reference central server: a Starlette app implementing sync/contract/openapi.yaml.

Every reply is JSON or ``application/problem+json``; nothing unexpected ever
leaves as a stack trace (it is logged here with a reference instead). Bodies
may arrive gzip-compressed (``Content-Encoding: gzip``) and replies are gzip'd
when the client accepts it. Request signatures are checked over the raw bytes
received, before decompression.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc.jwk import OKPKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from central import attachments as att
from central import intake, trust
from central.catalog import ServedCatalog, build_catalog
from central.keys import server_key, server_kid
from central.storage import CentralStore
from kiosk.errors import SecurityError
from sync.auth import (
    ENROLMENT_TYP,
    HEALTH_TYP,
    AuthFailure,
    import_public,
    public_jwk,
    sign_json,
    verify_request,
)

log = logging.getLogger("central.app")

PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://soum-kiosk.example/problems/"


@dataclass
class Limits:
    max_batch_items: int = 500
    max_batch_bytes: int = 2_000_000
    max_attachment_bytes: int = 32_000_000
    max_chunk_bytes: int = 1_000_000
    max_bundle_bytes: int = 512_000_000

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Settings:
    data_dir: Path
    catalog_dir: Path
    accept_demo: bool = False
    limits: Limits = field(default_factory=Limits)


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def problem_response(status: int, code: str, detail: str, **extra: Any) -> Response:
    body = {"type": PROBLEM_BASE + code, "title": code.replace("-", " "), "status": status,
            "detail": detail, **extra}
    return Response(json.dumps(body), status_code=status, media_type=PROBLEM)


class Central:
    """The server's state: store, keys, catalog. One per app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = CentralStore(settings.data_dir / "central.db")
        self.key: OKPKey = server_key(settings.data_dir)
        self.kid = server_kid(self.key)
        self.catalog: ServedCatalog = build_catalog(
            settings.catalog_dir, settings.data_dir, self.key, self.kid,
            demo=settings.accept_demo,
        )
        self.attachments = att.AttachmentStore(settings.data_dir / "attachments", self.store)

    # -- helpers -------------------------------------------------------------
    async def body(self, request: Request, limit: int) -> tuple[bytes, bytes]:
        """(raw bytes as received, decoded bytes); 413/400 problems past ``limit``."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise Problem(413, "too-large", f"request body over {limit} bytes")
        chunks, total = [], 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise Problem(413, "too-large", f"request body over {limit} bytes")
            chunks.append(chunk)
        raw = b"".join(chunks)
        encoding = request.headers.get("content-encoding", "identity").lower()
        if encoding in ("", "identity"):
            return raw, raw
        if encoding != "gzip":
            raise Problem(415, "unsupported-encoding", f"content encoding {encoding} not supported")
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            decoded = inflater.decompress(raw, limit + 1)
            if len(decoded) > limit or inflater.unconsumed_tail:
                raise Problem(413, "too-large", f"decompressed body over {limit} bytes")
            if not inflater.eof:
                raise Problem(400, "bad-request", "gzip body is truncated")
        except zlib.error:
            raise Problem(400, "bad-request", "gzip body is corrupt") from None
        return raw, decoded

    def json_body(self, request: Request, decoded: bytes) -> Any:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise Problem(415, "unsupported-media-type", "request body must be application/json")
        try:
            return json.loads(decoded)
        except (ValueError, UnicodeDecodeError):
            raise Problem(400, "bad-request", "request body is not valid JSON") from None

    def authenticate(self, request: Request, raw: bytes) -> str:
        target = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        if query:
            target += "?" + query

        def key_for(device_id: str) -> OKPKey:
            row = self.store.device(device_id)
            if row is None:
                raise AuthFailure("unknown-device", f"device {device_id} is not enrolled here")
            if row.get("revoked_at"):
                raise AuthFailure("revoked", f"device {device_id} has been revoked")
            return import_public(json.loads(row["public_jwk"]))

        try:
            claims = verify_request(
                request.headers.get("authorization"), method=request.method, target=target,
                body=raw, now=time.time(), key_for=key_for,
            )
        except AuthFailure as exc:
            status = 403 if exc.code == "revoked" else 401
            raise Problem(status, exc.code, str(exc)) from None
        except SecurityError as exc:
            raise Problem(401, "bad-signature", str(exc)) from None
        if not self.store.use_nonce(claims.device_id, claims.nonce, time.time() + 2 * 300):
            raise Problem(401, "replay", "this request was already received (replayed nonce)")
        self.store.touch(claims.device_id)
        return claims.device_id

    def device_jwk(self, device_id: str) -> dict[str, Any]:
        row = self.store.device(device_id)
        assert row is not None
        return dict(json.loads(row["public_jwk"]))

    # -- endpoints ------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        nonce = request.query_params.get("nonce", "")
        if len(nonce) > 128:
            raise Problem(400, "bad-request", "nonce longer than 128 characters")
        now = int(time.time())
        marker = sign_json({"nonce": nonce, "server_time": now, "server_kid": self.kid},
                           self.key, typ=HEALTH_TYP, kid=self.kid)
        return JSONResponse({"status": "ok", "service": "soum-kiosk-central", "api": "v1",
                             "server_time": now, "server_kid": self.kid, "nonce": nonce,
                             "marker": marker, "limits": self.settings.limits.as_dict()})

    async def enroll(self, request: Request) -> Response:
        _, decoded = await self.body(request, 64_000)
        data = self.json_body(request, decoded)
        if not isinstance(data, dict):
            raise Problem(400, "bad-request", "enrolment request must be a JSON object")
        code, jwk = data.get("code"), data.get("device_public_jwk")
        name = data.get("name") or ""
        if not isinstance(code, str) or not code or len(code) > 64:
            raise Problem(400, "bad-request", "enrolment needs a one-time code")
        if not isinstance(name, str) or len(name) > 200:
            raise Problem(400, "bad-request", "device name must be text up to 200 characters")
        from kiosk.device import device_id_for

        try:
            device_id = device_id_for(jwk)  # type: ignore[arg-type]
        except SecurityError as exc:
            raise Problem(400, "bad-request", str(exc)) from None
        public = {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}  # type: ignore[index]
        refused = self.store.use_enroll_code(code, device_id, public, name)
        if refused:
            raise Problem(403, "enrolment-refused", refused)
        certificate = sign_json(
            {"device_id": device_id, "device_jwk": public, "enrolled_at": int(time.time()),
             "server_kid": self.kid}, self.key, typ=ENROLMENT_TYP, kid=self.kid)
        log.info("enrolled device %s", device_id)
        return JSONResponse({
            "device_id": device_id, "server_kid": self.kid,
            "server_public_jwk": public_jwk(self.key) | {"kid": self.kid},
            "credentials": {"device_id": device_id, "certificate": certificate},
            "catalog_etag": self.catalog.etag, "limits": self.settings.limits.as_dict(),
        }, status_code=201)

    async def catalog_listing(self, request: Request) -> Response:
        raw, _ = await self.body(request, 0)
        self.authenticate(request, raw)
        etag = self.catalog.etag
        inm = request.headers.get("if-none-match")
        if inm and etag in [t.strip() for t in inm.split(",")]:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(self.catalog.body, headers={"ETag": etag})

    async def catalog_form(self, request: Request) -> Response:
        raw, _ = await self.body(request, 0)
        self.authenticate(request, raw)
        digest = request.path_params["sha256"]
        data = self.catalog.forms.get(digest)
        if data is None:
            raise Problem(404, "not-found", f"no form file with SHA-256 {digest}")
        return Response(data, media_type="application/json",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})

    async def submissions(self, request: Request) -> Response:
        limits = self.settings.limits
        raw, decoded = await self.body(request, limits.max_batch_bytes + 64_000)
        device_id = self.authenticate(request, raw)
        data = self.json_body(request, decoded)
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise Problem(400, "bad-request", "body must be {\"items\": [ ... ]} with one item or more")
        if len(items) > limits.max_batch_items:
            raise Problem(413, "too-large", f"at most {limits.max_batch_items} items per batch")
        jwk = self.device_jwk(device_id)

        def work() -> list[dict[str, Any]]:
            checked = [
                intake.check_item(item, device_id, jwk, accept_demo=self.settings.accept_demo,
                                  attachment_ready=lambda s, n: self.attachments.ready(
                                      device_id, s, n))
                for item in items
            ]
            return intake.commit(self.store, checked, key=self.key, kid=self.kid, via="online")

        results = await run_in_threadpool(work)
        return JSONResponse({"results": results, "server_time": int(time.time())})

    async def attachment(self, request: Request) -> Response:
        """One route for GET/HEAD/PUT, so a 405 lists every method in ``Allow``."""
        if request.method == "PUT":
            return await self.attachment_put(request)
        return await self.attachment_status(request)

    async def attachment_status(self, request: Request) -> Response:
        raw, _ = await self.body(request, 0)
        device_id = self.authenticate(request, raw)
        status = self.attachments.status(device_id, request.path_params["sha256"])
        headers = {"Upload-Offset": str(status["offset"])}
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers)
        return JSONResponse(status, headers=headers)

    async def attachment_put(self, request: Request) -> Response:
        limits = self.settings.limits
        raw, _ = await self.body(request, limits.max_chunk_bytes)
        device_id = self.authenticate(request, raw)
        digest = request.path_params["sha256"]
        try:
            start, end, total = att.parse_content_range(request.headers.get("content-range"))
        except ValueError as exc:
            raise Problem(400, "bad-request", str(exc)) from None
        if total > limits.max_attachment_bytes:
            raise Problem(413, "too-large", f"attachment over {limits.max_attachment_bytes} bytes")
        if end - start + 1 != len(raw):
            raise Problem(400, "bad-request", "Content-Range does not match the body length")
        try:
            status = await run_in_threadpool(
                self.attachments.write, device_id, digest, start, total, raw)
        except att.OffsetMismatch as exc:
            raise Problem(409, "offset-mismatch", str(exc), offset=exc.offset) from None
        except att.DigestMismatch as exc:
            raise Problem(422, "digest-mismatch", str(exc)) from None
        return JSONResponse(status, headers={"Upload-Offset": str(status["offset"])})

    async def bundle(self, request: Request) -> Response:
        from central.bundle_import import import_bundle_bytes

        raw, decoded = await self.body(request, self.settings.limits.max_bundle_bytes)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-ndjson":
            raise Problem(415, "unsupported-media-type", "bundle must be application/x-ndjson")
        report = await run_in_threadpool(import_bundle_bytes, self, decoded)
        return JSONResponse(report)


def create_app(settings: Settings) -> Starlette:
    central = Central(settings)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem_response(exc.status, exc.code, exc.detail, **exc.extra)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        response = problem_response(exc.status_code, code, str(exc.detail))
        for name, value in (exc.headers or {}).items():  # e.g. Allow on 405 (RFC 9110)
            response.headers[name] = value
        return response

    async def on_error(request: Request, exc: Exception) -> Response:
        ref = secrets.token_hex(6)
        log.exception("internal error %s on %s %s", ref, request.method, request.url.path)
        return problem_response(500, "internal", f"internal error (reference {ref})")

    hex64 = "{sha256:str}"
    routes = [
        Route("/v1/health", central.health, methods=["GET"]),
        Route("/v1/enroll", central.enroll, methods=["POST"]),
        Route("/v1/catalog", central.catalog_listing, methods=["GET"]),
        Route(f"/v1/catalog/forms/{hex64}", central.catalog_form, methods=["GET"]),
        Route("/v1/submissions", central.submissions, methods=["POST"]),
        Route(f"/v1/attachments/{hex64}", central.attachment, methods=["GET", "HEAD", "PUT"]),
        Route("/v1/bundles", central.bundle, methods=["POST"]),
        *trust.routes(central),  # device key list, audit heads
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(GZipMiddleware, minimum_size=600)],
        exception_handlers={Problem: on_problem, HTTPException: on_http, Exception: on_error},
    )
    app.state.central = central
    return app
