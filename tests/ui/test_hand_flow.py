"""Issue 19 part A through the real window: what the resident sees and where a tap leads.

Taps are real mouse events on the widgets (QTest); the form engine, the store and the
catalog are the kiosk's own."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

from tests.ui.driver import tap
from ui.examples import open_example


@pytest.fixture
def kiosk(kiosk, qtbot):  # noqa: ANN001 - the conftest's kiosk, its queued draft saved before it goes
    yield kiosk
    kiosk.window.wipe(discard=True)  # no draft left for the closing window to save
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)


def _screen_of(flow, name: str) -> str:  # noqa: ANN001
    return next(s.key for s in flow.s.screens() if any(qv.name == name for qv, _ in s.questions))


def test_a_calculated_value_is_large_text_not_an_input(qtbot, kiosk):
    from ui.widgets.value import ValueWidget

    win = kiosk.window
    flow = open_example(win, "child-money")
    count = flow.s.value("children_count")
    assert count and count > 0
    for name, shown in (("children_count", str(count)), ("monthly_amount", str(count * 100000))):
        win.form.go_to(_screen_of(flow, name))
        block = win.form.blocks[name]
        assert isinstance(block.widget, ValueWidget)
        assert block.findChildren(QLineEdit) == [] and block.findChildren(QPlainTextEdit) == []
        assert block.widget.shown.text() == shown and block.widget.shown.isVisible()
        assert block.widget.shown.property("role") == "big-number"
        texts = [w.text() for w in block.findChildren(type(block.title))]
        assert "Заавал биш" not in texts  # never "optional": nothing to answer
        tap(qtbot, win.form.next)  # a value, never an answer the resident owes
        assert win.form.flow.screen_key != _screen_of(flow, name)


def test_an_empty_calculation_has_no_page_of_its_own(qtbot, kiosk):
    win = kiosk.window
    tap(qtbot, win.home.tiles["id-card"])
    names = [qv.name for s in win.flow.s.screens() for qv, _ in s.questions]
    assert "applicant_age" not in names and "card_name" not in names  # nothing worked out yet
    flow = open_example(win, "id-card")
    names = [qv.name for s in flow.s.screens() for qv, _ in s.questions]
    assert "applicant_age" in names and "card_name" in names


def test_a_tap_on_the_chosen_answer_keeps_it(qtbot, kiosk):
    win = kiosk.window
    flow = open_example(win, "child-money")
    win.form.go_to(_screen_of(flow, "bank"))
    widget = win.form.blocks["bank"].widget
    chosen = flow.answer(win.form.blocks["bank"].entry)
    button = widget.buttons[chosen]
    assert button.isChecked()
    for _ in range(2):  # a pre-set answer tapped again, then a double tap's second tap
        tap(qtbot, button)
        assert button.isChecked() and widget.value() == chosen
    assert flow.answer(win.form.blocks["bank"].entry) == chosen
    assert widget.clear_btn is None  # a required choice has no "Clear answer"
    other = next(b for v, b in widget.buttons.items() if v != chosen)
    tap(qtbot, other)
    assert other.isChecked() and not button.isChecked()


def test_an_optional_single_choice_has_clear_answer(qtbot, kiosk):
    win = kiosk.window
    flow = open_example(win, "id-card")
    flow.s.set_answer("reason", "lost")
    win.form.go_to(_screen_of(flow, "stolen_reported"))
    block = win.form.blocks["stolen_reported"]
    yes = block.widget.buttons[True]
    for _ in range(2):
        tap(qtbot, yes)
        assert yes.isChecked() and flow.answer(block.entry) is True
    clear = block.widget.clear_btn
    assert clear is not None and clear.text() == "Хариултыг арилгах"
    tap(qtbot, clear)
    assert not yes.isChecked() and flow.answer(block.entry) is None and not clear.isEnabled()
    tap(qtbot, win.form.next)  # optional: empty is fine
    assert win.form.flow.screen_key != _screen_of(flow, "stolen_reported")


def test_checkboxes_toggle(qtbot, kiosk):
    from kiosk.forms.model import QuestionType

    win = kiosk.window
    for form_id in kiosk.services.catalog.forms:
        flow = open_example(win, form_id)
        if flow is None:
            continue
        multi = [(s.key, qv.name) for s in flow.s.screens() for qv, _ in s.questions
                 if qv.type == QuestionType.SELECT_MULTIPLE]
        if multi:
            break
        win.wipe(discard=True)
    assert multi, "no bundled form has a select_multiple"
    key, name = multi[0]
    win.form.go_to(key)
    widget = win.form.blocks[next(k for k in win.form.blocks if k.startswith(name))].widget
    first = next(iter(widget.buttons.values()))
    was = first.isChecked()
    tap(qtbot, first)
    assert first.isChecked() is not was
    tap(qtbot, first)
    assert first.isChecked() is was


def test_the_birth_date_is_offered_from_a_valid_registry_number(qtbot, kiosk):
    from ui.widgets.inputs import DateWidget

    win = kiosk.window
    flow = open_example(win, "child-money")
    flow.s.set_answer("child_birth_date", None, (0,))  # the child's РД ЖЭ21261528: 2021-06-15
    key = next(s.key for s in flow.s.screens() for qv, item in s.questions
               if qv.name == "child_birth_date" and item == (0,))
    win.form.go_to(key)
    block = win.form.blocks["child_birth_date#1"]
    assert isinstance(block.widget, DateWidget)
    assert [block.widget.fields[p].text() for p in ("year", "month", "day")] == ["2021", "06", "15"]
    assert flow.s.answer("child_birth_date", (0,)) == "2021-06-15"
    tap(qtbot, block.widget.findChild(type(win.form.next), "date-day-plus"))  # still the resident's to change
    assert flow.s.answer("child_birth_date", (0,)) == "2021-06-16"
    flow.s.set_answer("child_rd", "ЖЭ2126", (0,))  # no valid number: nothing offered
    flow.s.set_answer("child_birth_date", None, (0,))
    win.form.go_to(key)
    assert flow.s.answer("child_birth_date", (0,)) is None


def _pick_scan(qtbot, widget, name: str) -> None:  # noqa: ANN001
    tap(qtbot, widget.pick)
    picker = widget.picker
    qtbot.waitUntil(picker.isVisible)
    tap(qtbot, next(b for k, b in picker.items.items() if k != name and "USB" not in k))  # the scans folder
    tap(qtbot, picker.items[name])
    qtbot.waitUntil(lambda: widget.picker is None)


def test_a_refused_file_never_blocks_an_optional_attachment(qtbot, kiosk, tmp_path, monkeypatch):
    from ui.widgets import filesource

    monkeypatch.setattr(filesource, "MEDIA_BASES", (tmp_path / "media",))
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "letter.png").write_bytes(b"not a picture at all, just words")
    win = kiosk.window
    win.form.scans_folder = str(scans)
    flow = open_example(win, "governor-petition")
    flow.s.set_answer("photo", None)
    key = _screen_of(flow, "photo")
    win.form.go_to(key)
    block = win.form.blocks["photo"]
    assert not flow.required(block.entry)
    _pick_scan(qtbot, block.widget, "letter.png")
    assert block.error.isVisible() and block.error.text()  # said once, under the question
    assert block.widget.value() is None
    tap(qtbot, win.form.next)
    assert win.form.flow.screen_key != key  # optional and empty: on to the next screen


def test_a_required_empty_attachment_says_so_and_back_works(qtbot, kiosk):
    win = kiosk.window
    flow = open_example(win, "death-registration")
    flow.s.set_answer("medical_certificate", None)
    key = _screen_of(flow, "medical_certificate")
    win.form.go_to(key)
    block = win.form.blocks["medical_certificate"]
    tap(qtbot, win.form.next)
    assert win.form.flow.screen_key == key and block.error.isVisible() and block.error.text()
    errors = [w for w in win.form.findChildren(type(block.error)) if w.isVisible() and w.property("role") == "error"]
    assert errors == [block.error]  # one message, in one place
    tap(qtbot, win.form.back)
    assert win.form.flow.screen_key != key


def _visible_errors(win):  # noqa: ANN001
    from PySide6.QtWidgets import QLabel

    return [w for w in win.form.findChildren(QLabel) if w.isVisible() and w.property("role") == "error"]


def test_one_message_per_problem_and_no_tick_beside_an_error(qtbot, kiosk):
    from tests.ui.driver import type_keys

    win = kiosk.window
    tap(qtbot, win.home.tiles["child-money"])
    block = win.form.blocks["applicant_rd"]
    type_keys(block.widget.edit, "ЖЭ21261528")  # a valid number, but a child's: too young to apply
    assert block.widget.feedback.property("role") == "ok" and block.widget.feedback.isVisible()
    tap(qtbot, win.form.next)
    assert block.error.isVisible() and _visible_errors(win) == [block.error]
    assert not block.widget.feedback.isVisible()  # no green "correct" beside the red error
    block.widget.edit.clear()
    type_keys(block.widget.edit, "ЖЭ21261529")  # a wrong check digit: said once, in one place
    assert _visible_errors(win) == [block.error]
    block.widget.edit.clear()
    type_keys(block.widget.edit, "ЖЭ93041224")
    assert not block.error.isVisible() and block.widget.feedback.isVisible()


def test_change_on_the_review_comes_back_to_the_review(qtbot, kiosk):
    win = kiosk.window
    flow = open_example(win, "livestock-census")
    win.show_review()
    tap(qtbot, win.review.links[0])  # "Change" on the first answer
    assert win.stack.currentWidget() is win.form and flow.index == 0
    tap(qtbot, win.form.next)
    assert win.stack.currentWidget() is win.review  # not through every later page


def test_a_long_answer_gets_a_field_of_several_lines(qtbot, kiosk):
    win = kiosk.window
    flow = open_example(win, "governor-petition")
    win.form.go_to(_screen_of(flow, "body"))
    assert isinstance(win.form.blocks["body"].widget.edit, QPlainTextEdit)  # up to 3,000 characters
    win.form.go_to(_screen_of(flow, "subject"))
    assert isinstance(win.form.blocks["subject"].widget.edit, QLineEdit)  # at most 100


def _choose_large_contrast_read_aloud(qtbot, window) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QPushButton

    tap(qtbot, window.a11y_btn)
    for name in ("scale-200", "contrast", "read-aloud"):
        tap(qtbot, window.settings.findChild(QPushButton, name))
    tap(qtbot, window.settings.findChild(QPushButton, "a11y-close"))


def test_accessibility_choices_hold_for_the_visit_and_go_with_it(qtbot, isolated_home, monkeypatch):
    from kiosk.paths import Home
    from tests.ui.driver import fill_screens
    from ui.app import build

    (isolated_home / "config.toml").write_text("idle_warning_seconds = 1\nidle_wipe_seconds = 1\n", "utf-8")
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    k = build(Home(isolated_home), "mn")
    qtbot.addWidget(k.window)
    k.window.show()
    qtbot.waitUntil(lambda: k.is_ready() and k.bridge.is_idle(), timeout=10_000)
    window, prefs = k.window, k.prefs
    try:
        _choose_large_contrast_read_aloud(qtbot, window)
        chosen = (prefs.scale, prefs.theme, prefs.read_aloud)
        assert chosen == (200, "high-contrast", True)
        tap(qtbot, window.home.tiles["livestock-census"])  # a form cancelled …
        tap(qtbot, window.form.cancel)
        tap(qtbot, window.confirm.yes)
        assert window.stack.currentWidget() is window.home
        assert (prefs.scale, prefs.theme, prefs.read_aloud) == chosen
        tap(qtbot, window.home.tiles["livestock-census"])  # … and one finished
        fill_screens(qtbot, k, "livestock-census", "touch")
        with qtbot.waitSignal(window.submitted, timeout=20_000):
            tap(qtbot, window.review.submit_btn)
        with qtbot.waitSignal(window.wiped):
            tap(qtbot, window.receipt_view.finish_btn)
        assert window.stack.currentWidget() is window.home
        assert (prefs.scale, prefs.theme, prefs.read_aloud) == chosen  # still this visit
        # The resident walks away from the home screen: the idle wipe ends the visit.
        with qtbot.waitSignal(window.wiped, timeout=10_000):
            pass
        assert prefs.is_default()
    finally:
        qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
        k.bridge.shutdown()
        k.services.close()


@pytest.mark.parametrize("typed", ["91 106", "north east", "47.9"])
def test_the_staff_location_error_is_in_the_screens_language(qtbot, kiosk, typed: str):
    import re

    from PySide6.QtWidgets import QLabel, QPushButton

    win = kiosk.window
    win.open_staff()
    win.staff.unlocked = True
    win.staff.present()
    win.staff.findChild(QLineEdit, "staff-location").setText(typed)
    tap(qtbot, win.staff.findChild(QPushButton, "staff-location-save"))
    status = win.staff.findChild(QLabel, "staff-location-status")
    assert status.isVisible() and status.property("role") == "error"
    words = re.findall(r"[A-Za-z]{3,}", status.text())
    assert words == [], words  # Mongolian only, never the CLI's English reason
    assert kiosk.services.config.location == ""


def test_sound_and_video_questions_say_the_kiosk_cannot_take_them(qtbot, isolated_home, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QLabel, QPushButton

    from kiosk.forms.local_catalog import check_source, install, read_source
    from kiosk.i18n import t
    from kiosk.paths import Home
    from tests.forms.xlsform_builders import write_xlsform
    from ui.app import build

    xlsx = write_xlsform(tmp_path / "media.xlsx",
                         [["type", "name", "label::English (en)", "label::Mongolian (mn)"],
                          ["text", "name", "Name", "Нэр"],
                          ["audio", "voice", "Your voice", "Таны дуу"],
                          ["video", "clip", "A video", "Видео"]],
                         None, {"form_title": "Media", "form_id": "media_q"})
    source = read_source(xlsx)
    install(isolated_home, source, check_source(source), category="civil-registration", agency="gasr")
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    k = build(Home(isolated_home), "mn")
    qtbot.addWidget(k.window)
    k.window.show()
    qtbot.waitUntil(lambda: k.is_ready() and k.bridge.is_idle(), timeout=10_000)
    win = k.window
    try:
        flow = win.open_form("media-q")
        for name, reason in (("voice", "audio"), ("clip", "video")):
            win.form.go_to(_screen_of(flow, name))
            block = win.form.blocks[name]  # the reader made it a note that says why (issue 22)
            assert block.widget is None and block.findChildren(QPushButton) == []
            texts = " ".join(w.text() for w in win.form.findChildren(QLabel) if w.isVisible())
            assert t(f"xform.unavailable_{reason}", "mn") in texts
            assert "PDF" not in texts and "зураг" not in texts.lower()  # no picture/PDF advice
            tap(qtbot, win.form.next)
            assert win.form.flow.screen_key != _screen_of(flow, name) or win.stack.currentWidget() is win.review
        win.wipe(discard=True)
    finally:
        qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
        k.bridge.shutdown()
        k.services.close()
