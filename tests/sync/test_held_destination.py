"""The destination port end to end: a destination answering HELD, then ACKNOWLEDGED,
through the real store (SQLite file) and the real engine and retry policy."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from joserfc.jwk import ECKey

from kiosk.destination import (
    BatchLimits,
    Delivered,
    DestinationKey,
    DestinationKind,
    ItemResult,
    Outcome,
    Reason,
)
from kiosk.device import load_or_create_device
from kiosk.paths import home
from kiosk.secrets import open_secrets
from kiosk.store import Store
from sync.engine import SyncEngine
from sync.retry import BUSY, HELD_DELAY, RetryPolicy


class ScriptedDestination:
    """Answers each delivery of an item with the next outcome of ``script``."""

    def __init__(self, script: list[Outcome]) -> None:
        self.script = script
        self.delivered: list[str] = []

    @property
    def key(self) -> DestinationKey:
        return DestinationKey(DestinationKind.KIOSK_CENTRAL, "https://fake.example", "p1")

    def seal(self, *a: object, **k: object) -> object:
        raise AssertionError("not used")

    def refresh_forms(self) -> None:
        return None

    def close(self) -> None:
        pass

    def limits(self) -> BatchLimits:
        return BatchLimits(1 << 20, 10)

    def due(self, store: Store, now: float, limits: BatchLimits) -> list:
        return store.next_batch(now, limits.max_bytes, limits.max_items)

    def deliver(self, batch: Sequence) -> Delivered:
        done = Delivered([], sent=len(batch))
        for item in batch:
            outcome = self.script[len(self.delivered)]
            self.delivered.append(item.id)
            if outcome is Outcome.HELD:
                done.results.append(ItemResult(item.id, Outcome.HELD, Reason.FORM_CLOSED,
                                               "the form is closed on the server"))
            else:
                done.results.append(ItemResult(item.id, Outcome.ACKNOWLEDGED, Reason.ACCEPTED,
                                               receipt={"status": "accepted", "server": "fake"}))
        return done


@pytest.fixture
def store(isolated_home):
    s = Store.open(home(isolated_home))
    yield s
    s.close()


def _finalize(store: Store) -> str:
    device = load_or_create_device(open_secrets())
    key = ECKey.generate_key("P-256")
    public = dict(key.as_dict(private=False), kid="agency-test-1", use="enc")
    doc = {"form_id": "test-form", "form_version": "1", "answers": {"a": 1}}
    return store.finalize(doc, device=device, agency_jwk=public, demo=False).submission_id


def test_held_is_kept_with_its_reason_then_sent_again_and_acknowledged_once(store, isolated_home):
    sid = _finalize(store)
    dest = ScriptedDestination([Outcome.HELD, Outcome.ACKNOWLEDGED])
    engine = SyncEngine(home(isolated_home), store, None, destinations=[dest])

    first = engine.run_once()
    assert (first.held, first.rejected, first.accepted) == (1, 0, 0)
    row = store.submission(sid)
    assert row["state"] == "held" and row["last_error"] == "the form is closed on the server"
    assert store.held_reason(sid) == Reason.FORM_CLOSED.value
    assert first.counts["held"] == 1

    assert engine.run_once().sent == 0  # held: not due again on the next round
    assert dest.delivered == [sid]

    assert store.send_again() == 1  # staff: "send again"
    second = engine.run_once()
    assert (second.accepted, second.held) == (1, 0)
    assert store.submission(sid)["state"] == "acknowledged"
    assert store.held_reason(sid) is None

    assert engine.run_once().sent == 0
    assert dest.delivered == [sid, sid]  # acknowledged exactly once, never sent again
    counts = store.counts()
    assert (counts["acknowledged"], counts["held"]) == (1, 0)


def test_held_items_come_back_on_the_slow_schedule(store, isolated_home):
    sid = _finalize(store)
    dest = ScriptedDestination([Outcome.HELD, Outcome.ACKNOWLEDGED])
    later = [time.time()]
    engine = SyncEngine(home(isolated_home), store, None, destinations=[dest],
                        clock=lambda: later[0])
    engine.run_once()
    later[0] += HELD_DELAY - 60
    assert engine.run_once().sent == 0
    later[0] += 120  # past the slow schedule: tried again without staff
    assert engine.run_once().accepted == 1
    assert dest.delivered == [sid, sid]


def test_one_policy_caps_a_servers_retry_after():
    policy = RetryPolicy(rng=lambda: 0.0)
    busy = ItemResult("x", Outcome.RETRY, Reason.SERVER_BUSY, "busy", retry_after=10.0**6)
    assert policy.delay(busy, attempts=3) == BUSY.cap
    held = ItemResult("x", Outcome.HELD, Reason.NOT_ASSIGNED, "not assigned")
    assert policy.delay(held, attempts=0) == HELD_DELAY
