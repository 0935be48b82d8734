"""Start-up and shut-down order of the UI's background work."""

from __future__ import annotations


def test_results_after_shutdown_are_not_delivered_to_a_closing_window(qtbot) -> None:
    """The start-up work (store, secrets, catalog) can finish after a short-lived window
    was closed; its callbacks must not touch the deleted widgets."""
    from ui.bridge import Bridge, Operation

    bridge = Bridge()
    ran: list[int] = []
    delivered: list[int] = []
    bridge.run_db(Operation(lambda: ran.append(1) or 1, delivered.append, label="late"))
    bridge.shutdown()  # waits for the database work; its result is still queued for the GUI
    assert ran == [1]
    qtbot.waitUntil(bridge.is_idle, timeout=5000)
    assert delivered == []


def _build(isolated_home):
    from kiosk.paths import Home
    from ui.app import build

    return build(Home(isolated_home), "mn")


def _close(qtbot, k) -> None:
    qtbot.waitUntil(lambda: k.bridge.is_idle(), timeout=10_000)
    k.bridge.shutdown()
    k.services.close()


def test_only_the_home_screen_exists_before_the_first_paint(qtbot, isolated_home, monkeypatch) -> None:
    from PySide6.QtWidgets import QApplication

    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    k = _build(isolated_home)
    qtbot.addWidget(k.window)
    screens = k.window.screens
    for _ in range(5):
        QApplication.processEvents()
    # Not shown, never painted: nothing started in the background, no other screen built.
    assert not k.startup.started and k.services._catalog is None
    assert [n for n in ("form", "review", "receipt_view", "settings", "confirm", "idle", "staff")
            if screens.built(n) is not None] == []
    k.window.show()
    qtbot.waitUntil(k.is_ready, timeout=10_000)
    assert 0 < k.startup.painted_ns <= k.startup.ready_ns
    assert k.services._catalog is not None  # the full catalog, loaded after the paint
    assert screens.built("form") is None  # still: built when a form is opened
    flow = k.window.open_form("id-card")
    assert flow is not None and screens.built("form") is k.window.stack.currentWidget()
    k.window.wipe(discard=True)
    _close(qtbot, k)


def test_using_the_kiosk_before_any_paint_starts_the_background_work(qtbot, isolated_home,
                                                                     monkeypatch) -> None:
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    k = _build(isolated_home)
    qtbot.addWidget(k.window)
    assert not k.startup.started
    k.window.open_staff()  # e.g. a test or a script driving the window unshown
    assert k.startup.started
    qtbot.waitUntil(k.is_ready, timeout=10_000)
    assert k.startup.painted_ns == 0
    _close(qtbot, k)


def test_a_screen_built_late_starts_from_the_sync_status_already_reported(qtbot, isolated_home,
                                                                          monkeypatch) -> None:
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    k = _build(isolated_home)
    qtbot.addWidget(k.window)
    with qtbot.waitSignal(k.window.listener.status_changed):
        k.window.listener.notify({"state": "online", "queued": 3})
    assert k.window.screens.built("staff") is None
    assert k.window.staff.sync_status == {"state": "online", "queued": 3}
    _close(qtbot, k)
