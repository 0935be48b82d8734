"""Delivering queued ODK submissions over OpenRosa, exactly once.

Why exactly once holds: the bytes of a submission were fixed at finalize (sync.odk.seal)
and every POST of it repeats the same XML part, so an ODK server treats any resend —
after a reset, a stall, a SIGKILL mid-POST, a reboot — as the same submission (201, no
second row). The store's state machine is the one every submission uses: marked
``sent`` before the first byte leaves, ``acknowledged`` on a 201/202, ``rejected`` with
the reason on a 409 (staff see it) or another definitive 4xx, due again with the
engine's backoff on 5xx/timeouts; 401/403 stop the round and say so.

Used two ways: by the kiosk-central engine, which routes each item of its batches by
its envelope (``route``), and alone (``run_once``) on a kiosk that delivers only to an
ODK server.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
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

    rows = store.read(
        "SELECT id, form_id, record, jwe, attachments, size, attempts, demo FROM submissions "
        "WHERE state IN ('sealed', 'queued', 'sent') AND next_attempt_at <= ? "
        "AND agency_kid = 'odk' ORDER BY next_attempt_at, id LIMIT ?", (now, limit))
    import json

    return [OutboxItem(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], bool(r[7]))
            for r in rows]


class OdkDelivery:
    def __init__(self, store: Any, client: OpenRosaClient | None, *,
                 clock: Callable[[], float] = time.time,
                 rng: Callable[[], float] = random.random, home: Any = None) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.rng = rng
        self.home = home

    def maybe_pull_forms(self, *, force: bool = False) -> dict[str, Any] | None:
        """New and changed forms at most every FORMS_PULL_EVERY seconds; a failure is
        logged and left for the next round (delivery goes on)."""
        if self.client is None or self.home is None:
            return None
        from sync.odk.catalog import LocalCatalog, odk_dir, pull_forms

        last = LocalCatalog(odk_dir(self.home)).index().get("forms_pulled_at") or 0
        if not force and self.clock() - float(last) < FORMS_PULL_EVERY:
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

    def deliver(self, item: Any, report: RoundReport) -> None:
        """One submission: all its POSTs; raises the round-stopping errors (offline,
        outcome unknown, busy, auth) after recording what they mean for the item."""
        if self.client is None:
            self.store.schedule_retry(item.id, "not connected to an ODK server "
                                      "(kiosk odk connect)", self.clock() + NOT_CONNECTED_RETRY)
            report.retry += 1
            return
        try:
            wire, _ = open_wire(self.store.atrest, item.id, item.jwe)
        except KioskError as exc:
            self.store.mark_rejected(item.id, f"cannot open the stored submission: {exc}")
            report.rejected += 1
            return
        try:
            max_body = self.client.max_body()
            requests = plan_requests(wire.xml, wire.files, max_body)
            self.store.mark_sent([item.id], now=self.clock())
            report.sent += 1
            received = self.client.submit(requests)
        except Unreachable as exc:  # nothing went out: due again soon, round stops offline
            self._retry(item, str(exc), UNKNOWN_BASE, UNKNOWN_CAP, report)
            raise
        except Conflict as exc:
            self.store.mark_rejected(item.id, f"conflict: {exc}")
            report.rejected += 1
            return
        except AuthRefused:
            raise
        except OutcomeUnknown as exc:
            self._retry(item, str(exc), UNKNOWN_BASE, UNKNOWN_CAP, report)
            raise
        except ServerBusy as exc:
            self._retry(item, str(exc), BUSY_BASE, BUSY_CAP, report,
                        at_least=max(exc.retry_after or 0.0, 1.0))
            raise
        except Refused as exc:
            self.store.mark_rejected(item.id, str(exc))
            report.rejected += 1
            return
        self.store.mark_acknowledged(item.id, {
            "status": "accepted", "server": "openrosa", "http_status": received.status,
            "message": received.message, "instance_id": wire.instance_id,
            "posts": len(requests), "at": self.clock()})
        report.accepted += 1

    def route(self, items: list[Any], report: RoundReport) -> list[Any]:
        """Deliver the ODK items of a kiosk-central batch; return the others. A link or
        server problem on the ODK side never stops the kiosk-central round."""
        rest = []
        stopped: str | None = None
        for item in items:
            if not is_odk(item.jwe):
                rest.append(item)
                continue
            if stopped is not None:  # every ODK item leaves this batch with a new due time
                self.store.schedule_retry(item.id, stopped, self.clock() + NOT_CONNECTED_RETRY)
                report.retry += 1
                continue
            try:
                self.deliver(item, report)
            except AuthRefused as exc:
                stopped = str(exc)
                self.store.schedule_retry(item.id, stopped, self.clock() + NOT_CONNECTED_RETRY)
                report.retry += 1
                log.warning("ODK delivery stopped: %s", exc)
            except SyncError as exc:  # already due again (deliver scheduled it)
                stopped = str(exc)
                log.warning("ODK delivery: %s", exc)
        return rest

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
                for item in batch:
                    self.deliver(item, report)
        except AuthRefused as exc:
            report.state, report.error = "auth", str(exc)
        except Unreachable as exc:
            report.state, report.error = "offline", str(exc)
        except ServerBusy as exc:
            report.state, report.error = "server-busy", str(exc)
        except SyncError as exc:
            report.state, report.error = exc.kind, str(exc)
        report.counts = self.store.counts()
        if report.error:
            log.warning("ODK round: %s: %s", report.state, report.error)
        return report


def open_delivery(home: Any, store: Any, **client_kwargs: Any) -> OdkDelivery | None:
    """The delivery for this kiosk's ODK connection, or None when it has none."""
    from kiosk.secrets import open_secrets
    from sync.odk.connection import load

    conn = load(open_secrets(home.root, interactive=False))
    if conn is None:
        return None
    return OdkDelivery(store, conn.client(**client_kwargs), home=home)
