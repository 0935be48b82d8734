"""Repeats as residents expect them: each row says what it holds, opens for editing,
and is removed only after a confirmation."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.driver import press, tab_to, tap

FORM = "child-money"  # two children in the example answers


def started(qtbot, kiosk) -> None:  # noqa: ANN001
    """The kiosk's start-up work (store, secrets, enrolment) has run: it is queued on the
    first event-loop pass, and a test that never spins the loop would end before it."""
    qtbot.waitUntil(lambda: kiosk.services._store is not None and kiosk.bridge.is_idle(), timeout=10_000)


def saved(qtbot, kiosk) -> None:  # noqa: ANN001
    """The pending draft save (a 400 ms timer) runs now: pytest-qt closes the window before
    fixtures tear down, and a save delivered to a deleted window is an error."""
    kiosk.window.form.flush()
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)


def _repeat_screen(qtbot, kiosk):  # noqa: ANN001
    from ui.examples import open_example

    started(qtbot, kiosk)
    window = kiosk.window
    flow = open_example(window, FORM)
    assert flow is not None
    key = next(s.key for s in flow.s.screens() if s.kind == "repeat")
    window.form.go_to(key)
    return window, flow, key


def test_each_row_shows_its_first_answers(qtbot, kiosk):
    window, flow, _key = _repeat_screen(qtbot, kiosk)
    rows = next(iter(window.form.repeat_rows.values()))
    assert [r.title.text() for r in rows] == ["1-р бичлэг", "2-р бичлэг"]
    assert rows[0].summary.text().startswith("Номин")
    assert rows[1].summary.text().startswith("Тэмүүжин")
    assert "1-р бичлэг" in rows[0].remove.accessibleDescription()  # a screen reader hears which one
    tap(qtbot, window.lang_btn)
    rows = next(iter(window.form.repeat_rows.values()))
    assert rows[0].title.text() == "Entry 1" and rows[0].edit.text() == "Edit"
    saved(qtbot, kiosk)


def test_edit_opens_the_item_and_next_comes_back(qtbot, kiosk):
    window, flow, key = _repeat_screen(qtbot, kiosk)
    rows = next(iter(window.form.repeat_rows.values()))
    tap(qtbot, rows[1].edit)
    assert window.form.flow.screen_key != key
    block = next(iter(window.form.blocks.values()))
    assert block.entry.item == (1,)
    assert block.widget.edit.text() == "Тэмүүжин"
    block.widget.edit.setText("Тэмүүлэн")
    block.widget.edit.textEdited.emit("Тэмүүлэн")
    for _ in range(20):
        if window.form.flow.screen_key == key:
            break
        tap(qtbot, window.form.next)
    assert window.form.flow.screen_key == key
    rows = next(iter(window.form.repeat_rows.values()))
    assert rows[1].summary.text().startswith("Тэмүүлэн")
    saved(qtbot, kiosk)


def test_remove_asks_first_and_no_keeps_the_item(qtbot, kiosk):
    window, flow, _key = _repeat_screen(qtbot, kiosk)
    rep = flow.repeats()[0]
    rows = next(iter(window.form.repeat_rows.values()))
    tap(qtbot, rows[0].remove)
    assert flow.item_count(rep) == 2  # nothing removed yet
    assert rows[0].question.isVisible() and "1-р бичлэг" in rows[0].question.text()
    assert rows[0].no.hasFocus()  # the safe answer is where Enter/Space lands
    press(qtbot, Qt.Key.Key_Space)
    assert flow.item_count(rep) == 2 and not rows[0].question.isVisible()
    tap(qtbot, rows[0].remove)
    tap(qtbot, rows[0].yes)
    assert flow.item_count(rep) == 1
    rows = next(iter(window.form.repeat_rows.values()))
    assert len(rows) == 1 and rows[0].summary.text().startswith("Тэмүүжин")
    saved(qtbot, kiosk)


def test_repeat_rows_are_reachable_by_keyboard(qtbot, kiosk):
    window, flow, _key = _repeat_screen(qtbot, kiosk)
    rows = next(iter(window.form.repeat_rows.values()))
    window.form.back.setFocus()
    tab_to(qtbot, rows[1].remove)
    press(qtbot, Qt.Key.Key_Space)
    assert rows[1].no.hasFocus()
    tab_to(qtbot, rows[1].yes)
    press(qtbot, Qt.Key.Key_Space)
    assert flow.item_count(flow.repeats()[0]) == 1
    saved(qtbot, kiosk)


def test_add_opens_the_new_item_not_the_first_one(qtbot, kiosk):
    """With items already there, Add must open the new (third) item, not whatever screen
    follows the repeat screen (the first item's)."""
    window, flow, key = _repeat_screen(qtbot, kiosk)
    form = window.form
    add = form.add if form.add.isVisible() else next(
        w for w in form.repeat_controls if w.objectName() == "repeat-add")
    tap(qtbot, add)
    assert form.flow.screen_key != key
    items = {block.entry.item for block in form.blocks.values()}
    assert items == {(2,)}, items
    saved(qtbot, kiosk)
