"""Finalize from the forms engine: FormSession → validated document → store.

The store does the one-transaction part (kiosk.store.outbox); this module
joins it to the catalog: the agency the form names gives the encryption key
and whether the submission is DEMO. Used by the UI, ``kiosk fill`` and the
self-test, so all three seal exactly the same way.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.device import DeviceIdentity, load_or_create_device
from kiosk.envelope import SealedEnvelope
from kiosk.errors import ConfigError, KioskError, StorageError
from kiosk.i18n import t

if TYPE_CHECKING:
    from kiosk.forms import Catalog, FormSession
    from kiosk.store import Store

log = logging.getLogger("kiosk.store")


def agency_key(catalog: Catalog, agency_id: str) -> tuple[dict[str, Any], bool]:
    """(public encryption JWK, demo?) of an agency in the catalog."""
    agency = catalog.agencies.get(agency_id)
    if agency is None:
        raise ConfigError(f"agency {agency_id!r} is not in the catalog at {catalog.folder}")
    for key in agency.keys:
        if key.get("use", "enc") == "enc":
            return key, bool(agency.demo)
    raise ConfigError(f"agency {agency_id!r} has no encryption key in the catalog")


def finalize_session(
    store: Store,
    session: FormSession,
    catalog: Catalog,
    *,
    draft_id: str | None = None,
    submission_id: str | None = None,
    device: DeviceIdentity | None = None,
) -> SealedEnvelope:
    """Validate (FormSession.document()), seal and store in one transaction."""
    document = session.document()  # raises KioskError naming the first bad question
    if session.form.odk is not None and not session.form.agency:
        # a form from an ODK server: sealed for OpenRosa delivery (sync.odk, found by name
        # so the core does not import sync statically)
        import importlib

        device = device or load_or_create_device(store.secrets())
        odk_seal = importlib.import_module("sync.odk.seal")
        return odk_seal.finalize_form(store, session.form, document, device=device,  # type: ignore[no-any-return]
                                      draft_id=draft_id, submission_id=submission_id)
    jwk, demo = agency_key(catalog, session.form.agency)
    device = device or load_or_create_device(store.secrets())
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
) -> SealedEnvelope:
    """Headless fill + finalize (``kiosk fill``): files are encrypted into the store.
    ``location`` (the config's) answers location questions the file leaves out."""
    from kiosk.forms import FormSession, answers_from_file, check_attachment
    from kiosk.store import uuid7

    form = catalog.form(form_id)
    draft_id = uuid7()

    def attach(question: Any, path: Path) -> dict[str, Any]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KioskError(f"{path}: cannot read attachment ({exc.strerror})") from None
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        problem = check_attachment(question, len(data), media_type, lang, default_max_kb)
        if problem:
            raise KioskError(f"{question.name}: {problem}")
        limit = (question.max_size_kb or default_max_kb) * 1024
        return store.add_attachment(
            draft_id, data, name=path.name, media_type=media_type, max_bytes=limit
        )

    try:
        answers = answers_from_file(form, answers_path, attach)
        session = FormSession(form, lang=lang)
        unknown = session.restore(answers)
        if unknown:
            raise KioskError(f"{answers_path}: {unknown[0]}: not a question of form {form_id}")
        if location:
            from kiosk.forms.kiosk_location import answer_locations

            answer_locations(session, location)
        return finalize_session(store, session, catalog, draft_id=draft_id)
    except BaseException as exc:
        try:
            store.discard_draft(draft_id)  # drop captured files of a fill that failed
        except StorageError:
            pass  # the disk is failing: the next start removes the orphaned rows
        if isinstance(exc, StorageError) and "draft is kept" in exc.message:
            # `fill` keeps no draft: say what is true (nothing saved; run it again)
            cause = exc.message.split(";")[0]
            raise StorageError(t("trust.fill_not_saved", lang, cause=cause)) from None
        raise
