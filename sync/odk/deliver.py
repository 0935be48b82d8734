"""Delivering queued ODK submissions over OpenRosa, exactly once.

Why exactly once holds: the bytes of a submission were fixed at finalize (sync.odk.seal)
and every POST of it repeats the same XML part, so an ODK server treats any resend —
after a reset, a stall, a SIGKILL mid-POST, a reboot — as the same submission (201, no
second row). The store's state machine is the one every submission uses: marked
``sent`` before the first byte leaves, ``acknowledged`` on a 201/202, ``rejected`` with
the reason on a 409 (staff see it) or another definitive 4xx, due again with the
engine's backoff on 5xx/timeouts; 401/403 stop the round and say so.

Up to ``PARALLEL`` submissions are on the wire at once (OpenRosa has no batch request;
on 2G the round trip, not the bytes, is what a one-at-a-time client waits for). The
store is only touched from the calling thread; worker threads only POST.

Used two ways: by the kiosk-central engine, which routes each item of its batches by
its envelope (``route``), and alone (``run_once``) on a kiosk that delivers only to an
ODK server.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kiosk.errors import KioskError
from sync.client import AuthRefused, OutcomeUnknown, Refused, ServerBusy, SyncError, Unreachable
from sync.engine import (
    BUSY_BASE,
    BUSY_CAP,
    UNKNOWN_BASE,
    UNKNOWN_CAP,
    RoundReport,
    full_jitter,
)
from sync.odk.multipart import plan_requests
from sync.odk.openrosa import Conflict, OpenRosaClient
from sync.odk.seal import is_odk, open_wire

log = logging.getLogger("sync.odk")
NOT_CONNECTED_RETRY = 300.0
FORMS_PULL_EVERY = 900.0  # a formList per 15 min: a few hundred bytes when nothing changed


def due_odk_items(store: Any, now: float, limit: int = 20) -> list[Any]:
    """The due ODK submissions, oldest first (the store's outbox rows, ODK ones only)."""
    from kiosk.store.outbox import OutboxItem

    if hasattr(store, "unstrand"):  # due times left far ahead by a clock set back: due now
        store.unstrand(now)
    rows = store.read(
        "SELECT id, form_id, record, jwe, attachments, size, attempts, demo FROM submissions "
        "WHERE state IN ('sealed', 'queued', 'sent') AND next_attempt_at <= ? "
        "AND agency_kid = 'odk' ORDER BY next_attempt_at, id LIMIT ?", (now, limit))
    import json

    return [OutboxItem(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], bool(r[7]))
            for r in rows]


PARALLEL = 3  # submissions on the wire at once: hides the 2G round trip, gentle on servers
_SEVERITY = (AuthRefused, Unreachable, ServerBusy, OutcomeUnknown)


class OdkDelivery:
    """``client`` serves HEAD, forms and the first worker; ``client_factory`` makes one
    more client per further worker thread (each its own connection and auth state)."""

    def __init__(self, store: Any, client: OpenRosaClient | None, *,
                 clock: Callable[[], float] = time.time,
                 rng: Callable[[], float] = random.random, home: Any = None,
                 client_factory: Callable[[], OpenRosaClient] | None = None,
                 parallel: int = PARALLEL) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.rng = rng
        self.home = home
        self.client_factory = client_factory
        self.parallel = max(1, parallel if client_factory is not None else 1)
        self._extra: list[OpenRosaClient] = []
        self._free: list[OpenRosaClient] = [client] if client is not None else []
        self._extra_lock = threading.Lock()

    def close(self) -> None:
        for c in self._extra:
            c.close()
        self._extra.clear()
        if self.client is not None:
            self.client.close()

    def maybe_pull_forms(self, *, force: bool = False) -> dict[str, Any] | None:
        """New and changed forms at most every FORMS_PULL_EVERY seconds; a failure is
        logged and left for the next round (delivery goes on)."""
        if self.client is None or self.home is None:
            return None
        from sync.odk.catalog import LocalCatalog, odk_dir, pull_forms

        last = LocalCatalog(odk_dir(self.home)).index().get("forms_pulled_at") or 0
        since = self.clock() - float(last)
        # a negative "since" is a clock set back after the last pull: pull now, not in days
        if not force and 0 <= since < FORMS_PULL_EVERY:
            return None
        try:
            report = pull_forms(self.home, self.client, now=self.clock())
        except (SyncError, AuthRefused, KioskError, OSError) as exc:
            log.warning("ODK forms not updated: %s", exc)
            return {"error": str(exc)}
        return report.as_dict()

    def _retry(self, item: Any, error: str, base: float, cap: float, report: RoundReport,
               at_least: float = 1.0) -> None:
        delay = max(at_least, full_jitter(item.attempts, base, cap, self.rng))
        self.store.schedule_retry(item.id, error, self.clock() + delay)
        report.retry += 1

    def _take(self) -> OpenRosaClient:
        """A client no other worker uses now: the main one first, then made as needed
        (kept for the next batches; closed by ``close``)."""
        with self._extra_lock:
            if self._free:
                return self._free.pop()
            assert self.client_factory is not None
            client = self.client_factory()
            self._extra.append(client)
            return client

    def _give(self, client: OpenRosaClient) -> None:
        with self._extra_lock:
            self._free.append(client)

    def deliver(self, item: Any, report: RoundReport) -> None:
        self.deliver_many([item], report)

    def deliver_many(self, items: list[Any], report: RoundReport) -> None:
        """Several submissions, up to ``parallel`` of them on the wire at once (each its own
        POSTs, in order). Every item leaves with its outcome recorded in the store; then
        the most serious round-stopping error (auth, offline, busy, unknown) is raised."""
        if not items:
            return
        if self.client is None:
            for item in items:
                self.store.schedule_retry(item.id, "not connected to an ODK server "
                                          "(kiosk odk connect)", self.clock() + NOT_CONNECTED_RETRY)
                report.retry += 1
            return
        ready: list[tuple[Any, Any]] = []
        for item in items:
            try:
                ready.append((item, open_wire(self.store.atrest, item.id, item.jwe)[0]))
            except KioskError as exc:
                self.store.mark_rejected(item.id, f"cannot open the stored submission: {exc}")
                report.rejected += 1
        if not ready:
            return
        try:
            max_body = self.client.max_body()
        except Exception as exc:  # noqa: BLE001 - recorded per item, then raised
            for item, _ in ready:
                self._outcome(item, exc, report)
            raise
        plans = {item.id: plan_requests(wire.xml, wire.files, max_body) for item, wire in ready}
        self.store.mark_sent([item.id for item, _ in ready], now=self.clock())
        report.sent += len(ready)

        def post(item_id: str) -> Any:
            client = self._take()
            try:
                return client.submit(plans[item_id])
            finally:
                self._give(client)

        results: list[tuple[Any, Any, Any, BaseException | None]] = []
        if self.parallel == 1 or len(ready) == 1:
            for item, wire in ready:
                try:
                    results.append((item, wire, self.client.submit(plans[item.id]), None))
                except Exception as exc:  # noqa: BLE001 - recorded below
                    results.append((item, wire, None, exc))
        else:
            with ThreadPoolExecutor(max_workers=min(self.parallel, len(ready)),
                                    thread_name_prefix="odk-post") as pool:
                futures = [(item, wire, pool.submit(post, item.id)) for item, wire in ready]
                for item, wire, fut in futures:
                    failure = fut.exception()
                    results.append((item, wire, None if failure else fut.result(), failure))
        worst: BaseException | None = None
        acks: list[tuple[str, dict[str, Any]]] = []
        for item, wire, received, failure in results:
            if failure is None:
                acks.append((item.id, {
                    "status": "accepted", "server": "openrosa",
                    "http_status": received.status, "message": received.message,
                    "instance_id": wire.instance_id, "posts": len(plans[item.id]),
                    "at": self.clock()}))
                report.accepted += 1
                continue
            self._outcome(item, failure, report)
            if isinstance(failure, _SEVERITY) and (worst is None or _rank(failure) < _rank(worst)):
                worst = failure
        if acks:  # one transaction (one fsync) for the batch's receipts
            many = getattr(self.store, "mark_acknowledged_many", None)
            if many is not None:
                many(acks)
            else:
                for sid, receipt in acks:
                    self.store.mark_acknowledged(sid, receipt)
        if worst is not None:
            raise worst

    def _outcome(self, item: Any, exc: BaseException, report: RoundReport) -> None:
        """What a failed submission means for its row (see the module doc)."""
        if isinstance(exc, Conflict):
            self.store.mark_rejected(item.id, f"conflict: {exc}")
            report.rejected += 1
        elif isinstance(exc, AuthRefused):
            self.store.schedule_retry(item.id, str(exc), self.clock() + NOT_CONNECTED_RETRY)
            report.retry += 1
        elif isinstance(exc, ServerBusy):
            self._retry(item, str(exc), BUSY_BASE, BUSY_CAP, report,
                        at_least=max(exc.retry_after or 0.0, 1.0))
        elif isinstance(exc, Unreachable | OutcomeUnknown):
            self._retry(item, str(exc), UNKNOWN_BASE, UNKNOWN_CAP, report)
        elif isinstance(exc, Refused):
            self.store.mark_rejected(item.id, str(exc))
            report.rejected += 1
        else:  # a bug or a local failure: keep the item, try again later, say why in the log
            log.error("ODK delivery of %s failed: %s", item.id, type(exc).__name__)
            self._retry(item, f"internal error ({type(exc).__name__})", UNKNOWN_BASE,
                        UNKNOWN_CAP, report)

    def route(self, items: list[Any], report: RoundReport) -> list[Any]:
        """Deliver the ODK items of a kiosk-central batch; return the others. A link or
        server problem on the ODK side never stops the kiosk-central round (every ODK
        item of the batch leaves it with its outcome or a new due time)."""
        mine = [i for i in items if is_odk(i.jwe)]
        try:
            self.deliver_many(mine, report)
        except (SyncError, AuthRefused) as exc:
            log.warning("ODK delivery: %s", exc)
        return [i for i in items if not is_odk(i.jwe)]

    def run_once(self, *, deadline: float | None = None, pull_forms: bool = True) -> RoundReport:
        """A round for an ODK-only kiosk (no kiosk-central enrolment)."""
        report = RoundReport()
        try:
            if pull_forms:
                report.catalog = self.maybe_pull_forms()
            while deadline is None or self.clock() < deadline:
                batch = due_odk_items(self.store, self.clock())
                if not batch:
                    break
                self.deliver_many(batch, report)
        except (AuthRefused, SyncError) as exc:  # each error class names its round state
            report.state, report.error = exc.kind, str(exc)
        report.counts = self.store.counts()
        if report.error:
            log.warning("ODK round: %s: %s", report.state, report.error)
        return report


def _rank(exc: BaseException) -> int:
    return next(i for i, cls in enumerate(_SEVERITY) if isinstance(exc, cls))


def open_delivery(home: Any, store: Any, **client_kwargs: Any) -> OdkDelivery | None:
    """The delivery for this kiosk's ODK connection, or None when it has none."""
    from kiosk.secrets import open_secrets
    from sync.odk.connection import load

    conn = load(open_secrets(home.root, interactive=False))
    if conn is None:
        return None
    return OdkDelivery(store, conn.client(**client_kwargs), home=home,
                       client_factory=lambda: conn.client(**client_kwargs))
