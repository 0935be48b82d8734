"""One sync round: prove the server, pull the catalog, push each destination's outbox.

The engine knows destinations only through the port (kiosk.destination): each picks
the due items it owns, delivers a batch and classifies every reply; the one retry
policy (sync.retry) writes the outcomes. kiosk-central (sync.central_destination)
is the primary destination when the kiosk is enrolled; others (an ODK server,
sync.odk.deliver) are delivered every round, even when kiosk-central is out of reach,
and their trouble never changes the round's state.

For kiosk-central, a submission is acknowledged only on a server-signed receipt that
verifies with the pinned key and vouches for exactly its bytes (after its attachments
were confirmed complete). Everything else is classified:

- nothing sent (link down): no item is touched; the round stops ``offline``;
- outcome unknown (reset, timeout, bad/truncated/HTML reply): the batch is due
  again soon with the same bytes — the server's dedup answers ``duplicate``;
- server busy (5xx, 408, 429): exponential backoff with full jitter, per item,
  persisted in the store (``next_attempt_at``), so a restart does not hammer;
- held (the server cannot take it now for an operator-fixable reason): kept, slow
  schedule, at once on "send again";
- definitive refusal (other 4xx, ``conflict``, per-item ``rejected``): the item
  is marked rejected with the reason for staff;
- the server refusing the device (unknown, revoked): stop sending, say so.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kiosk.destination import Destination
from kiosk.errors import ConfigError, KioskError, SecurityError
from kiosk.paths import Home
from sync.central_destination import (
    CLIENT_MAX_BATCH_BYTES,
    CLIENT_MAX_BATCH_ITEMS,
    CentralDestination,
)
from sync.client import AuthRefused, CentralClient, OutcomeUnknown, Refused, ServerBusy, SyncError
from sync.report import RoundReport
from sync.retry import RetryPolicy, full_jitter
from sync.state import RoundState, SyncState, load_state, save_state

if TYPE_CHECKING:
    from kiosk.store import Store

__all__ = ["CLIENT_MAX_BATCH_BYTES", "CLIENT_MAX_BATCH_ITEMS", "RoundReport", "SyncEngine",
           "full_jitter", "sync_state"]

log = logging.getLogger("sync.engine")
_STOPS = (SyncError, AuthRefused, SecurityError)


class SyncEngine:
    """``client`` None: no kiosk-central enrolment, the first of ``destinations`` is
    the primary one (an ODK-only kiosk)."""

    def __init__(
        self,
        home: Home,
        store: Store,
        client: CentralClient | None,
        *,
        device_id: str = "",
        pull_catalog: bool = True,
        max_batch_bytes: int = CLIENT_MAX_BATCH_BYTES,
        max_batch_items: int = CLIENT_MAX_BATCH_ITEMS,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        one_per_request: bool = False,
        destinations: Sequence[Destination] = (),
    ) -> None:
        self.home = home
        self.store = store
        self.pull_catalog = pull_catalog
        self.clock = clock
        self.policy = RetryPolicy(clock=clock, rng=rng)
        self.central = None if client is None else CentralDestination(
            client, store, device_id=device_id, max_batch_bytes=max_batch_bytes,
            max_batch_items=max_batch_items, one_per_request=one_per_request, home=home)
        self.destinations: list[Destination] = list(destinations)
        if self.central is None and not self.destinations:
            raise ValueError("a sync engine needs at least one destination")

    @property
    def client(self) -> CentralClient:
        """kiosk-central's client (ConfigError on a kiosk not enrolled with one)."""
        if self.central is None:
            raise ConfigError(key="errors.not_enrolled")
        return self.central.client

    @client.setter
    def client(self, client: CentralClient) -> None:
        if self.central is None:
            raise ConfigError(key="errors.not_enrolled")
        self.central.client = client

    def close(self) -> None:
        for dest in self._all():
            dest.close()

    def _all(self) -> list[Destination]:
        return ([self.central] if self.central is not None else []) + self.destinations

    # -- one round -------------------------------------------------------------
    def run_once(self, *, deadline: float | None = None) -> RoundReport:
        report = RoundReport()
        if self.central is None:
            return self._round_without_central(report, deadline)
        client = self.central.client
        state = load_state(self.home)
        state.last_attempt_at = self.clock()
        if client.state.link_bytes_per_s is None and state.link_bytes_per_s:
            client.state.link_bytes_per_s = float(state.link_bytes_per_s)
        requests_before = client.state.requests
        self._primary_round(report, deadline, state)
        for dest in self.destinations:  # never stops or changes the round
            if self.pull_catalog:  # their forms, when due: outside kiosk-central's round
                self._refresh_quietly(dest)
            self._deliver_quietly(dest, report, deadline)
        report.skew_seconds = client.state.skew_seconds
        report.requests += client.state.requests - requests_before
        self._end_round(report)
        self._save(state, report)
        return report

    def _end_round(self, report: RoundReport) -> None:
        """Retention after every round (acknowledged items purged on schedule, not
        only when the window starts), then the counts the report shows."""
        apply = getattr(self.store, "apply_retention", None)
        if apply is not None:
            try:
                apply()
            except Exception as exc:  # noqa: BLE001 - retention never fails a round
                log.warning("retention after the round: %s", type(exc).__name__)
        report.counts = self.store.counts()

    def _primary_round(self, report: RoundReport, deadline: float | None,
                       state: SyncState) -> None:
        assert self.central is not None
        try:
            self.central.client.health()
            if self.pull_catalog:
                report.catalog = self.central.refresh_forms()
            self._push(self.central, report, deadline)
            self._report_audit_head(report)
        except _STOPS as exc:
            self._stopped(report, exc)
            state.auth_failed = state.auth_failed or isinstance(exc, AuthRefused)

    def _round_without_central(self, report: RoundReport, deadline: float | None) -> RoundReport:
        """A kiosk that delivers only to other destinations (``kiosk odk connect``)."""
        primary, *others = self.destinations
        state = load_state(self.home)
        state.last_attempt_at = self.clock()
        try:
            if self.pull_catalog:
                report.catalog = primary.refresh_forms()
            self._push(primary, report, deadline)
        except (SyncError, AuthRefused) as exc:  # each error class names its round state
            self._stopped(report, exc)
        for dest in others:
            self._deliver_quietly(dest, report, deadline)
        self._end_round(report)
        self._save(state, report)  # doctor and status see an ODK-only kiosk's rounds too
        return report

    @staticmethod
    def _stopped(report: RoundReport, exc: BaseException) -> None:
        kind = getattr(exc, "kind", None)
        report.state = RoundState(kind) if kind else RoundState.SECURITY
        report.error = str(exc)
        if isinstance(exc, KioskError) and exc.key:
            report.error_key = exc.key
            report.error_params = {name: str(value) for name, value in exc.params.items()}

    def _save(self, state: SyncState, report: RoundReport) -> None:
        state.state = report.state
        state.skew_seconds = report.skew_seconds
        if self.central is not None:
            state.link_bytes_per_s = self.central.client.state.link_bytes_per_s
        if report.state == RoundState.OK:
            state.last_success_at = self.clock()
            state.auth_failed = False
        else:
            state.last_error, state.last_error_at = report.error, self.clock()
        save_state(self.home, state)
        if report.error:
            log.warning("sync round: %s: %s", report.state, report.error)

    @staticmethod
    def _refresh_quietly(dest: Destination) -> None:
        """A secondary destination's form pull: whatever its server sends, the round goes
        on (the destination bounds and reports its own pull)."""
        try:
            dest.refresh_forms()
        except (*_STOPS, OSError, RecursionError, MemoryError, ValueError) as exc:
            log.warning("%s forms not updated: %s", dest.key.kind.value, type(exc).__name__)

    def _deliver_quietly(self, dest: Destination, report: RoundReport,
                         deadline: float | None) -> None:
        """A secondary destination's due items: its trouble is logged, the round's state
        stays the primary's."""
        try:
            self._push(dest, report, deadline)
        except _STOPS as exc:
            log.warning("%s delivery: %s", dest.key.kind.value, exc)

    def _push(self, dest: Destination, report: RoundReport, deadline: float | None) -> None:
        """Batches of ``dest``'s due items until none is due (or the deadline)."""
        while deadline is None or self.clock() < deadline:
            batch = dest.due(self.store, self.clock(), dest.limits())
            if not batch:
                return
            done = dest.deliver(batch)
            report.sent += done.sent
            report.requests += done.requests
            attempts = {item.id: item.attempts for item in batch}
            self.policy.record(self.store, done.results, attempts, report)
            if done.stop is not None:
                raise done.stop

    def _report_audit_head(self, report: RoundReport) -> None:
        """The audit log's end, to the server (which refuses one that went backwards)."""
        head_of = getattr(self.store, "audit_head", None)
        if head_of is None or self.central is None:
            return
        try:
            self.central.client.report_audit_head(head_of())
            report.audit_head = "reported"
        except Refused as exc:
            if exc.code == "audit-regressed":
                report.audit_head = "regressed"
                log.error("the server says this kiosk's audit log went backwards: %s", exc)
            else:  # an older server without the route: nothing to anchor to
                report.audit_head = "unsupported"
        except (OutcomeUnknown, ServerBusy) as exc:
            report.audit_head = "not-reported"
            log.warning("audit head not reported: %s", exc)


def sync_state(home: Home) -> SyncState:
    return load_state(home)
