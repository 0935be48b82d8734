"""What the UI asks of the core, in one place: catalog, drafts, finalize, staff data.

Every method here that touches the database or the keyring is called on the
Bridge's single DB worker thread (never on the GUI thread); the methods take
and return plain data, never widgets. When a part of the core is missing from
a build, the matching capability degrades in the open (``store_available``
is False and staff see it) instead of failing a resident.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.config import Config
from kiosk.paths import Home, bundled_catalog_dir

if TYPE_CHECKING:
    from kiosk.device import DeviceIdentity
    from kiosk.forms import FormSession
    from kiosk.pin import PinCheck
    from kiosk.store import Store

log = logging.getLogger("kiosk.ui.services")


@dataclass
class StaffSnapshot:
    counts: dict[str, int] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (number, reason)
    drafts: list[dict[str, str]] = field(default_factory=list)  # id, form_id, when
    store_available: bool = True
    # the ODK server connection (token masked) and its submissions by state, if connected
    odk: dict[str, Any] | None = None
    # held submissions (kiosk.store.HeldItem: id, form, reason code, detail), oldest first
    held: list[Any] = field(default_factory=list)


class DoctorRun(Protocol):
    """How the staff screen runs the doctor (app.doctor.run_checks fits)."""

    def __call__(self, home: Home, config: Config, *, lang: str | None = None) -> list[Any]: ...


class Services:
    def __init__(self, home: Home, config: Config, doctor: DoctorRun | None = None) -> None:
        self.home = home
        self.config = config
        self._doctor = doctor  # app.doctor.run_checks, handed in by the composition root
        self._store: Store | None = None
        self._device: DeviceIdentity | None = None
        self._lock = threading.Lock()
        self._catalog: Any = None
        self._catalog_lock = threading.Lock()
        self.index: Any = None
        self.last_receipt: Any = None
        self.enrolled = False
        self.odk: dict[str, Any] | None = None  # sync.odk.connection describe(), if connected
        # Why answers could not be kept safely here (no usable keyring, fallback without its
        # passphrase, …): while set, residents are not offered forms they could not save.
        self.secrets_problem: str | None = None

    # -- catalog --------------------------------------------------------------------
    # The home screen is drawn from a light index (titles, categories, icons read as
    # plain JSON); the full load — schema checks and compiled expressions — runs on a
    # worker right after the first paint. Whoever needs it first waits for it.
    def catalog_folder(self) -> Path:
        """As kiosk.forms.active_catalog_dir, without importing the engine at start-up."""
        if self.config.catalog_dir:
            return Path(self.config.catalog_dir).expanduser()
        if (Path(self.home.catalog) / "catalog.json").is_file():
            return Path(self.home.catalog)
        return bundled_catalog_dir()

    def load_index(self) -> Any:
        folder = self.catalog_folder()
        try:
            data = json.loads((folder / "catalog.json").read_text(encoding="utf-8"))
            categories = [SimpleNamespace(id=c["id"], title=c.get("title", {}), icon=c.get("icon", ""))
                          for c in data.get("categories", [])]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            categories = []
        order = {c.id: i for i, c in enumerate(categories)}
        forms = []
        for file in sorted((folder / "forms").glob("*.json")):
            try:
                raw = json.loads(file.read_text(encoding="utf-8"))
                forms.append(SimpleNamespace(id=str(raw["id"]), title=raw.get("title", {}),
                                             category=raw.get("category", ""), icon=raw.get("icon", "")))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # the full load reports it to staff
        forms += self._local_index()
        forms.sort(key=lambda f: (order.get(f.category, len(order)), _mn(f.title)))
        self.index = SimpleNamespace(folder=folder, forms={f.id: f for f in forms},
                                     categories=categories, problems=[])
        return self.index

    def _local_index(self) -> list[SimpleNamespace]:
        """Imported (XLSForm/XForm) forms of the data folder, from their meta.json only
        (kiosk.forms.local_catalog writes it), so the home screen needs no engine."""
        out = []
        folder = Path(self.home.local_forms)
        for meta_file in sorted(folder.glob("*/meta.json")) if folder.is_dir() else []:
            try:
                raw = json.loads(meta_file.read_text(encoding="utf-8"))
                out.append(SimpleNamespace(id=str(raw["id"]), title=raw.get("title", {}),
                                           category=raw.get("category", ""), icon=raw.get("icon", "")))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # the full load reports it to staff
        return out

    def load_catalog(self) -> Any:
        """The full catalog (any thread; loaded once), imported forms included."""
        with self._catalog_lock:
            if self._catalog is None:
                from kiosk.forms import load_catalog

                self._catalog = load_catalog(self.catalog_folder(), self.home.local_forms)
            return self._catalog

    @property
    def catalog(self) -> Any:
        return self._catalog if self._catalog is not None else self.load_catalog()

    @catalog.setter
    def catalog(self, value: Any) -> None:
        self._catalog = value

    def home_catalog(self) -> Any:
        """What the home screen shows: the full catalog once loaded, else the index."""
        return self._catalog if self._catalog is not None else (self.index or self.load_index())

    def form(self, form_id: str) -> Any:
        from kiosk.errors import NotFoundError

        try:
            return self.catalog.form(form_id)
        except NotFoundError:
            # a form its ODK server withdrew: not offered any more, but its drafts can be
            # finished (and then delivered: the server may still take them)
            from sync.odk.catalog import withdrawn_form

            form = withdrawn_form(self.home, form_id)
            if form is None:
                raise
            return form

    def new_session(self, form_id: str, lang: str) -> Any:
        from kiosk.forms import FormSession

        return FormSession(self.form(form_id), lang=lang)

    def check_secrets(self) -> str | None:
        """Whether drafts can be encrypted here: the data key must be readable (DB worker)."""
        if not self.store_available:
            return None
        from kiosk.errors import KioskError
        from kiosk.secrets import open_secrets

        try:
            open_secrets(self.home.root, interactive=False)  # never a prompt in the kiosk UI
            self.store().check_data_key()  # the key must also open what is already stored
        except KioskError as exc:
            log.error("secrets unusable: %s", type(exc).__name__)
            self.secrets_problem = exc.message
        else:
            self.secrets_problem = None
        return self.secrets_problem

    def check_enrolled(self) -> bool:
        """Whether the kiosk holds an enrolment (keyring read: DB worker)."""
        try:
            from kiosk.secrets import open_secrets
            from sync.enrol import load_enrolment

            self.enrolled = load_enrolment(open_secrets(self.home.root)) is not None
        except Exception as exc:  # noqa: BLE001 - unknown means "not enrolled": DEMO shown
            log.warning("enrolment check failed: %s", type(exc).__name__)
            self.enrolled = False
        return self.enrolled

    # -- store (DB worker thread only) -----------------------------------------------
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                from kiosk.store import Store

                self._store = Store.open(self.home)
            return self._store

    @property
    def store_available(self) -> bool:
        import importlib.util

        return importlib.util.find_spec("kiosk.store") is not None

    def startup(self) -> int:
        """Drafts left open by a crash or power cut become 'interrupted' (staff can resume)."""
        if not self.store_available:
            return 0
        return int(self.store().mark_open_drafts_interrupted())

    def save_draft(self, draft_id: str | None, form: Any, answers: dict[str, Any],
                   position: str, attachments: dict[str, tuple[bytes, str, str]],
                   demo: bool, kept: dict[str, Any] | None = None) -> tuple[str, set[str]]:
        """Save the draft; new attachments (sha256 -> (bytes, name, media type)) are
        encrypted into the store too. ``kept``: FormSession.kept(), resumed with it.

        Returns the draft ID and the SHA-256 of each attachment now stored.
        """
        if not self.store_available:
            return draft_id or "memory", set(attachments)
        store = self.store()
        draft_id = store.save_draft(draft_id, form_id=form.id, form_version=form.version,
                                    answers=answers, position=position, demo=demo, kept=kept)
        stored: set[str] = set()
        for sha, (data, name, media_type) in attachments.items():
            store.add_attachment(draft_id, data, name=name, media_type=media_type,
                                 max_bytes=self.config.max_attachment_kb * 1024)
            stored.add(sha)
        return draft_id, stored

    def discard_draft(self, draft_id: str | None, reason: str = "discarded") -> None:
        if draft_id and self.store_available and draft_id != "memory":
            self.store().discard_draft(draft_id, reason=reason)

    def device(self) -> DeviceIdentity:
        if self._device is None:
            from kiosk.device import load_or_create_device

            self._device = load_or_create_device(self.store().secrets())
        return self._device

    def finalize(self, draft_id: str | None, session: FormSession) -> dict[str, Any]:
        """Validate, seal and store in one transaction (kiosk.finalize); receipt fields back."""
        from kiosk.finalize import finalize_session
        from sync.odk.deliver import OdkDelivery

        store = self.store()
        env = finalize_session(store, session, self.catalog, draft_id=draft_id, device=self.device(),
                               destination=OdkDelivery(store, None))  # seals ODK forms
        submission_id = env.submission_id
        qr = self.store().receipt_qr(submission_id)
        finalized_at = str(getattr(env, "finalized_at", "") or _now_iso())
        demo = bool(getattr(env, "demo", False))
        # A form for its own ODK server, on a kiosk with no ODK connection, stays sealed here
        # until staff connect, send or export it: its receipt must not promise a sending.
        kept = session.form.odk is not None and not session.form.agency and not self.check_odk()
        return {"submission_id": submission_id, "qr_text": qr, "finalized_at": finalized_at, "demo": demo,
                "kept": kept}

    def device_public_jwk(self) -> dict[str, Any]:
        return dict(self.device().public_jwk)

    # -- staff ------------------------------------------------------------------------
    def check_odk(self) -> bool:
        """Whether this kiosk delivers to an ODK server (`kiosk odk connect`)."""
        try:
            from kiosk.secrets import open_secrets
            from sync.odk.connection import load

            conn = load(open_secrets(self.home.root, interactive=False))
        except Exception:  # noqa: BLE001 - no ODK connection is read as "not connected"
            conn = None
        self.odk = conn.describe() if conn is not None else None
        return self.odk is not None

    def _odk_snapshot(self, store: Any) -> dict[str, Any] | None:
        if self.odk is None:
            return None
        from kiosk.destination import DestinationKind

        counts = {k: n for k, n in store.counts_for(DestinationKind.ODK).items() if n}
        return {**self.odk, "counts": counts}

    def staff_snapshot(self) -> StaffSnapshot:
        if not self.store_available:
            return StaffSnapshot(store_available=False)
        store = self.store()
        snap = StaffSnapshot()
        snap.counts = dict(store.counts())
        snap.drafts = [
            {"id": d.id, "form_id": d.form_id, "when": d.updated_at}
            for d in store.interrupted_drafts()
        ]
        try:
            rejected = store.submissions("rejected")
        except Exception:  # noqa: BLE001 - figures still useful without this list
            rejected = []
        for row in rejected:
            snap.failed.append((str(row.get("id", "")), str(row.get("reason") or row.get("last_error") or "")))
        last = store.last_error() if hasattr(store, "last_error") else None
        if last:
            snap.failed.append(("—", str(last)))
        snap.odk = self._odk_snapshot(store)
        snap.held = list(store.held_items())
        return snap

    def send_again(self) -> int:
        """Staff's "send again": every held submission is due at once (DB worker thread;
        then wake the sync loop). Returns how many."""
        if not self.store_available:
            return 0
        return self.store().send_again()

    def latest_receipt(self) -> dict[str, Any] | None:
        """The newest submission's receipt fields (for "reprint"), or None."""
        if not self.store_available:
            return None
        rows = self.store().submissions(limit=1)
        if not rows or not rows[0].get("receipt_qr"):
            return None
        row = rows[0]
        return {"submission_id": row["id"], "qr_text": row["receipt_qr"], "finalized_at": row["finalized_at"],
                "demo": bool(row["demo"]), "form_id": row["form_id"]}

    def resume_draft(self, draft_id: str) -> tuple[str, dict[str, Any], Any, dict[str, Any]]:
        """(form ID, answers, position, kept values) of a draft staff resume."""
        draft = self.store().resume_draft(draft_id)
        return draft.info.form_id, draft.answers, draft.position, draft.kept

    def doctor(self, lang: str | None = None) -> list[Any]:
        """The doctor's checks, worded in ``lang`` (the staff screen's language); none when
        the composition root handed no doctor in (a bare window in a test)."""
        if self._doctor is None:
            return []
        return list(self._doctor(self.home, self.config, lang=lang))

    def check_pin(self, pin: str) -> PinCheck:
        """The staff PIN attempt's outcome (wrong, locked for how long, not set)."""
        from kiosk.pin import check_for_ui

        return check_for_ui(self.store(), pin)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def _mn(texts: Any) -> str:
    if isinstance(texts, dict):
        return str(texts.get("mn") or next(iter(texts.values()), ""))
    return str(texts or "")


def _now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
