"""The finger walk over every bundled form, at three screen sizes, in Mongolian and English,
at 100 % and 200 % text (issue 19): slow, the whole matrix; test_finger.py is the fast set.

On every screen of every form, with X input (XTEST) and AT-SPI reads only:
- every list row showing is >= 56 px;
- the first text field, tapped, opens the on-screen keyboard, and the question's label
  and the field are then inside the page's visible area, above the keys;
- a screen with no text field has no keyboard open;
- a dropdown, tapped, opens the full-screen chooser with >= 56-px rows (then Cancel).
Each screen is answered from the form's example answers through the tree (as
tests/ui/atspi_form.py does) and a signature is drawn with a finger drag; the walk of a
form ends at its review screen. Ending anywhere else is a finding naming the form, the
screen and why (the kiosk's error lines read through the tree, or the driver's error), so
a walk cut short cannot pass; the one exception is a question the tree cannot answer by
design (an attachment, by its type in the form: atspi_form.BY_DESIGN), where the screens
up to there were checked. Screenshots of every screen go to $KIOSK_FINGER_SHOTS when set.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.i18n import t
from tests.ui import atspi
from tests.ui.atspi_form import TEXT_TYPES, FormDriver, Unanswerable, unnumbered
from tests.ui.finger import STATE_FOCUSED, STATE_READ_ONLY, Screen, poll
from tests.ui.test_finger import EXAMPLES, FORMS, MIN_ROW, Kiosk

SIZES = ("1280x800", "1024x768", "1920x1080")
TYPED = (*TEXT_TYPES, "date")  # questions with fields typed into
pytestmark = [pytest.mark.slow, pytest.mark.matrix]


@pytest.fixture(scope="module", params=SIZES)
def desktop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[atspi.Desktop]:
    try:
        d = atspi.start_desktop(tmp_path_factory.mktemp("finger"), request.param)
    except atspi.Unavailable as exc:
        pytest.skip(f"no X/AT-SPI desktop here: {exc}")
    yield d
    d.close()


def _forms() -> list[str]:
    """Every bundled form, or those named in $KIOSK_FINGER_FORMS (comma-separated)."""
    chosen = [f for f in os.environ.get("KIOSK_FINGER_FORMS", "").split(",") if f]
    return chosen or sorted(p.stem for p in FORMS.glob("*.json"))


def _is_key(n: atspi.Node, lang: str) -> bool:
    """A key of the on-screen keyboard (not a field's own − and + buttons)."""
    return n.role == "push button" and n.description == t("ui.keyboard_key_desc", lang, key=n.name)


def _check_screen(k: Kiosk, form: dict, where: str) -> list[str]:
    s: Screen = k.screen
    problems: list[str] = []
    nodes = s.nodes()
    for n in nodes:
        if n.role == "list item" and 0 < s.extents(n)[3] < MIN_ROW:
            problems.append(f"{where}: list row {n.name!r} is {s.extents(n)[3]} px")
    labels = {str(q["label"][k.lang]): q for p in form["pages"] for q in _all(p["questions"])}
    # Typed answers only: a calculated or read-only value is shown as text (test_finger.py
    # holds it) and takes no keyboard. A date's year, month and day are typed (number pad).
    # A field's name starts with its question's label (the longest: "Name" and "Name and
    # surname" are two questions); a repeat's item adds its number ("Child's name (1)").
    by_length = sorted(labels.items(), key=lambda lq: -len(lq[0]))
    fields = [(n, q) for n in nodes if n.role in ("text", "entry") and STATE_READ_ONLY not in n.states
              for q in [next((q for lab, q in by_length if n.name.startswith(lab)), None)]
              if q is not None and q["type"] in TYPED and not q.get("calculate") and not q.get("readonly")]
    if not fields:
        if k.keyboard_open():
            problems.append(f"{where}: the keyboard is open on a screen without text fields")
        return problems
    field, q = fields[0]
    # Below the fold, or under the keys left open by the screen before (the page ends at
    # the keys; a field's extents go on past it): a finger drags the page up to it.
    s.tap(_in_reach(k, lambda: field))
    try:  # the keys open (or stay, from the screen before) for this field, now focused
        poll("the keyboard for the field", lambda: k.keyboard_open() and any(
            n.ref == field.ref and STATE_FOCUSED in n.states for n in s.nodes()), 10)
    except AssertionError:
        focus = [f"{n.role} {n.name[:40]!r} at {s.extents(n)}" for n in s.nodes() if STATE_FOCUSED in n.states]
        return [*problems, f"{where}: tapping {q['name']} at {s.extents(field)} did not open the keyboard "
                           f"for it (keys {'open' if k.keyboard_open() else 'closed'}, focus on {focus})"]
    label = str(q["label"][k.lang])
    seen: list[str] = []

    def in_view() -> bool:
        top, bottom = _page_span(k)
        heads = [s.extents(n) for n in s.nodes() if n.role == "label" and unnumbered(n.name)[0] == label]
        f = s.extents(field)
        seen[:] = [f"label at {heads}, field at {f}, visible {top}..{bottom}"]
        return bool(heads) and all(top <= y and y + h <= bottom for _x, y, _w, h in (*heads, f))

    try:
        poll("label and field in view", in_view, 5)
    except AssertionError:
        problems.append(f"{where}: {q['name']}'s label or field is not in view above the keyboard ({seen[0]})")
    return problems


def _in_reach(k: Kiosk, find: Any) -> Any:
    """The node ``find()`` gives, dragged by a finger into the part of the page a person
    sees: below the top of the screens' stack and above the keys when they are open."""
    s = k.screen
    node = find()
    for _ in range(6):
        top, bottom = _page_span(k)
        _x, y, _w, h = s.extents(node)
        if top <= y and (y + h <= bottom or (h > bottom - top and y < (top + bottom) / 2)):
            break  # in view (or, taller than the view, its top half of the view at least)
        # The finger on the page itself (not on the bar or the keys), moved as far as the
        # node is out of view (half the page at most) and held still before it is lifted
        # (a flick would glide on past it).
        need = min(top - y if y < top else y + h - bottom, (bottom - top) // 2) + 12
        start = top + (bottom - top) * (0.25 if y < top else 0.75)
        end = start + need if y < top else start - need
        k.hand.drag(k.hand.width * 0.5, start, k.hand.width * 0.5, end, steps=20, hold=15)
        node = find()
        _at_rest(k, node)  # a tap on a page still gliding stops it and presses nothing
    return node


def _page_span(k: Kiosk) -> tuple[int, int]:
    """The screen rows a person sees of the page: from the top of the screens' stack to
    the bottom bar (Next) or the keys, whichever is higher."""
    s = k.screen
    now = s.nodes()
    stack = next((n for n in now if n.role == "layered pane"), None)
    top = s.extents(stack)[1] if stack is not None else 0
    keys = [s.extents(n)[1] for n in now if _is_key(n, k.lang)]
    nxt = [s.extents(n)[1] for n in now if n.role == "push button" and n.name == t("ui.form_next", k.lang)]
    return top, min([*keys, *nxt, k.hand.height])


def _at_rest(k: Kiosk, node: Any) -> None:
    """Until the page under ``node`` has stopped moving (kinetic scrolling after a drag)."""
    last: list[Any] = [None]

    def still() -> bool:
        now = k.screen.extents(node)
        same, last[0] = now == last[0], now
        return same

    poll("the page at rest", still, 5)


def _check_chooser(k: Kiosk, where: str) -> list[str]:
    combo = k.screen.find("combo box", None, where=lambda n: atspi.STATE_ENABLED in n.states)
    if combo is None or not k.screen.on_screen(combo):
        return []
    typed = [n for n in k.screen.nodes()
             if n.role in ("text", "entry") and STATE_READ_ONLY not in n.states]
    try:  # the screen settled (the keys put away, the page laid out) before the tap
        # The keys stay only where there is something to type (an address page has the
        # aimag/soum dropdown and text fields); the chooser opens over them either way.
        poll("the keyboard put away", lambda: bool(typed) or not k.keyboard_open(), 5)
    except AssertionError:
        return [f"{where}: the keyboard stays open on a screen with only a dropdown"]
    k.screen.tap(_in_reach(k, lambda: k.screen.find(
        "combo box", None, where=lambda n: atspi.STATE_ENABLED in n.states) or combo))
    # The chooser's Cancel by its description too: in English the form's own Cancel has its name.
    desc = t("ui.chooser_cancel_desc", k.lang)
    try:
        cancel = k.screen.wait("push button", t("ui.chooser_cancel", k.lang), timeout=10,
                               where=lambda n: n.description == desc)
    except AssertionError:
        return [f"{where}: tapping the dropdown did not open the chooser"]
    rows = [k.screen.extents(n)[3] for n in k.screen.nodes() if n.role == "list item"]
    k.screen.tap(cancel)
    poll("the chooser closed", lambda: k.screen.find(
        "push button", t("ui.chooser_cancel", k.lang), where=lambda n: n.description == desc) is None, 10)
    short = [h for h in rows if 0 < h < MIN_ROW]
    return [f"{where}: chooser rows of {short[0]} px"] if short else []


def _sign(k: Kiosk, form: dict, where: str, problems: list[str]) -> list[str]:
    """Draw each signature pad on the screen with a finger drag; the labels signed. A pad
    the finger could not bring into view is a finding (drawn there, the stroke would land
    on the bottom bar)."""
    sig = [str(q["label"][k.lang]) for p in form["pages"] for q in p["questions"] if q["type"] == "signature"]
    signed = []
    for label in sig:
        def find(lab: str = label) -> Any:  # the pad, named by its question
            return next((n for n in k.screen.nodes() if n.name == lab and n.role != "label"
                         and atspi.STATE_FOCUSABLE in n.states), None)

        if find() is not None:
            pad = _in_reach(k, find)  # below the fold at large text: a finger brings it up
            x, y, w, h = k.screen.extents(pad)
            span = _page_span(k)
            top, bottom = max(y, span[0]), min(y + h, span[1])  # the part of it a person sees
            if bottom - top < 40:
                problems.append(f"{where}: the signature pad at {(x, y, w, h)} cannot be brought into "
                                f"the visible page {span} by a finger")
                continue
            mid = (top + bottom) / 2
            k.hand.drag(x + w * 0.2, mid, x + w * 0.8, mid - min(20, (bottom - top) / 4))
            signed.append(label)
    return signed


STEPS = 40  # more screens than any bundled form has (one question per screen at most)


def _walk(k: Kiosk, form_id: str, tag: str, shots: Path | None, answers: dict | None = None) -> list[str]:
    """The form's screens up to its review, answered from ``answers`` (the form's example
    answers if not given); a stop before the review is a finding naming the screen and
    why, but for an answer the tree cannot give by design (BY_DESIGN)."""
    form = json.loads((FORMS / f"{form_id}.json").read_text(encoding="utf-8"))
    if answers is None:
        answers = json.loads((EXAMPLES / f"{form_id}.answers.json").read_text(encoding="utf-8"))["answers"]
    k.open_form(form_id)
    driver = FormDriver(k.tree, k.screen.app, form, answers, k.lang, {
        "yes": t("ui.yes", k.lang), "no": t("ui.no", k.lang), "year": t("ui.date_year", k.lang),
        "month": t("ui.date_month", k.lang), "day": t("ui.date_day", k.lang)})
    problems: list[str] = []
    for step in range(STEPS):
        if k.screen.find("push button", t("ui.review_submit", k.lang)) is not None:
            return problems
        shot = shots / tag / f"{form_id}-{step + 1:02d}.png" if shots is not None else None
        stop = _screen(k, form, driver, f"{tag} {form_id} screen {step + 1}", shot, problems)
        if stop is not None:
            return [*problems, *stop]
    return [*problems, f"{tag} {form_id}: no review screen after {STEPS} screens"]


def _screen(k: Kiosk, form: dict, driver: FormDriver, where: str, shot: Path | None,
            problems: list[str]) -> list[str] | None:
    """One screen checked, answered and left with Next; what ends the walk here (an empty
    list: a by-design stop), or None to go on."""
    shown = _texts(k)  # what the screen shows before any answer (no error yet)
    problems += _check_screen(k, form, where)
    if shot is not None:  # the keys open over the first field, as the check left them
        k.hand.screenshot(shot)
    problems += _check_chooser(k, where)
    try:
        driver.answer_screen()
    except Unanswerable:
        return []  # a file from the picker or camera: the screens up to here were checked
    except (AssertionError, StopIteration) as exc:
        return [f"{where}: the example answers could not be given through the tree: {exc!r}"]
    signed = _sign(k, form, where, problems)
    before = _where(k, driver)
    k.tap(t("ui.form_next", k.lang))
    try:
        poll("the next screen", lambda: _moved(before, _where(k, driver)) or k.screen.find(
            "push button", t("ui.review_submit", k.lang)) is not None, 10)
    except AssertionError:
        return [f"{where}: Next did not move on; the kiosk says: {_refusal(k, form, shown)}"]
    if signed:  # a finger's signature must take (the page must not scroll instead)
        try:
            poll("past the signature", lambda: k.screen.find(
                "push button", t("ui.review_submit", k.lang)) is not None or not any(
                n.role == "label" and n.name in signed for n in k.screen.nodes()), 10)  # review lists it
        except AssertionError:
            return [f"{where}: the signature drawn with a finger did not take; the kiosk says: "
                    f"{_refusal(k, form, shown)}"]
    return None


Where = tuple[str | None, list[str], list[str]]


def _where(k: Kiosk, driver: FormDriver) -> Where:
    """Which screen it is: its progress line, its questions' labels, all its lines."""
    return _step(k), driver.labels(), driver.names()


def _moved(before: Where, now: Where) -> bool:
    """Not by all the lines (an error line appearing changes those): by the progress line
    (hidden at large text while the keys are open), else by the questions' labels."""
    if before[0] is not None and now[0] is not None:
        return before[0] != now[0]
    if before[1] or now[1]:
        return before[1] != now[1]
    return before[2] != now[2]


def _step(k: Kiosk) -> str | None:
    """The form's progress line ("7 / 19", its description "Step 7 of 19"), None if not shown."""
    for n in k.screen.nodes():
        m = re.fullmatch(r"(\d+) / (\d+)", n.name) if n.role == "label" else None
        if m and n.description == t("ui.form_progress_desc", k.lang, index=int(m[1]), count=int(m[2])):
            return n.name
    return None


def _texts(k: Kiosk) -> set[str]:
    return {n.name for n in k.screen.nodes() if n.role == "label" and n.name.strip()}


def _refusal(k: Kiosk, form: dict, shown: set[str]) -> str:
    """The kiosk's reasons on the screen, read through the tree: the lines that appeared
    since the screen was first shown (a field's error line, the page's message) that are
    no question's label or hint, and the error a field's description carries after " — "."""
    own = {str(q.get(part, {}).get(k.lang, "")) for p in form["pages"] for q in _all(p["questions"])
           for part in ("label", "hint")} | {t("ui.form_optional", k.lang)}
    nodes = k.screen.nodes()
    lines = [n.name for n in nodes if n.role == "label" and n.name.strip() and n.name not in shown | own]
    lines += [n.description.split(" — ", 1)[1] for n in nodes if " — " in n.description]
    return " | ".join(dict.fromkeys(lines)) or "nothing (no error line, no page message)"


def _all(questions: list[dict]) -> Iterator[dict]:
    for q in questions:
        yield q
        yield from _all(q.get("questions", []))


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("scale", [100, 200])
@pytest.mark.parametrize("lang", ["mn", "en"])
def test_a_finger_walks_every_form(desktop: atspi.Desktop, isolated_home: Path, tmp_path: Path,
                                   lang: str, scale: int) -> None:
    shots_env = os.environ.get("KIOSK_FINGER_SHOTS")
    size = desktop.env.get("DISPLAY", "")
    problems: list[str] = []
    for form_id in _forms():
        k = Kiosk(desktop, isolated_home, lang, tmp_path / f"{form_id}.log")  # a fresh kiosk per form
        try:
            tag = f"{k.hand.width}x{k.hand.height}-{lang}-{scale}"
            if scale != 100:
                k.text_size(scale)
            problems += _walk(k, form_id, tag, Path(shots_env) if shots_env else None)
        finally:
            k.close()
    assert not problems, f"{size}: {len(problems)} findings:\n" + "\n".join(problems[:60])


# -- three imported XLSForms (made in the test) ---------------------------------------------
def _import_xlsforms(home: Path, tmp: Path) -> list[tuple[str, set[str]]]:
    from kiosk.forms.local_catalog import check_source, install, read_source
    from tests.forms.xlsform_builders import household_form, media_form, odk_types_form

    ids = []
    for build, name in ((household_form, "household"), (odk_types_form, "types"), (media_form, "media")):
        source = read_source(build(tmp / "src" / f"{name}.xlsx"))
        form = check_source(source)
        install(home, source, form, category="civil-registration", agency="gasr")
        ids.append((form.id, {form.title_text(lang) for lang in ("mn", "en")}))
    return ids


def _generic_screen(k: Kiosk, where: str) -> list[str]:
    """The same checks without a form definition: a field's label is the label read
    just before it (reading order)."""
    s, problems = k.screen, []
    nodes = s.nodes()
    problems += [f"{where}: list row {n.name!r} is {s.extents(n)[3]} px" for n in nodes
                 if n.role == "list item" and 0 < s.extents(n)[3] < MIN_ROW]
    last_label, field, label = None, None, None
    for n in nodes:
        if n.role == "label" and n.name.strip():
            last_label = n
        elif n.role in ("text", "entry") and STATE_READ_ONLY not in n.states and s.on_screen(n):
            field, label = n, last_label
            break
    if field is None:
        return problems + ([f"{where}: keyboard open without text fields"] if k.keyboard_open() else [])
    s.tap(field)
    try:
        poll("the keyboard", k.keyboard_open, 10)
    except AssertionError:
        return [*problems, f"{where}: tapping {field.name!r} did not open the keyboard"]
    parts = [p for p in (label, field) if p is not None]
    out: list[str] = []

    def in_view() -> bool:
        """After the keys took their room and the page scrolled (polled: layout settles)."""
        now = s.nodes()
        keys = [s.extents(n)[1] for n in now if _is_key(n, k.lang)]
        stack = next(n for n in now if n.role == "layered pane")
        top, bottom = s.extents(stack)[1], min(keys) if keys else k.hand.height
        out[:] = [f"{where}: {p.role} {p.name[:40]!r} at {s.extents(p)} not in view ({top}..{bottom}) "
                  "above the keyboard" for p in parts
                  if not (top <= s.extents(p)[1] and sum(s.extents(p)[1::2]) <= bottom)]
        return not out

    try:
        poll("label and field in view", in_view, 5)
    except AssertionError:
        problems += out
    return problems


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("scale", [100, 200])
@pytest.mark.parametrize("lang", ["mn", "en"])
def test_a_finger_walks_three_imported_xlsforms(desktop: atspi.Desktop, isolated_home: Path, tmp_path: Path,
                                                lang: str, scale: int) -> None:
    ids = _import_xlsforms(isolated_home, tmp_path)
    problems: list[str] = []
    for form_id, titles in ids:
        k = Kiosk(desktop, isolated_home, lang, tmp_path / f"{form_id}.log")
        try:
            tag = f"{k.hand.width}x{k.hand.height}-{lang}-{scale}"
            if scale != 100:
                k.text_size(scale)
            tile = k.screen.wait("push button", None,
                                 where=lambda n, ts=titles: any(n.name.startswith(x) for x in ts if x))
            k.tree.do(tile.ref, "Press")
            k.screen.wait("push button", t("ui.form_next", lang))
            for step in range(8):  # up to where a required answer holds the walk
                problems += _generic_screen(k, f"{tag} {form_id} screen {step + 1}")
                if os.environ.get("KIOSK_FINGER_SHOTS"):
                    k.hand.screenshot(Path(os.environ["KIOSK_FINGER_SHOTS"]) / tag / f"{form_id}-{step + 1:02d}.png")
                before = [n.name for n in k.screen.nodes()]
                k.tap(t("ui.form_next", lang))
                try:
                    poll("the next screen", lambda b=before, s=k.screen: [n.name for n in s.nodes()] != b, 5)
                except AssertionError:
                    break
                if k.screen.find("push button", t("ui.review_submit", lang)) is not None:
                    break
        finally:
            k.close()
    assert not problems, "\n".join(problems[:60])
