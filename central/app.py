"""The reference central server: a Starlette app implementing sync/contract/openapi.yaml.

Every reply is JSON or ``application/problem+json``; nothing unexpected ever
leaves as a stack trace (it is logged here with a reference instead), and a
client's mistake is never logged as one. Bodies may arrive gzip-compressed
(``Content-Encoding: gzip``, exactly one member) and replies are gzip'd when the
client accepts it.

Order of checks on a signed route: the request signature (method, target,
covered headers, freshness) is verified *before* the body is read and before
the device's status is told — an unknown device gets the same answer as a bad
signature, and only the key holder learns "revoked". Then the body streams in
(bounded in bytes and time, hashed as it comes) and must match the signed
hash; then JSON is parsed with limits. Failed authentication and enrolment are
rate-limited per source network and per verified device key (``429`` +
``Retry-After``; who is charged: ``central.policy``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
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
from central.backend import open_backend
from central.catalog import ServedCatalog, build_catalog
from central.gate import RequestGate
from central.http_body import (
    BodyProblem,
    file_encoding,
    gunzip_file,
    read_to_file,
)
from central.keys import server_key, server_kid
from central.policy import source_prefix
from central.settings import (  # noqa: F401 - re-exported: tests and the CLI import them here
    JSON_LIMITS,
    PROBLEM,
    PROBLEM_BASE,
    Guards,
    Limits,
    Problem,
    Settings,
    address,
    batch_json_limits,
    problem_response,
)
from central.storage import EnrolCollision, Replay, private_dir
from kiosk import ids
from kiosk.errors import SecurityError
from sync.auth import (
    ENROLMENT_TYP,
    HEALTH_TYP,
    AuthFailure,
    RequestClaims,
    public_jwk,
    sign_json,
)

log = logging.getLogger("central.app")

class Central(RequestGate):
    """The server's state: store, keys, catalog. One per app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        private_dir(settings.data_dir)
        self.tmp_dir = private_dir(settings.data_dir / "tmp")
        for stale in self.tmp_dir.glob("upload-*"):  # left by a crash mid-upload
            stale.unlink(missing_ok=True)
        backend = open_backend(settings.data_dir, settings.database_url)
        self.store = backend.store
        self.key: OKPKey = server_key(backend.vault)
        self.kid = server_kid(self.key)
        self.catalog: ServedCatalog = build_catalog(
            settings.catalog_dir, backend.vault, self.key, self.kid,
            demo=settings.accept_demo,
        )
        self.attachments = backend.attachments
        self.init_gate()
        self._bundle_gate: asyncio.Semaphore | None = None

    # -- endpoints ------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        await self.body(request, 0)
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
        wait = self.enrol_by_address.spend(source_prefix(address(request)))
        if wait is not None:
            raise Problem(429, "too-many-requests",
                          f"too many enrolment attempts from this address; try again in {wait} s",
                          headers={"Retry-After": str(wait)})
        _, decoded = await self.body(request, JSON_LIMITS.max_bytes)
        data = self.json_body(request, decoded)
        if not isinstance(data, dict):
            raise Problem(400, "bad-request", "enrolment request must be a JSON object")
        code, jwk = data.get("code"), data.get("device_public_jwk")
        name = data.get("name") or ""
        if not isinstance(code, str) or not code or len(code) > 64:
            raise Problem(400, "bad-request", "enrolment needs a one-time code")
        if not isinstance(name, str) or len(name) > 200 or not name.isprintable():
            raise Problem(400, "bad-request", "device name must be printable text up to 200 "
                                              "characters")
        from kiosk.device import device_id_for

        try:
            device_id = device_id_for(jwk)  # type: ignore[arg-type]
        except SecurityError as exc:
            raise Problem(400, "bad-request", str(exc)) from None
        wait = self.enrol_by_device.spend(device_id)
        if wait is not None:
            raise Problem(429, "too-many-requests",
                          f"too many enrolment attempts for this device; try again in {wait} s",
                          headers={"Retry-After": str(wait)})
        public = {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}  # type: ignore[index]
        try:
            refused = self.store.use_enroll_code(code, device_id, public, name)
        except EnrolCollision:
            raise Problem(409, "already-enrolled", "this device is already enrolled") from None
        if refused:
            status, kind = (409, "already-enrolled") if "already enrolled" in refused else (
                403, "enrolment-refused")
            raise Problem(status, kind, refused)
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
        await self.authenticate(request)
        etag = self.catalog.etag
        inm = request.headers.get("if-none-match")
        if inm and etag in [t.strip() for t in inm.split(",")]:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(self.catalog.body, headers={"ETag": etag})

    async def catalog_form(self, request: Request) -> Response:
        await self.authenticate(request)
        digest = request.path_params["sha256"]
        data = self.catalog.forms.get(digest)
        if data is None:
            raise Problem(404, "not-found", f"no form file with SHA-256 {ids.printable(digest)}")
        return Response(data, media_type="application/json",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})

    async def submissions(self, request: Request) -> Response:
        limits = self.settings.limits
        claims = self.verify(request)
        raw, decoded = await self.body(request, limits.max_batch_bytes + 64_000, claims)
        if self.store.nonce_seen(claims.device_id, claims.nonce):
            raise Problem(401, "replay", "this request was already received (replayed nonce)")
        device_id = claims.device_id
        data = self.json_body(request, decoded, batch_json_limits(limits.max_batch_bytes + 64_000,
                                                             limits.max_batch_items))
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            raise Problem(400, "bad-request", "body must be {\"items\": [ ... ]} with one item or more")
        if len(items) > limits.max_batch_items:
            raise Problem(413, "too-large", f"at most {limits.max_batch_items} items per batch")
        jwk = self.device_jwk(device_id)
        mark = intake.RequestMark(device_id, claims.nonce, self._nonce_expiry())

        def work() -> list[dict[str, Any]]:
            checked = [
                intake.check_item(item, device_id, jwk, accept_demo=self.settings.accept_demo,
                                  max_attachment_bytes=limits.max_attachment_bytes,
                                  attachment_ready=lambda s, n: self.attachments.ready(
                                      device_id, s, n))
                for item in items
            ]
            return intake.commit(self.store, checked, key=self.key, kid=self.kid, via="online",
                                 mark=mark)

        try:
            results = await run_in_threadpool(work)
        except Replay:
            raise Problem(401, "replay", "this request was already received (replayed nonce)") \
                from None
        return JSONResponse({"results": results, "server_time": int(time.time())})

    async def attachment(self, request: Request) -> Response:
        """One route for GET/HEAD/PUT, so a 405 lists every method in ``Allow``."""
        if request.method == "PUT":
            return await self.attachment_put(request)
        return await self.attachment_status(request)

    def _digest(self, request: Request) -> str:
        digest = str(request.path_params["sha256"])
        if not ids.is_sha256(digest):
            raise Problem(404, "not-found", "attachments are named by a lowercase hex SHA-256")
        return digest

    async def attachment_status(self, request: Request) -> Response:
        device_id, _, _ = await self.authenticate(request)
        status = await run_in_threadpool(self.attachments.status, device_id,
                                         self._digest(request))
        headers = {"Upload-Offset": str(status["offset"])}
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers)
        return JSONResponse(status, headers=headers)

    async def attachment_put(self, request: Request) -> Response:
        limits = self.settings.limits
        claims = self.verify(request)
        raw, _ = await self.body(request, limits.max_chunk_bytes, claims)
        self.accept(claims)
        device_id = claims.device_id
        digest = self._digest(request)
        content_range = request.headers.get("content-range")
        finished = att.empty_range_total(content_range)
        if finished is not None and not raw:  # an older kiosk asking "is it all there?"
            status = await run_in_threadpool(self.attachments.status, device_id, digest)
            if status["complete"] and status["size"] == finished:
                return JSONResponse(status, headers={"Upload-Offset": str(status["offset"])})
            raise Problem(409, "offset-mismatch", f"upload must continue at byte "
                          f"{status['offset']}", offset=status["offset"])
        try:
            start, end, total = att.parse_content_range(content_range)
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
        except att.TooManyOpenUploads as exc:
            raise Problem(429, "too-many-requests", str(exc), headers={"Retry-After": "60"}) \
                from None
        return JSONResponse(status, headers={"Upload-Offset": str(status["offset"])})

    async def bundle(self, request: Request) -> Response:
        """A bundle over HTTP: needs a credential before a byte of the body is read —
        a technician token (``Authorization: Bearer``, from ``kiosk-central
        technician-token``) or the device's own request signature (then only that
        device's bundle is accepted). The body streams to a temp file; the import
        itself (manifest first, item by item) runs in a thread, one at a time."""
        from central.bundle_import import import_bundle_file

        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-ndjson":
            raise Problem(415, "unsupported-media-type", "bundle must be application/x-ndjson")
        header = request.headers.get("authorization") or ""
        claims: RequestClaims | None = None
        if header.startswith("Bearer "):
            self.check_source_budget(request)
            if not self.store.technician_token_valid(header[7:].strip()):
                raise self._auth_failed(request, AuthFailure(
                    "unauthenticated", "technician token unknown or expired"))
        else:
            claims = self.verify(request)
        limit = self.settings.limits.max_bundle_bytes
        guards = self.settings.guards
        paths: list[Path] = []
        try:
            try:
                raw_path, digest = await read_to_file(request, limit, guards.body, self.tmp_dir)
                paths.append(raw_path)
                if claims is not None:
                    try:
                        claims.check_body(digest)
                    except AuthFailure as exc:
                        raise self._auth_failed(request, exc, claims.device_id) from None
                    self.accept(claims)
                path = raw_path
                if file_encoding(request.headers) == "gzip":
                    path = await run_in_threadpool(gunzip_file, raw_path, limit, self.tmp_dir)
                    paths.append(path)
            except BodyProblem as exc:
                raise Problem(exc.status, exc.code, exc.detail) from None
            if self._bundle_gate is None:
                self._bundle_gate = asyncio.Semaphore(max(1, guards.parallel_bundles))
            async with self._bundle_gate:
                report = await run_in_threadpool(
                    import_bundle_file, self, path,
                    only_device=claims.device_id if claims else None,
                    seconds=guards.bundle_import_seconds)
        finally:
            for p in paths:
                p.unlink(missing_ok=True)
        return JSONResponse(report)


def create_app(settings: Settings) -> Starlette:
    central = Central(settings)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem_response(exc.status, exc.code, exc.detail, headers=exc.headers,
                                **exc.extra)

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
