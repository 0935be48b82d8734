"""Staff see the ODK connection (token masked) and where its submissions are; a 409
conflict is among the failures with its reason. The real window, offscreen."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.odk.helpers import household_answers, household_xform  # noqa: E402
from tests.odk.kiosk_side import connect_kiosk  # noqa: E402


@pytest.fixture
def ui_kiosk(qtbot, isolated_home, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    from kiosk.paths import Home
    from ui.app import build

    k = build(Home(isolated_home), "en")
    qtbot.addWidget(k.window)
    k.window.show()
    qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
    yield k
    qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
    k.bridge.shutdown()
    k.services.close()


def _texts(widget) -> str:  # noqa: ANN001
    from PySide6.QtWidgets import QLabel

    return "\n".join(lab.text() for lab in widget.findChildren(QLabel) if lab.isVisible())


def test_staff_screen_shows_the_odk_connection_and_a_conflict(qtbot, make_form, isolated_home,
                                                              ui_kiosk) -> None:
    from sync.odk.deliver import open_delivery

    _, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    other = connect_kiosk(isolated_home.parent / "other", user.url, form_id)
    other.finalize(dict(household_answers(), age=3), submission_id=sid)
    assert open_delivery(other.home, other.store).run_once().accepted == 1
    kiosk.finalize(dict(household_answers(), name="Second"))
    report = open_delivery(kiosk.home, kiosk.store).run_once()
    assert (report.accepted, report.rejected) == (1, 1)

    window = ui_kiosk.window
    assert ui_kiosk.services.check_odk()
    window.open_staff()
    window.staff.unlocked = True
    window.staff.refresh()
    qtbot.waitUntil(lambda: window.staff.snapshot is not None and ui_kiosk.bridge.is_idle(),
                    timeout=20_000)
    window.staff.present()
    shown = _texts(window.staff)
    assert "ODK server" in shown and "/v1/key/…/projects/" in shown
    assert user.token not in shown
    assert "Waiting to send: 0 · received: 1 · refused: 1" in shown
    assert "409" in shown  # the conflict, with its reason, among the failures


def test_staff_screen_shows_held_items_by_reason_and_sends_them_again(
        qtbot, make_form, central, isolated_home, ui_kiosk, kiosk_cli) -> None:
    """A form closed on Central: its submissions are held (not refused), staff read the
    reason in both languages, reopen the form and press "Send again"."""
    from PySide6.QtWidgets import QPushButton

    from sync.odk.deliver import open_delivery

    pid, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sids = [kiosk.finalize() for _ in range(2)]
    central._ok(central._http.patch(f"{central.api}/projects/{pid}/forms/{form_id}",
                                    json={"state": "closed"}))
    delivery = open_delivery(kiosk.home, kiosk.store)
    assert delivery.run_once(pull_forms=False).held == 2
    status = kiosk_cli("status", "--lang", "en")
    assert "The form is closed on the server" in status.stdout and ": 2" in status.stdout
    doctor = kiosk_cli("doctor", "--lang", "mn")
    assert "Маягтыг сервер дээр хаасан" in doctor.stdout, doctor.stdout

    window = ui_kiosk.window
    window.open_staff()
    window.staff.unlocked = True
    for lang, words in (("en", "The form is closed on the server"),
                        ("mn", "Маягтыг сервер дээр хаасан")):
        window.prefs.lang = lang
        window.staff.refresh()
        qtbot.waitUntil(lambda: window.staff.snapshot is not None and ui_kiosk.bridge.is_idle(),
                        timeout=20_000)
        window.staff.present()
        shown = _texts(window.staff)
        assert f"{words}" in shown and ": 2" in shown, shown
    central._ok(central._http.patch(f"{central.api}/projects/{pid}/forms/{form_id}",
                                    json={"state": "open"}))
    again = window.staff.findChild(QPushButton, "send-again")
    assert again is not None
    again.click()
    qtbot.waitUntil(lambda: ui_kiosk.bridge.is_idle()
                    and kiosk.store.submission(sids[0])["next_attempt_at"] <= central_time(),
                    timeout=20_000)
    qtbot.waitUntil(lambda: "2 өргөдлийг дахин илгээхээр" in _texts(window.staff),
                    timeout=20_000)  # staff are told, in the screen's language
    assert delivery.run_once(pull_forms=False).accepted == 2
    assert central.count(pid, form_id) == 2


def central_time() -> float:
    import time

    return time.time()
