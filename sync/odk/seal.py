"""Finalize for an ODK form: the kiosk's evidence plus the OpenRosa bytes, sealed at rest.

Why it plugs into the store's one finalize transaction: the guarantees stay those of
every other submission — one transaction (row, receipt, audit entry, draft removed),
crash-safe, exactly-once by ID, visible in ``kiosk status``. What differs is what the
row carries. Instead of a JWE for a kiosk-central agency, the row's envelope column
holds ``odk1.`` + the data-key-sealed (AES-256-GCM, kiosk.store.atrest) wire parts of
the submission, made once here: instance XML (or, for an encrypted form, the ODK
manifest and the ``.enc`` files), the attachments, and the kiosk's JWS when the form
asks for it. So plaintext answers are never on disk, and the bytes never change.

The kiosk still signs: the payload JWS (device key) gives the receipt its hash and the
audit log its entry, exactly as for kiosk-central; a form that has a binary field named
``kiosk_signature`` gets that JWS as an extra attachment (agency-verifiable evidence).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kiosk.device import DeviceIdentity
from kiosk.envelope import (
    PAYLOAD_TYP,
    RECORD_TYP,
    SealedEnvelope,
    canonical_json,
    jws_sign,
    sha256_hex,
)
from kiosk.errors import KioskError
from kiosk.forms.expr_values import local_tz
from kiosk.forms.kept import aware_time
from sync.odk.submission import SIGNATURE_FIELD, WireSubmission, build_submission, instance_xml
from sync.odk.xformmeta import XFormMeta

PREFIX = "odk1."
AGENCY_KID = "odk"
_AT_REST_TABLE = "odk-submission"


def is_odk(envelope_text: str | None) -> bool:
    return bool(envelope_text) and str(envelope_text).startswith(PREFIX)


def wants_signature(meta: XFormMeta) -> bool:
    return any(el.tag.rsplit("}", 1)[-1] == SIGNATURE_FIELD for el in meta.template.iter())


def open_wire(atrest: Any, submission_id: str, envelope_text: str) -> tuple[WireSubmission, str]:
    """(the wire parts, sha256 of the plaintext instance) of a stored ODK submission."""
    if not is_odk(envelope_text):
        raise KioskError(key="wire.odk_not_odk_submission", params={"id": submission_id})
    raw = base64.urlsafe_b64decode(envelope_text[len(PREFIX):] + "==")
    data = atrest.open(raw, table=_AT_REST_TABLE, row_id=submission_id)
    return WireSubmission.from_dict(data["wire"]), str(data["instance_sha256"])


def meta_values(meta: XFormMeta, device_id: str, finalized_at: str,
                started_at: Any = None) -> dict[str, str]:
    """The metadata nodes the kiosk fills (never answers), as ODK Collect fills them:
    ``start`` when the resident began (``started_at``, the session's document), ``end``
    at finalize, ``today`` the local date begun on, ``deviceid``. Without a usable
    ``started_at`` (answers files, older documents) the finalize time stands for both."""
    began = aware_time(started_at)
    day = began or _local(finalized_at)
    fills = {"start": started_at if began else finalized_at, "end": finalized_at,
             "today": day.date().isoformat() if day else finalized_at[:10],
             "deviceid": f"soum-kiosk:{device_id}"}
    return {path: fills[kind] for path, kind in (meta.meta or {}).items() if kind in fills}


def _local(text: str) -> datetime | None:
    """The finalize time (UTC text) in the kiosk's zone."""
    try:
        return datetime.fromisoformat(text).astimezone(local_tz())
    except ValueError:
        return None


def make_sealer(meta: XFormMeta, questions: Iterable[Any], store: Any, *,
                deprecated_id: str | None = None) -> Any:
    """A ``sealer`` for ``Store.finalize`` (same call shape as kiosk.envelope.seal)."""
    questions = list(questions)

    def sealer(document: dict[str, Any], *, submission_id: str, device: DeviceIdentity,
               agency_jwk: Any, demo: bool, attachments: Any, finalized_at: str
               ) -> SealedEnvelope:
        answers = document.get("answers", {})
        form_id = str(document.get("form_id") or meta.form_id)
        form_version = str(document.get("form_version") or meta.version or "")
        payload = {"submission_id": submission_id, "form_id": form_id,
                   "form_version": form_version, "device_id": device.device_id,
                   "finalized_at": finalized_at, "demo": False, "answers": answers,
                   "attachments": [a.payload_entry() | {"key": ""} for a in attachments],
                   "odk_form_id": meta.form_id, "odk_version": meta.version or ""}
        if document.get("language"):
            payload["language"] = document["language"]
        payload_bytes = canonical_json(payload)
        signed = jws_sign(payload_bytes, device.private_key, kid=device.device_id,
                          typ=PAYLOAD_TYP)
        media = {a.name: (store.attachment_plaintext(a.blob_sha256), a.media_type)
                 for a in attachments}
        sign = wants_signature(meta)
        fills = meta_values(meta, device.device_id, finalized_at, document.get("started_at"))
        wire = build_submission(meta, questions, answers, submission_id=submission_id,
                                media=media, deprecated_id=deprecated_id,
                                signature_jws=signed if sign else None, meta_values=fills)
        plain_sha = _instance_sha(meta, questions, answers, submission_id, deprecated_id)
        sealed = store.atrest.seal({"wire": wire.to_dict(), "instance_sha256": plain_sha},
                                   table=_AT_REST_TABLE, row_id=submission_id)
        text = PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")
        jwe_hash = sha256_hex(text)
        claims = {"submission_id": submission_id, "form_id": form_id,
                  "form_version": form_version, "device_id": device.device_id,
                  "finalized_at": finalized_at, "demo": False, "jwe_sha256": jwe_hash,
                  "attachments": [], "agency_kid": AGENCY_KID,
                  "odk_digest": wire.digest()}
        record = jws_sign(canonical_json(claims), device.private_key, kid=device.device_id,
                          typ=RECORD_TYP)
        return SealedEnvelope(
            submission_id=submission_id, jwe=text, record=record,
            payload_sha256=sha256_hex(payload_bytes), demo=False, form_id=form_id,
            form_version=form_version, device_id=device.device_id,
            finalized_at=finalized_at, agency_kid=AGENCY_KID, jwe_sha256=jwe_hash,
            attachments=[])

    return sealer


def _instance_sha(meta: XFormMeta, questions: list[Any], answers: dict[str, Any],
                  submission_id: str, deprecated_id: str | None) -> str:
    xml, _ = instance_xml(meta, questions, answers, submission_id=submission_id,
                          deprecated_id=deprecated_id, with_signature=wants_signature(meta))
    return hashlib.sha256(xml).hexdigest()


def finalize_form(store: Any, form: Any, document: dict[str, Any], *, device: DeviceIdentity,
                  draft_id: str | None = None, submission_id: str | None = None,
                  deprecated_id: str | None = None,
                  destination: tuple[str, str] | None = None) -> SealedEnvelope:
    """kiosk.finalize's entry for a FormDef read from an XForm (``form.odk``)."""
    from sync.odk.xformmeta import odk_meta

    meta = odk_meta(form)
    if meta is None:
        raise KioskError(key="wire.odk_not_odk_form", params={"form_id": form.id})
    return finalize_odk(store, document, meta, form.pages_questions(), device=device,
                        draft_id=draft_id, submission_id=submission_id,
                        deprecated_id=deprecated_id, destination=destination)


def current_destination(store: Any) -> tuple[str, str] | None:
    """(server, project) of the kiosk's ODK connection now, or None without one."""
    from sync.odk.connection import load

    conn = load(store.secrets())
    return None if conn is None else conn.destination


def finalize_odk(store: Any, document: dict[str, Any], meta: XFormMeta,
                 questions: Iterable[Any], *, device: DeviceIdentity,
                 draft_id: str | None = None, submission_id: str | None = None,
                 deprecated_id: str | None = None,
                 destination: tuple[str, str] | None = None) -> SealedEnvelope:
    """Store.finalize for an ODK form. The same ID again with the same answers returns the
    stored submission; with other answers it is refused here (never a 409 surprise from
    the server): an edit is a new submission with ``deprecated_id``. The row records
    the (server, project) it is made for: ``destination``, else the connection now."""
    questions = list(questions)
    if submission_id is not None:
        existing = store.envelope(submission_id)
        if existing is not None and is_odk(existing.jwe):
            _, stored_sha = open_wire(store.atrest, submission_id, existing.jwe)
            answers = dict(document.get("answers", {}))
            if _instance_sha(meta, questions, answers, submission_id,
                             deprecated_id) != stored_sha:
                raise KioskError(key="wire.odk_finalized_other", params={"id": submission_id})
    return store.finalize(document, device=device, agency_jwk={}, demo=False,
                          draft_id=draft_id, submission_id=submission_id,
                          sealer=make_sealer(meta, questions, store,
                                             deprecated_id=deprecated_id),
                          destination=destination or current_destination(store))
