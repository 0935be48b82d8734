"""One definition of a round's state: the error classes, the loop's schedule and the
held seam of the staff services all speak RoundState / the store's held state."""

from __future__ import annotations

import time

from kiosk.errors import KioskError
from sync import client as sync_client
from sync.loop import OFFLINE_CAP, SyncLoop
from sync.odk.openrosa import Conflict
from sync.report import RoundReport
from sync.state import LINK_TROUBLE, NETWORK_TROUBLE, REFUSED_KIOSK, RoundState


def _error_classes() -> list[type]:
    found = [c for c in vars(sync_client).values()
             if isinstance(c, type) and issubclass(c, KioskError) and hasattr(c, "kind")]
    return [*found, Conflict]


def test_every_error_kind_is_a_round_state():
    kinds = {cls.kind for cls in _error_classes()}
    assert kinds and all(isinstance(k, RoundState) for k in kinds)
    assert {RoundState.OFFLINE, RoundState.AUTH, RoundState.SERVER_BUSY} <= kinds


def test_the_retry_soon_sets_agree():
    assert LINK_TROUBLE < NETWORK_TROUBLE
    assert not NETWORK_TROUBLE & REFUSED_KIOSK
    assert RoundState.OK not in NETWORK_TROUBLE | REFUSED_KIOSK


def test_the_loop_probes_soon_on_link_trouble_and_waits_for_staff_on_auth():
    loop = SyncLoop(lambda: (lambda: RoundReport()), rng=lambda: 1.0)
    for state in LINK_TROUBLE:
        delay = loop._delay(RoundReport(state=state))
        assert delay is not None and delay <= OFFLINE_CAP
    assert loop._delay(RoundReport(state=RoundState.AUTH)) is None
    busy = loop._delay(RoundReport(state=RoundState.SERVER_BUSY))
    assert busy is not None and busy > 0


def test_staff_services_list_held_items_and_send_them_again(isolated_home):
    from joserfc.jwk import ECKey

    from kiosk.config import load_config
    from kiosk.device import load_or_create_device
    from kiosk.paths import home
    from kiosk.secrets import open_secrets
    from ui.services import Services

    h = home(isolated_home).ensure()
    services = Services(h, load_config(h.config_file))
    store = services.store()
    public = dict(ECKey.generate_key("P-256").as_dict(private=False), kid="a1", use="enc")
    sid = store.finalize({"form_id": "f", "form_version": "1", "answers": {"a": 1}},
                         device=load_or_create_device(open_secrets()), agency_jwk=public,
                         demo=False).submission_id
    store.mark_held(sid, "form-closed", "closed on the server", time.time() + 600)
    snap = services.staff_snapshot()
    assert [(h.id, h.reason) for h in snap.held] == [(sid, "form-closed")]
    assert snap.counts["held"] == 1
    assert services.send_again() == 1
    assert [i.id for i in store.next_batch()] == [sid]
    services.close()
