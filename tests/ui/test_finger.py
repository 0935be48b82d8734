"""The resident's hand on the real kiosk window (issue 19): presses, drags, wheel turns and
keys synthesized on the X server (XTEST) under Xvfb, read back through AT-SPI and screenshots.

The kiosk runs full screen and frameless, as it does on a kiosk, in a subprocess on Qt's xcb
platform. Each test starts its own kiosk on a desktop shared by the module. A fast set runs
at 1280x800 in Mongolian; tests/ui/test_finger_matrix.py walks every form in every size.

Skips only when the desktop itself cannot run here (Xvfb, D-Bus or AT-SPI missing).
Screenshots go to $KIOSK_FINGER_SHOTS when set (to look at), else to the test's tmp folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.i18n import t
from kiosk.paths import ASSETS_DIR
from tests.ui import atspi
from tests.ui.atspi_form import FormDriver
from tests.ui.finger import STATE_FOCUSED, Hand, Screen, centre, poll

REPO = Path(__file__).resolve().parents[2]
FORMS = ASSETS_DIR / "catalog" / "forms"
EXAMPLES = ASSETS_DIR / "catalog" / "examples"
MIN_ROW = 56  # a finger's row, at 100 % text size


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[atspi.Desktop]:
    try:
        d = atspi.start_desktop(tmp_path_factory.mktemp("finger"), "1280x800")
    except atspi.Unavailable as exc:
        pytest.skip(f"no X/AT-SPI desktop here: {exc}")
    yield d
    d.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("KIOSK_FINGER_SHOTS") or tmp_path)


class Kiosk:
    """One running kiosk, its tree and a hand on its display."""

    def __init__(self, desktop: atspi.Desktop, home: Path, lang: str, log: Path) -> None:
        (home / "config.toml").write_text("idle_warning_seconds = 3600\n", encoding="utf-8")
        self.lang, self.log = lang, log
        self.proc = atspi.launch_kiosk(desktop, dict(os.environ), lang, log, windowed=False)
        self.tree = atspi.Tree(desktop.env["AT_SPI_BUS_ADDRESS"])
        self.hand = Hand(desktop.env["DISPLAY"])
        app = poll("the kiosk's home screen", self._ready, 120)
        self.screen = Screen(self.tree, app, self.hand)

    def _ready(self) -> atspi.Ref | None:
        if self.proc.poll() is not None:
            raise AssertionError(f"the kiosk exited ({self.proc.returncode}): "
                                 f"{self.log.read_text(errors='replace')[-2000:]}")
        app = self.tree.application("soum-kiosk")
        if app is None:
            return None
        tiles = [n for n in self.tree.nodes(app) if n.role == "push button" and n.name]
        return app if len(tiles) > 5 else None

    def close(self) -> None:
        self.hand.close()
        self.tree.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    # -- a resident's steps ----------------------------------------------------------
    def tap(self, name: str, role: str | set[str] = frozenset({"push button", "toggle button", "check box",
                                                               "radio button"})) -> None:
        self.screen.tap(self.screen.wait(role, name))

    def open_form(self, form_id: str) -> dict:
        form = json.loads((FORMS / f"{form_id}.json").read_text(encoding="utf-8"))
        title = form["title"][self.lang]
        tile = self.screen.wait("push button", None, where=lambda n: n.name.startswith(title))
        if not self.screen.on_screen(tile):
            self.tree.do(tile.ref, "Press")  # below the fold: the drag test covers getting there
        else:
            self.screen.tap(tile)
        self.screen.wait("push button", t("ui.form_next", self.lang))
        return form

    def go_to(self, form: dict, name: str) -> None:
        """Answer each screen's text fields with the form's example answers and tap Next
        until the question ``name`` is on the screen (one question per screen)."""
        answers = json.loads((EXAMPLES / f"{form['id']}.answers.json").read_text(encoding="utf-8"))["answers"]
        questions = {str(q["label"][self.lang]): q for p in form["pages"] for q in p["questions"]}
        target = _label(form, name, self.lang)
        for _ in range(20):
            nodes = self.screen.nodes()
            if any(n.name.startswith(target) for n in nodes):
                return
            for n in nodes:
                q = next((q for lab, q in questions.items() if n.name.startswith(lab)), None)
                if n.role in ("text", "entry") and q is not None and q["name"] in answers:
                    self.tree.set_text(n.ref, str(answers[q["name"]]))
            before = [n.name for n in nodes]
            self.tap(t("ui.form_next", self.lang))
            poll("the next screen", lambda b=before: [n.name for n in self.screen.nodes()] != b, 10)
        raise AssertionError(f"{name} not reached in 20 screens")

    def text_size(self, pct: int) -> None:
        self.tap(t("ui.a11y_button", self.lang))
        self.tap(t("ui.a11y_size_pct", self.lang, pct=pct))
        close = self.screen.wait("push button", None, where=lambda n: n.name in (
            t("ui.a11y_close", self.lang), t("ui.home_button", self.lang)))
        self.screen.tap(close)

    def field(self, label: str) -> atspi.Node:
        """The text field a question's label names (its accessible name starts with it)."""
        return self.screen.wait({"text", "entry"}, None, where=lambda n: n.name.startswith(label))

    def keyboard_open(self) -> bool:
        # The key that puts it away is on every layout (the number pad has no space bar).
        return self.screen.find("push button", t("ui.keyboard_hide", self.lang)) is not None


@pytest.fixture
def kiosk(desktop: atspi.Desktop, isolated_home: Path, tmp_path: Path) -> Iterator[Kiosk]:
    k = Kiosk(desktop, isolated_home, "mn", tmp_path / "kiosk.log")
    yield k
    k.close()


def _label(form: dict, name: str, lang: str = "mn") -> str:
    q = next(q for p in form["pages"] for q in p["questions"] if q["name"] == name)
    return str(q["label"][lang])


# -- touch scrolling ------------------------------------------------------------------
@pytest.mark.timeout(300)
def test_a_finger_drag_scrolls_the_home_screen(kiosk: Kiosk, shots: Path) -> None:
    s = kiosk.screen
    tiles = [n for n in s.nodes() if n.role == "push button" and n.name]
    lowest = max(tiles, key=lambda n: s.extents(n)[1])
    y0 = s.extents(lowest)[1]
    assert y0 > kiosk.hand.height * 0.6, "the home screen needs more than one screen for this test"
    w, h = kiosk.hand.width, kiosk.hand.height
    kiosk.hand.drag(w * 0.4, h * 0.8, w * 0.4, h * 0.3)
    poll("the home screen scrolled by the drag", lambda: s.extents(lowest)[1] < y0 - 100, 10)
    # The drag scrolled, and did not also open the tile it started on.
    assert s.find("push button", t("ui.form_next", kiosk.lang)) is None
    kiosk.hand.screenshot(shots / "home-dragged-1280x800-mn.png")


# -- no context menus -----------------------------------------------------------------
@pytest.mark.timeout(300)
def test_no_context_menu_by_right_click_or_menu_key(kiosk: Kiosk) -> None:
    form = kiosk.open_form("livestock-census")
    field = kiosk.field(_label(form, "head_rd"))
    kiosk.screen.tap(field)
    poll("the field focused", lambda: STATE_FOCUSED in kiosk.tree.states(field.ref), 10)
    kiosk.hand.tap(*centre(kiosk.screen.extents(field)), button=3)
    kiosk.hand.key("Menu")
    # A menu would be up within a frame or two; look for 3 s.
    with pytest.raises(AssertionError, match="not seen"):
        poll("a context menu", kiosk.screen.menus, 3)


# -- wheel over a closed control --------------------------------------------------------
@pytest.mark.timeout(300)
def test_the_wheel_over_a_closed_aimag_list_changes_nothing(kiosk: Kiosk) -> None:
    kiosk.go_to(kiosk.open_form("livestock-census"), "census_place")
    combo = kiosk.screen.wait("combo box")  # the aimag's (a dropdown reads as its current item)
    before = kiosk.tree.name(combo.ref)
    x, y = centre(kiosk.screen.extents(combo))
    kiosk.hand.wheel(x, y, down=True, clicks=3)
    with pytest.raises(AssertionError, match="not seen"):
        poll("the aimag changed by the wheel", lambda: kiosk.tree.name(combo.ref) != before, 3)


# -- lists a finger can use ----------------------------------------------------------------
@pytest.mark.timeout(300)
def test_the_aimag_chooser_is_full_screen_with_finger_rows_and_a_letter_strip(kiosk: Kiosk, shots: Path) -> None:
    kiosk.go_to(kiosk.open_form("livestock-census"), "census_place")
    combo = kiosk.screen.wait("combo box")  # the aimag's (a dropdown reads as its current item)
    kiosk.screen.tap(combo)
    # The chooser: a list over the whole window, rows a finger can hit.
    rows = poll("the aimag list's rows", lambda: [n for n in kiosk.screen.nodes() if n.role == "list item"
                                                   and kiosk.screen.extents(n)[3] > 0], 10)
    heights = {n.name: kiosk.screen.extents(n)[3] for n in rows}
    assert min(heights.values()) >= MIN_ROW, f"rows under {MIN_ROW} px: {heights}"
    listing = kiosk.screen.wait("list", None, where=lambda n: kiosk.screen.extents(n)[3] > 0)
    lx, ly, lw, lh = kiosk.screen.extents(listing)
    assert lh >= kiosk.hand.height * 0.5, f"the chooser's list is {lw}x{lh}: not a full-screen chooser"
    # The letter strip: tapping "С" brings the first place starting with С into view.
    letter = kiosk.screen.wait("push button", "С")
    kiosk.screen.tap(letter)

    def first_s_in_view() -> bool:
        items = [n for n in kiosk.screen.nodes() if n.role == "list item" and n.name.startswith("С")]
        return bool(items) and ly <= kiosk.screen.extents(items[0])[1] <= ly + lh - MIN_ROW

    poll("a place starting with С in view after tapping the letter", first_s_in_view, 10)
    kiosk.hand.screenshot(shots / "aimag-chooser-1280x800-mn.png")


# -- the on-screen keyboard -------------------------------------------------------------
@pytest.mark.timeout(300)
def test_tapping_a_text_field_opens_the_keyboard_and_a_page_without_fields_closes_it(kiosk: Kiosk) -> None:
    form = kiosk.open_form("birth-registration")  # page 1: a note only
    kiosk.tap(t("ui.form_next", kiosk.lang))
    field = kiosk.field(_label(form, "child_given_name"))
    assert not kiosk.keyboard_open()
    kiosk.screen.tap(field)
    poll("the on-screen keyboard after tapping a text field", kiosk.keyboard_open, 10)
    assert kiosk.screen.find("push button", "Ө") is not None, "Mongolian letters first for a text field"
    kiosk.tap(t("ui.form_back", kiosk.lang))
    poll("the keyboard put away on a page without text fields", lambda: not kiosk.keyboard_open(), 10)


@pytest.mark.timeout(300)
def test_a_number_field_gets_the_digits_pad(kiosk: Kiosk) -> None:
    form = kiosk.open_form("livestock-census")
    kiosk.go_to(form, "household_size")
    field = kiosk.field(_label(form, "household_size"))
    kiosk.screen.tap(field)
    poll("the digits pad", lambda: kiosk.keyboard_open() and kiosk.screen.find("push button", "7")
         and kiosk.screen.find("push button", "Ө") is None, 10)


@pytest.mark.timeout(400)
def test_at_200_percent_the_focused_label_stays_above_the_open_keyboard(kiosk: Kiosk, shots: Path) -> None:
    kiosk.text_size(200)
    form = kiosk.open_form("livestock-census")
    label_text = _label(form, "head_rd")
    field = kiosk.field(label_text)
    kiosk.screen.tap(field)
    poll("the on-screen keyboard", kiosk.keyboard_open, 10)
    hint = t("ui.registry_hint", kiosk.lang)

    seen: list[str] = []

    def question_in_view() -> bool:
        """Label, hint and field inside the page's visible area: under the screen's head
        (top bar, banner, the stack's top) and above its buttons and the keys."""
        nodes = kiosk.screen.nodes()
        stack = next(n for n in nodes if n.role == "layered pane")
        top = kiosk.screen.extents(stack)[1]
        next_button = next(n for n in nodes if n.role == "push button" and n.name == t("ui.form_next", kiosk.lang))
        bottom = kiosk.screen.extents(next_button)[1]
        parts = [n for n in nodes if n.role == "label" and n.name in (label_text, hint)] + [field]
        spans = [kiosk.screen.extents(n) for n in parts]
        seen.append(f"view {top}..{bottom}: " + ", ".join(f"{n.name[:20]!r} {e}" for n, e in zip(parts, spans, strict=True)))
        return len(parts) == 3 and all(top <= y and y + h <= bottom for _x, y, _w, h in spans)

    try:
        poll("the question's label, hint and field fully in view above the keyboard at 200 %",
             question_in_view, 10)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen {seen[-1:]}") from None
    finally:
        kiosk.hand.screenshot(shots / "keyboard-200-1280x800-mn.png")


def test_the_keyboard_button_says_what_it_is() -> None:
    """"Гар" alone can read as "get out!": the top-bar button names the keyboard."""
    word = t("ui.keyboard_show", "mn")
    assert word != "Гар" and len(word) > 3, word
    assert t("ui.keyboard_show", "en") == "Keyboard"


# -- H19a's part (issue 19 part A) -------------------------------------------------------
@pytest.mark.timeout(300)
def test_a_read_only_value_is_shown_as_text_not_a_box(kiosk: Kiosk) -> None:
    form = kiosk.open_form("id-card")
    kiosk.go_to(form, "applicant_age")  # the example's РД typed first: the age is known
    label = _label(form, "applicant_age")
    kiosk.screen.wait("label", label)
    boxes = [n for n in kiosk.screen.nodes() if n.role in ("text", "entry", "spin button")
             and n.name.startswith(label)]
    assert not boxes, f"the calculated age is an input box: {[(b.role, b.name) for b in boxes]}"


@pytest.mark.timeout(300)
def test_a_re_tapped_choice_stays_selected(kiosk: Kiosk) -> None:
    kiosk.open_form("governor-petition")
    choice = kiosk.screen.wait({"radio button", "toggle button", "check box"})
    kiosk.screen.tap(choice)
    poll("the choice selected", lambda: kiosk.tree.states(choice.ref) & {4, 20}, 10)
    kiosk.screen.tap(choice)
    with pytest.raises(AssertionError, match="not seen"):
        poll("the choice cleared by a second tap", lambda: not kiosk.tree.states(choice.ref) & {4, 20}, 3)


# -- the signature at large text ------------------------------------------------------------
def _to_question(kiosk: Kiosk, form: dict, name: str) -> None:
    """Each screen answered from the form's examples through the tree (choices too), and
    Next pressed through it, until the question ``name`` shows."""
    answers = json.loads((EXAMPLES / f"{form['id']}.answers.json").read_text(encoding="utf-8"))["answers"]
    lang = kiosk.lang
    driver = FormDriver(kiosk.tree, kiosk.screen.app, form, answers, lang, {
        "yes": t("ui.yes", lang), "no": t("ui.no", lang), "year": t("ui.date_year", lang),
        "month": t("ui.date_month", lang), "day": t("ui.date_day", lang)})
    target = _label(form, name, lang)
    for _ in range(25):
        if kiosk.screen.find("label", target) is not None:
            return
        driver.answer_screen()
        before = driver.names()
        driver.press(t("ui.form_next", lang))
        poll("the next screen", lambda b=before: driver.names() != b, 10)
    raise AssertionError(f"{name} not reached in 25 screens")


@pytest.mark.timeout(400)
def test_at_200_percent_a_finger_drags_the_signature_page_up_and_signs(kiosk: Kiosk, shots: Path) -> None:
    """Large text on a small screen puts the pad (partly) below the fold: a finger on the
    page above the pad drags the page up (a page showing a pad scrolled only by its thin
    scroll bar, so the resident could not reach the pad), then a stroke on the pad signs."""
    kiosk.text_size(200)
    form = kiosk.open_form("livestock-census")
    _to_question(kiosk, form, "signature")
    s, label = kiosk.screen, _label(form, "signature")
    pad = poll("the pad, named by its question", lambda: next((
        n for n in s.nodes() if n.name == label and n.role != "label" and atspi.STATE_FOCUSABLE in n.states), None), 10)
    nxt = s.wait("push button", t("ui.form_next", kiosk.lang))
    x, y0, w, _h = s.extents(pad)
    bottom = s.extents(nxt)[1]  # the page ends at the bottom bar (no keys on this screen)
    start = min(y0, bottom) - 24  # on the page above the pad: its hint text
    kiosk.hand.drag(x + w * 0.5, start, x + w * 0.5, start - 200, steps=20, hold=15)
    try:
        poll("the page dragged up by the finger", lambda: s.extents(pad)[1] < y0 - 100, 10)
    finally:
        kiosk.hand.screenshot(shots / "signature-200-1280x800-mn.png")
    last: list[object] = [None]

    def at_rest() -> bool:
        now = s.extents(pad)
        same, last[0] = now == last[0], now
        return same

    poll("the page at rest", at_rest, 5)
    x, y, w, h = s.extents(pad)
    top, low = max(y, s.extents(next(n for n in s.nodes() if n.role == "layered pane"))[1]), min(y + h, bottom)
    assert low - top > 60, f"the pad is not in view after the drag: pad {(x, y, w, h)}, page ends at {bottom}"
    mid = (top + low) / 2
    kiosk.hand.drag(x + w * 0.2, mid, x + w * 0.8, mid - 20)
    kiosk.tap(t("ui.form_next", kiosk.lang))
    poll("past the signature (the review)", lambda: s.find("push button", t("ui.review_submit", kiosk.lang)), 10)


# -- the finger walk itself ------------------------------------------------------------------
@pytest.mark.timeout(300)
def test_the_finger_walk_reports_a_screen_the_kiosk_holds_with_its_reason(kiosk: Kiosk) -> None:
    """The matrix walk (test_finger_matrix.py) must not pass when a form's walk stops early:
    a household head's registry number of a child (born 2021, under 16) holds the resident
    on screen 1, and the walk says so with the kiosk's own message for it."""
    from tests.ui.test_finger_matrix import _walk

    example = json.loads((EXAMPLES / "livestock-census.answers.json").read_text(encoding="utf-8"))["answers"]
    form = json.loads((FORMS / "livestock-census.json").read_text(encoding="utf-8"))
    message = next(q for p in form["pages"] for q in p["questions"] if q["name"] == "head_rd")["constraint_message"]
    findings = _walk(kiosk, "livestock-census", "test", None, {**example, "head_rd": "ЖЭ21261528"})
    assert len(findings) == 1, findings
    assert "livestock-census screen 1: Next did not move on" in findings[0], findings
    assert message["mn"] in findings[0], findings
