"""The ODK destination: queued ODK submissions delivered over OpenRosa, exactly once.

Why exactly once holds: the bytes of a submission were fixed at finalize (sync.odk.seal)
and every POST of it repeats the same XML part, so an ODK server treats any resend —
after a reset, a stall, a SIGKILL mid-POST, a reboot — as the same submission (201, no
second row). The store's state machine is the one every submission uses: marked
``sent`` before the first byte leaves, ``acknowledged`` on a 201/202, ``rejected`` with
the reason on a 409 (staff see it) or another definitive 4xx, due again with the one
retry policy (sync.retry) on 5xx/timeouts; 401/403 stop the round and say so.

Up to ``PARALLEL`` submissions are on the wire at once (OpenRosa has no batch request;
on 2G the round trip, not the bytes, is what a one-at-a-time client waits for). The
store is only touched from the calling thread; worker threads only POST.

``OdkDelivery`` is a kiosk.destination.Destination: the sync engine delivers its due
items every round (after kiosk-central's, or alone on a kiosk that delivers only to an
ODK server: ``run_once``).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from kiosk.destination import (
    BatchLimits,
    Delivered,
    DestinationKey,
    DestinationKind,
    ItemResult,
    Outcome,
    Reason,
)
from kiosk.errors import KioskError
from sync.client import AuthRefused, OutcomeUnknown, Refused, ServerBusy, SyncError, Unreachable
from sync.odk.multipart import plan_requests
from sync.odk.openrosa import Conflict, OpenRosaClient
from sync.odk.seal import finalize_form, open_wire
from sync.report import RoundReport
from sync.retry import rejected, retry

if TYPE_CHECKING:
    from kiosk.device import DeviceIdentity
    from kiosk.envelope import SealedEnvelope
    from kiosk.forms.model import FormDef
    from kiosk.store import Store
    from kiosk.store.outbox import OutboxItem

log = logging.getLogger("sync.odk")
FORMS_PULL_EVERY = 900.0  # a formList per 15 min: a few hundred bytes when nothing changed


ODK_BATCH_ITEMS = 20


def due_odk_items(store: Any, now: float, limit: int = ODK_BATCH_ITEMS) -> list[Any]:
    """The due ODK submissions, oldest first (the store's outbox rows, ODK ones only;
    due times left far ahead by a clock set back are due now)."""
    return list(store.next_batch(now, 1 << 40, limit, kind=DestinationKind.ODK))


PARALLEL = 3  # submissions on the wire at once: hides the 2G round trip, gentle on servers
_SEVERITY = (AuthRefused, Unreachable, ServerBusy, OutcomeUnknown)


class OdkDelivery:
    """``client`` serves HEAD, forms and the first worker; ``client_factory`` makes one
    more client per further worker thread (each its own connection and auth state)."""

    def __init__(self, store: Any, client: OpenRosaClient | None, *,
                 clock: Callable[[], float] = time.time,
                 rng: Callable[[], float] = random.random, home: Any = None,
                 client_factory: Callable[[], OpenRosaClient] | None = None,
                 parallel: int = PARALLEL,
                 key: DestinationKey | None = None) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.rng = rng
        self.home = home
        self.client_factory = client_factory
        self.parallel = max(1, parallel if client_factory is not None else 1)
        self._key = key or DestinationKey(DestinationKind.ODK)
        self._extra: list[OpenRosaClient] = []
        self._free: list[OpenRosaClient] = [client] if client is not None else []
        self._extra_lock = threading.Lock()

    @property
    def key(self) -> DestinationKey:
        return self._key

    def close(self) -> None:
        for c in self._extra:
            c.close()
        self._extra.clear()
        if self.client is not None:
            self.client.close()

    def seal(self, store: Store, form: FormDef, document: dict[str, Any], *,
             device: DeviceIdentity, draft_id: str | None = None,
             submission_id: str | None = None) -> SealedEnvelope:
        return finalize_form(store, form, document, device=device, draft_id=draft_id,
                             submission_id=submission_id)

    def refresh_forms(self) -> dict[str, Any] | None:
        return self.maybe_pull_forms()

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
        except (RecursionError, MemoryError, ValueError) as exc:  # a hostile server's list
            log.warning("ODK forms not updated: %s", type(exc).__name__)
            return {"error": f"the server's form list cannot be read ({type(exc).__name__})"}
        return report.as_dict()

    def limits(self) -> BatchLimits:
        return BatchLimits(1 << 40, ODK_BATCH_ITEMS)

    def due(self, store: Store, now: float, limits: BatchLimits) -> list[OutboxItem]:
        return list(store.next_batch(now, limits.max_bytes, limits.max_items,
                                     kind=DestinationKind.ODK))

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

    def deliver(self, batch: Sequence[OutboxItem]) -> Delivered:
        """Several submissions, up to ``parallel`` of them on the wire at once (each its own
        POSTs, in order). Every item gets its outcome; the most serious round-stopping
        error (auth, offline, busy, unknown) is ``stop``."""
        done = Delivered([])
        if self.client is None:
            done.results = [retry(i.id, Reason.NOT_CONNECTED, "not connected to an ODK server "
                                  "(kiosk odk connect)") for i in batch]
            return done
        ready: list[tuple[Any, Any]] = []
        for item in batch:
            try:
                ready.append((item, open_wire(self.store.atrest, item.id, item.jwe)[0]))
            except KioskError as exc:
                done.results.append(rejected(item.id, Reason.UNREADABLE,
                                             f"cannot open the stored submission: {exc}"))
        if ready:
            self._post_all(ready, done)
        return done

    def _post_all(self, ready: list[tuple[Any, Any]], done: Delivered) -> None:
        assert self.client is not None
        try:
            max_body = self.client.max_body()
        except Exception as exc:  # noqa: BLE001 - every item gets it, then the round stops
            done.results += [self.classify(item, exc) for item, _ in ready]
            done.stop = exc
            return
        plans = {item.id: plan_requests(wire.xml, wire.files, max_body) for item, wire in ready}
        self.store.mark_sent([item.id for item, _ in ready], now=self.clock())
        done.sent += len(ready)
        worst: BaseException | None = None
        for item, wire, received, failure in self._post(ready, plans):
            if failure is None:
                done.results.append(ItemResult(item.id, Outcome.ACKNOWLEDGED, Reason.ACCEPTED,
                                               receipt={
                    "status": "accepted", "server": "openrosa",
                    "http_status": received.status, "message": received.message,
                    "instance_id": wire.instance_id, "posts": len(plans[item.id]),
                    "at": self.clock()}))
                continue
            done.results.append(self.classify(item, failure))
            if isinstance(failure, _SEVERITY) and (worst is None or _rank(failure) < _rank(worst)):
                worst = failure
        done.stop = worst

    def _post(self, ready: list[tuple[Any, Any]], plans: dict[str, Any]
              ) -> list[tuple[Any, Any, Any, BaseException | None]]:
        """(item, wire, reply, failure) of every item, POSTed by up to ``parallel`` workers."""
        assert self.client is not None
        results: list[tuple[Any, Any, Any, BaseException | None]] = []
        if self.parallel == 1 or len(ready) == 1:
            for item, wire in ready:
                try:
                    results.append((item, wire, self.client.submit(plans[item.id]), None))
                except Exception as exc:  # noqa: BLE001 - classified by the caller
                    results.append((item, wire, None, exc))
            return results

        def post(item_id: str) -> Any:
            client = self._take()
            try:
                return client.submit(plans[item_id])
            finally:
                self._give(client)

        with ThreadPoolExecutor(max_workers=min(self.parallel, len(ready)),
                                thread_name_prefix="odk-post") as pool:
            futures = [(item, wire, pool.submit(post, item.id)) for item, wire in ready]
            for item, wire, fut in futures:
                failure = fut.exception()
                results.append((item, wire, None if failure else fut.result(), failure))
        return results

    def classify(self, item: Any, exc: BaseException) -> ItemResult:
        """What a failed submission means for its row (see the module doc)."""
        if isinstance(exc, Conflict):
            return rejected(item.id, Reason.CONFLICT, f"conflict: {exc}")
        if isinstance(exc, AuthRefused):
            return retry(item.id, Reason.AUTH_REFUSED, str(exc))
        if isinstance(exc, ServerBusy):
            return retry(item.id, Reason.SERVER_BUSY, str(exc), exc.retry_after)
        if isinstance(exc, Unreachable | OutcomeUnknown):
            return retry(item.id, Reason.OUTCOME_UNKNOWN, str(exc))
        if isinstance(exc, Refused):
            return rejected(item.id, Reason.REFUSED, str(exc))
        # a bug or a local failure: keep the item, try again later, say why in the log
        log.error("ODK delivery of %s failed: %s", item.id, type(exc).__name__)
        return retry(item.id, Reason.INTERNAL, f"internal error ({type(exc).__name__})")

    def run_once(self, *, deadline: float | None = None, pull_forms: bool = True) -> RoundReport:
        """A round for an ODK-only kiosk (no kiosk-central enrolment)."""
        from sync.engine import SyncEngine

        engine = SyncEngine(self.home, self.store, None, destinations=[self],
                            pull_catalog=pull_forms, clock=self.clock, rng=self.rng)
        return engine.run_once(deadline=deadline)


def _rank(exc: BaseException) -> int:
    return next(i for i, cls in enumerate(_SEVERITY) if isinstance(exc, cls))


def open_delivery(home: Any, store: Any, **client_kwargs: Any) -> OdkDelivery | None:
    """The delivery for this kiosk's ODK connection, or None when it has none."""
    from kiosk.secrets import open_secrets
    from sync.odk.connection import load

    conn = load(open_secrets(home.root, interactive=False))
    if conn is None:
        return None
    key = DestinationKey(DestinationKind.ODK, conn.shown_url, conn.project)
    return OdkDelivery(store, conn.client(**client_kwargs), home=home, key=key,
                       client_factory=lambda: conn.client(**client_kwargs))
