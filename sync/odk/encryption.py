"""ODK submission encryption, as the ODK XForms encryption spec defines it.

Why this exact shape: ODK Central, Briefcase and Kobo decrypt what Collect sends, and
a submission that is wrong in any detail still gets a 201 from Central (it cannot check
without the passphrase) but then breaks that form's whole decrypted export. So each
step below follows the spec literally:

- a fresh random 256-bit AES key per submission;
- that key encrypted with the form's RSA public key, RSA-OAEP with SHA-256 and
  MGF1-SHA-256 (Java's ``RSA/NONE/OAEPWithSHA256AndMGF1Padding``), base64;
- one IV per file: md5(instanceID || key) as a 16-byte seed, and before each file the
  byte at ``counter % 16`` is incremented (the first file already uses an incremented
  seed);
- every media file, in manifest order, then the XML: AES-256-CFB (128-bit feedback)
  over the PKCS#7-padded plaintext (Java's misnamed ``AES/CFB/PKCS5Padding``);
- the manifest names the key, the encrypted XML file and the media, carries the form
  id and version exactly as the form had them, and optionally the element signature.

Everything happens in memory: plaintext is never written to disk here. The primitives
are the ``cryptography`` package's; nothing is home-made.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 47 keeps CFB among the "decrepit" modes; the spec needs it
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from kiosk.errors import KioskError

SUBMISSIONS_NS = "http://opendatakit.org/submissions"
OPENROSA_NS = "http://openrosa.org/xforms"
XML_FILE_NAME = "submission.xml"
ENCRYPTED_XML_NAME = XML_FILE_NAME + ".enc"


@dataclass(frozen=True)
class PlainFile:
    """A media file of the submission, as its question captured it (in memory only)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class EncryptedSubmission:
    """What goes on the wire for an encrypted form: the manifest is the XML part."""

    manifest: bytes
    files: list[PlainFile]  # name.enc files: the media in manifest order, then submission.xml.enc


def load_public_key(base64_rsa_public_key: str) -> rsa.RSAPublicKey:
    """The form's key: base64 DER SubjectPublicKeyInfo (as XLSForm/Central publish it)."""
    text = "".join(base64_rsa_public_key.split())
    try:
        key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, TypeError) as exc:
        raise KioskError(key="wire.odk_rsa_unreadable",
                         params={"reason": type(exc).__name__}) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KioskError(key="wire.odk_rsa_kind", params={"kind": type(key).__name__})
    return key


def _oaep() -> OAEP:
    return OAEP(mgf=MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def rsa_encrypt(key: rsa.RSAPublicKey, data: bytes) -> str:
    return base64.b64encode(key.encrypt(data, _oaep())).decode("ascii")


class IvSequence:
    """The spec's IVs: md5(instanceID + key) bumped one byte per file, in order."""

    def __init__(self, instance_id: str, key: bytes) -> None:
        self._seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + key).digest())  # noqa: S324 - the spec's IV derivation, not a security hash
        self._counter = 0

    def next(self) -> bytes:
        self._seed[self._counter % 16] = (self._seed[self._counter % 16] + 1) % 256
        self._counter += 1
        return bytes(self._seed)


def encrypt_file(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-256-CFB128 over the PKCS#7-padded data (the spec requires the padding)."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    enc = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


def decrypt_file(key: bytes, iv: bytes, data: bytes) -> bytes:
    """The inverse, for tests and `kiosk export --odk` checks."""
    dec = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
    padded = dec.update(data) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _signature_source(form_id: str, version: str | None, encrypted_key: str, instance_id: str,
                      files: Sequence[PlainFile]) -> bytes:
    parts = [form_id]
    if version:
        parts.append(version)
    parts += [encrypted_key, instance_id]
    parts += [f"{f.name}::{hashlib.md5(f.data).hexdigest()}" for f in files]  # noqa: S324 - the spec's signature digest
    return ("\n".join(parts) + "\n").encode("utf-8")


def encrypt_submission(
    *,
    form_id: str,
    version: str | None,
    instance_id: str,
    xml: bytes,
    media: Sequence[PlainFile],
    base64_rsa_public_key: str,
    sign: bool = True,
    key: bytes | None = None,
) -> EncryptedSubmission:
    """Encrypt one submission for a form with ``base64RsaPublicKey``.

    ``version`` is the form's version text exactly (Central's managed encryption adds an
    ``[encrypted:…]`` suffix that must travel unchanged). ``key`` is only for tests; by
    default a fresh random key is made and dropped when this returns.
    """
    if not instance_id:
        raise KioskError(key="wire.odk_no_instance_id")
    names = [f.name for f in media]
    if len(set(names)) != len(names) or XML_FILE_NAME in names:
        raise KioskError(key="wire.odk_names_not_unique")
    public = load_public_key(base64_rsa_public_key)
    aes_key = key if key is not None else os.urandom(32)
    if len(aes_key) != 32:
        raise ValueError("the AES key must be 256 bits")
    encrypted_key = rsa_encrypt(public, aes_key)
    ivs = IvSequence(instance_id, aes_key)
    out = [PlainFile(f.name + ".enc", encrypt_file(aes_key, ivs.next(), f.data)) for f in media]
    out.append(PlainFile(ENCRYPTED_XML_NAME, encrypt_file(aes_key, ivs.next(), xml)))
    signature = None
    if sign:
        source = _signature_source(form_id, version, encrypted_key, instance_id,
                                   [*media, PlainFile(XML_FILE_NAME, xml)])
        signature = rsa_encrypt(public, hashlib.md5(source).digest())  # noqa: S324 - the spec's signature digest
    manifest = build_manifest(form_id=form_id, version=version, encrypted_key=encrypted_key,
                              instance_id=instance_id, media_names=[f.name for f in out[:-1]],
                              signature=signature)
    return EncryptedSubmission(manifest=manifest, files=out)


def build_manifest(*, form_id: str, version: str | None, encrypted_key: str, instance_id: str,
                   media_names: Sequence[str], signature: str | None) -> bytes:
    """The manifest (the XML part of an encrypted submission), in the spec's layout."""
    version_attr = f" version={quoteattr(version)}" if version else ""
    lines = [f'<data xmlns="{SUBMISSIONS_NS}" encrypted="yes" id={quoteattr(form_id)}'
             f"{version_attr}>",
             f"<base64EncryptedKey>{encrypted_key}</base64EncryptedKey>",
             f'<orx:meta xmlns:orx="{OPENROSA_NS}"><orx:instanceID>{escape(instance_id)}'
             "</orx:instanceID></orx:meta>"]
    lines += [f"<media><file>{escape(name)}</file></media>" for name in media_names]
    lines.append(f"<encryptedXmlFile>{ENCRYPTED_XML_NAME}</encryptedXmlFile>")
    if signature:
        lines.append(f"<base64EncryptedElementSignature>{signature}"
                     "</base64EncryptedElementSignature>")
    lines.append("</data>")
    return "".join(lines).encode("utf-8")
