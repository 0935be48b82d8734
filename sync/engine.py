"""One sync round: prove the server, pull the catalog, push the outbox in batches.

A submission is acknowledged only on a server-signed receipt that verifies
with the pinned key and vouches for exactly its bytes (after its attachments
were confirmed complete). Everything else is classified:

- nothing sent (link down): no item is touched; the round stops ``offline``;
- outcome unknown (reset, timeout, bad/truncated/HTML reply): the batch is due
  again soon with the same bytes — the server's dedup answers ``duplicate``;
- server busy (5xx, 408, 429): exponential backoff with full jitter, per item,
  persisted in the store (``next_attempt_at``), so a restart does not hammer;
- definitive refusal (other 4xx, ``conflict``, per-item ``rejected``): the item
  is marked rejected with the reason for staff;
- the server refusing the device (unknown, revoked): stop sending, say so.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.errors import KioskError, SecurityError
from kiosk.paths import Home
from sync.auth import verify_receipt
from sync.client import (
    AuthRefused,
    CentralClient,
    OutcomeUnknown,
    Refused,
    ServerBusy,
    SyncError,
)
from sync.state import SyncState, load_state, save_state

log = logging.getLogger("sync.engine")

CLIENT_MAX_BATCH_BYTES = 512 * 1024  # keeps one batch short on a 2G link
CLIENT_MAX_BATCH_ITEMS = 200
BUSY_BASE, BUSY_CAP = 5.0, 3600.0
UNKNOWN_BASE, UNKNOWN_CAP = 2.0, 60.0
PENDING_BASE, PENDING_CAP = 5.0, 300.0


class Outbox(Protocol):
    """The part of kiosk.store.Store the engine uses."""

    def next_batch(self, now: float | Any = None, max_bytes: int = ...,
                   max_items: int = ...) -> list[Any]: ...
    def mark_acknowledged(self, submission_id: str, receipt: dict[str, Any]) -> None: ...
    def mark_rejected(self, submission_id: str, reason: str) -> None: ...
    def schedule_retry(self, submission_id: str, error: str,
                       next_attempt_at: float | Any) -> None: ...
    def counts(self) -> dict[str, int]: ...
    def read_attachment(self, sha256: str) -> Any: ...


def full_jitter(attempts: int, base: float, cap: float, rng: Callable[[], float]) -> float:
    """AWS-style "full jitter": uniform in [0, min(cap, base·2^attempts)]."""
    return rng() * min(cap, base * (2 ** min(max(attempts, 0), 30)))


@dataclass
class RoundReport:
    state: str = "ok"
    error: str | None = None
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    retry: int = 0
    requests: int = 0
    catalog: dict[str, Any] | None = None
    skew_seconds: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    audit_head: str | None = None  # reported | regressed | not-reported | unsupported

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class SyncEngine:
    def __init__(
        self,
        home: Home,
        store: Outbox,
        client: CentralClient,
        *,
        device_id: str,
        pull_catalog: bool = True,
        max_batch_bytes: int = CLIENT_MAX_BATCH_BYTES,
        max_batch_items: int = CLIENT_MAX_BATCH_ITEMS,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        one_per_request: bool = False,
        odk: Any = None,
    ) -> None:
        self.home = home
        self.store = store
        self.client = client
        self.device_id = device_id
        self.pull_catalog = pull_catalog
        self.max_batch_bytes = max_batch_bytes
        self.max_batch_items = max_batch_items
        self.clock = clock
        self.rng = rng
        self.one_per_request = one_per_request
        self.odk = odk  # sync.odk.deliver.OdkDelivery: where ODK submissions go

    # -- one round -------------------------------------------------------------
    def run_once(self, *, deadline: float | None = None) -> RoundReport:
        report = RoundReport()
        state = load_state(self.home)
        state.last_attempt_at = self.clock()
        if self.client.state.link_bytes_per_s is None and state.link_bytes_per_s:
            self.client.state.link_bytes_per_s = float(state.link_bytes_per_s)
        requests_before = self.client.state.requests
        try:
            self.client.health()
            if self.pull_catalog:
                report.catalog = self._catalog()
                if self.odk is not None:  # the ODK server's forms, when due (sync.odk)
                    self.odk.maybe_pull_forms()
            self._push(report, deadline)
            self._report_audit_head(report)
        except AuthRefused as exc:
            report.state, report.error = "auth", str(exc)
            state.auth_failed = True
        except SyncError as exc:  # offline, captive portal, busy …: the class names the state
            report.state, report.error = exc.kind, str(exc)
        except SecurityError as exc:
            report.state, report.error = "security", str(exc)
        if report.state != "ok" and self.odk is not None:
            self._odk_alone(report, deadline)
        report.skew_seconds = self.client.state.skew_seconds
        report.requests = self.client.state.requests - requests_before
        report.counts = self.store.counts()
        state.state = report.state
        state.skew_seconds = report.skew_seconds
        state.link_bytes_per_s = self.client.state.link_bytes_per_s
        if report.state == "ok":
            state.last_success_at = self.clock()
            state.auth_failed = False
        else:
            state.last_error, state.last_error_at = report.error, self.clock()
        save_state(self.home, state)
        if report.error:
            log.warning("sync round: %s: %s", report.state, report.error)
        return report

    def _report_audit_head(self, report: RoundReport) -> None:
        """The audit log's end, to the server (which refuses one that went backwards)."""
        head_of = getattr(self.store, "audit_head", None)
        if head_of is None:
            return
        try:
            self.client.report_audit_head(head_of())
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

    def _catalog(self) -> dict[str, Any] | None:
        from sync.catalog_pull import pull_catalog

        try:
            return pull_catalog(self.home, self.client)
        except (OutcomeUnknown, Refused, SecurityError, OSError) as exc:
            if isinstance(exc, AuthRefused):
                raise
            log.warning("catalog not updated: %s", exc)
            return {"changed": False, "error": str(exc)}

    def _limits(self) -> tuple[int, int]:
        limits = self.client.state.limits
        max_bytes = min(self.max_batch_bytes, int(limits.get("max_batch_bytes", 1 << 30)) // 2)
        max_items = min(self.max_batch_items, int(limits.get("max_batch_items", 1 << 30)))
        if self.one_per_request:
            max_items = 1
        # on a slow link one batch is a few seconds of the measured rate (stall bound)
        max_bytes = self.client.bytes_per_request(max_bytes)
        return max(max_bytes, 1024), max(max_items, 1)

    def _push(self, report: RoundReport, deadline: float | None) -> None:
        while deadline is None or self.clock() < deadline:
            max_bytes, max_items = self._limits()  # the rate is re-measured by every batch
            batch = self.store.next_batch(self.clock(), max_bytes, max_items)
            if not batch:
                return
            batch = self._route(batch, report)
            if not batch:
                continue
            ready = [item for item in batch if self._attachments(item, report)]
            if not ready:
                continue
            self._send(ready, report)

    def _odk_alone(self, report: RoundReport, deadline: float | None) -> None:
        """kiosk-central is out of reach (or refused): the ODK server may not be, so its
        submissions still go this round; the round's state stays kiosk-central's."""
        odk = self.odk.run_once(deadline=deadline, pull_forms=False)
        for name in ("sent", "accepted", "duplicate", "rejected", "retry"):
            setattr(report, name, getattr(report, name) + getattr(odk, name))

    def _route(self, batch: list[Any], report: RoundReport) -> list[Any]:
        """Each submission to its destination: ODK ones (envelope ``odk1.``) over OpenRosa
        (sync.odk.deliver), the rest to kiosk-central as a JOSE batch."""
        from sync.odk.seal import is_odk

        if not any(is_odk(getattr(i, "jwe", "")) for i in batch):
            return batch
        from sync.odk.deliver import OdkDelivery

        odk = self.odk or OdkDelivery(self.store, None, clock=self.clock, rng=self.rng)
        return list(odk.route(batch, report))

    def _attachments(self, item: Any, report: RoundReport) -> bool:
        """Upload every blob of ``item`` (resuming); False = scheduled for later."""
        for att in item.attachments or []:
            digest = str(att["sha256"])
            try:
                blob = self.store.read_attachment(digest)
                self.client.upload_attachment(digest, bytes(blob.data))
            except (OutcomeUnknown, ServerBusy) as exc:
                self._retry([item], str(exc), UNKNOWN_BASE, UNKNOWN_CAP, report)
                raise
            except Refused as exc:
                self.store.mark_rejected(item.id, f"attachment refused: {exc}")
                report.rejected += 1
                return False
            except KioskError as exc:
                if isinstance(exc, SyncError | AuthRefused):
                    raise
                self.store.mark_rejected(item.id, f"attachment unavailable: {exc}")
                report.rejected += 1
                return False
        return True

    def _retry(self, items: list[Any], error: str, base: float, cap: float,
               report: RoundReport, *, at_least: float = 1.0) -> None:
        now = self.clock()
        at_least = min(at_least, BUSY_CAP)  # a server's Retry-After cannot park us for days
        for item in items:
            delay = max(at_least, full_jitter(item.attempts, base, cap, self.rng))
            self.store.schedule_retry(item.id, error, now + delay)
            report.retry += 1

    def _send(self, items: list[Any], report: RoundReport) -> None:
        payload = [{"submission_id": i.id, "record": i.record, "jwe": i.jwe} for i in items]
        try:
            results = self.client.submit(payload)
        except OutcomeUnknown as exc:
            self._retry(items, str(exc), UNKNOWN_BASE, UNKNOWN_CAP, report)
            raise
        except ServerBusy as exc:
            self._retry(items, str(exc), BUSY_BASE, BUSY_CAP, report,
                        at_least=max(exc.retry_after or 0.0, 1.0))
            raise
        except Refused as exc:
            if exc.status == 413 and len(items) > 1:
                half = len(items) // 2
                self._send(items[:half], report)
                self._send(items[half:], report)
                return
            if len(items) > 1:  # find the bad one: send singly
                for item in items:
                    self._send([item], report)
                return
            self.store.mark_rejected(items[0].id, str(exc))
            report.rejected += 1
            return
        report.sent += len(items)
        acks: list[tuple[str, dict[str, Any]]] = []
        try:
            for item, result in zip(items, results, strict=True):
                self._result(item, result, report, acks)
        finally:
            self._acknowledge(acks)  # what verified is kept even if a later receipt did not

    def _acknowledge(self, acks: list[tuple[str, dict[str, Any]]]) -> None:
        """Store receipts; in one transaction when the store offers it (fsync per batch)."""
        many = getattr(self.store, "mark_acknowledged_many", None)
        if many is not None and acks:
            many(acks)
            return
        for submission_id, receipt in acks:
            self.store.mark_acknowledged(submission_id, receipt)

    def _result(self, item: Any, result: dict[str, Any], report: RoundReport,
                acks: list[tuple[str, dict[str, Any]]] | None = None) -> None:
        """Act on one per-item result; verified receipts go to ``acks`` (or straight in)."""
        status = result.get("status")
        if status in ("accepted", "duplicate"):
            receipt = str(result.get("receipt", ""))
            server_key = self.client.server_key
            if server_key is None:
                raise SecurityError("no pinned server key to check receipts with")
            try:
                claims = verify_receipt(receipt, server_key, device_id=self.device_id,
                                        submission_id=item.id, record=item.record, jwe=item.jwe)
            except SecurityError as exc:
                self._retry([item], f"receipt invalid: {exc}", UNKNOWN_BASE, UNKNOWN_CAP, report)
                raise
            entry = {"status": status, "receipt": receipt, **claims}
            if acks is None:
                self.store.mark_acknowledged(item.id, entry)
            else:
                acks.append((item.id, entry))
            if status == "accepted":
                report.accepted += 1
            else:
                report.duplicate += 1
        elif status == "rejected" and result.get("retry"):
            self._retry([item], str(result.get("reason", "not ready")), PENDING_BASE,
                        PENDING_CAP, report)
        elif status in ("rejected", "conflict"):
            reason = str(result.get("reason") or status)
            self.store.mark_rejected(item.id, f"{status}: {reason}")
            report.rejected += 1
        else:
            self._retry([item], f"unknown result {status!r}", UNKNOWN_BASE, UNKNOWN_CAP, report)


def sync_state(home: Home) -> SyncState:
    return load_state(home)
