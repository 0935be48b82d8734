"""A resident fills a form from ODK Central on the real kiosk window (touch only, the
on-screen keyboard), the kiosk delivers it, and Central's decrypted export has it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.odk.conftest import PASSPHRASE  # noqa: E402
from tests.odk.helpers import FORMS  # noqa: E402

ANSWERS = {"name": "Сарнай", "age": 34, "livestock": ["horse", "goat"], "district": "Мөрөн"}


def test_touch_fill_of_an_encrypted_odk_form_reaches_central(qtbot, make_form, central,
                                                             kiosk_cli, isolated_home,
                                                             monkeypatch) -> None:
    from kiosk.paths import Home
    from sync.odk.deliver import open_delivery
    from tests.ui.driver import tap, touch_enter
    from ui.app import build

    pid, form_id, user = make_form((FORMS / "visit_ui.xml").read_bytes(), encrypted=True)
    r = kiosk_cli("odk", "connect", user.url, "--json")
    assert r.returncode == 0, r.stderr
    kiosk_id = form_id.replace("_", "-").lower()

    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    k = build(Home(isolated_home), "mn")
    qtbot.addWidget(k.window)
    k.window.show()
    k.window.activateWindow()
    qtbot.waitUntil(lambda: k.bridge.is_idle() and k.window.isActiveWindow(), timeout=20_000)
    try:
        window = k.window
        assert kiosk_id in window.home.tiles, sorted(window.home.tiles)
        tap(qtbot, window.home.tiles[kiosk_id])
        ref = k.services.new_session(kiosk_id, "mn")
        assert ref.restore(ANSWERS) == []
        for _ in range(50):
            if window.stack.currentWidget() is window.review:
                break
            view = window.form
            before = view.flow.screen_key
            for block in list(view.blocks.values()):
                if block.widget is not None:
                    touch_enter(qtbot, window, block.widget,
                                ref.answer(block.entry.name, block.entry.item))
            tap(qtbot, view.next)
            errors = {key: b.current_error() for key, b in view.blocks.items()
                      if b.current_error()}
            assert not errors, f"{before}: {errors}"
        assert window.stack.currentWidget() is window.review
        with qtbot.waitSignal(window.submitted, timeout=20_000) as blocker:
            tap(qtbot, window.review.submit_btn)
        sid = blocker.args[0].submission_id
        qtbot.waitUntil(k.bridge.is_idle, timeout=20_000)
        store = k.services.store()
        delivery = open_delivery(Home(isolated_home), store)
        assert delivery is not None and delivery.run_once().accepted == 1
    finally:
        qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
        k.bridge.shutdown()
        k.services.close()
    tables, _ = central.decrypted_export(pid, form_id, PASSPHRASE)
    row = tables[f"{form_id}.csv"][0]
    assert (row["name"], row["age"], row["livestock"], row["grp-district"]) == \
        ("Сарнай", "34", "horse goat", "Мөрөн")
    assert row["meta-instanceID"] == f"uuid:{sid}"
