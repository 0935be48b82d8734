"""``kiosk screenshots``: every screen to PNG, offscreen, in every language, theme and size.

Runs the real window (ui.app.build) in a throwaway data folder, so nothing is
written to the kiosk's own database and no submission is made: the receipt
screen shows a sample receipt (a DEMO QR that holds no personal data).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from kiosk.paths import Home
from kiosk.secrets import scratch_secrets
from ui.app import WINDOW_SIZE
from ui.qt import QApplication, QEvent, QPoint, QWidget
from ui.services import DoctorRun
from ui.theme import SCALES, THEMES

QUICK_COMBOS = (("default", 100), ("high-contrast", 200))


def settle(predicate: Callable[[], bool] | None = None, timeout: float = 10.0) -> None:
    """Process events (and background results) until ``predicate`` holds or time runs out."""
    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while True:
        app.processEvents()  # type: ignore[union-attr]
        # processEvents() leaves deleteLater() alone; replaced screens must really go.
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if predicate is None or predicate() or time.monotonic() > deadline:
            break
        time.sleep(0.005)
    app.processEvents()  # type: ignore[union-attr]


def type_examples(kiosk) -> dict[str, tuple[str, str]]:  # noqa: ANN001 - ui.app.Kiosk
    """For each question type, the first (form id, screen key) that shows it."""
    found: dict[str, tuple[str, str]] = {}
    services = kiosk.services
    for form_id in services.catalog.forms:
        session = services.new_session(form_id, kiosk.prefs.lang)
        from ui.examples import example_path

        path = example_path(kiosk.window, form_id)
        if path.exists():
            from kiosk.forms import answers_from_file

            session.restore(answers_from_file(session.form, path))
        for screen in session.screens():
            kinds = [qv.type for qv, _ in screen.questions] or (["repeat"] if screen.repeats else [])
            for kind in kinds:
                found.setdefault(kind, (form_id, screen.key))
    return found


def walk(kiosk, types: dict[str, tuple[str, str]]) -> Iterator[str]:  # noqa: ANN001, C901
    """Put every screen the kiosk has in front of the window, one after the other,
    yielding its name while it is shown (screenshots and the screen lint walk the same)."""
    win = kiosk.window

    def ready(name: str) -> str:
        settle()
        win.resize(*WINDOW_SIZE)
        settle()
        return name

    from ui.examples import open_example

    win.wipe(discard=True)
    yield ready("01-home")
    win.open_settings()
    yield ready("02-accessibility")
    win.close_settings()
    for kind, (form_id, key) in sorted(types.items()):
        flow = open_example(win, form_id)
        if flow is None:
            continue
        win.form.go_to(key)
        if kind == "text":
            win.keyboard.show()
            inputs = win.form.input_widgets()
            if inputs:
                inputs[0].setFocus()
                win.keyboard.follow_focus(inputs[0])
            yield ready("10-keyboard")
            win.keyboard.hide()
        yield ready(f"20-question-{kind}")
        win.wipe(discard=True)
    # A validation error: the first screen of the first form, Next with nothing answered.
    first = next(iter(kiosk.services.catalog.forms))
    win.open_form(first)
    settle()  # as a resident would: the screen is laid out before Next is pressed
    win.form.go_next()
    yield ready("30-validation-error")
    win.ask_cancel()
    yield ready("31-cancel-confirm")
    win.cancel_answered(False)
    win.idle_warning()
    yield ready("32-idle-warning")
    win.wipe(discard=True)
    flow = open_example(win, "birth-registration") or open_example(win, first)
    if flow is not None:
        win.show_review()
        yield ready("40-review")
    from kiosk.store.ids import uuid7
    from ui.views.receipt import ReceiptInfo

    sample = ReceiptInfo(uuid7(), "DEMO sample receipt: kiosk screenshots", "2026-11-26T09:30:00Z",
                         dict(flow.form.title) if flow is not None else {"mn": "", "en": ""}, True)
    win.receipt = sample
    win.show_receipt(sample)
    yield ready("50-receipt")
    win.wipe(discard=True)
    win.open_staff()
    yield ready("60-staff-pin")
    win.staff.try_pin()
    settle(lambda: kiosk.bridge.is_idle())
    yield ready("61-staff-pin-refused")
    win.staff.unlocked = True
    win.staff.message = ""
    win.staff.present()
    win.staff.refresh()
    settle(lambda: kiosk.bridge.is_idle() and win.staff.snapshot is not None)
    win.staff.run_diagnostics()
    settle(lambda: kiosk.bridge.is_idle() and win.staff.checks is not None, timeout=30)
    yield ready("62-staff-dashboard")
    rows = [w for w in win.staff.body.findChildren(QWidget) if w.property("role") == "check"]
    if rows:  # the doctor's checks, further down the staff screen
        top = rows[0].mapTo(win.staff.body, QPoint(0, 0)).y()
        win.staff.verticalScrollBar().setValue(top - rows[0].height())  # the summary line too
        yield ready("63-staff-diagnostics")
    win.staff.leave()


def _shots(kiosk, out: Path, prefix: str, types: dict[str, tuple[str, str]]) -> Iterator[Path]:  # noqa: ANN001
    for name in walk(kiosk, types):
        path = out / f"{prefix}-{name}.png"
        kiosk.window.grab().save(str(path))
        yield path


def combos(quick: bool = False) -> tuple[tuple[str, int], ...]:
    """(theme, text size) pairs a run covers: all of them, or the two extremes."""
    return QUICK_COMBOS if quick else tuple((th, sc) for th in THEMES for sc in SCALES)


def use(kiosk, lang: str, theme_name: str, scale: int) -> None:  # noqa: ANN001
    """Set language, theme and size for a pass, kept across the walk's wipes."""
    prefs = kiosk.prefs
    prefs.default_lang = lang
    prefs.set_lang(lang)
    prefs.set_theme(theme_name)
    prefs.set_scale(scale)
    # Finish/idle wipes reset the choices: keep them for this pass.
    prefs.reset = _keep  # type: ignore[method-assign]


def take_screenshots(out: Path, langs: tuple[str, ...] = ("mn", "en"), quick: bool = False,
                     doctor: DoctorRun | None = None) -> list[Path]:
    from ui.app import build

    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    written: list[Path] = []
    # Drafts of the walk-through go to a throwaway folder, its keys never to the OS keyring.
    with tempfile.TemporaryDirectory(prefix="kiosk-screens-") as tmp, scratch_secrets(Path(tmp)):
        previous = os.environ.get("KIOSK_HOME")
        os.environ["KIOSK_HOME"] = tmp
        try:
            kiosk = build(Home(Path(tmp)), langs[0], doctor=doctor)
            kiosk.window.show()
            settle(lambda: kiosk.is_ready() and kiosk.bridge.is_idle())
            types = type_examples(kiosk)
            for lang in langs:
                for theme_name, scale in combos(quick):
                    use(kiosk, lang, theme_name, scale)
                    prefix = f"{lang}-{theme_name}-{scale}"
                    written += list(_shots(kiosk, out, prefix, types))
            settle(lambda: kiosk.bridge.is_idle())
            kiosk.close()
        finally:
            if previous is None:
                os.environ.pop("KIOSK_HOME", None)
            else:
                os.environ["KIOSK_HOME"] = previous
    return written


def _keep() -> None:
    """Stands in for Prefs.reset during screenshots."""
