"""The number pad shows only the keys a number field takes (issue 19, second round).

An integer got "." and a space bar; a count that cannot be negative got "-". Now: a whole
number gets digits ("-" only when its constraint allows a negative), a decimal one
decimal point, and no pad has a space bar.
"""

from __future__ import annotations

import pytest

from kiosk.paths import ASSETS_DIR
from ui.qt import QPushButton
from ui.widgets import Context, make_widget
from ui.widgets.keyboard import OnScreenKeyboard

FORMS = ASSETS_DIR / "catalog" / "forms"


def _question(form_id: str, name: str):  # noqa: ANN202
    from kiosk.forms.loader import load_form_file

    form, problems = load_form_file(FORMS / f"{form_id}.json")
    assert form is not None, problems
    return form.questions[name]


def _pad(qtbot, form_id: str, name: str) -> set[str]:  # noqa: ANN001
    widget = make_widget(_question(form_id, name), Context(lang="mn"))
    qtbot.addWidget(widget)
    kb = OnScreenKeyboard()
    qtbot.addWidget(kb)
    kb.follow_focus(widget.focus_widgets()[0])
    kb.show()
    return {b.objectName() for b in kb.findChildren(QPushButton) if b.isVisible()}


@pytest.mark.parametrize(("form_id", "name", "minus", "point"), [
    ("livestock-census", "horses", False, False),        # . >= 0
    ("child-money", "children_count", True, False),      # no bound: a negative is the form's to refuse
    ("land-possession", "area_ha", False, True),         # decimal, . > 0
    ("livestock-census", "sheep_units", True, True),     # decimal, no bound
])
def test_the_number_pad_has_the_keys_the_field_takes(qtbot, form_id: str, name: str, minus: bool,  # noqa: ANN001
                                                     point: bool) -> None:
    keys = _pad(qtbot, form_id, name)
    assert {f"key-{d}" for d in "0123456789"} <= keys
    assert ("key--" in keys) is minus
    assert ("key-." in keys) is point
    assert "key-space" not in keys
    assert "key-backspace" in keys


def test_the_letters_keyboard_keeps_its_space_bar(qtbot) -> None:  # noqa: ANN001
    widget = make_widget(_question("child-money", "children_count"), Context(lang="mn"))
    qtbot.addWidget(widget)
    kb = OnScreenKeyboard()
    qtbot.addWidget(kb)
    kb.follow_focus(widget.focus_widgets()[0])
    kb.switch("cyrillic")
    kb.show()
    assert kb.findChild(QPushButton, "key-space") is not None


def test_a_text_fields_digits_keep_the_hyphen_point_and_space(qtbot) -> None:  # noqa: ANN001
    widget = make_widget(_question("birth-registration", "father_given_name"), Context(lang="mn"))
    qtbot.addWidget(widget)
    kb = OnScreenKeyboard()
    qtbot.addWidget(kb)
    number = make_widget(_question("livestock-census", "horses"), Context(lang="mn"))
    qtbot.addWidget(number)
    kb.follow_focus(number.focus_widgets()[0])  # a number field first: its pad has no "-"
    kb.follow_focus(widget.focus_widgets()[0])
    kb.switch("digits")
    kb.show()
    keys = {b.objectName() for b in kb.findChildren(QPushButton) if b.isVisible()}
    assert {"key--", "key-.", "key-space"} <= keys  # Бат-Эрдэнэ
