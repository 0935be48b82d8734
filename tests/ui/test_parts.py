"""Smaller pieces: the UI's strings, the bridge's threads, attachments, registry feedback,
the on-screen keyboard, staff mode and ``kiosk screenshots``."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from kiosk.paths import ASSETS_DIR

REPO = Path(__file__).resolve().parents[2]
UI_JSON = ASSETS_DIR / "i18n" / "ui.json"
CYRILLIC = re.compile(r"[А-Яа-яЁёӨөҮү]")


def test_every_ui_string_is_in_both_languages():
    entries = json.loads(UI_JSON.read_text(encoding="utf-8"))
    for key, texts in entries.items():
        assert set(texts) >= {"mn", "en"}, key
        assert texts["mn"].strip() and texts["en"].strip(), key
        placeholders = lambda s: sorted(re.findall(r"\{(\w+)\}", s))  # noqa: E731
        assert placeholders(texts["mn"]) == placeholders(texts["en"]), key
        bare = re.sub(r"\{\w+\}", "", texts["mn"])
        if re.search(r"[A-Za-z]{3}", bare) and not CYRILLIC.search(bare):
            assert key in {"lang_button", "keyboard_layout_latin", "a11y_size_pct"}, f"{key}: mn is not Mongolian"


def test_every_key_used_in_ui_exists():
    from kiosk.i18n import catalog

    known = catalog()
    used: set[str] = set()
    for file in (REPO / "ui").rglob("*.py"):
        text = file.read_text(encoding="utf-8")
        used |= set(re.findall(r"""["'](ui\.[a-z0-9_]+)["']""", text))
    modules = {f"ui.{f.stem}" for f in (REPO / "ui").glob("*.py")} | {"app.demo"}
    missing = sorted(k for k in used - modules if k not in known)
    assert not missing, missing
    assert len(used) > 100


def test_built_keys_exist():
    """Keys assembled at run time (f"ui.{key}") from these lists."""
    from kiosk.i18n import catalog

    known = catalog()
    built = [f"ui.{k}" for k in (
        "form_back", "form_cancel", "form_read", "receipt_print_80", "receipt_print_a4",
        "receipt_finish", "lang_button", "a11y_button", "staff_button", "keyboard_show", "home_button",
    )]
    built += [f"ui.{k}_desc" for k in (
        "form_back", "form_cancel", "form_read", "receipt_print_80", "receipt_print_a4",
        "receipt_finish", "lang_button", "a11y_button", "staff_button", "keyboard_show", "home_button",
    )]
    built += [f"ui.staff_state_{s}" for s in ("draft", "queued", "sent", "held", "acknowledged", "rejected")]
    built += [f"ui.staff_status_{s}" for s in ("ok", "warn", "fail")]
    built += [f"ui.date_{p}" for p in ("year", "month", "day")]
    built += [f"ui.keyboard_layout_{p}" for p in ("cyrillic", "latin", "digits")]
    built += [f"ui.sex_{s}" for s in ("male", "female")]
    assert [k for k in built if k not in known] == []


def test_bridge_runs_db_work_on_one_worker_and_calls_back_on_the_gui_thread(qtbot):
    from ui.bridge import Bridge, Operation

    bridge = Bridge()
    gui = threading.current_thread()
    seen: list[tuple[str, bool]] = []
    workers: set[str] = set()

    def work(i: int):
        workers.add(threading.current_thread().name)
        assert threading.current_thread() is not gui
        return i

    for i in range(5):
        bridge.run_db(Operation(lambda i=i: work(i), lambda r: seen.append((str(r), threading.current_thread() is gui))))
    failures: list[str] = []
    bridge.run_db(Operation(lambda: 1 / 0, failure=lambda exc: failures.append(type(exc).__name__)))
    qtbot.waitUntil(lambda: len(seen) == 5 and bool(failures), timeout=5000)
    assert seen == [(str(i), True) for i in range(5)]  # in order, on the GUI thread
    assert len(workers) == 1 and failures == ["ZeroDivisionError"]
    bridge.shutdown()


def test_status_listener_batches_events_from_any_thread(qtbot):
    from ui.bridge import StatusListener

    listener = StatusListener(interval_ms=50)
    got: list[dict] = []
    listener.status_changed.connect(got.append)
    threads = [threading.Thread(target=listener.notify, args=({f"k{i}": i},)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    qtbot.waitUntil(lambda: bool(got), timeout=3000)
    assert listener.batches == 1 and len(got[0]) == 20


def test_attachment_over_the_limit_is_refused_plainly(qtbot, tmp_path):
    from ui.widgets import Context
    from ui.widgets.media import AttachmentWidget

    class Q:
        name, type, max_size_kb, accept = "doc", "attachment", 10, ("image/png", "image/jpeg")

    w = AttachmentWidget(Q(), Context(lang="en", max_attachment_kb=4096))
    qtbot.addWidget(w)
    errors: list[str] = []
    w.local_error.connect(errors.append)
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20_000)
    assert w.load_file(big) is False
    assert w.value() is None and "too large" in errors[-1] and "10 KB" in errors[-1]
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4 tiny")
    assert w.load_file(pdf) is False and "not accepted" in errors[-1]
    small = ASSETS_DIR / "catalog" / "examples" / "files"
    photo = next(p for p in small.iterdir() if p.suffix == ".png" and p.stat().st_size < 10 * 1024) if any(
        p.suffix == ".png" and p.stat().st_size < 10 * 1024 for p in small.iterdir()) else None
    if photo is None:
        photo = tmp_path / "ok.png"
        from PySide6.QtGui import QImage

        img = QImage(20, 20, QImage.Format.Format_RGB32)
        img.fill(0x336699)
        img.save(str(photo))
    assert w.load_file(photo) is True
    value = w.value()
    assert value["media_type"] == "image/png" and len(value["sha256"]) == 64
    assert not w.preview.isHidden()


def test_registry_entry_gives_immediate_feedback_and_derived_facts(qtbot):
    from ui.widgets import Context
    from ui.widgets.inputs import RegistryWidget

    class Q:
        name, type = "rd", "registry_number"

    w = RegistryWidget(Q(), Context(lang="mn"))
    qtbot.addWidget(w)
    w.edit.setText("жэ7803")
    w._edited()
    assert "6" in w.feedback.text() and w.feedback.property("role") == "hint"
    w.edit.setText("ЖЭ78030519")
    w._edited()
    assert "1978.03.05" in w.feedback.text() and "эрэгтэй" in w.feedback.text()
    assert w.feedback.property("role") == "ok"
    w.edit.setText("ЖЭ78139919")
    w._edited()
    assert w.feedback.property("role") == "error"


def test_on_screen_keyboard_has_mongolian_letters_and_numeric_pad(qtbot):
    from PySide6.QtWidgets import QLineEdit

    from ui.widgets.keyboard import OnScreenKeyboard

    kb = OnScreenKeyboard()
    qtbot.addWidget(kb)
    assert kb.keys == []  # made when first shown, not at kiosk start-up
    kb.show()
    names = {b.objectName() for b in kb.keys}
    assert {"key-Ө", "key-Ү", "key-Ё"} <= names
    edit = QLineEdit()
    edit.setProperty("keypad", "numeric")
    qtbot.addWidget(edit)
    kb.follow_focus(edit)
    assert kb.layout_name == "digits" and {f"key-{d}" for d in "0123456789"} <= {b.objectName() for b in kb.keys}
    assert all(b.focusPolicy() == Qt.FocusPolicy.NoFocus for b in kb.keys)


def shown(root: QWidget, name: str) -> QWidget | None:
    """The visible widget with this name (replaced screens are deleted a moment later)."""
    return next((w for w in root.findChildren(QWidget, name) if w.isVisible()), None)


def test_staff_mode_with_the_pin_shows_queue_drafts_and_diagnostics(qtbot, kiosk):
    from kiosk import pin

    window = kiosk.window
    qtbot.waitUntil(kiosk.bridge.is_idle)
    pin.set_pin(kiosk.services.store(), "246813")
    qtbot.mouseClick(window.staff_btn, Qt.MouseButton.LeftButton)
    window.staff.pin_edit.setText("1111")
    window.staff.try_pin()
    qtbot.waitUntil(lambda: window.staff.message != "", timeout=5000)
    assert not window.staff.unlocked and shown(window.staff, "sync-now") is None
    for digit in "246813":  # the on-screen PIN pad
        qtbot.mouseClick(shown(window.staff, f"pin-{digit}"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(shown(window.staff, "pin-enter"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.staff.unlocked and window.staff.snapshot is not None, timeout=10_000)
    assert shown(window.staff, "sync-now") is not None
    qtbot.mouseClick(shown(window.staff, "diagnostics"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.staff.checks is not None, timeout=60_000)
    assert window.staff.checks, "doctor checks are shown"
    qtbot.mouseClick(shown(window.staff, "staff-exit"), Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.home and not window.staff.unlocked


def test_staff_pin_locked_after_too_many_wrong_attempts_says_how_long(qtbot, kiosk):
    from kiosk import pin
    from kiosk.i18n import t

    window = kiosk.window
    qtbot.waitUntil(kiosk.bridge.is_idle)
    store = kiosk.services.store()
    pin.set_pin(store, "246813")
    for _ in range(pin.FREE_ATTEMPTS):
        assert not pin.check_pin(store, "000000")
    window.open_staff()
    window.staff.pin_edit.setText("246813")  # the right PIN, but locked now
    window.staff.try_pin()
    qtbot.waitUntil(lambda: window.staff.message != "", timeout=5000)
    seconds = int(pin.lockout_remaining(store) + 0.999)
    expected = {t("ui.staff_pin_locked", window.staff.lang, seconds=s) for s in (seconds, seconds + 1)}
    assert not window.staff.unlocked and window.staff.message_text() in expected


def test_interrupted_draft_can_be_resumed_by_staff(qtbot, kiosk):
    from kiosk import pin
    from tests.ui.driver import type_keys

    window = kiosk.window
    qtbot.mouseClick(window.home.tiles["livestock-census"], Qt.MouseButton.LeftButton)
    block = next(iter(window.form.blocks.values()))
    with qtbot.waitSignal(window.draft_saved, timeout=5000):
        type_keys(block.widget.edit, "ЖЭ78030519")
    qtbot.waitUntil(kiosk.bridge.is_idle)
    store = kiosk.services.store()
    assert store.mark_open_drafts_interrupted() == 1  # as after a power cut
    [info] = store.interrupted_drafts()
    assert store.load_draft(info.id).kept["v"] == 1  # the session's kept values went along
    window.flow = None
    window.show_home()
    pin.set_pin(store, "246813")
    window.open_staff()
    window.staff.pin_edit.setText("246813")
    window.staff.try_pin()
    qtbot.waitUntil(lambda: window.staff.snapshot is not None and window.staff.drafts_list is not None, timeout=10_000)
    assert window.staff.drafts_list.count() == 1
    assert "ЖЭ" not in window.staff.drafts_list.item(0).text()  # service and time only
    qtbot.mouseClick(shown(window.staff, "draft-resume"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.form, timeout=5000)
    block = next(iter(window.form.blocks.values()))
    assert block.widget.edit.text() == "ЖЭ78030519"


def test_staff_mode_needs_the_pin(qtbot, kiosk):
    window = kiosk.window
    qtbot.mouseClick(window.staff_btn, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.staff
    window.staff.pin_edit.setText("0000")
    window.staff.try_pin()
    qtbot.waitUntil(lambda: window.staff.message != "", timeout=5000)
    assert not window.staff.unlocked
    assert window.staff.findChild(QWidget, "sync-now") is None


def test_screenshots_command_writes_pngs(kiosk_cli, tmp_path, monkeypatch):
    # Screenshots use a throwaway folder and never the OS keyring: they must work on a
    # build machine that has none.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    out = tmp_path / "shots"
    result = kiosk_cli("screenshots", "--out", str(out), "--quick", "--lang", "en", "--json", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    files = sorted(out.glob("*.png"))
    assert report["count"] == len(files) >= 40
    names = {f.name for f in files}
    for must in ("en-default-100-01-home.png", "en-high-contrast-200-40-review.png",
                 "en-default-100-50-receipt.png", "en-default-100-30-validation-error.png",
                 "en-default-100-62-staff-dashboard.png", "en-default-100-20-question-signature.png"):
        assert must in names
    assert all(f.read_bytes().startswith(b"\x89PNG") for f in files)


def test_staff_reprints_the_last_receipt_from_the_store(qtbot, kiosk, monkeypatch):
    from kiosk import pin
    from ui import printing
    from ui.examples import open_example

    window = kiosk.window
    open_example(window, "livestock-census")
    window.show_review()
    with qtbot.waitSignal(window.submitted, timeout=20_000) as submitted:
        qtbot.mouseClick(window.review.submit_btn, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.wiped):
        qtbot.mouseClick(window.receipt_view.finish_btn, Qt.MouseButton.LeftButton)
    kiosk.services.last_receipt = None  # as after a restart: only the store knows
    printed: list = []
    monkeypatch.setattr(printing, "print_receipt", lambda info, lang, paper, pdf=None: printed.append(info))
    qtbot.waitUntil(kiosk.bridge.is_idle)
    pin.set_pin(kiosk.services.store(), "246813")
    window.open_staff()
    window.staff.pin_edit.setText("246813")
    window.staff.try_pin()
    qtbot.waitUntil(lambda: window.staff.unlocked and window.staff.snapshot is not None, timeout=10_000)
    assert window.staff.snapshot.counts.get("sealed", 0) + window.staff.snapshot.counts.get("queued", 0) == 1
    qtbot.mouseClick(shown(window.staff, "reprint"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(printed), timeout=10_000)
    assert printed[0].submission_id == submitted.args[0].submission_id
    assert printed[0].qr_text == submitted.args[0].qr_text


def test_locked_down_window_refuses_close_until_staff_quits(qtbot, kiosk, monkeypatch):
    """Alt+F4 / the window manager's close do nothing on a kiosk; staff can quit behind the PIN."""
    from kiosk import pin
    from ui.qt import QApplication

    window = kiosk.window
    window.locked = True
    assert window.close() is False and window.isVisible()
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", staticmethod(lambda: quits.append(True)))
    pin.set_pin(kiosk.services.store(), "246813")
    window.open_staff()
    assert shown(window.staff, "staff-quit") is None  # not before the PIN
    window.staff.pin_edit.setText("246813")
    window.staff.try_pin()
    qtbot.waitUntil(lambda: shown(window.staff, "staff-quit") is not None, timeout=10_000)
    qtbot.mouseClick(shown(window.staff, "staff-quit"), Qt.MouseButton.LeftButton)
    assert window.isVisible() and quits == []  # asked first
    no = shown(window.staff, "staff-quit-no")
    assert no is not None and no.hasFocus() and shown(window.staff, "staff-quit-yes") is not None
    qtbot.mouseClick(no, Qt.MouseButton.LeftButton)
    assert window.isVisible() and quits == [] and shown(window.staff, "staff-quit-yes") is None
    qtbot.mouseClick(shown(window.staff, "staff-quit"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(shown(window.staff, "staff-quit-yes"), Qt.MouseButton.LeftButton)
    assert not window.isVisible() and quits == [True]


def test_no_usable_keyring_means_out_of_service_not_a_form_that_cannot_be_kept(qtbot, isolated_home):
    """Drafts are encrypted with a key from the keyring: without one, no form is offered."""
    import keyring
    from keyring.backends import fail

    from kiosk.paths import Home
    from ui.app import build

    keyring.set_keyring(fail.Keyring())
    k = build(Home(isolated_home), "en")
    qtbot.addWidget(k.window)
    k.window.show()
    try:
        qtbot.waitUntil(lambda: k.services.secrets_problem is not None, timeout=10_000)
        qtbot.waitUntil(lambda: not k.window.home.tiles, timeout=5000)
        texts = " ".join(w.text() for w in k.window.home.findChildren(QWidget) if hasattr(w, "text"))
        # Plain words for the resident; the technical reason only behind the staff PIN.
        assert "not working" in texts and "Staff mode" in texts
        for jargon in ("keyring", "docs/", "backends", "kiosk doctor"):
            assert jargon not in texts, jargon
        assert k.window.open_form("livestock-census") is None
        assert k.window.stack.currentWidget() is k.window.home
        assert shown(k.window, "staff") is not None or k.window.staff_btn.isVisible()
        k.window.open_staff()
        staff_texts = " ".join(w.text() for w in k.window.staff.findChildren(QWidget) if hasattr(w, "text"))
        assert "keyring" not in staff_texts  # not before the PIN either
        k.window.staff.unlocked = True  # what a right PIN does (the PIN itself: test_staff_*)
        k.window.staff.present()
        staff_texts = " ".join(w.text() for w in k.window.staff.findChildren(QWidget)
                               if hasattr(w, "text") and w.isVisible())
        assert "keyring" in staff_texts
    finally:
        qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
        k.bridge.shutdown()
        k.services.close()
