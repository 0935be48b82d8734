"""The ODK destination: queued ODK submissions delivered over OpenRosa, exactly once.

Why exactly once holds: the bytes of a submission were fixed at finalize (sync.odk.seal)
and every POST of it repeats the same XML part, so an ODK server treats any resend —
after a reset, a stall, a SIGKILL mid-POST, a reboot — as the same submission (201, no
second row). The store's state machine is the one every submission uses: marked
``sent`` just before its request goes on the wire (and due again at once: after a kill
the next round resends it, nothing waits on a clock), ``acknowledged`` on a 201/202, and
a refusal is read by sync.odk.problems: ``held`` with the reason when an operator can
fix it (form closed or deleted, not assigned, project gone, quota …), ``rejected`` only
for Central's "same ID, other content" and definitive validation refusals; due again
with the one retry policy (sync.retry) on 5xx/timeouts; refused credentials stop the
round and say so.

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
from dataclasses import dataclass
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
from sync.odk.openrosa import CredentialsRefused, OpenRosaClient, RefusedReply
from sync.odk.problems import classify as classify_reply
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
                 key: DestinationKey | None = None, forms: bool = True) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.rng = rng
        self.home = home
        self.client_factory = client_factory
        self.parallel = max(1, parallel if client_factory is not None else 1)
        self._key = key or DestinationKey(DestinationKind.ODK)
        self.forms = forms  # False: a kept earlier connection only delivers, never pulls
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
        made_for = (self._key.server, self._key.project) if self._key.server else None
        return finalize_form(store, form, document, device=device, draft_id=draft_id,
                             submission_id=submission_id, destination=made_for)

    def refresh_forms(self) -> dict[str, Any] | None:
        return self.maybe_pull_forms()

    def maybe_pull_forms(self, *, force: bool = False) -> dict[str, Any] | None:
        """New and changed forms at most every FORMS_PULL_EVERY seconds; a failure is
        logged and left for the next round (delivery goes on)."""
        if self.client is None or self.home is None or not self.forms:
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
        made_for = (self._key.server, self._key.project) if self._key.server else None
        return list(store.next_batch(now, limits.max_bytes, limits.max_items,
                                     kind=DestinationKind.ODK, destination=made_for))

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
            before = self._requests()
            self._post_all(ready, done)
            done.requests = self._requests() - before
        return done

    def _requests(self) -> int:
        clients = [self.client, *self._extra]
        return sum(int(getattr(c, "requests", 0)) for c in clients if c is not None)

    def _post_all(self, ready: list[tuple[Any, Any]], done: Delivered) -> None:
        """In waves of ``parallel``: each wave is marked sent just before it goes on the
        wire (due again at once: a resend of the same bytes is answered as the same
        submission, so after a kill nothing waits on the clock); a round-stopping
        failure leaves the later waves untouched."""
        assert self.client is not None
        probe = _Probe(self.client)
        try:
            max_body = self.client.max_body()
        except Exception as exc:  # noqa: BLE001 - every item gets it, then the round stops
            done.results += [self.classify(item, exc, probe) for item, _ in ready]
            done.stop = exc
            return
        plans = {item.id: plan_requests(wire.xml, wire.files, max_body) for item, wire in ready}
        for start in range(0, len(ready), self.parallel):
            wave = ready[start:start + self.parallel]
            self.store.mark_sent([item.id for item, _ in wave], now=self.clock(), resend_after=0)
            done.sent += len(wave)
            self._record_wave(self._post(wave, plans), plans, probe, done)
            if done.stop is not None:
                return

    def _record_wave(self, posted: list[tuple[Any, Any, Any, BaseException | None]],
                     plans: dict[str, Any], probe: _Probe, done: Delivered) -> None:
        worst: BaseException | None = None
        for item, wire, received, failure in posted:
            if failure is None:
                done.results.append(self._acknowledged(item, wire, received, len(plans[item.id])))
                continue
            result = self.classify(item, failure, probe)
            done.results.append(result)
            stops = result.outcome is Outcome.RETRY and isinstance(failure, _SEVERITY)
            if stops and (worst is None or _rank(failure) < _rank(worst)):
                worst = failure
        done.stop = worst

    def _acknowledged(self, item: Any, wire: Any, received: Any, posts: int) -> ItemResult:
        return ItemResult(item.id, Outcome.ACKNOWLEDGED, Reason.ACCEPTED, receipt={
            "status": "accepted", "server": "openrosa", "http_status": received.status,
            "message": received.message, "instance_id": wire.instance_id, "posts": posts,
            "at": self.clock()})

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

    def classify(self, item: Any, exc: BaseException, probe: _Probe | None = None
                 ) -> ItemResult:
        """What a failed submission means for its row (see the module doc): a server's
        refusal is read by sync.odk.problems (held unless it says this submission is
        wrong for ever); ``probe`` tells "not assigned" from "credentials refused"."""
        if isinstance(exc, RefusedReply | CredentialsRefused):
            known = probe.verdict() if probe is not None else _Verdict()
            verdict = classify_reply(exc.status, exc.body, credentials_ok=known.credentials_ok,
                                     project_ok=known.project_ok)
            detail = f"{exc} [{verdict.code}]" if verdict.code else str(exc)
            return ItemResult(item.id, verdict.outcome, verdict.reason, detail)
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


@dataclass(frozen=True)
class _Verdict:
    credentials_ok: bool | None = None
    project_ok: bool | None = None


class _Probe:
    """What a formList request says about a refusal, asked at most once per batch:
    the credentials work (so Central's 401 to a submission means "not assigned to
    this form") and the project is there (so a 404 is the form's, not the project's)."""

    def __init__(self, client: OpenRosaClient) -> None:
        self.client = client
        self._verdict: _Verdict | None = None

    def verdict(self) -> _Verdict:
        if self._verdict is None:
            self._verdict = self._ask()
        return self._verdict

    def _ask(self) -> _Verdict:
        try:
            self.client.form_list()
        except AuthRefused:
            return _Verdict(credentials_ok=False)
        except RefusedReply as exc:
            return _Verdict(credentials_ok=True, project_ok=False if exc.status in (404, 410)
                            else None)
        except (SyncError, KioskError):
            return _Verdict()
        return _Verdict(credentials_ok=True, project_ok=True)


def _rank(exc: BaseException) -> int:
    return next(i for i, cls in enumerate(_SEVERITY) if isinstance(exc, cls))


def open_delivery(home: Any, store: Any, **client_kwargs: Any) -> OdkDelivery | None:
    """The delivery for this kiosk's ODK connection, or None when it has none."""
    from kiosk.secrets import open_secrets
    from sync.odk.connection import load

    return _delivery(load(open_secrets(home.root, interactive=False)), home, store,
                     client_kwargs)


def open_deliveries(home: Any, store: Any, **client_kwargs: Any) -> list[OdkDelivery]:
    """Every ODK delivery of this kiosk: its connection, and the earlier one kept by
    ``kiosk odk connect --keep-old`` (which delivers only what was made for it)."""
    from kiosk.secrets import open_secrets
    from sync.odk.connection import KEPT_NAME, SECRET_NAME, load

    secrets = open_secrets(home.root, interactive=False)
    found = [_delivery(load(secrets, SECRET_NAME), home, store, client_kwargs),
             _delivery(load(secrets, KEPT_NAME), home, store, client_kwargs, forms=False)]
    return [d for d in found if d is not None]


def _delivery(conn: Any, home: Any, store: Any, client_kwargs: dict[str, Any], *,
              forms: bool = True) -> OdkDelivery | None:
    if conn is None:
        return None
    key = DestinationKey(DestinationKind.ODK, *conn.destination)
    return OdkDelivery(store, conn.client(**client_kwargs), home=home, key=key, forms=forms,
                       client_factory=lambda: conn.client(**client_kwargs))
