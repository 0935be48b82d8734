"""The destination port: where a finalized submission goes, and what its server said.

Why a port in the core: a kiosk delivers to more than one kind of server (kiosk-central
with JOSE batches, an ODK server over OpenRosa). Each kind seals a document its own
way, owns its own outbox rows, delivers its own batches and classifies its own replies; the
core (finalize, the store) and the engine only ever speak this vocabulary. Adapters
live in ``sync/`` (``sync.central_destination``, ``sync.odk.destination``); the
composition root passes them in, so the core never imports them.

Every reply of every destination is classified into one of four outcomes
(DESIGN.md §3): ACKNOWLEDGED (the server has it), RETRY (try again soon: transport,
busy, outcome unknown), HELD (the server cannot take it now for a reason an operator
can fix; kept, retried on a slow schedule and at once on "send again") and REJECTED
(the server says this exact submission is wrong for ever).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.errors import ConfigError
from kiosk.store.states import ODK_AGENCY_KID, DestinationKind

if TYPE_CHECKING:
    from kiosk.device import DeviceIdentity
    from kiosk.envelope import SealedEnvelope
    from kiosk.forms.model import FormDef
    from kiosk.store import Store
    from kiosk.store.outbox import OutboxItem

__all__ = ["ODK_AGENCY_KID", "BatchLimits", "Delivered", "Destination", "DestinationKey",
           "DestinationKind", "ItemResult", "NoDestination", "Outcome", "Reason", "held_summary",
           "held_words"]


class Outcome(Enum):
    ACKNOWLEDGED = "acknowledged"
    RETRY = "retry"
    HELD = "held"
    REJECTED = "rejected"


class Reason(StrEnum):
    """Why an item got its outcome: a code staff screens and tests match on (the
    detail text is for people only). One vocabulary for every destination; a held
    reason's words for staff are ``store.held_<value>`` in the translation catalog."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    # RETRY
    OUTCOME_UNKNOWN = "outcome-unknown"  # reset, timeout, bad reply: same bytes soon
    OFFLINE = "offline"
    SERVER_BUSY = "server-busy"  # 5xx, 408, 429
    NOT_READY = "not-ready"  # the server asks for it again later (attachments pending)
    NOT_CONNECTED = "not-connected"  # no connection configured for the destination
    AUTH_REFUSED = "auth-refused"
    INTERNAL = "internal"  # a local bug or failure: keep the item, try later
    # HELD (issue 20 maps the servers' replies onto these: sync.odk.problems)
    FORM_CLOSED = "form-closed"
    FORM_UNKNOWN = "form-unknown"  # deleted (restorable on Central), never there
    FORM_VERSION_UNKNOWN = "form-version-unknown"
    NOT_ASSIGNED = "not-assigned"
    PROJECT_GONE = "project-gone"
    QUOTA = "quota"
    TOO_LARGE = "too-large"
    DELETED_ON_SERVER = "deleted-on-server"  # staff deleted this submission on the server
    EDITED_ON_SERVER = "edited-on-server"
    SERVER_SETUP = "server-setup"  # HTTPS only, a redirect, an auth method not allowed
    UNKNOWN_REFUSAL = "unknown-refusal"  # a refusal we cannot read: held, never rejected
    # REJECTED
    CONFLICT = "conflict"  # same ID, other content
    REFUSED = "refused"  # a definitive refusal of this submission
    ATTACHMENT_REFUSED = "attachment-refused"
    UNREADABLE = "unreadable"  # the stored submission cannot be opened


def held_words(reason: str, lang: str) -> str:
    """A held reason code in plain words for staff (mn/en); an unknown code as is."""
    from kiosk.i18n import t

    key = f"store.held_{reason}"
    text = t(key, lang)
    return reason if text == key else text


def held_summary(by_reason: dict[str, int], lang: str) -> str:
    """"reason words: count; …" for status, doctor and the staff screen."""
    from kiosk.i18n import t

    return "; ".join(t("store.status_held_reason", lang, reason=held_words(r, lang), count=n)
                     for r, n in sorted(by_reason.items()))


@dataclass(frozen=True)
class DestinationKey:
    """Names a destination: its kind, server and project ("" where it has none)."""

    kind: DestinationKind
    server: str = ""
    project: str = ""


@dataclass(frozen=True)
class ItemResult:
    """One item's outcome after a delivery attempt (or a refusal before it)."""

    submission_id: str
    outcome: Outcome
    reason: Reason
    detail: str = ""  # for staff and logs; never personal data
    retry_after: float | None = None  # seconds the server asked us to wait
    receipt: dict[str, Any] | None = None  # the server's receipt (ACKNOWLEDGED only)


@dataclass(frozen=True)
class BatchLimits:
    max_bytes: int
    max_items: int


class Destination(Protocol):
    """A place submissions are delivered to (an adapter in ``sync/``)."""

    @property
    def key(self) -> DestinationKey: ...

    def seal(self, store: Store, form: FormDef, document: dict[str, Any], *,
             device: DeviceIdentity, draft_id: str | None = None,
             submission_id: str | None = None) -> SealedEnvelope:
        """Seal a validated document for this destination and store it (one
        transaction, exactly once by ID: ``Store.finalize``)."""
        ...

    def due(self, store: Store, now: float, limits: BatchLimits) -> list[OutboxItem]:
        """The due items this destination owns, oldest first (through the store)."""
        ...

    def refresh_forms(self) -> dict[str, Any] | None:
        """The destination's forms/catalog when due (a report, or None: not due)."""
        ...

    def close(self) -> None: ...

    def limits(self) -> BatchLimits:
        """How much one ``deliver`` call takes now (may change with the link)."""
        ...

    def deliver(self, batch: Sequence[OutboxItem]) -> Delivered:
        """Send a batch; a result for each item that got an outcome (the caller
        writes them to the store through the one retry policy)."""
        ...


@dataclass
class Delivered:
    """What one ``deliver`` did: ``results`` to record, how many items went on the
    wire (and in how many requests, where the adapter counts them), and the error that stops the round (link down, refused …) if any — raised
    by the caller after the results are recorded."""

    results: list[ItemResult]
    sent: int = 0
    requests: int = 0  # HTTP requests this delivery made (a round's report sums them)
    stop: BaseException | None = None


class NoDestination(ConfigError):
    """A form needs a destination the caller did not pass (e.g. an ODK form sealed
    without the ODK adapter)."""

    def __init__(self, form_id: str, kind: DestinationKind) -> None:
        super().__init__(key="core.no_destination", params={"form_id": form_id, "kind": kind.value})
        self.form_id = form_id
        self.kind = kind
