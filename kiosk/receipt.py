"""Receipt QR codes: proof of a submission that anyone can check offline.

The QR text is a compact JWS (EdDSA by the device key, ``typ``
``kiosk-receipt+jws``) over a tiny claim set — no personal data:

    {"v": 2, "id": <submission ID>, "eh": <first 16 hex of the envelope's SHA-256>,
     "t": <finalized time, UTC>, "dev": <device ID>, "demo": <bool>, "n": <receipt number>}

``n`` is the number printed and shown in large letters (:func:`receipt_number`): the
ID's last 60 random bits in Crockford base32, three groups of four, with no letters
a resident confuses with a digit (no I, L, O, U). It is worked out from ``id``, so a
receipt made before ``n`` existed verifies the same and has the same number.

``eh`` hashes the sealed envelope (the JWE as sent), not the answers: the JWE
is encrypted with a fresh random key, so the hash cannot be recomputed from
guessed answers — a receipt confirms nothing about what was written. (Version 1
receipts carried ``ph``, an unsalted prefix of the answers' hash, which could
confirm a guess offline; they still verify, and are reported as version 1.)

What a receipt proves (docs/security.md): the holder of the device key named
``dev`` signed that submission ``id`` was sealed at ``t`` with an envelope whose
SHA-256 starts with ``eh``. It is only as good as the key it is checked with:
this kiosk's own key (``kiosk receipt verify``), or the central server's signed
list of enrolled devices' keys (``kiosk-central receipt verify``). A key handed
over with a receipt proves nothing — anyone can make a key and sign with it.
"""

from __future__ import annotations

import io
from typing import Any

from kiosk.device import DeviceIdentity, device_id_for
from kiosk.envelope import canonical_json, jws_sign, jws_verify
from kiosk.errors import SecurityError

RECEIPT_TYP = "kiosk-receipt+jws"
HASH_PREFIX = 16
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # base32 without I, L, O, U
NUMBER_CHARS = 12  # 60 bits: uuid7's random tail
# What a person may write or type for a Crockford digit (its decoding rules)
_READ_AS = {"O": "0", "I": "1", "L": "1"}


def receipt_number(submission_id: str) -> str:
    """The number a resident reads out, e.g. ``7K2M 9QXA 40HT``."""
    try:
        value = int(submission_id.replace("-", ""), 16)
    except ValueError:  # not a UUID (a foreign or hand-made receipt): still one number for it
        import hashlib

        value = int.from_bytes(hashlib.sha256(submission_id.encode()).digest()[:8], "big")
    value &= (1 << (5 * NUMBER_CHARS)) - 1
    chars = "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(NUMBER_CHARS)))
    return " ".join(chars[i : i + 4] for i in range(0, NUMBER_CHARS, 4))


def normalize_number(typed: str) -> str:
    """A number as typed (any case, spaces, dashes, O for 0, I/L for 1) in its printed form."""
    chars = "".join(_READ_AS.get(c, c) for c in typed.upper() if c not in " -")
    return " ".join(chars[i : i + 4] for i in range(0, len(chars), 4))


# a receipt is a few hundred characters and must fit one QR code (at most 2,953 bytes);
# anything longer is refused before it is decoded
MAX_RECEIPT_CHARS = 4096


def receipt_claims(
    *, submission_id: str, envelope_sha256: str, finalized_at: str, device_id: str, demo: bool
) -> dict[str, Any]:
    return {
        "v": 2,
        "id": submission_id,
        "eh": envelope_sha256[:HASH_PREFIX],
        "t": finalized_at,
        "dev": device_id,
        "demo": bool(demo),
        "n": receipt_number(submission_id),
    }


def make_receipt(
    device: DeviceIdentity,
    *,
    submission_id: str,
    envelope_sha256: str,
    finalized_at: str,
    demo: bool,
) -> str:
    """The QR text for one submission, signed by this device."""
    claims = receipt_claims(
        submission_id=submission_id,
        envelope_sha256=envelope_sha256,
        finalized_at=finalized_at,
        device_id=device.device_id,
        demo=demo,
    )
    return jws_sign(
        canonical_json(claims), device.private_key, kid=device.device_id, typ=RECEIPT_TYP
    )


def matches_envelope(claims: dict[str, Any], *, jwe_sha256: str, payload_sha256: str) -> bool:
    """Does this receipt vouch for the stored envelope (v2: ``eh``; v1: ``ph``)?"""
    if claims.get("v") == 2:
        return jwe_sha256.startswith(str(claims.get("eh", "")) or "-")
    return payload_sha256.startswith(str(claims.get("ph", "")) or "-")


def verify_receipt(text: str, device_public_jwk: dict[str, Any]) -> dict[str, Any]:
    """The receipt's claims, or SecurityError if it is not this device's, intact."""
    text = text.strip()
    if len(text) > MAX_RECEIPT_CHARS:
        raise SecurityError(key="trust.receipt_too_long", params={"limit": MAX_RECEIPT_CHARS})
    if text.count(".") != 2:
        raise SecurityError(key="core.receipt_not_receipt", params={"parts": text.count(".") + 1})
    header, payload = jws_verify(text, device_public_jwk, typ=RECEIPT_TYP)
    import json

    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError):  # RecursionError: [[[[…]]]] from a hostile signer
        raise SecurityError(key="core.receipt_not_json") from None
    if not isinstance(claims, dict) or claims.get("v") not in (1, 2):
        raise SecurityError(key="core.receipt_format_unknown",
                            params={"version": repr(claims.get("v") if isinstance(claims, dict) else None)})
    device_id = device_id_for(device_public_jwk)
    if claims.get("dev") != device_id or header.get("kid") != device_id:
        raise SecurityError(key="core.receipt_other_device",
                            params={"device": str(claims.get("dev")), "key_device": device_id})
    if "n" in claims and claims["n"] != receipt_number(str(claims.get("id", ""))):
        raise SecurityError(key="core.receipt_number_mismatch",
                            params={"number": str(claims["n"]), "id": str(claims.get("id", ""))})
    return claims


def peek_device_id(text: str) -> str | None:
    """The device ID a receipt claims (unverified), to pick the right key."""
    import base64
    import json

    if len(text) > MAX_RECEIPT_CHARS:
        return None
    try:
        body = text.strip().split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        dev = claims.get("dev")
        return dev if isinstance(dev, str) else None
    except (IndexError, ValueError, AttributeError, RecursionError):
        return None


def _qr(text: str) -> Any:
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    return qr


def render_svg(text: str) -> bytes:
    """An SVG of the QR code (no extra dependencies; the UI and printers scale it)."""
    from qrcode.image.svg import SvgPathImage

    img = _qr(text).make_image(image_factory=SvgPathImage)
    out = io.BytesIO()
    img.save(out)
    return out.getvalue()


def render_png(text: str, *, box_size: int = 6) -> bytes:
    """A PNG of the QR code: 1-bit greyscale, written with zlib (no Pillow needed,
    so the kiosk build prints receipts without extra libraries)."""
    import struct
    import zlib

    matrix = _qr(text).get_matrix()  # includes the quiet zone (border)
    side = len(matrix) * box_size
    rows = bytearray()
    for line in matrix:
        bits = "".join(("0" if dark else "1") * box_size for dark in line)  # 1 = white
        bits += "0" * (-len(bits) % 8)
        packed = int(bits, 2).to_bytes(len(bits) // 8, "big")
        rows += (b"\x00" + packed) * box_size  # filter type 0 per scanline

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )
