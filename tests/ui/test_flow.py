"""End to end through the real window: keyboard only, touch only, language switch,
submit → receipt whose QR decodes (zxing-cpp) to a receipt the device key verifies."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.driver import fill_screens, press, tab_to, tap, type_keys

FORM = "livestock-census"  # no attachments: a keyboard alone can complete it


def _decode_qr(label) -> str:  # noqa: ANN001
    """Decode the QR exactly as shown on screen, with an independent decoder (zxing-cpp)."""
    import io

    import zxingcpp
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    label.grab().save(buffer, "PNG")
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(bytes(buffer.data()))))
    assert results, "no QR code found on the receipt screen"
    return results[0].text


def _submit_and_check_receipt(qtbot, kiosk, submit) -> None:  # noqa: ANN001
    window = kiosk.window
    with qtbot.waitSignal(window.submitted, timeout=20_000) as blocker:
        submit()
    info = blocker.args[0]
    assert window.stack.currentWidget() is window.receipt_view
    text = _decode_qr(window.receipt_view.qr)
    assert text == info.qr_text
    from kiosk.receipt import verify_receipt

    claims = verify_receipt(text, kiosk.services.device_public_jwk())
    assert claims["id"] == info.submission_id
    assert claims["demo"] is True  # not enrolled: DEMO
    # The number shown in large letters: the submission ID's random tail in Crockford base32,
    # the same as in the QR (no I, L, O, U: nothing read as a digit)
    from kiosk.receipt import CROCKFORD

    number = window.receipt_view.number_label.text()
    assert number == claims["n"] and len(number) == 14 and number[4] == number[9] == " "
    assert set(number.replace(" ", "")) <= set(CROCKFORD) and not set(number) & set("ILOU")
    # Sealed in the store, the draft gone.
    def stored() -> bool:
        return kiosk.bridge.is_idle()

    qtbot.waitUntil(stored)
    store = kiosk.services.store()
    assert store.counts().get("sealed", 0) + store.counts().get("queued", 0) == 1
    assert store.drafts() == []


def test_keyboard_only_completes_a_form(qtbot, kiosk):
    window = kiosk.window
    tile = window.home.tiles[FORM]
    tab_to(qtbot, tile)
    press(qtbot, Qt.Key.Key_Space)
    assert window.stack.currentWidget() is window.form
    fill_screens(qtbot, kiosk, FORM, "keyboard")
    assert window.review.submit_btn.hasFocus()
    _submit_and_check_receipt(qtbot, kiosk, lambda: press(qtbot, Qt.Key.Key_Space))
    assert window.receipt_view.finish_btn.hasFocus()
    with qtbot.waitSignal(window.wiped):
        press(qtbot, Qt.Key.Key_Space)
    assert window.stack.currentWidget() is window.home and window.flow is None


def test_touch_only_completes_a_form(qtbot, kiosk):
    window = kiosk.window
    tap(qtbot, window.home.tiles[FORM])
    fill_screens(qtbot, kiosk, FORM, "touch")
    _submit_and_check_receipt(qtbot, kiosk, lambda: tap(qtbot, window.review.submit_btn))
    with qtbot.waitSignal(window.wiped):
        tap(qtbot, window.receipt_view.finish_btn)
    assert QApplication.clipboard().text() == ""


def test_language_switch_mid_form_keeps_answers(qtbot, kiosk):
    window = kiosk.window
    tap(qtbot, window.home.tiles[FORM])
    block = next(iter(window.form.blocks.values()))
    title_mn = block.title.text()
    type_keys(block.widget.edit, "ЖЭ78030519")
    tap(qtbot, window.form.next)
    key_after = window.form.flow.screen_key
    tap(qtbot, window.lang_btn)
    assert kiosk.prefs.lang == "en"
    assert window.form.flow.screen_key == key_after  # same screen
    assert window.form.next.text() == "Next"
    tap(qtbot, window.form.back)
    block = next(iter(window.form.blocks.values()))
    assert block.widget.edit.text() == "ЖЭ78030519"
    assert block.title.text() != title_mn  # the label follows the language
    assert "Birth date" in block.widget.feedback.text()
    tap(qtbot, window.lang_btn)
    assert kiosk.prefs.lang == "mn"
    assert next(iter(window.form.blocks.values())).widget.edit.text() == "ЖЭ78030519"


def test_validation_error_in_plain_words_next_to_the_field(qtbot, kiosk):
    from ui import a11y

    window = kiosk.window
    tap(qtbot, window.home.tiles[FORM])
    key = window.form.flow.screen_key
    tap(qtbot, window.form.next)
    assert window.form.flow.screen_key == key  # refused
    block = next(iter(window.form.blocks.values()))
    assert block.error.isVisible() and block.error.text()
    assert a11y.announcements[-1] == block.error.text()
    assert block.widget.edit.hasFocus()
    tap(qtbot, window.lang_btn)
    block = next(iter(window.form.blocks.values()))
    assert block.error.isVisible() and block.error.text().isascii()  # now in English


def test_read_aloud_with_the_mock_engine(qtbot, kiosk):
    window, reader = kiosk.window, kiosk.reader
    assert reader.available and reader.engine == "mock"
    kiosk.prefs.set_read_aloud(True)
    with qtbot.waitSignal(reader.spoken) as spoken:
        tap(qtbot, window.home.tiles[FORM])
    block = next(iter(window.form.blocks.values()))
    assert block.title.text() in spoken.args[0]
    with qtbot.waitSignal(reader.spoken) as spoken:
        tap(qtbot, window.form.next)  # refused: the error is spoken
    assert block.error.text() in spoken.args[0] or block.error.text() in " ".join(reader.history[-2:])


def test_read_aloud_unavailable_is_said_plainly(qtbot, kiosk, monkeypatch):
    from ui import speech

    monkeypatch.setenv("KIOSK_TTS_ENGINE", "")
    monkeypatch.setattr(speech, "text_to_speech", lambda: None)
    kiosk.window.reader = kiosk.window.settings.reader = speech.Reader()
    assert not kiosk.window.reader.available
    tap(qtbot, kiosk.window.a11y_btn)
    from PySide6.QtWidgets import QLabel

    note = kiosk.window.settings.findChild(QLabel, "readAloudUnavailable")
    assert note is not None and note.isVisible() and "speech" not in note.text()  # Mongolian
    assert not kiosk.window.settings.findChild(type(kiosk.window.settings.controls[0]), "read-aloud").isEnabled()


def test_print_receipt_to_pdf_80mm_and_a4(qtbot, kiosk, tmp_path: Path):
    from kiosk.store.ids import uuid7
    from ui.printing import print_receipt
    from ui.views.receipt import ReceiptInfo

    info = ReceiptInfo(uuid7(), "receipt-text", "2026-11-26T09:30:00Z", {"mn": "Төрсний бүртгэл", "en": "Birth"}, True)
    for paper in ("80mm", "a4"):
        pdf = tmp_path / f"{paper}.pdf"
        print_receipt(info, "mn", paper, pdf)
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 2000


def test_draft_saved_on_answer_and_cancel_discards_it(qtbot, kiosk):
    window = kiosk.window
    tap(qtbot, window.home.tiles[FORM])
    block = next(iter(window.form.blocks.values()))
    with qtbot.waitSignal(window.draft_saved, timeout=5000):
        type_keys(block.widget.edit, "ЖЭ78030519")
    qtbot.waitUntil(kiosk.bridge.is_idle)
    drafts = kiosk.services.store().drafts()
    assert len(drafts) == 1 and drafts[0].form_id == FORM
    for file in kiosk.services.home.root.glob("kiosk.db*"):  # the database and its WAL
        assert "ЖЭ78030519".encode() not in file.read_bytes()  # encrypted at rest
    tap(qtbot, window.form.cancel)
    assert window.stack.currentWidget() is window.confirm
    with qtbot.waitSignal(window.wiped):
        tap(qtbot, window.confirm.yes)
    qtbot.waitUntil(kiosk.bridge.is_idle)
    assert window.stack.currentWidget() is window.home
    assert kiosk.services.store().drafts() == []


def test_idle_warning_then_wipe(qtbot, isolated_home, monkeypatch):
    (isolated_home / "config.toml").write_text("idle_warning_seconds = 1\nidle_wipe_seconds = 1\n", "utf-8")
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    from kiosk.paths import Home
    from ui.app import build

    k = build(Home(isolated_home), "mn")
    qtbot.addWidget(k.window)
    k.window.show()
    window = k.window
    tap(qtbot, window.home.tiles[FORM])
    block = next(iter(window.form.blocks.values()))
    type_keys(block.widget.edit, "ЖЭ78030519")
    QApplication.clipboard().setText("personal")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.idle, timeout=5000)
    with qtbot.waitSignal(window.wiped, timeout=5000):
        pass
    assert window.flow is None and window.stack.currentWidget() is window.home
    assert QApplication.clipboard().text() == ""
    qtbot.waitUntil(k.bridge.is_idle)
    assert k.services.store().drafts() == []
    k.bridge.shutdown()
    k.services.close()


def test_validation_error_is_scrolled_into_view_at_200_percent(qtbot, kiosk):
    """With the largest text the message under the field must not fall below the fold."""
    window = kiosk.window
    window.resize(1280, 800)
    kiosk.prefs.set_theme("high-contrast")
    kiosk.prefs.set_scale(200)
    tap(qtbot, window.home.tiles["marriage-registration"])
    QApplication.processEvents()  # the screen is laid out long before a resident taps Next
    tap(qtbot, window.form.next)
    block = next(iter(window.form.blocks.values()))
    assert block.error.isVisible() and block.error.text()
    viewport = window.form.page.viewport()

    def in_view() -> bool:
        top = block.error.mapTo(viewport, block.error.rect().topLeft()).y()
        bottom = block.error.mapTo(viewport, block.error.rect().bottomLeft()).y()
        return 0 <= top and bottom <= viewport.height()

    qtbot.waitUntil(in_view, timeout=3000)
    QApplication.processEvents()  # and it stays there once every pending layout has run
    assert in_view()
