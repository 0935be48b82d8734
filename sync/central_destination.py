"""kiosk-central as a destination: JOSE envelopes in batches, server-signed receipts.

Why an adapter: the engine only iterates destinations; everything that is particular
to kiosk-central lives here — batch sizes from the server's limits and the measured
link, attachments uploaded (resuming) before their submission, a 413 splitting a
batch, and the classification of each per-item result. A submission is acknowledged
only on a receipt that verifies with the pinned key and vouches for exactly its bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
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
from kiosk.errors import KioskError, SecurityError
from sync.auth import verify_receipt
from sync.client import AuthRefused, CentralClient, OutcomeUnknown, Refused, ServerBusy, SyncError
from sync.retry import rejected, retry

if TYPE_CHECKING:
    from kiosk.device import DeviceIdentity
    from kiosk.envelope import SealedEnvelope
    from kiosk.forms import Catalog
    from kiosk.forms.model import FormDef
    from kiosk.paths import Home
    from kiosk.store import Store
    from kiosk.store.outbox import OutboxItem

log = logging.getLogger("sync.engine")
CLIENT_MAX_BATCH_BYTES = 512 * 1024  # keeps one batch short on a 2G link
CLIENT_MAX_BATCH_ITEMS = 200


class CentralDestination:
    def __init__(self, client: CentralClient, store: Store, *, device_id: str,
                 home: Home | None = None,
                 max_batch_bytes: int = CLIENT_MAX_BATCH_BYTES,
                 max_batch_items: int = CLIENT_MAX_BATCH_ITEMS,
                 one_per_request: bool = False, catalog: Catalog | None = None) -> None:
        self.client = client
        self.store = store
        self.device_id = device_id
        self.max_batch_bytes = max_batch_bytes
        self.max_batch_items = max_batch_items
        self.one_per_request = one_per_request
        self.catalog = catalog  # only for ``seal``
        self.home = home  # only for ``refresh_forms``

    @property
    def key(self) -> DestinationKey:
        return DestinationKey(DestinationKind.KIOSK_CENTRAL, self.client.base_url)

    def seal(self, store: Store, form: FormDef, document: dict[str, Any], *,
             device: DeviceIdentity, draft_id: str | None = None,
             submission_id: str | None = None) -> SealedEnvelope:
        from kiosk.finalize import seal_for_agency

        if self.catalog is None:
            raise KioskError(key="wire.central_no_catalog", params={"form_id": form.id})
        return seal_for_agency(store, self.catalog, form.agency, document, device=device,
                               draft_id=draft_id, submission_id=submission_id)

    def refresh_forms(self) -> dict[str, Any] | None:
        """The signed catalog (a failure other than auth is logged: delivery goes on)."""
        from sync.catalog_pull import pull_catalog

        if self.home is None:
            return None
        try:
            return pull_catalog(self.home, self.client)
        except (OutcomeUnknown, Refused, SecurityError, OSError) as exc:
            if isinstance(exc, AuthRefused):
                raise
            log.warning("catalog not updated: %s", exc)
            return {"changed": False, "error": str(exc)}

    def close(self) -> None:
        self.client.close()

    def limits(self) -> BatchLimits:
        limits = self.client.state.limits
        max_bytes = min(self.max_batch_bytes, int(limits.get("max_batch_bytes", 1 << 30)) // 2)
        max_items = min(self.max_batch_items, int(limits.get("max_batch_items", 1 << 30)))
        if self.one_per_request:
            max_items = 1
        # on a slow link one batch is a few seconds of the measured rate (stall bound)
        max_bytes = self.client.bytes_per_request(max_bytes)
        return BatchLimits(max(max_bytes, 1024), max(max_items, 1))

    def due(self, store: Store, now: float, limits: BatchLimits) -> list[OutboxItem]:
        return list(store.next_batch(now, limits.max_bytes, limits.max_items,
                                     kind=DestinationKind.KIOSK_CENTRAL,
                                     device_id=self.device_id or None))

    def deliver(self, batch: Sequence[OutboxItem]) -> Delivered:
        done = Delivered([])
        ready = []
        for item in batch:
            if not self._attachments(item, done):
                if done.stop is not None:
                    return done
                continue
            ready.append(item)
        if ready:
            self._submit(ready, done)
        return done

    def _attachments(self, item: OutboxItem, done: Delivered) -> bool:
        """Upload every blob of ``item`` (resuming); False = it has its outcome (or the
        round stops: ``done.stop``)."""
        for att in item.attachments or []:
            digest = str(att["sha256"])
            try:
                blob = self.store.read_attachment(digest)
                self.client.upload_attachment(digest, bytes(blob.data))
            except (OutcomeUnknown, ServerBusy) as exc:
                done.results.append(retry(item.id, Reason.OUTCOME_UNKNOWN, str(exc)))
                done.stop = exc
                return False
            except Refused as exc:
                done.results.append(rejected(item.id, Reason.ATTACHMENT_REFUSED,
                                             f"attachment refused: {exc}"))
                return False
            except KioskError as exc:
                if isinstance(exc, SyncError | AuthRefused):
                    done.stop = exc
                    return False
                done.results.append(rejected(item.id, Reason.UNREADABLE,
                                             f"attachment unavailable: {exc}"))
                return False
        return True

    def _submit(self, items: list[OutboxItem], done: Delivered) -> None:
        payload = [{"submission_id": i.id, "record": i.record, "jwe": i.jwe} for i in items]
        try:
            results = self.client.submit(payload)
        except OutcomeUnknown as exc:
            done.results += [retry(i.id, Reason.OUTCOME_UNKNOWN, str(exc)) for i in items]
            done.stop = exc
            return
        except ServerBusy as exc:
            done.results += [retry(i.id, Reason.SERVER_BUSY, str(exc), exc.retry_after)
                             for i in items]
            done.stop = exc
            return
        except Refused as exc:
            self._refused(items, exc, done)
            return
        except (SyncError, AuthRefused) as exc:
            done.stop = exc
            return
        done.sent += len(items)
        for item, result in zip(items, results, strict=True):
            try:
                done.results.append(self.classify(item, result))
            except SecurityError as exc:  # a receipt that does not verify: stop here
                done.results.append(retry(item.id, Reason.OUTCOME_UNKNOWN,
                                          f"receipt invalid: {exc}"))
                done.stop = exc
                return

    def _refused(self, items: list[OutboxItem], exc: Refused, done: Delivered) -> None:
        if exc.status == 413 and len(items) > 1:  # too big: halves
            half = len(items) // 2
            for part in (items[:half], items[half:]):
                if done.stop is None:
                    self._submit(part, done)
            return
        if len(items) > 1:  # find the bad one: send singly
            for item in items:
                if done.stop is None:
                    self._submit([item], done)
            return
        done.results.append(rejected(items[0].id, Reason.REFUSED, str(exc)))

    def classify(self, item: OutboxItem, result: dict[str, Any]) -> ItemResult:
        """One per-item result of a batch (SecurityError: its receipt does not verify)."""
        status = result.get("status")
        if status in ("accepted", "duplicate"):
            return self._acknowledged(item, status, str(result.get("receipt", "")))
        if status == "rejected" and result.get("retry"):
            return retry(item.id, Reason.NOT_READY, str(result.get("reason", "not ready")))
        if status in ("rejected", "conflict"):
            code = Reason.CONFLICT if status == "conflict" else Reason.REFUSED
            return rejected(item.id, code, f"{status}: {result.get('reason') or status}")
        return retry(item.id, Reason.OUTCOME_UNKNOWN, f"unknown result {status!r}")

    def _acknowledged(self, item: OutboxItem, status: str, receipt: str) -> ItemResult:
        server_key = self.client.server_key
        if server_key is None:
            raise SecurityError(key="wire.receipt_no_server_key", params={"id": item.id})
        claims = verify_receipt(receipt, server_key, device_id=self.device_id,
                                submission_id=item.id, record=item.record, jwe=item.jwe)
        reason = Reason.ACCEPTED if status == "accepted" else Reason.DUPLICATE
        return ItemResult(item.id, Outcome.ACKNOWLEDGED, reason,
                          receipt={"status": status, "receipt": receipt, **claims})
