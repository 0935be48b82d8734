"""The submission envelope: signed by the device, encrypted to the agency.

Three layers (DESIGN.md §4), all standard JOSE through joserfc on `cryptography`:

1. **payload JWS** — the canonical payload (RFC 8785 JSON) signed by the
   device: EdDSA/Ed25519 (RFC 8037), ``kid`` = device ID,
   ``typ`` = ``kiosk-submission+jws``. This is the document signature,
   valid forever.
2. **JWE** — that compact JWS, DEFLATE-compressed (``zip: DEF``, RFC 7516
   §4.1.3), encrypted to the agency's public key named by the form:
   ``ECDH-ES+A256KW`` / ``A256GCM``, ``kid`` = agency key ID, ``cty`` =
   ``JOSE``. Only the agency can read it. Compressing before encrypting wins
   back most of the second base64 layer (the JWS is base64 text): ~20 % of a
   small envelope, the bytes a 2G link pays for. Envelopes sealed before
   compression (no ``zip``) open the same way.
3. **record** — a small JWS by the device over metadata (submission ID, form,
   device, time, demo flag, SHA-256 of the JWE and of every attachment blob).
   The intake server checks who sent what, and that nothing was swapped,
   without being able to read the answers.

Attachments are encrypted separately with AES-256-GCM under a fresh random
key each; the key, the plaintext hash and the blob hash travel inside the
signed+encrypted payload, so only the agency can open them and the device's
signature binds them. See docs/security.md for the exact claim sets.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from joserfc import jwe, jws
from joserfc.jwa import DeflateZipModel
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey, OKPKey, import_key
from joserfc.jws import JWSRegistry

from kiosk.device import SIGNING_ALG, DeviceIdentity, device_id_for, public_key_from_jwk
from kiosk.errors import SecurityError

PAYLOAD_TYP = "kiosk-submission+jws"
RECORD_TYP = "kiosk-record+jws"
JWE_ALG = "ECDH-ES+A256KW"
JWE_ENC = "A256GCM"
JWE_ZIP = "DEF"
_SIG_ALGS = [SIGNING_ALG]
_JWE_ALGS = [JWE_ALG, JWE_ENC, JWE_ZIP]
_ATTACHMENT_AAD = b"soum-kiosk-attachment-v1"
_MAX_PAYLOAD = 8 * 1024 * 1024  # answers only; photos travel as separate blobs


def _quiet_eddsa() -> object:
    # joserfc warns that "EdDSA" is superseded by RFC 9864's "Ed25519". We keep
    # the RFC 8037 name on purpose: every JOSE library verifies it, and these
    # signatures must stay checkable for decades (docs/security.md).
    alg = copy.copy(JWSRegistry.algorithms[SIGNING_ALG])
    alg.security_warning = None
    return alg


class _SigRegistry(JWSRegistry):
    """EdDSA only, without the deprecation warning, with room for large forms."""

    algorithms = {SIGNING_ALG: _quiet_eddsa()}  # type: ignore[dict-item]  # noqa: RUF012
    recommended = [SIGNING_ALG]  # noqa: RUF012
    max_payload_length = _MAX_PAYLOAD


class _BoundedDeflate(DeflateZipModel):
    # joserfc's default stops at 250 KB; a large form's signed payload may be more,
    # and a hostile sender must still not be able to inflate past the payload limit
    MAX_SIZE = _MAX_PAYLOAD * 2


class _EncRegistry(JWERegistry):
    algorithms = {  # type: ignore[assignment]  # noqa: RUF012
        "alg": dict(JWERegistry.algorithms["alg"]),
        "enc": dict(JWERegistry.algorithms["enc"]),
        "zip": {JWE_ZIP: _BoundedDeflate()},
    }
    max_ciphertext_length = _MAX_PAYLOAD * 2


_SIG_REGISTRY = _SigRegistry(algorithms=_SIG_ALGS)
_ENC_REGISTRY = _EncRegistry(algorithms=_JWE_ALGS)


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 (JCS) bytes: the one exact form that is hashed and signed."""
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise SecurityError(key="core.not_canonicalisable",
                            params={"reason": type(exc).__name__}) from None


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("ascii") if isinstance(data, str) else data).hexdigest()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AttachmentRef:
    """One encrypted attachment as the envelope binds it.

    ``sha256``/``size`` describe the plaintext file (as in the form document);
    ``blob_sha256``/``blob_size`` the encrypted blob that is stored and sent;
    ``key`` is the blob's AES-256-GCM key (goes only inside the JWE).
    """

    name: str
    media_type: str
    sha256: str
    size: int
    blob_sha256: str
    blob_size: int
    key: bytes = field(repr=False)

    def payload_entry(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "media_type": self.media_type,
            "sha256": self.sha256,
            "size": self.size,
            "blob_sha256": self.blob_sha256,
            "blob_size": self.blob_size,
            "key": b64url(self.key),
        }

    def record_entry(self) -> dict[str, Any]:
        return {"sha256": self.blob_sha256, "size": self.blob_size}


@dataclass(frozen=True)
class SealedEnvelope:
    """What finalize stores and sync sends. Never changes after it is made."""

    submission_id: str
    jwe: str
    record: str
    payload_sha256: str
    demo: bool
    form_id: str
    form_version: str
    device_id: str
    finalized_at: str
    agency_kid: str
    jwe_sha256: str
    attachments: list[dict[str, Any]]  # record entries: [{sha256, size}] of the blobs

    @property
    def size(self) -> int:
        return len(self.jwe) + len(self.record) + sum(a["size"] for a in self.attachments)


# --- JWS helpers (also used by receipts) ------------------------------------


def jws_sign(payload: bytes, key: OKPKey, *, kid: str, typ: str) -> str:
    header = {"alg": SIGNING_ALG, "kid": kid, "typ": typ}
    return jws.serialize_compact(header, payload, key, registry=_SIG_REGISTRY)


def jws_verify(value: str | bytes, public_jwk: dict[str, Any], *, typ: str) -> tuple[dict, bytes]:
    """(header, payload bytes) of a compact JWS by this device key, or SecurityError.

    Only EdDSA is accepted (``alg: none``, HMAC and every other algorithm are
    refused before any key is used), and ``typ`` must match so that one kind of
    signed object can never stand in for another.
    """
    key = public_key_from_jwk(public_jwk)
    try:
        text = value.decode("ascii") if isinstance(value, bytes) else value
        _require_canonical_b64(text, 3)
        obj = jws.deserialize_compact(text, key, registry=_SIG_REGISTRY)
    except Exception as exc:  # noqa: BLE001 - every failure is "not authentic"
        raise SecurityError(key="core.signature_failed",
                            params={"reason": type(exc).__name__}) from None
    header = dict(obj.headers())
    if header.get("alg") != SIGNING_ALG or header.get("typ") != typ:
        raise SecurityError(key="core.signed_wrong_type",
                            params={"expected": typ, "found": repr(header.get("typ"))})
    payload = obj.payload
    return header, payload


def _claims(payload: bytes, what: str) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
        canonical = isinstance(claims, dict) and canonical_json(claims) == payload
    except ValueError:
        raise SecurityError(key="core.part_not_json", params={"what": what}) from None
    except RecursionError:  # a hostile sender's [[[[…]]]]: refused, never a crash
        raise SecurityError(key="core.part_too_deep", params={"what": what}) from None
    if not canonical:
        raise SecurityError(key="core.part_not_canonical", params={"what": what})
    return claims


def _require_canonical_b64(token: str, parts: int) -> None:
    """Refuse non-canonical base64url (e.g. altered unused trailing bits).

    Lenient decoders map several texts to the same bytes; we want exactly one
    text per envelope, so "same ID, same bytes" holds at the text level too.
    """
    segments = token.split(".")
    if len(segments) != parts:
        raise ValueError(f"expected {parts} segments")
    for seg in segments:
        if b64url(b64url_decode(seg)) != seg:
            raise ValueError("non-canonical base64url")


# --- agency keys ------------------------------------------------------------


def _agency_public_key(agency_jwk: dict[str, Any]) -> ECKey | OKPKey:
    public = {k: v for k, v in agency_jwk.items() if k in ("kty", "crv", "x", "y")}
    if (public.get("kty"), public.get("crv")) not in (
        ("EC", "P-256"),
        ("EC", "P-384"),
        ("EC", "P-521"),
        ("OKP", "X25519"),
    ):
        raise SecurityError(key="core.agency_key_kind", params={"kty": str(public.get("kty")),
                                                                  "crv": str(public.get("crv"))})
    try:
        key = import_key(public)
    except Exception:  # noqa: BLE001
        raise SecurityError(key="core.agency_key_malformed") from None
    assert isinstance(key, ECKey | OKPKey)
    return key


def agency_kid(agency_jwk: dict[str, Any]) -> str:
    kid = agency_jwk.get("kid")
    if isinstance(kid, str) and kid:
        return kid
    return _agency_public_key(agency_jwk).thumbprint()


# --- seal / verify / open -----------------------------------------------------


def _document_parts(document: dict[str, Any]) -> tuple[str, str, Any, str | None]:
    form_id = document.get("form_id") or document.get("form")
    version = document.get("form_version") or document.get("version")
    language = document.get("language")
    if "answers" in document:
        answers = document["answers"]
    else:
        skip = {"form_id", "form", "form_version", "version", "language", "started_at"}
        answers = {k: v for k, v in document.items() if k not in skip}
    if not isinstance(form_id, str) or not form_id:
        raise SecurityError(key="core.document_no_form_id")
    return form_id, str(version or ""), answers, language if isinstance(language, str) else None


def seal(
    document: dict[str, Any],
    *,
    submission_id: str,
    device: DeviceIdentity,
    agency_jwk: dict[str, Any],
    demo: bool,
    attachments: Sequence[AttachmentRef],
    finalized_at: str,
) -> SealedEnvelope:
    """Sign, encrypt and record one finished document (pure: writes nothing)."""
    form_id, form_version, answers, language = _document_parts(document)
    kid = agency_kid(agency_jwk)
    payload = {
        "submission_id": submission_id,
        "form_id": form_id,
        "form_version": form_version,
        "device_id": device.device_id,
        "finalized_at": finalized_at,
        "demo": bool(demo),
        "answers": answers,
        "attachments": [a.payload_entry() for a in attachments],
    }
    if language:
        payload["language"] = language  # the applicant's language on the kiosk
    payload_bytes = canonical_json(payload)
    signed = jws_sign(payload_bytes, device.private_key, kid=device.device_id, typ=PAYLOAD_TYP)
    header = {"alg": JWE_ALG, "enc": JWE_ENC, "zip": JWE_ZIP, "kid": kid, "cty": "JOSE"}
    token = jwe.encrypt_compact(
        header, signed.encode("ascii"), _agency_public_key(agency_jwk), registry=_ENC_REGISTRY
    )
    jwe_hash = sha256_hex(token)
    record_entries = [a.record_entry() for a in attachments]
    record_claims = {
        "submission_id": submission_id,
        "form_id": form_id,
        "form_version": form_version,
        "device_id": device.device_id,
        "finalized_at": finalized_at,
        "demo": bool(demo),
        "jwe_sha256": jwe_hash,
        "attachments": record_entries,
        "agency_kid": kid,
    }
    record = jws_sign(
        canonical_json(record_claims), device.private_key, kid=device.device_id, typ=RECORD_TYP
    )
    return SealedEnvelope(
        submission_id=submission_id,
        jwe=token,
        record=record,
        payload_sha256=sha256_hex(payload_bytes),
        demo=bool(demo),
        form_id=form_id,
        form_version=form_version,
        device_id=device.device_id,
        finalized_at=finalized_at,
        agency_kid=kid,
        jwe_sha256=jwe_hash,
        attachments=record_entries,
    )


def verify_record(record: str, jwe: str | bytes, device_public_jwk: dict[str, Any]) -> dict:
    """Intake side: the record's claims if it is the device's and matches ``jwe``.

    Checks the EdDSA signature (nothing else accepted), that the record's
    device_id is the one the key stands for, and that ``jwe_sha256`` is the
    hash of exactly these JWE bytes. SecurityError otherwise.
    """
    header, payload = jws_verify(record, device_public_jwk, typ=RECORD_TYP)
    claims = _claims(payload, "record")
    expected_device = device_id_for(device_public_jwk)
    if claims.get("device_id") != expected_device or header.get("kid") != expected_device:
        raise SecurityError(key="core.record_other_device", params={"device": expected_device})
    jwe_bytes = jwe.encode("ascii") if isinstance(jwe, str) else jwe
    if claims.get("jwe_sha256") != sha256_hex(jwe_bytes):
        raise SecurityError(key="core.envelope_record_mismatch")
    return claims


def open_envelope(
    jwe_token: str, agency_private_jwk: dict[str, Any], device_public_jwk: dict[str, Any]
) -> dict:
    """Agency side: decrypt, check the device signature, return the payload."""
    try:
        _require_canonical_b64(jwe_token, 5)
        key = import_key(agency_private_jwk)
        plain = jwe.decrypt_compact(jwe_token, key, registry=_ENC_REGISTRY).plaintext
    except Exception as exc:  # noqa: BLE001 - wrong key, tampering, bad format
        raise SecurityError(key="core.envelope_undecryptable",
                            params={"reason": type(exc).__name__}) from None
    if plain is None:
        raise SecurityError(key="core.envelope_empty")
    header, payload_bytes = jws_verify(plain, device_public_jwk, typ=PAYLOAD_TYP)
    payload = _claims(payload_bytes, "payload")
    if payload.get("device_id") != device_id_for(device_public_jwk):
        raise SecurityError(key="core.payload_other_device",
                            params={"device": str(payload.get("device_id"))})
    return payload


def verify_attachment(
    payload: dict[str, Any], blob: bytes, *, index: int | None = None
) -> tuple[dict[str, Any], bytes]:
    """Agency side: find ``blob`` among the payload's attachments, decrypt and check it."""
    digest = sha256_hex(blob)
    for i, entry in enumerate(payload.get("attachments", [])):
        if (index is None or index == i) and entry.get("blob_sha256") == digest:
            plain = decrypt_attachment(blob, b64url_decode(entry["key"]))
            if sha256_hex(plain) != entry.get("sha256") or len(plain) != entry.get("size"):
                raise SecurityError(key="core.attachment_hash_mismatch", params={"sha256": digest[:12]})
            return entry, plain
    raise SecurityError(key="core.attachment_not_in_submission", params={"sha256": digest[:12]})


# --- attachments --------------------------------------------------------------


def new_attachment_key() -> bytes:
    return os.urandom(32)


def encrypt_attachment(data: bytes, key: bytes) -> bytes:
    """AES-256-GCM: 12-byte random nonce || ciphertext+tag."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, data, _ATTACHMENT_AAD)


def decrypt_attachment(blob: bytes, key: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(blob) < 12 + 16:
        raise SecurityError(key="core.attachment_truncated", params={"size": len(blob)})
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], _ATTACHMENT_AAD)
    except InvalidTag:
        raise SecurityError(key="core.attachment_damaged") from None


def make_attachment(data: bytes, *, name: str, media_type: str) -> tuple[AttachmentRef, bytes]:
    """Encrypt one file for storage and sending: (its reference, the blob)."""
    key = new_attachment_key()
    blob = encrypt_attachment(data, key)
    ref = AttachmentRef(
        name=name,
        media_type=media_type,
        sha256=sha256_hex(data),
        size=len(data),
        blob_sha256=sha256_hex(blob),
        blob_size=len(blob),
        key=key,
    )
    return ref, blob
