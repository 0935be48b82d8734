"""The one retry policy: what each item outcome does to its outbox row, and when.

Why one module: kiosk-central and ODK delivery used to carry their own copies of the
backoff and they drifted (a server's Retry-After was capped on one side only). Every
destination now classifies replies into ``kiosk.destination.ItemResult`` and this
policy writes them: acknowledged (receipts in one transaction), retry (full-jitter
backoff by reason, persisted as the row's due time), held (the slow schedule) and
rejected (with the detail for staff).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.destination import ItemResult, Outcome, Reason
from kiosk.store.outbox import MAX_RETRY_DELAY


@dataclass(frozen=True)
class Backoff:
    base: float
    cap: float


BUSY = Backoff(5.0, 3600.0)  # 5xx, 408, 429
UNKNOWN = Backoff(2.0, 60.0)  # outcome unknown, link down, a local failure
PENDING = Backoff(5.0, 300.0)  # the server asks for it again (attachments not ready)
NOT_CONNECTED_DELAY = 300.0  # no connection, or the server refused our credentials
HELD_DELAY = MAX_RETRY_DELAY  # the slow schedule: an operator must fix something first

_BACKOFF: Mapping[Reason, Backoff] = {Reason.SERVER_BUSY: BUSY, Reason.NOT_READY: PENDING}
_FIXED: Mapping[Reason, float] = {Reason.NOT_CONNECTED: NOT_CONNECTED_DELAY,
                                  Reason.AUTH_REFUSED: NOT_CONNECTED_DELAY}


def full_jitter(attempts: int, base: float, cap: float, rng: Callable[[], float]) -> float:
    """AWS-style "full jitter": uniform in [0, min(cap, base·2^attempts)]."""
    return rng() * min(cap, base * (2 ** min(max(attempts, 0), 30)))


class Tally(Protocol):
    """The counters of a round report the policy adds to."""

    accepted: int
    duplicate: int
    rejected: int
    retry: int
    held: int


class Outbox(Protocol):
    def mark_acknowledged_many(self, acks: list[tuple[str, dict[str, Any]]]) -> None: ...
    def mark_rejected(self, submission_id: str, reason: str) -> None: ...
    def schedule_retry(self, submission_id: str, error: str,
                       next_attempt_at: float | Any) -> None: ...
    def mark_held(self, submission_id: str, reason: str, detail: str,
                  next_attempt_at: float | Any) -> None: ...


class RetryPolicy:
    def __init__(self, *, clock: Callable[[], float] = time.time,
                 rng: Callable[[], float] = random.random) -> None:
        self.clock = clock
        self.rng = rng

    def delay(self, result: ItemResult, attempts: int) -> float:
        """Seconds until the item is due again (RETRY and HELD only)."""
        if result.outcome is Outcome.HELD:
            return HELD_DELAY
        if result.reason in _FIXED:
            return _FIXED[result.reason]
        backoff = _BACKOFF.get(result.reason, UNKNOWN)
        # a server's Retry-After is honoured, but cannot park an item for days
        at_least = min(max(result.retry_after or 0.0, 1.0), BUSY.cap)
        return max(at_least, full_jitter(attempts, backoff.base, backoff.cap, self.rng))

    def record(self, store: Outbox, results: Iterable[ItemResult],
               attempts: Mapping[str, int], tally: Tally) -> None:
        """Write every result to its row; receipts in one transaction (one fsync)."""
        acks: list[tuple[str, dict[str, Any]]] = []
        try:
            for result in results:
                if result.outcome is Outcome.ACKNOWLEDGED:
                    acks.append((result.submission_id, dict(result.receipt or {})))
                    _count_ack(result, tally)
                else:
                    self._record_other(store, result, attempts.get(result.submission_id, 0),
                                       tally)
        finally:
            if acks:
                store.mark_acknowledged_many(acks)

    def _record_other(self, store: Outbox, result: ItemResult, attempts: int,
                      tally: Tally) -> None:
        sid, detail = result.submission_id, result.detail or result.reason.value
        if result.outcome is Outcome.REJECTED:
            store.mark_rejected(sid, detail)
            tally.rejected += 1
            return
        due = self.clock() + self.delay(result, attempts)
        if result.outcome is Outcome.HELD:
            store.mark_held(sid, result.reason.value, detail, due)
            tally.held += 1
        else:
            store.schedule_retry(sid, detail, due)
            tally.retry += 1


def _count_ack(result: ItemResult, tally: Tally) -> None:
    if result.reason is Reason.DUPLICATE:
        tally.duplicate += 1
    else:
        tally.accepted += 1


def retry(submission_id: str, reason: Reason, detail: str,
          retry_after: float | None = None) -> ItemResult:
    return ItemResult(submission_id, Outcome.RETRY, reason, detail, retry_after)


def rejected(submission_id: str, reason: Reason, detail: str) -> ItemResult:
    return ItemResult(submission_id, Outcome.REJECTED, reason, detail)
