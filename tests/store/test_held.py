"""Held submissions in the store: kept with a reason, slow schedule, send again, counts."""

from __future__ import annotations

import time

from kiosk.destination import DestinationKind
from kiosk.store.outbox import MAX_RETRY_DELAY
from tests.store.conftest import document


def _one(store, device, agency, **answers):
    return store.finalize(document(**answers), device=device, agency_jwk=agency[1],
                          demo=False).submission_id


def test_held_item_keeps_its_reason_and_waits_for_the_slow_schedule(store, device, agency):
    sid = _one(store, device, agency, a=1)
    now = time.time()
    store.mark_sent([sid], now=now)
    store.mark_held(sid, "not-assigned", "app user not assigned to the form", now + 10**9)
    row = store.submission(sid)
    assert row["state"] == "held" and row["last_error"] == "app user not assigned to the form"
    assert store.held_reason(sid) == "not-assigned"
    assert row["next_attempt_at"] <= time.time() + MAX_RETRY_DELAY  # never further
    assert store.next_batch(now) == []
    assert [i.id for i in store.next_batch(now + MAX_RETRY_DELAY + 1)] == [sid]
    counts = store.counts()
    assert (counts["held"], counts["sent"], counts["queued"]) == (1, 0, 0)


def test_send_again_makes_only_held_items_due(store, device, agency):
    held, waiting = _one(store, device, agency, a=1), _one(store, device, agency, a=2)
    now = time.time()
    store.mark_held(held, "form-closed", "closed", now + 600)
    store.schedule_retry(waiting, "busy", now + 600)
    assert store.send_again([held], now=now) == 1
    assert [i.id for i in store.next_batch(now)] == [held]
    store.mark_acknowledged(held, {"status": "accepted"})
    assert store.submission(held)["state"] == "acknowledged"
    assert store.held_reason(held) is None
    assert store.send_again(now=now) == 0


def test_rows_are_picked_and_counted_per_destination(store, device, agency):
    central = _one(store, device, agency, a=1)
    odk = _one(store, device, agency, a=2)
    with store.write() as conn:  # an ODK row carries agency_kid 'odk' (sync.odk.seal)
        conn.execute("UPDATE submissions SET agency_kid = 'odk' WHERE id = ?", (odk,))
    assert [i.id for i in store.next_batch(kind=DestinationKind.ODK)] == [odk]
    assert [i.id for i in store.next_batch(kind=DestinationKind.KIOSK_CENTRAL)] == [central]
    assert store.counts_for(DestinationKind.ODK)["sealed"] == 1
    store.mark_held(odk, "form-closed", "closed", time.time() + 60)
    assert [sid for sid, _ in store.unsent_envelopes(DestinationKind.ODK)] == [odk]
    assert store.counts_for(DestinationKind.ODK)["held"] == 1


def test_a_lost_data_key_with_drafts_stored_says_restore_the_keyring(isolated_home):
    """The store tells a missing key from other key errors by its type, not its text."""
    import pytest

    from kiosk.errors import ConfigError
    from kiosk.paths import home
    from kiosk.secrets import DATA_KEY, open_secrets
    from kiosk.store import Store

    with Store.open(home(isolated_home)) as store:
        store.save_draft(None, form_id="f", form_version="1", answers={"a": 1},
                         position="p1", demo=False)
    open_secrets().delete(DATA_KEY)
    with pytest.raises(ConfigError) as err, Store.open(home(isolated_home)) as again:
        again.save_draft(None, form_id="f", form_version="1", answers={"a": 2},
                         position="p1", demo=False)
    assert "restore the keyring" in err.value.message


def test_odk_rows_go_only_to_the_destination_they_were_made_for(store, device, agency):
    a, b = ("https://odk.example/v1/key/…/projects/1", "1"), ("https://odk.example/v1/key/…/projects/2", "2")
    old = store.finalize(document(a=1), device=device, agency_jwk=agency[1], demo=False,
                         destination=a).submission_id
    legacy = _one(store, device, agency, a=2)  # made before rows recorded a destination
    with store.write() as conn:
        conn.execute("UPDATE submissions SET agency_kid = 'odk'")
    now = time.time()
    assert [i.id for i in store.next_batch(now, kind=DestinationKind.ODK, destination=b)] == \
        [legacy]
    assert store.stamp_destination(a) == 1  # the legacy row was made under connection a
    assert store.next_batch(now, kind=DestinationKind.ODK, destination=b) == []
    assert {i.id for i in store.next_batch(now, kind=DestinationKind.ODK, destination=a)} == \
        {old, legacy}
    assert store.unsent_elsewhere(b) == 2 and store.unsent_elsewhere(a) == 0
    store.mark_held(old, "form-closed", "closed", now + 600)
    assert store.unsent_elsewhere(b) == 2  # held is unsent: still counted
    store.mark_exported([old, legacy])
    assert store.unsent_elsewhere(b) == 0  # a technician carries them
    store.mark_acknowledged(legacy, {"status": "accepted"})
    assert store.unsent_elsewhere(b) == 0
