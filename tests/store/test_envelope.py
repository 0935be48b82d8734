"""The envelope against an independent JOSE implementation (jwcrypto), and tampering."""

from __future__ import annotations

import json

import pytest
from joserfc.jwk import ECKey, OKPKey
from jwcrypto import jwe as jc_jwe
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from kiosk.device import create_device, device_id_for, load_device
from kiosk.envelope import (
    b64url,
    b64url_decode,
    canonical_json,
    decrypt_attachment,
    encrypt_attachment,
    make_attachment,
    open_envelope,
    seal,
    sha256_hex,
    verify_attachment,
    verify_record,
)
from kiosk.errors import ConfigError, SecurityError
from kiosk.secrets import open_secrets

DOC = {
    "form_id": "birth-registration",
    "form_version": "2026.1",
    "language": "mn",
    "answers": {"child_name": "Тэмүүлэн", "rd": "УБ99112233", "phone": "99112233"},
}


# `device` and `agency` (kid "agency-test-1") come from tests/store/conftest.py.


@pytest.fixture
def sealed(device, agency):
    ref, blob = make_attachment(b"\xff\xd8 canary photo", name="photo.jpg", media_type="image/jpeg")
    env = seal(
        DOC,
        submission_id="01900000-0000-7000-8000-000000000001",
        device=device,
        agency_jwk=agency[1],
        demo=True,
        attachments=[ref],
        finalized_at="2026-11-26T10:00:00Z",
    )
    return env, ref, blob


def test_device_key_is_made_once_and_id_derives_from_public_key(device):
    again = load_device(open_secrets())
    assert again.device_id == device.device_id
    assert device.device_id.startswith("kiosk-") and len(device.device_id) == 22
    assert device_id_for(device.public_jwk) == device.device_id
    assert "d" not in device.public_jwk
    with pytest.raises(ConfigError):
        create_device(open_secrets())


def test_round_trip_and_claims(sealed, device, agency):
    env, ref, blob = sealed
    claims = verify_record(env.record, env.jwe, device.public_jwk)
    assert claims["submission_id"] == env.submission_id
    assert claims["demo"] is True and env.demo is True
    assert claims["jwe_sha256"] == sha256_hex(env.jwe)
    assert claims["attachments"] == [{"sha256": ref.blob_sha256, "size": ref.blob_size}]
    assert claims["agency_kid"] == "agency-test-1"
    payload = open_envelope(env.jwe, agency[0], device.public_jwk)
    assert payload["answers"] == DOC["answers"] and payload["language"] == "mn"
    assert payload["device_id"] == device.device_id
    assert sha256_hex(canonical_json(payload)) == env.payload_sha256
    entry, plain = verify_attachment(payload, blob)
    assert plain == b"\xff\xd8 canary photo" and entry["name"] == "photo.jpg"


def test_independent_jose_implementation_verifies_everything(sealed, device, agency):
    env, _ref, _blob = sealed
    dev_pub = jc_jwk.JWK(**{k: device.public_jwk[k] for k in ("kty", "crv", "x")})
    rec = jc_jws.JWS()
    rec.deserialize(env.record)
    rec.verify(dev_pub)  # raises on failure
    assert json.loads(rec.payload)["jwe_sha256"] == sha256_hex(env.jwe)
    agency_priv = jc_jwk.JWK(**agency[0])
    outer = jc_jwe.JWE()
    outer.deserialize(env.jwe, key=agency_priv)
    header = json.loads(outer.objects["protected"])
    assert header["alg"] == "ECDH-ES+A256KW" and header["enc"] == "A256GCM"
    assert header["kid"] == "agency-test-1" and header["zip"] == "DEF"  # jwcrypto inflated it
    inner = jc_jws.JWS()
    inner.deserialize(outer.payload.decode())
    inner.verify(dev_pub)
    assert json.loads(inner.payload)["answers"]["rd"] == "УБ99112233"
    assert json.loads(inner.objects["protected"])["alg"] == "EdDSA"


def test_jwcrypto_made_envelope_opens_with_ours(device, agency):
    """The reverse direction: our opener accepts a standard JWE/JWS from another library."""
    priv = json.loads(open_secrets().get("device-key"))
    dev_key = jc_jwk.JWK(**priv)
    payload = canonical_json(
        {"submission_id": "x", "device_id": device.device_id, "answers": {"a": 1}}
    )
    s = jc_jws.JWS(payload)
    s.add_signature(
        dev_key,
        alg="EdDSA",
        protected=json.dumps(
            {"alg": "EdDSA", "kid": device.device_id, "typ": "kiosk-submission+jws"}
        ),
    )
    e = jc_jwe.JWE(
        s.serialize(compact=True).encode(),
        protected=json.dumps({"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": "k"}),
    )
    e.add_recipient(jc_jwk.JWK(**agency[1]))
    assert open_envelope(e.serialize(compact=True), agency[0], device.public_jwk)["answers"] == {
        "a": 1
    }


def _flip_variants(token: str, *, every: int = 1):
    """Yield the token with one bit flipped in the decoded bytes of one segment."""
    parts = token.split(".")
    for seg_index, seg in enumerate(parts):
        raw = bytearray(b64url_decode(seg))
        for pos in range(0, len(raw), every):
            for bit in range(8):
                raw[pos] ^= 1 << bit
                yield ".".join(parts[:seg_index] + [b64url(bytes(raw))] + parts[seg_index + 1 :])
                raw[pos] ^= 1 << bit


def test_every_bit_flip_of_the_record_is_rejected(sealed, device):
    env, _, _ = sealed
    count = 0
    for bad in _flip_variants(env.record):
        with pytest.raises(SecurityError):
            verify_record(bad, env.jwe, device.public_jwk)
        count += 1
    assert count == 8 * sum(len(b64url_decode(s)) for s in env.record.split("."))


def test_bit_flips_of_the_jwe_are_rejected_by_record_and_by_the_agency(sealed, device, agency):
    env, _, _ = sealed
    header_len = len(b64url_decode(env.jwe.split(".")[0]))
    flips = 0
    for bad in _flip_variants(env.jwe):
        with pytest.raises(SecurityError):
            verify_record(env.record, bad, device.public_jwk)
        flips += 1
    assert flips == 8 * sum(len(b64url_decode(s)) for s in env.jwe.split("."))
    # decrypting is slower (ECDH per try): every bit of the header, then every 97th bit
    # of the encrypted key, IV, ciphertext and tag
    opened = 0
    for i, bad in enumerate(_flip_variants(env.jwe)):
        if i < header_len * 8 or i % 97 == 0:
            with pytest.raises(SecurityError):
                open_envelope(bad, agency[0], device.public_jwk)
            opened += 1
    assert opened > header_len * 8


def test_bit_flips_of_the_inner_jws_are_rejected(device, agency):
    from joserfc import jwe

    from kiosk.envelope import jws_sign

    payload = canonical_json({"submission_id": "s", "device_id": device.device_id, "answers": {}})
    good = jws_sign(payload, device.private_key, kid=device.device_id, typ="kiosk-submission+jws")
    pub = ECKey.import_key(agency[1])
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": "agency-test-1"}
    algs = ["ECDH-ES+A256KW", "A256GCM"]
    assert open_envelope(
        jwe.encrypt_compact(header, good, pub, algorithms=algs), agency[0], device.public_jwk
    )
    for i, bad in enumerate(_flip_variants(good)):
        if i % 3:  # every third bit of every byte position class; ECDH per try is the cost
            continue
        token = jwe.encrypt_compact(header, bad, pub, algorithms=algs)
        with pytest.raises(SecurityError):
            open_envelope(token, agency[0], device.public_jwk)


def test_non_canonical_base64_is_rejected(sealed, device):
    env, _, _ = sealed
    head, body, sig = env.record.split(".")
    # the last char of a 64-byte signature carries 2 unused bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1])
    for alt in (last ^ 1, last ^ 2, last ^ 3):
        bad = f"{head}.{body}.{sig[:-1]}{alphabet[alt]}"
        with pytest.raises(SecurityError):
            verify_record(bad, env.jwe, device.public_jwk)


def _resign(token: str, header: dict, key=None, sig: bytes | None = None) -> str:
    _, body, _ = token.split(".")
    h = b64url(json.dumps(header).encode())
    if sig is None:
        sig = b""
    return f"{h}.{body}.{b64url(sig)}"


def test_alg_none_wrong_alg_and_wrong_key_are_rejected(sealed, device, agency):
    env, _, _ = sealed
    body = env.record.split(".")[1]
    # alg none
    none = _resign(env.record, {"alg": "none", "typ": "kiosk-record+jws"})
    with pytest.raises(SecurityError):
        verify_record(none, env.jwe, device.public_jwk)
    # HS256 using the public key bytes as the HMAC secret (key-confusion attack)
    import hashlib
    import hmac

    h = b64url(json.dumps({"alg": "HS256", "typ": "kiosk-record+jws"}).encode())
    mac = hmac.new(b64url_decode(device.public_jwk["x"]), f"{h}.{body}".encode(), hashlib.sha256)
    with pytest.raises(SecurityError):
        verify_record(f"{h}.{body}.{b64url(mac.digest())}", env.jwe, device.public_jwk)
    # ES256 by some other key
    other_ec = jc_jwk.JWK.generate(kty="EC", crv="P-256")
    s = jc_jws.JWS(b64url_decode(body))
    s.add_signature(
        other_ec, alg="ES256", protected=json.dumps({"alg": "ES256", "typ": "kiosk-record+jws"})
    )
    with pytest.raises(SecurityError):
        verify_record(s.serialize(compact=True), env.jwe, device.public_jwk)
    # right algorithm, wrong device key
    other = OKPKey.generate_key("Ed25519")
    wrong_pub = dict(other.as_dict(private=False))
    with pytest.raises(SecurityError):
        verify_record(env.record, env.jwe, wrong_pub)
    # a non-Ed25519 "device key" is refused outright
    with pytest.raises(SecurityError):
        verify_record(env.record, env.jwe, {"kty": "oct", "k": "AAAA"})
    # wrong agency key cannot open the JWE
    wrong_agency = ECKey.generate_key("P-256").as_dict(private=True)
    with pytest.raises(SecurityError):
        open_envelope(env.jwe, wrong_agency, device.public_jwk)
    # a record cannot stand in for the payload (typ differs)
    with pytest.raises(SecurityError):
        open_envelope(env.jwe, agency[0], wrong_pub)


def test_attachment_aead():
    key = b"k" * 32
    blob = encrypt_attachment(b"data", key)
    assert decrypt_attachment(blob, key) == b"data"
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(SecurityError):
            decrypt_attachment(bytes(bad), key)
    with pytest.raises(SecurityError):
        decrypt_attachment(blob, b"x" * 32)


def test_canonical_json_is_rfc8785():
    assert canonical_json({"b": 1, "a": [1.0, "é"]}) == '{"a":[1,"é"],"b":1}'.encode()


def test_large_payload_round_trips(device, agency):
    doc = {"form_id": "f", "form_version": "1", "answers": {"notes": "ж" * 200_000}}
    env = seal(
        doc,
        submission_id="s",
        device=device,
        agency_jwk=agency[1],
        demo=False,
        attachments=[],
        finalized_at="2026-11-26T10:00:00Z",
    )
    assert open_envelope(env.jwe, agency[0], device.public_jwk)["answers"] == doc["answers"]
    assert env.demo is False


def test_compression_makes_the_envelope_smaller_and_legacy_envelopes_still_open(device, agency):
    """zip: DEF (RFC 7516) shrinks the JWE; an envelope sealed before it opens the same."""
    from joserfc import jwe as jf_jwe
    from joserfc.jwe import JWERegistry
    from joserfc.jwk import import_key

    from kiosk.envelope import PAYLOAD_TYP, jws_sign

    env = seal(DOC, submission_id="01900000-0000-7000-8000-000000000002", device=device,
               agency_jwk=agency[1], demo=False, attachments=[], finalized_at="2026-11-26T10:00:00Z")
    payload = open_envelope(env.jwe, agency[0], device.public_jwk)
    signed = jws_sign(canonical_json(payload), device.private_key, kid=device.device_id,
                      typ=PAYLOAD_TYP)
    public = import_key({k: agency[1][k] for k in ("kty", "crv", "x", "y")})
    legacy = jf_jwe.encrypt_compact(
        {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": "agency-test-1", "cty": "JOSE"},
        signed.encode(), public, registry=JWERegistry(algorithms=["ECDH-ES+A256KW", "A256GCM"]))
    assert open_envelope(legacy, agency[0], device.public_jwk) == payload
    assert len(env.jwe) < 0.9 * len(legacy)


def test_a_deflate_bomb_inside_the_jwe_is_refused(device, agency):
    """A hostile sender cannot make the agency inflate more than the payload limit."""
    from joserfc import jwe as jf_jwe
    from joserfc.jwe import JWERegistry
    from joserfc.jwk import import_key

    from kiosk.envelope import _MAX_PAYLOAD

    public = import_key({k: agency[1][k] for k in ("kty", "crv", "x", "y")})

    class Loose(JWERegistry):
        max_ciphertext_length = 1 << 30

    bomb = jf_jwe.encrypt_compact(
        {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "zip": "DEF", "kid": "agency-test-1",
         "cty": "JOSE"},
        b"A" * (_MAX_PAYLOAD * 2 + 1024), public,
        registry=Loose(algorithms=["ECDH-ES+A256KW", "A256GCM", "DEF"]))
    assert len(bomb) < 100_000  # small on the wire, 16 MB inflated
    with pytest.raises(SecurityError, match="cannot be decrypted"):
        open_envelope(bomb, agency[0], device.public_jwk)
