"""Walk every screen of every bundled form (and the other screens): accessible names and
descriptions in the current language, touch targets, rendered contrast, no clipping at 200 %,
focus order = reading order."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget

from ui import a11y, theme

CYRILLIC = re.compile(r"[А-Яа-яЁёӨөҮү]")
REGISTRY_NUMBER = re.compile(r"[А-ЯЁӨҮ]{2}[0-9]{8}")
MIN_TARGET = 48
WINDOW = (1280, 800)


def _visible_interactive(root: QWidget) -> list[QWidget]:
    return [w for w in root.findChildren(QWidget) if w.isVisible() and a11y.is_interactive(w)]


def _settle(window) -> None:  # noqa: ANN001
    from PySide6.QtCore import QEvent

    window.resize(*WINDOW)
    QApplication.processEvents()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # replaced screens go


def _check_names(window, lang: str, where: str) -> list[str]:  # noqa: ANN001
    problems = []
    for w in _visible_interactive(window):
        name, desc = w.accessibleName(), w.accessibleDescription()
        label = w.objectName() or type(w).__name__
        if not name.strip() or not desc.strip():
            problems.append(f"{where}: {label} has no accessible name/description")
        if "ui." in name or "ui." in desc:
            problems.append(f"{where}: {label} shows a catalog key: {name!r} / {desc!r}")
        if lang == "en" and w.objectName() not in ("language",) and not w.objectName().startswith("key-"):
            # A registry number is Cyrillic in every language (the format hint shows one).
            plain = REGISTRY_NUMBER.sub("", f"{name} {desc}")
            if CYRILLIC.search(plain):
                problems.append(f"{where}: {label} is not in English: {name!r} / {desc!r}")
    return problems


def _check_targets(window, where: str) -> list[str]:  # noqa: ANN001
    return [
        f"{where}: {w.objectName() or w.accessibleName()!r} is {w.width()}x{w.height()} (< 48x48)"
        for w in _visible_interactive(window)
        if w.width() < MIN_TARGET or w.height() < MIN_TARGET
    ]


def _rendered_contrast(widget: QWidget) -> float | None:
    """Contrast between the background (the most common colour) and the colour that
    differs most from it (the core of the glyphs), as rendered."""
    window = widget.window()
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    image: QImage = window.grab(rect).toImage()  # composited: the real background behind
    counts: dict[int, int] = {}
    w, h = image.width(), image.height()
    step = max(1, (w * h) // 20000)
    for i in range(0, w * h, step):
        rgb = image.pixel(i % w, i // w) & 0xFFFFFF
        counts[rgb] = counts.get(rgb, 0) + 1
    if len(counts) < 2:
        return None
    bg = max(counts, key=counts.__getitem__)
    bg_c = QColor(bg)
    # Ignore stray anti-aliasing pixels: a text colour covers a few pixels at least.
    ratios = [theme.contrast_ratio(QColor(c), bg_c) for c, n in counts.items() if n >= 3 and c != bg]
    return max(ratios) if ratios else None


def _check_contrast(window, theme_name: str, where: str) -> list[str]:  # noqa: ANN001
    need = theme.required_contrast(theme_name)
    problems = []
    for lab in window.findChildren(QLabel):
        if not lab.isVisible() or not lab.text().strip() or lab.pixmap() is not None and not lab.pixmap().isNull():
            continue
        if lab.visibleRegion().boundingRect() != lab.rect():
            continue  # scrolled (partly) out of view: what is drawn there is not this label
        ratio = _rendered_contrast(lab)
        if ratio is not None and ratio < need:
            problems.append(f"{where}: text {lab.text()[:30]!r} contrast {ratio:.2f} < {need}")
    return problems


def _check_clipping(window, where: str) -> list[str]:  # noqa: ANN001
    problems = []
    hint = window.centralWidget().minimumSizeHint()
    if hint.width() > WINDOW[0] or hint.height() > WINDOW[1]:
        problems.append(f"{where}: needs {hint.width()}x{hint.height()}, more than the screen")
    for lab in window.findChildren(QLabel):
        if not lab.isVisible() or not lab.text():
            continue
        if lab.wordWrap():
            need = lab.heightForWidth(lab.width())
            if need > lab.height() + 1:
                problems.append(f"{where}: {lab.text()[:30]!r} needs {need}px height, has {lab.height()}")
        elif lab.sizeHint().width() > lab.width() + 1:
            problems.append(f"{where}: {lab.text()[:30]!r} needs {lab.sizeHint().width()}px width, has {lab.width()}")
    for b in window.findChildren(QAbstractButton):
        if b.isVisible() and b.text() and b.sizeHint().width() > b.width() + 1:
            problems.append(f"{where}: button {b.text()!r} is cut ({b.width()} < {b.sizeHint().width()})")
    return problems


def _check_reading_order(widgets: list[QWidget], where: str) -> list[str]:
    """Tab goes top to bottom, and left to right within a row."""
    problems = []
    previous = None
    for w in widgets:
        if not w.isVisible():
            continue
        pos = w.mapTo(w.window(), QPoint(0, 0))
        if previous is not None:
            py, px, pname = previous
            if pos.y() + 4 < py or (abs(pos.y() - py) <= 4 and pos.x() < px):
                problems.append(f"{where}: Tab goes from {pname} up/back to {w.objectName() or w.accessibleName()}")
        previous = (pos.y(), pos.x(), w.objectName() or w.accessibleName())
    return problems


def _all_checks(window, lang: str, theme_name: str, where: str, contrast: bool) -> list[str]:  # noqa: ANN001
    _settle(window)
    out = _check_names(window, lang, where) + _check_targets(window, where) + _check_clipping(window, where)
    if contrast:
        out += _check_contrast(window, theme_name, where)
    return out


def test_palettes_meet_wcag_contrast():
    for name in theme.THEMES:
        p = theme.palette(name)
        for fg, bg in theme.TEXT_PAIRS:
            assert theme.contrast_ratio(p[fg], p[bg]) >= theme.required_contrast(name), (name, fg, bg)
        for fg, bg in theme.NON_TEXT_PAIRS:
            assert theme.contrast_ratio(p[fg], p[bg]) >= 3.0, (name, fg, bg)


def test_contrast_formula_against_known_values():
    assert theme.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert theme.contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(
    ("lang", "theme_name", "scale"),
    [("en", "default", 100), ("mn", "high-contrast", 200)],
)
def test_every_screen_of_every_form(qtbot, kiosk, lang, theme_name, scale):
    from ui.examples import open_example

    window, prefs = kiosk.window, kiosk.prefs
    prefs.default_lang = lang
    prefs.set_lang(lang)
    prefs.set_theme(theme_name)
    prefs.set_scale(scale)
    problems: list[str] = []
    problems += _all_checks(window, lang, theme_name, "home", contrast=True)
    problems += _check_reading_order(window.home.focus_order(), "home")
    checked_contrast: set[str] = set()
    for form_id in kiosk.services.catalog.forms:
        flow = open_example(window, form_id)
        assert flow is not None, f"{form_id} has no example answers"
        for screen in flow.s.screens():
            window.form.go_to(screen.key)
            kinds = {e.type for e in flow.entries()} | ({"repeat"} if flow.repeats() else set())
            # Rendered contrast is slow: once per question type is enough.
            contrast = not kinds <= checked_contrast
            checked_contrast |= kinds
            where = f"{form_id}/{screen.key}"
            problems += _all_checks(window, lang, theme_name, where, contrast)
            problems += _check_reading_order(window.form.input_widgets(), where)
        window.show_review()
        problems += _all_checks(window, lang, theme_name, f"{form_id}/review", contrast=form_id == "birth-registration")
        window.wipe(discard=True)
        prefs.set_lang(lang), prefs.set_theme(theme_name), prefs.set_scale(scale)
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} problems)"


@pytest.mark.parametrize(("lang", "scale"), [("mn", 200), ("en", 100)])
def test_other_screens(qtbot, kiosk, lang, scale):
    from kiosk.store.ids import uuid7
    from ui.views.receipt import ReceiptInfo

    window, prefs = kiosk.window, kiosk.prefs
    prefs.default_lang = lang
    prefs.set_lang(lang)
    prefs.set_scale(scale)
    problems: list[str] = []
    window.open_settings()
    problems += _all_checks(window, lang, "default", "accessibility", True)
    problems += _check_reading_order(window.settings.controls, "accessibility")
    window.close_settings()
    info = ReceiptInfo(uuid7(), "sample", "2026-11-26T09:30:00Z", {"mn": "Төрсний бүртгэл", "en": "Birth registration"}, True)
    window.receipt = info
    window.show_receipt(info)
    problems += _all_checks(window, lang, "default", "receipt", True)
    window.wipe()
    window.open_form("birth-registration")
    window.ask_cancel()
    problems += _all_checks(window, lang, "default", "cancel", True)
    window.cancel_answered(False)
    window.idle_warning()
    problems += _all_checks(window, lang, "default", "idle", True)
    window.wipe()
    window.open_staff()
    problems += _all_checks(window, lang, "default", "staff-pin", True)
    window.staff.unlocked = True
    window.staff.present()
    window.staff.refresh()
    qtbot.waitUntil(lambda: window.staff.snapshot is not None)
    problems += _all_checks(window, lang, "default", "staff", True)
    window.keyboard.show()
    problems += _all_checks(window, lang, "default", "keyboard", False)
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} problems)"
