"""One ODK submission's wire parts, made once at finalize and stored as they are.

Why once: "same ID → same bytes for ever". The instance XML, the random AES key, the
encrypted files and the manifest are made exactly once, when the resident finalizes;
every later attempt (after a reset, a crash, a reboot) sends the stored bytes, so the
server sees an identical resubmission (201, no duplicate) and never a 409 of our own
making. A changed answer under the same ID is refused here, before anything is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.errors import KioskError
from sync.odk.encryption import PlainFile, encrypt_submission
from sync.odk.instance import build_instance
from sync.odk.multipart import Part
from sync.odk.xformmeta import XFormMeta

SIGNATURE_ATTACHMENT = "kiosk-signature.jws"
SIGNATURE_FIELD = "kiosk_signature"  # a binary field of this name asks for the kiosk's JWS


def instance_id_for(submission_id: str) -> str:
    return submission_id if submission_id.startswith("uuid:") else f"uuid:{submission_id}"


@dataclass(frozen=True)
class WireSubmission:
    """Everything the OpenRosa POSTs carry for one submission (plaintext only in memory)."""

    instance_id: str
    form_id: str
    xml: bytes  # the XML part: the instance, or the manifest for an encrypted form
    files: list[Part]
    encrypted: bool

    def digest(self) -> str:
        h = hashlib.sha256(self.xml)
        for f in self.files:
            h.update(f.name.encode() + b"\0" + hashlib.sha256(f.data).digest())
        return h.hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the outbox (sealed at rest by the store)."""
        import base64

        return {
            "v": 1, "instance_id": self.instance_id, "form_id": self.form_id,
            "encrypted": self.encrypted, "xml": base64.b64encode(self.xml).decode(),
            "files": [{"name": f.name, "type": f.content_type,
                       "data": base64.b64encode(f.data).decode()} for f in self.files],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WireSubmission:
        import base64

        return cls(instance_id=d["instance_id"], form_id=d["form_id"],
                   xml=base64.b64decode(d["xml"]), encrypted=bool(d["encrypted"]),
                   files=[Part(f["name"], base64.b64decode(f["data"]), f["type"], f["name"])
                          for f in d["files"]])


def instance_xml(meta: XFormMeta, questions: Iterable[Any], answers: Mapping[str, Any], *,
                 submission_id: str, deprecated_id: str | None = None,
                 with_signature: bool = False, meta_values: Mapping[str, str] | None = None
                 ) -> tuple[bytes, list[str]]:
    """(the plaintext instance XML, attachment names it refers to). ``meta_values``: node
    path -> text for the metadata the kiosk fills (start, end, today, deviceid)."""
    fixed = dict(meta_values or {})
    if with_signature:
        fixed[SIGNATURE_FIELD] = SIGNATURE_ATTACHMENT
    return build_instance(
        meta.template, questions, answers, instance_id=instance_id_for(submission_id),
        deprecated_id=instance_id_for(deprecated_id) if deprecated_id else None, fixed=fixed)


def build_submission(
    meta: XFormMeta,
    questions: Iterable[Any],
    answers: Mapping[str, Any],
    *,
    submission_id: str,
    media: Mapping[str, tuple[bytes, str]] | None = None,
    deprecated_id: str | None = None,
    signature_jws: str | None = None,
    meta_values: Mapping[str, str] | None = None,
) -> WireSubmission:
    """The parts for one submission. ``media``: file name -> (bytes, content type) of
    every attachment the answers name; ``signature_jws``: the kiosk's JWS over the
    submission, sent as one more attachment when the form asks for it."""
    media = dict(media or {})
    instance_id = instance_id_for(submission_id)
    xml, names = instance_xml(meta, questions, answers, submission_id=submission_id,
                              deprecated_id=deprecated_id,
                              with_signature=signature_jws is not None,
                              meta_values=meta_values)
    missing = [n for n in names if n not in media]
    if missing:
        raise KioskError(key="wire.odk_attachment_missing",
                         params={"name": missing[0], "form_id": meta.form_id})
    files = [(n, *media[n]) for n in names]
    if signature_jws is not None:
        files.append((SIGNATURE_ATTACHMENT, signature_jws.encode("ascii"), "application/jose"))
    if not meta.base64_rsa_public_key:
        return WireSubmission(instance_id, meta.form_id, xml,
                              [Part(n, d, ct, n) for n, d, ct in files], encrypted=False)
    enc = encrypt_submission(
        form_id=meta.form_id, version=meta.version, instance_id=instance_id, xml=xml,
        media=[PlainFile(n, d) for n, d, _ in files],
        base64_rsa_public_key=meta.base64_rsa_public_key)
    return WireSubmission(
        instance_id, meta.form_id, enc.manifest,
        [Part(f.name, f.data, "application/octet-stream", f.name) for f in enc.files],
        encrypted=True)
