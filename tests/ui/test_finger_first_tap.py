"""The first tap counts (issue 19, second round): an outside tester's first tap on Next
after typing an answer, and once a first tap on a choice, did nothing on the real window.

Each test types with the kiosk's own keys (the on-screen keyboard is open, as a resident
has it) and then taps once: the tap must act, not only close the keyboard or take focus.
"""

from __future__ import annotations

import pytest

from kiosk.i18n import t
from tests.ui import test_finger
from tests.ui.finger import poll
from tests.ui.test_finger import Kiosk, _label

desktop, kiosk = test_finger.desktop, test_finger.kiosk  # the real window's fixtures, shared

CHOICE_ROLES = frozenset({"radio button", "toggle button", "check box"})


def _type_on_keys(kiosk: Kiosk, text: str) -> None:
    for ch in text:
        kiosk.tap(ch.upper() if ch.isalpha() else ch, "push button")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("pct", [100, 200])
def test_the_first_tap_on_next_after_typing_moves_on(kiosk: Kiosk, pct: int) -> None:
    if pct != 100:
        kiosk.text_size(pct)
    form = kiosk.open_form("birth-registration")  # page 1: a note only
    kiosk.tap(t("ui.form_next", kiosk.lang))
    field = kiosk.field(_label(form, "child_given_name"))
    kiosk.screen.tap(field)
    poll("the on-screen keyboard", kiosk.keyboard_open, 10)
    _type_on_keys(kiosk, "БОЛД")
    poll("the name typed", lambda: kiosk.tree.text(field.ref) in ("БОЛД", "Болд"), 10)
    before = [n.name for n in kiosk.screen.nodes()]
    kiosk.tap(t("ui.form_next", kiosk.lang))  # once
    poll("the next screen after ONE tap on Next", lambda: [n.name for n in kiosk.screen.nodes()] != before
         and kiosk.screen.find({"text", "entry"}, None, where=lambda n: n.ref == field.ref) is None, 5)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("pct", [100, 200])
def test_the_first_tap_on_a_choice_after_typing_selects_it(kiosk: Kiosk, pct: int) -> None:
    """Typed on the keys, Next, then the choice page (the keyboard goes away): one tap chooses."""
    if pct != 100:
        kiosk.text_size(pct)
    form = kiosk.open_form("birth-registration")
    kiosk.tap(t("ui.form_next", kiosk.lang))
    field = kiosk.field(_label(form, "child_given_name"))
    kiosk.screen.tap(field)
    poll("the on-screen keyboard", kiosk.keyboard_open, 10)
    _type_on_keys(kiosk, "БОЛД")
    kiosk.tap(t("ui.form_next", kiosk.lang))
    choice = kiosk.screen.wait(CHOICE_ROLES)
    kiosk.screen.tap(choice)  # at once, as a person does: where it is shown now
    poll("the choice selected by ONE tap", lambda: kiosk.tree.states(choice.ref) & {4, 20}, 5)


@pytest.mark.timeout(300)
def test_the_first_tap_on_next_after_the_aimag_chooser_moves_on(kiosk: Kiosk) -> None:
    """Aimag and soum picked in the full-screen chooser, then one tap on Next."""
    form = kiosk.open_form("livestock-census")
    kiosk.go_to(form, "census_place")
    label = _label(form, "census_place")
    for _ in range(2):  # the aimag, then its soum
        combos = poll("the dropdowns", lambda: [n for n in kiosk.screen.nodes() if n.role == "combo box"], 10)
        combo = next(c for c in combos if kiosk.tree.name(c.ref) in (t("ui.choose_placeholder", "mn"),)
                     or "Сонго" in kiosk.tree.name(c.ref))
        kiosk.screen.tap(combo)
        rows = poll("the chooser's rows", lambda: [n for n in kiosk.screen.nodes() if n.role == "list item"
                                                    and kiosk.screen.extents(n)[3] > 0], 10)
        kiosk.screen.tap(rows[2])
        poll("the chooser closed", lambda: not [n for n in kiosk.screen.nodes() if n.role == "list item"
                                                and kiosk.screen.extents(n)[3] > 0], 10)
    kiosk.tap(t("ui.form_next", kiosk.lang))  # once
    poll("the next screen after ONE tap on Next",
         lambda: not any(n.name.startswith(label) for n in kiosk.screen.nodes()), 5)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("pct", [100, 200])
def test_the_first_tap_on_next_after_a_choice_moves_on(kiosk: Kiosk, pct: int) -> None:
    if pct != 100:
        kiosk.text_size(pct)
    form = kiosk.open_form("governor-petition")
    label = _label(form, "kind")
    choice = kiosk.screen.wait(CHOICE_ROLES)
    kiosk.screen.tap(choice)
    poll("the choice selected", lambda: kiosk.tree.states(choice.ref) & {4, 20}, 10)
    kiosk.tap(t("ui.form_next", kiosk.lang))  # once
    poll("the next screen after ONE tap on Next",
         lambda: not any(n.name.startswith(label) for n in kiosk.screen.nodes()), 5)


@pytest.mark.timeout(300)
def test_the_first_tap_after_a_drag_opens_the_tile(kiosk: Kiosk) -> None:
    """A drag scrolls the home screen; the tap right after it opens the tile under the finger."""
    s = kiosk.screen
    w, h = kiosk.hand.width, kiosk.hand.height
    kiosk.hand.drag(w * 0.4, h * 0.8, w * 0.4, h * 0.5)
    tiles = [n for n in s.nodes() if n.role == "push button" and n.name and s.on_screen(n)
             and s.extents(n)[1] > h * 0.3]
    seen: list[tuple[int, int, int, int]] = []

    def settled() -> bool:  # the page has stopped moving: two looks agree
        seen.append(s.extents(tiles[0]))
        return len(seen) > 1 and seen[-1] == seen[-2]
    poll("the page at rest after the drag", settled, 10)  # (it coasts ~0.3 s after a flick)
    s.tap(tiles[0])
    poll("the form opened by ONE tap after the drag",
         lambda: s.find("push button", t("ui.form_next", kiosk.lang)) is not None, 5)
