"""The screen lint (tests/ui/screen_lint.py) over every screen ``kiosk screenshots`` renders,
in both languages, both themes and at 100/150/200 % text, and proof that it can fail."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from tests.ui import screen_lint
from ui import theme

COMBOS = [(lang, th, sc) for lang in ("mn", "en") for th in theme.THEMES for sc in theme.SCALES]


def _typed_answers(kiosk) -> set[str]:  # noqa: ANN001
    """What the example answers put on screen (shown back on review and in repeat rows):
    the resident's words, in whatever script the resident wrote them."""
    import json

    from ui.examples import example_path

    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and len(value) > 1:
            found.add(value)

    for form_id in kiosk.services.catalog.forms:
        path = example_path(kiosk.window, form_id)
        if path.exists():
            walk(json.loads(path.read_text(encoding="utf-8")).get("answers", {}))
    return found


@pytest.mark.parametrize(("lang", "theme_name", "scale"), COMBOS)
def test_every_screenshot_screen_passes_the_lint(qtbot, kiosk, lang, theme_name, scale):
    from ui.screenshots import type_examples, use, walk

    use(kiosk, lang, theme_name, scale)
    data = _typed_answers(kiosk)
    problems: list[str] = []
    screens = []
    for name in walk(kiosk, type_examples(kiosk)):
        screens.append(name)
        problems += screen_lint.lint(kiosk.window, lang, theme_name, name, data)
    assert len(screens) >= 15, screens
    assert not problems, f"{len(problems)} findings:\n" + "\n".join(problems[:60])


@pytest.fixture
def styled(qapp):  # noqa: ANN001, ANN201
    """The kiosk's own stylesheet and palette on the application (default theme, 100 %)."""
    theme.apply(qapp, "default", 100)
    yield qapp
    qapp.setStyleSheet("")


def _bad_screen() -> tuple[QWidget, dict[str, QWidget]]:
    """A screen with one thing wrong for each rule, styled by the kiosk's own stylesheet."""
    from ui.widgets.common import button, text_label

    host = QWidget()
    host.setObjectName("screen")
    host.resize(800, 600)
    outer = QVBoxLayout(host)
    body = QWidget()
    column = QVBoxLayout(body)
    clipped = QLabel("This sentence is far too long for the box it has been given")
    clipped.setObjectName("clipped")
    clipped.setFixedWidth(60)
    latin = text_label("Өргөдөл sent амжилттай")
    latin.setObjectName("latin")
    faint = text_label("Бүдэг бичиг")
    faint.setObjectName("faint")
    faint.setStyleSheet("color: #B0B0B0;")
    tiny = button("x", "tiny", name="tiny")
    tiny.setStyleSheet("min-height: 20px; min-width: 20px; max-width: 20px; max-height: 20px; padding: 0px;")
    ringless = button("Дараах", "no ring", name="ringless")
    ringless.setStyleSheet("QPushButton:focus { border: 2px solid #6B6B6B; }")
    for w in (clipped, latin, faint, tiny, ringless):
        column.addWidget(w)
    outer.addWidget(body, 1)
    bar = QFrame()
    bar.setObjectName("topBar")
    bar.setFixedHeight(90)
    QHBoxLayout(bar).addWidget(button("Буцах", "back", name="back"))
    outer.addWidget(bar)
    hidden = button("Нэмэх", "under the bar", name="under")
    hidden.setParent(host)
    host.show()
    QWidget.setFocus(ringless)
    hidden.move(20, 600 - 60)
    hidden.raise_()
    hidden.show()
    return host, {"clipped": clipped, "latin": latin, "faint": faint, "tiny": tiny,
                  "ringless": ringless, "under": hidden}


def test_the_lint_finds_what_is_wrong(qtbot, styled):
    host, parts = _bad_screen()
    qtbot.addWidget(host)
    qtbot.waitExposed(host)
    rule_for = {"clipped": "fits", "latin": "script", "faint": "contrast", "tiny": "targets",
                "ringless": "focus_ring", "under": "under_bar"}
    for part, rule in rule_for.items():
        found = screen_lint.lint(host, "mn", "default", "bad", rules=(rule,))
        named = [f for f in found if f"{parts[part].objectName()!r}" in f or parts[part].text()[:20] in f]
        assert named, f"{rule} did not flag {part}: {found}"
    # And the English side of the script rule.
    found = screen_lint.script(host, "en", "bad")
    assert any("Cyrillic" in f for f in found), found


def test_the_lint_finds_nothing_on_a_clean_screen(qtbot, styled):
    from ui.widgets.common import button, text_label

    host = QWidget()
    host.setObjectName("screen")
    column = QVBoxLayout(host)
    column.addWidget(text_label("Сайн байна уу? QR кодыг уншуулна уу."))
    column.addWidget(button("Дараах", "Дараагийн хуудас", "primary", name="next"))
    host.resize(800, 400)
    host.show()
    qtbot.addWidget(host)
    qtbot.waitExposed(host)
    assert screen_lint.lint(host, "mn", "default", "clean") == []


# -- issue 19: rows a finger picks, the label above the keyboard, read-only values ------
def test_the_rows_rule_flags_qts_own_dropdown_list_and_passes_the_touch_chooser(qtbot, styled):
    from PySide6.QtWidgets import QComboBox

    from ui.widgets.chooser import TouchCombo

    host = QWidget()
    column = QVBoxLayout(host)
    plain, touch = QComboBox(), TouchCombo("mn", 100)
    plain.setObjectName("plain")
    touch.setObjectName("touch")
    for combo in (plain, touch):
        combo.addItems(["Архангай", "Баян-Өлгий", "Төв"])
        column.addWidget(combo)
    host.resize(800, 400)
    host.show()
    qtbot.addWidget(host)
    qtbot.waitExposed(host)
    found = screen_lint.lint(host, "mn", "default", "rows", rules=("rows",))
    assert any("'plain'" in f for f in found), found
    assert not any("'touch'" in f for f in found), found


def _page_with_keyboard() -> tuple[QWidget, QWidget, QWidget]:
    from PySide6.QtWidgets import QLineEdit

    from ui.widgets.common import Page, text_label
    from ui.widgets.keyboard import OnScreenKeyboard

    host = QWidget()
    outer = QVBoxLayout(host)
    page = Page()
    block = QWidget()
    box = QVBoxLayout(block)
    box.addWidget(text_label("Өрхийн тэргүүний нэр", "question"))
    field = QLineEdit()
    box.addWidget(field)
    page.column.addWidget(block)
    page.column.addSpacing(2000)
    outer.addWidget(page, 1)
    keys = OnScreenKeyboard()
    outer.addWidget(keys)
    host.resize(900, 700)
    host.show()
    field.setFocus()
    return host, page, field


def test_the_keyboard_label_rule_flags_a_label_scrolled_away(qtbot, styled):
    for scrolled, expect in ((True, True), (False, False)):
        host, page, field = _page_with_keyboard()
        qtbot.addWidget(host)
        qtbot.waitExposed(host)
        qtbot.waitUntil(field.hasFocus)
        bar = page.verticalScrollBar()  # type: ignore[attr-defined]
        bar.setValue(60 if scrolled else 0)
        assert bar.value() == (60 if scrolled else 0), "the page is not tall enough to scroll"
        found = screen_lint.lint(host, "mn", "default", "keys", rules=("keyboard_label",))
        assert bool(found) is expect, (scrolled, found)


def test_the_read_only_rule_flags_a_read_only_box(qtbot, styled):
    from PySide6.QtWidgets import QLineEdit

    host = QWidget()
    column = QVBoxLayout(host)
    box = QLineEdit("3")
    box.setObjectName("children_count")
    box.setReadOnly(True)
    column.addWidget(box)
    column.addWidget(QLineEdit("typed"))
    host.show()
    qtbot.addWidget(host)
    qtbot.waitExposed(host)
    found = screen_lint.read_only(host, "ro")
    assert len(found) == 1 and "children_count" in found[0], found


def test_no_screen_shows_a_read_only_value_in_a_box(qtbot, kiosk):
    from ui.screenshots import type_examples, use, walk

    use(kiosk, "mn", "default", 100)
    problems: list[str] = []
    for name in walk(kiosk, type_examples(kiosk)):
        problems += screen_lint.lint(kiosk.window, "mn", "default", name, rules=("read_only",))
    assert not problems, "\n".join(problems[:40])
