"""Request authentication and server signatures for the central API (both sides).

Every request a kiosk makes after enrolment carries ``Authorization: KioskJWS
<compact JWS>``: a JWS (RFC 7515, ``alg: Ed25519`` per RFC 9864/8037) made with
the device key over the method, the request target (path + query), the SHA-256
of the body bytes exactly as sent (after compression), the headers that change
what the body means (Content-Type, Content-Encoding, Content-Range,
Content-Length), the created time and a random nonce. Those are the covered
components RFC 9421 would sign, in a token any JOSE library checks; the server keeps a nonce store and a time
window, so a captured request cannot be replayed and an old one is refused.

The server signs with its own Ed25519 key, which the kiosk pins at enrolment:
health markers (so a captive portal's ``200`` page cannot pass as the server),
the catalog listing, per-item receipts and acknowledgement files. Only the
fully specified ``Ed25519`` algorithm is ever accepted: ``alg: none`` or an
HMAC trick fails before any key is touched.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from kiosk.errors import SecurityError
from sync import jsonlimits
from sync.jsonlimits import JsonLimitError, JsonLimits

SCHEME = "KioskJWS"
ALG = "Ed25519"
ALGORITHMS = [ALG]
REQUEST_TYP = "kiosk-request+jws"
WINDOW_SECONDS = 300  # a request's created time may differ this much from the server's clock
MAX_HEADER_CHARS = 4096
# JOSE headers and request claims are small and flat; signed payloads (a bundle
# manifest lists every item) may be large but never deep.
HEADER_JSON_LIMITS = JsonLimits(max_bytes=8192, max_depth=4, max_items=64)
SIGNED_JSON_LIMITS = JsonLimits(max_bytes=10_000_000, max_depth=16, max_items=2_000_000)


class _SignedJsonRegistry(jws.JWSRegistry):
    """Ed25519 only, with OUR payload bound instead of joserfc's 128 kB default.

    The library default silently capped every signed list (a bundle manifest at
    ~727 items, the device-key list at ~530 devices). Lists that grow without
    bound are now signed in chunks (sync.bundles, central.trust); this bound is
    the one ``verify_json`` enforces anyway (``SIGNED_JSON_LIMITS``).
    """

    max_payload_length = SIGNED_JSON_LIMITS.max_bytes


_REGISTRY = _SignedJsonRegistry(algorithms=ALGORITHMS)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sha256_b64(data: bytes) -> str:
    return b64url(hashlib.sha256(data).digest())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(obj: Any) -> bytes:
    """RFC 8785 canonical JSON: the bytes both sides hash and sign."""
    return bytes(rfc8785.dumps(obj))


def generate_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519")


def public_jwk(key: OKPKey) -> dict[str, Any]:
    return dict(key.as_dict(private=False))


def import_public(jwk: dict[str, Any]) -> OKPKey:
    """A public Ed25519 key from a JWK; anything else is a SecurityError."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise SecurityError(key="wire.key_kind")
    try:
        return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})
    except (JoseError, KeyError, ValueError, TypeError) as exc:
        raise SecurityError(key="wire.key_unusable", params={"reason": type(exc).__name__}) from None


def thumbprint(key: OKPKey | dict[str, Any]) -> str:
    k = import_public(key) if isinstance(key, dict) else key
    return str(k.thumbprint())


def sign_json(obj: dict[str, Any], key: OKPKey, *, typ: str, kid: str | None = None) -> str:
    """Compact JWS over the canonical JSON of ``obj``."""
    header: dict[str, Any] = {"alg": ALG, "typ": typ}
    if kid:
        header["kid"] = kid
    return jws.serialize_compact(header, canonical(obj), key, registry=_REGISTRY)


def verify_json(token: str, key: OKPKey, *, typ: str | None = None) -> dict[str, Any]:
    """The payload of a compact JWS made by ``sign_json``; SecurityError otherwise."""
    if not isinstance(token, str) or token.count(".") != 2 or \
            len(token) > SIGNED_JSON_LIMITS.max_bytes * 4 // 3 + 4096:
        raise SecurityError(key="wire.not_jws")
    try:
        result = jws.deserialize_compact(token, key, registry=_REGISTRY)
    except (JoseError, ValueError, TypeError, RecursionError) as exc:
        raise SecurityError(key="wire.signature_bad", params={"reason": type(exc).__name__}) from None
    if typ is not None and result.protected.get("typ") != typ:
        raise SecurityError(key="wire.signed_wrong_type", params={"expected": typ})
    try:
        payload = jsonlimits.loads(result.payload, SIGNED_JSON_LIMITS)
    except JsonLimitError as exc:
        raise SecurityError(key="wire.signed_bad_json", params={"reason": type(exc).__name__}) from None
    if not isinstance(payload, dict):
        raise SecurityError(key="wire.signed_not_object")
    return payload


def unverified_header(token: str) -> dict[str, Any]:
    """The protected header (to find ``kid``) before any key is chosen."""
    try:
        head = token.split(".", 1)[0]
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        header = jsonlimits.loads(raw, HEADER_JSON_LIMITS)
    except (ValueError, IndexError):
        raise SecurityError(key="wire.token_malformed") from None
    if not isinstance(header, dict):
        raise SecurityError(key="wire.token_malformed")
    return header


# Headers that change what a body means: a signature that left them out would let
# a proxy or attacker rewrite, say, Content-Range on a signed PUT and reset an upload.
SIGNED_HEADERS = ("content-type", "content-encoding", "content-range", "content-length")


def signed_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """The covered headers present in ``headers`` (names lowercased, values as sent)."""
    found: dict[str, str] = {}
    for name, value in (headers or {}).items():
        low = name.lower()
        if low in SIGNED_HEADERS:
            found[low] = value
    return found


def sign_request(
    *,
    device_id: str,
    key: OKPKey,
    method: str,
    target: str,
    body: bytes,
    created: int,
    nonce: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """The ``Authorization`` header value for one request.

    ``headers`` are the request's headers as they will be sent; the ones in
    ``SIGNED_HEADERS`` are covered (an absent one is covered as absent).
    """
    claims = {
        "m": method.upper(),
        "t": target,
        "d": sha256_b64(body),
        "h": signed_headers(headers),
        "c": int(created),
        "n": nonce or secrets.token_urlsafe(16),
    }
    header = {"alg": ALG, "typ": REQUEST_TYP, "kid": device_id}
    token = jws.serialize_compact(header, canonical(claims), key, algorithms=ALGORITHMS)
    return f"{SCHEME} {token}"


@dataclass(frozen=True)
class RequestClaims:
    device_id: str
    nonce: str
    created: int
    body_sha256: str = ""  # base64url SHA-256 the signer gave for the body bytes

    def check_body(self, digest_b64: str) -> None:
        """The body received (hashed while it streamed in) is the one that was signed."""
        if not hmac.compare_digest(self.body_sha256, digest_b64):
            raise AuthFailure("bad-signature", "request body does not match its signature")


class AuthFailure(SecurityError):
    """Why a request was refused; ``code`` goes into the problem+json ``type``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def request_device(header_value: str | None) -> str | None:
    """The device a request claims to come from (unverified: for rate limits only)."""
    if not header_value or len(header_value) > MAX_HEADER_CHARS:
        return None
    scheme, _, token = header_value.partition(" ")
    if scheme != SCHEME:
        return None
    try:
        kid = unverified_header(token).get("kid")
    except SecurityError:
        return None
    return kid if isinstance(kid, str) and len(kid) <= 64 else None


def verify_request(
    header_value: str | None,
    *,
    method: str,
    target: str,
    now: float,
    key_for: Callable[[str], OKPKey | None],
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    window: int = WINDOW_SECONDS,
) -> RequestClaims:
    """Check signature, binding (method, target, covered headers) and freshness.

    Runs before the body is read: the server streams the body afterwards and
    calls ``RequestClaims.check_body`` with its hash (or pass ``body`` here).
    ``key_for(device_id)`` returns the enrolled key, or None for a device it does
    not know — which is answered exactly like a bad signature, so the reply never
    tells a stranger which device IDs exist. Device status (revoked) is the
    caller's to check *after* this returns: only the key holder learns it.
    Nonce reuse is the caller's store's job.
    """
    if not header_value or len(header_value) > MAX_HEADER_CHARS:
        raise AuthFailure("unauthenticated", "request is not signed")
    scheme, _, token = header_value.partition(" ")
    if scheme != SCHEME or not token:
        raise AuthFailure("unauthenticated", f"authorization scheme must be {SCHEME}")
    header = unverified_header(token)
    if header.get("alg") != ALG or header.get("typ") != REQUEST_TYP:
        raise AuthFailure("bad-signature", "request signature uses a refused algorithm or type")
    device_id = header.get("kid")
    if not isinstance(device_id, str) or not device_id:
        raise AuthFailure("unauthenticated", "request signature names no device")
    key = key_for(device_id)
    if key is None:
        raise AuthFailure("bad-signature", "request signature does not verify")
    try:
        result = jws.deserialize_compact(token, key, algorithms=ALGORITHMS)
        claims = jsonlimits.loads(result.payload, HEADER_JSON_LIMITS)
    except (JoseError, ValueError, TypeError, RecursionError):
        raise AuthFailure("bad-signature", "request signature does not verify") from None
    if not isinstance(claims, dict):
        raise AuthFailure("bad-signature", "request signature payload is malformed")
    if claims.get("m") != method.upper() or claims.get("t") != target:
        raise AuthFailure("bad-signature", "request signature is for another request")
    if claims.get("h") != signed_headers(headers):
        raise AuthFailure("bad-signature", "request headers (Content-Type, Content-Encoding, "
                                           "Content-Range, Content-Length) differ from the "
                                           "signed ones")
    created = claims.get("c")
    nonce = claims.get("n")
    digest = claims.get("d")
    if (not isinstance(created, int) or isinstance(created, bool) or not isinstance(nonce, str)
            or not 8 <= len(nonce) <= 128 or not isinstance(digest, str)):
        raise AuthFailure("bad-signature", "request signature lacks created time or nonce")
    if abs(now - created) > window:
        raise AuthFailure(
            "stale", f"request created {int(now - created)} s from server time (window {window} s)"
        )
    verified = RequestClaims(device_id=device_id, nonce=nonce, created=created,
                             body_sha256=digest)
    if body is not None:
        verified.check_body(sha256_b64(body))
    return verified


# -- what the server signs (pinned key) -------------------------------------
HEALTH_TYP = "kiosk-health+jws"
CATALOG_TYP = "kiosk-catalog+jws"
RECEIPT_TYP = "kiosk-receipt+jws"
ENROLMENT_TYP = "kiosk-enrolment+jws"
MANIFEST_TYP = "kiosk-bundle-manifest+jws"


def item_digest(record: str, jwe: str) -> str:
    """The identity of a submission's bytes: what ``duplicate`` vs ``conflict`` compares
    and what a receipt vouches for."""
    return sha256_hex(record.encode("ascii", "replace") + b"." + jwe.encode("ascii", "replace"))


def verify_receipt(receipt: str, server_key: OKPKey, *, device_id: str, submission_id: str,
                   record: str, jwe: str) -> dict[str, Any]:
    """A server receipt that really is for these bytes from this device; SecurityError if not."""
    claims = verify_json(receipt, server_key, typ=RECEIPT_TYP)
    if claims.get("submission_id") != submission_id or claims.get("device_id") != device_id:
        raise SecurityError(key="wire.receipt_other", params={"id": submission_id})
    if claims.get("item_sha256") != item_digest(record, jwe):
        raise SecurityError(key="wire.receipt_other_bytes", params={"id": submission_id})
    return claims
