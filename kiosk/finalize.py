"""Finalize from the forms engine: FormSession → validated document → store.

The store does the one-transaction part (kiosk.store.outbox); this module
joins it to the catalog: the agency the form names gives the encryption key
and whether the submission is DEMO. A form made for another destination (an ODK
server's form) is sealed by that destination (kiosk.destination), which the caller
passes in: the core never imports the adapters. Used by the UI, ``kiosk fill`` and
the self-test, so all three seal exactly the same way.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.destination import Destination, DestinationKind, NoDestination
from kiosk.device import DeviceIdentity, load_or_create_device
from kiosk.envelope import SealedEnvelope
from kiosk.errors import ConfigError, KioskError, StorageError

if TYPE_CHECKING:
    from kiosk.forms import Catalog, FormSession
    from kiosk.store import Store

log = logging.getLogger("kiosk.store")


def agency_key(catalog: Catalog, agency_id: str) -> tuple[dict[str, Any], bool]:
    """(public encryption JWK, demo?) of an agency in the catalog."""
    agency = catalog.agencies.get(agency_id)
    if agency is None:
        raise ConfigError(key="core.agency_unknown",
                          params={"agency": agency_id, "folder": catalog.folder})
    for key in agency.keys:
        if key.get("use", "enc") == "enc":
            return key, bool(agency.demo)
    raise ConfigError(key="core.agency_no_key", params={"agency": agency_id})


def finalize_session(
    store: Store,
    session: FormSession,
    catalog: Catalog,
    *,
    draft_id: str | None = None,
    submission_id: str | None = None,
    device: DeviceIdentity | None = None,
    destination: Destination | None = None,
) -> SealedEnvelope:
    """Validate (FormSession.document()), seal and store in one transaction.

    A form from an ODK server is sealed by ``destination`` (the ODK adapter; without
    it: NoDestination); every other form for its agency (kiosk-central)."""
    document = session.document()  # raises KioskError naming the first bad question
    device = device or load_or_create_device(store.secrets())
    if session.form.odk is not None and not session.form.agency:
        if destination is None or destination.key.kind is not DestinationKind.ODK:
            raise NoDestination(session.form.id, DestinationKind.ODK)
        return destination.seal(store, session.form, document, device=device,
                                draft_id=draft_id, submission_id=submission_id)
    return seal_for_agency(store, catalog, session.form.agency, document, device=device,
                           draft_id=draft_id, submission_id=submission_id)


def seal_for_agency(store: Store, catalog: Catalog, agency_id: str, document: dict[str, Any],
                    *, device: DeviceIdentity, draft_id: str | None = None,
                    submission_id: str | None = None) -> SealedEnvelope:
    """Seal a validated document for an agency of the catalog (kiosk-central)."""
    jwk, demo = agency_key(catalog, agency_id)
    return store.finalize(
        document,
        device=device,
        agency_jwk=jwk,
        demo=demo,
        draft_id=draft_id,
        submission_id=submission_id,
    )


def fill_from_file(
    store: Store,
    catalog: Catalog,
    form_id: str,
    answers_path: Path,
    *,
    lang: str = "mn",
    default_max_kb: int = 4096,
    location: str = "",
    destination: Destination | None = None,
) -> SealedEnvelope:
    """Headless fill + finalize (``kiosk fill``): files are encrypted into the store.
    ``location`` (the config's) answers location questions the file leaves out;
    ``destination`` seals a form made for one (see ``finalize_session``)."""
    from kiosk.forms import FormSession, answers_from_file, check_attachment
    from kiosk.store import DraftKeptError, uuid7

    form = catalog.form(form_id)
    draft_id = uuid7()

    def attach(question: Any, path: Path) -> dict[str, Any]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KioskError(key="core.attachment_unreadable",
                            params={"path": path, "reason": exc.strerror}) from None
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        problem = check_attachment(question, len(data), media_type, lang, default_max_kb)
        if problem:
            raise KioskError(key="core.attachment_refused",
                            params={"question": question.name, "problem": problem})
        limit = (question.max_size_kb or default_max_kb) * 1024
        return store.add_attachment(
            draft_id, data, name=path.name, media_type=media_type, max_bytes=limit
        )

    try:
        answers = answers_from_file(form, answers_path, attach)
        session = FormSession(form, lang=lang)
        unknown = session.restore(answers)
        if unknown:
            raise KioskError(key="core.answer_not_a_question", params={
                "path": answers_path, "name": unknown[0], "form_id": form_id})
        if location:
            from kiosk.forms.kiosk_location import answer_locations

            answer_locations(session, location)
        return finalize_session(store, session, catalog, draft_id=draft_id,
                                destination=destination)
    except BaseException as exc:
        try:
            store.discard_draft(draft_id)  # drop captured files of a fill that failed
        except StorageError:
            pass  # the disk is failing: the next start removes the orphaned rows
        if isinstance(exc, DraftKeptError):
            # `fill` keeps no draft: say what is true (nothing saved; run it again)
            raise StorageError(key="trust.fill_not_saved", params={"cause": exc.cause}) from None
        raise
