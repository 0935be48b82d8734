"""Issue 19 at 1024x768 and 200 % text with the on-screen keys open: the question's label
and the field being typed into are wholly above the keys (a РД's long English label, a
phone's hint in Mongolian, a petition's multi-line body); the keys are never under 44 px;
a form switched to English opens the English keys first (and back)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLabel, QWidget

from tests.ui.driver import finish_and_wipe, in_view, running_kiosk, screen_of, settle, tap

WINDOW = (1024, 768)


def _open(kiosk, form_id: str, question: str, lang: str):  # noqa: ANN001
    from ui.examples import open_example

    window = kiosk.window
    window.resize(*WINDOW)
    kiosk.prefs.set_scale(200)
    if kiosk.prefs.lang != lang:
        window.toggle_lang()
    open_example(window, form_id)
    window.form.go_to(screen_of(kiosk, form_id, question))
    settle()
    return window


CASES = [  # form, question, language, the field's own format hint kept while typing
    ("id-card", "applicant_rd", "en", True),  # the question's hint steps aside: room enough
    ("death-registration", "deceased_rd", "en", False),  # a two-line label: both step aside
    ("permanent-care-allowance", "cared_rd", "en", False),
    ("livestock-census", "head_rd", "en", False),
    ("birth-registration", "mother_phone", "mn", True),
    ("id-card", "phone", "mn", True),
    ("livestock-census", "phone", "mn", True),
    ("governor-petition", "body", "en", None),  # no format hint (the question's steps aside)
    ("governor-petition", "body", "mn", None),
]


@pytest.mark.parametrize(("form_id", "question", "lang", "keeps_format"), CASES)
def test_label_and_field_above_the_keys_at_1024x768_200(qtbot, kiosk, form_id, question, lang, keeps_format):
    window = _open(kiosk, form_id, question, lang)
    block = window.form.blocks[question]
    field = block.widget.focus_widgets()[0]
    hints = [w for w in block.findChildren(QLabel) if w.property("role") == "hint" and w.isVisible()]
    tap(qtbot, field)
    qtbot.waitUntil(window.keyboard.isVisible, timeout=3000)
    page = window.form.page
    settle()
    shown = [block.title, *block.widget.focus_widgets()]
    try:
        qtbot.waitUntil(lambda: all(in_view(page, w) for w in shown), timeout=2000)
    finally:
        vp = page.viewport()
        print("viewport", vp.height(), [(type(w).__name__, w.mapTo(vp, QPoint(0, 0)).y(), w.height()) for w in shown])
    # The page ends where the keys begin, and the window is no taller than the screen.
    bottom = page.viewport().mapTo(window, QPoint(0, page.viewport().height())).y()
    assert bottom <= window.keyboard.mapTo(window, QPoint(0, 0)).y()
    assert window.centralWidget().minimumSizeHint().height() <= WINDOW[1]
    assert all(key.height() >= 44 for key in window.keyboard.keys if key.isVisible())
    # Only as many hints step aside as the room asks (the topmost first).
    own = [h for h in hints if block.widget.isAncestorOf(h) and h.objectName() != "registryFeedback"]
    if keeps_format is not None:
        assert own and all(h.isVisible() for h in own) == keeps_format, [h.text() for h in own]
    # Hints set aside while typing come back with the keys put away.
    window.keyboard.hide()
    qtbot.waitUntil(lambda: all(h.isVisible() for h in hints), timeout=2000)
    finish_and_wipe(qtbot, kiosk)


def _text_field(kiosk):  # noqa: ANN001
    from PySide6.QtWidgets import QLineEdit

    from ui.examples import open_example
    from ui.screenshots import type_examples

    window = kiosk.window
    window.resize(1280, 800)
    form_id, key = type_examples(kiosk)["text"]
    open_example(window, form_id)
    window.form.go_to(key)
    settle()
    return next(w for w in window.form.input_widgets() if isinstance(w, QLineEdit))


def test_the_kiosks_english_button_opens_the_english_keys_on_a_form(qtbot, kiosk):
    """Issue 19: a Mongolian kiosk's form switched to English by the kiosk's button: a tap on
    a text field opens the Latin letters first; back to Mongolian, the Cyrillic ones."""
    window = kiosk.window
    assert kiosk.prefs.lang == "mn"
    tap(qtbot, _text_field(kiosk))
    qtbot.waitUntil(window.keyboard.isVisible, timeout=3000)
    assert window.keyboard.layout_name == "cyrillic"
    window.toggle_lang()
    settle()
    assert window.keyboard.layout_name == "latin"  # the open keys switch at once
    window.keyboard.hide()
    tap(qtbot, _text_field(kiosk))
    qtbot.waitUntil(window.keyboard.isVisible, timeout=3000)
    assert window.keyboard.layout_name == "latin" and window.keyboard.findChild(QWidget, "key-Q") is not None
    window.toggle_lang()
    settle()
    assert window.keyboard.layout_name == "cyrillic"
    finish_and_wipe(qtbot, kiosk)


def test_the_forms_own_english_switch_opens_the_english_keys(qtbot, isolated_home, tmp_path, monkeypatch):  # noqa: ANN001
    """Issue 19: on a Mongolian kiosk a form in three languages (one the kiosk lacks, so it
    offers its own switch) switched to English opens the Latin letters; back, the Cyrillic."""
    from tests.forms.xlsform_builders import write_xlsform
    from tests.ui.test_xform_ui import _import

    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    xlsx = write_xlsform(tmp_path / "mnen.xlsx",
                         [["type", "name", "label::Mongolian (mn)", "label::English (en)", "label::Қазақша (kk)"],
                          ["text", "name", "Таны нэр", "Your name", "Атыңыз"]],
                         None, {"form_title": "Mnen", "form_id": "mnen_form", "default_language": "Mongolian (mn)"})
    _import(isolated_home, xlsx)
    with running_kiosk(qtbot, isolated_home) as k:
        window = k.window
        tap(qtbot, window.home.tiles["mnen-form"])
        view = window.form
        qtbot.waitUntil(lambda: "name" in view.blocks)
        tap(qtbot, view.lang_buttons["en"])
        qtbot.waitUntil(lambda: view.blocks["name"].title.text() == "Your name")
        tap(qtbot, view.blocks["name"].widget.edit)
        qtbot.waitUntil(window.keyboard.isVisible, timeout=3000)
        assert window.keyboard.layout_name == "latin"
        tap(qtbot, view.lang_buttons["mn"])
        qtbot.waitUntil(lambda: view.blocks["name"].title.text() == "Таны нэр")
        tap(qtbot, view.blocks["name"].widget.edit)
        qtbot.waitUntil(lambda: window.keyboard.isVisible() and window.keyboard.layout_name == "cyrillic",
                        timeout=3000)
