"""Checks every request passes before an endpoint acts on it: signature first, then
the body (bounded, hashed, matching the signature), then the nonce; JSON with
limits; rate limits on failed authentication (who is charged: central.policy).

The order is the point: an unauthenticated client cannot make the server read
a body, an unknown device ID is answered exactly like a bad signature (no
enumeration), and "revoked" is told only to the holder of the key.
"""

from __future__ import annotations

import json
import time
from typing import Any

from joserfc.jwk import OKPKey
from starlette.requests import Request

from central.db.sql import SqlStore
from central.http_body import BodyProblem, decode_small, read_small
from central.policy import AuthBudget
from central.settings import JSON_LIMITS, Problem, Settings, address
from kiosk import ids
from kiosk.errors import SecurityError
from sync import jsonlimits
from sync.auth import (
    SIGNED_HEADERS,
    WINDOW_SECONDS,
    AuthFailure,
    RequestClaims,
    generate_key,
    import_public,
    verify_request,
)
from sync.jsonlimits import JsonLimitError, JsonLimits

# A key nobody holds: a request naming an unknown device is checked against it, so it
# fails at the same step, in the same time, as one signed with the wrong key.
_STRANGER_KEY = generate_key()


class RequestGate:
    """Mixed into ``central.app.Central`` (which provides ``settings`` and ``store``)."""

    settings: Settings
    store: SqlStore

    def init_gate(self) -> None:
        g = self.settings.guards
        limiter = self.store.rate_limiter  # in memory on one node, in the database on many
        self.enrol_by_address = limiter("enrol-address", g.enrol_per_minute, g.enrol_burst)
        self.enrol_by_device = limiter("enrol-device", g.enrol_device_per_minute,
                                       g.enrol_device_burst)
        self.auth_budget = AuthBudget(
            by_source=limiter("auth-failures-address", g.auth_failures_per_minute,
                              g.auth_failures_burst),
            by_key=limiter("auth-failures-device", g.auth_failures_per_minute,
                           g.auth_failures_burst))

    async def body(self, request: Request, limit: int,
                   claims: RequestClaims | None = None) -> tuple[bytes, bytes]:
        """(raw bytes as received, decoded bytes); 413/408/400 problems.

        With ``claims`` the raw bytes must hash to what the signature covers.
        """
        try:
            raw, digest = await read_small(request, limit, self.settings.guards.body)
            if claims is not None:
                try:
                    claims.check_body(digest)
                except AuthFailure as exc:
                    raise self._auth_failed(request, exc, claims.device_id) from None
            return raw, decode_small(request.headers, raw, limit)
        except BodyProblem as exc:
            raise Problem(exc.status, exc.code, exc.detail) from None

    def json_body(self, request: Request, decoded: bytes,
                  limits: JsonLimits = JSON_LIMITS) -> Any:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise Problem(415, "unsupported-media-type", "request body must be application/json")
        try:
            return jsonlimits.loads(decoded, limits)
        except JsonLimitError as exc:
            raise Problem(400, "bad-request", f"request body: {exc}") from None

    def _target(self, request: Request) -> str:
        target = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        query = request.scope.get("query_string", b"").decode("latin-1")
        return target + "?" + query if query else target

    def _auth_failed(self, request: Request, exc: Exception,
                     verified_device: str | None = None) -> Problem:
        """Charge the failure (source, and the device only if it verified); the reply."""
        wait = self.auth_budget.failed(address(request), verified_device)
        if wait is not None:
            return _too_many(wait)
        return Problem(401, getattr(exc, "code", "bad-signature"), str(exc))

    def check_source_budget(self, request: Request) -> None:
        """429 if the client's network spent its failure budget (unsigned credentials)."""
        wait = self.auth_budget.source_wait(address(request))
        if wait is not None:
            raise _too_many(wait)

    def verify(self, request: Request) -> RequestClaims:
        """Check the request signature (not yet the body, nonce or device status).

        Always verified first: naming a device costs that device nothing, and a
        genuine kiosk gets through even from a network that spent its budget."""
        _refuse_repeated(request)
        header = request.headers.get("authorization")

        def key_for(device_id: str) -> OKPKey | None:
            row = self.store.device(device_id) if ids.is_device_id(device_id) else None
            if row is None:  # verify anyway (and fail): no timing difference to probe IDs by
                return _STRANGER_KEY
            return import_public(json.loads(row["public_jwk"]))

        try:
            claims = verify_request(header, method=request.method, target=self._target(request),
                                    headers=request.headers, now=time.time(), key_for=key_for)
        except (AuthFailure, SecurityError) as exc:
            raise self._auth_failed(request, exc) from None
        wait = self.auth_budget.key_wait(claims.device_id)
        if wait is not None:
            raise _too_many(wait)
        row = self.store.device(claims.device_id)
        if row is None or row.get("revoked_at"):  # told only to the key's holder
            raise Problem(403, "revoked", f"device {claims.device_id} has been revoked")
        return claims

    def accept(self, claims: RequestClaims) -> None:
        """Record the nonce and touch the device in one commit (401 on a replay)."""
        if not self.store.use_nonce(claims.device_id, claims.nonce, self._nonce_expiry()):
            raise Problem(401, "replay", "this request was already received (replayed nonce)")

    @staticmethod
    def _nonce_expiry() -> float:
        return time.time() + 2 * WINDOW_SECONDS

    async def authenticate(self, request: Request, limit: int = 0) -> tuple[str, bytes, bytes]:
        """Signature, then body (bounded, matching the signed hash), then nonce:
        (device ID, raw body, decoded body)."""
        claims = self.verify(request)
        raw, decoded = await self.body(request, limit, claims)
        self.accept(claims)
        return claims.device_id, raw, decoded

    def device_jwk(self, device_id: str) -> dict[str, Any]:
        row = self.store.device(device_id)
        assert row is not None
        return dict(json.loads(row["public_jwk"]))


def _too_many(wait: int) -> Problem:
    return Problem(429, "too-many-requests",
                   f"too many failed authentications; try again in {wait} s",
                   headers={"Retry-After": str(wait)})


def _refuse_repeated(request: Request) -> None:
    """A covered header sent twice: the signature would cover one copy and the
    endpoint read the other (headers.get gives the first, the check the last)."""
    for name in (*SIGNED_HEADERS, "authorization"):
        if len(request.headers.getlist(name)) > 1:
            raise Problem(400, "bad-request", f"header {name.title()} sent more than once")
