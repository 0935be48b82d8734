"""A lint over a screen as it is laid out and drawn: what a person would see wrong.

Each rule takes the window (or any widget tree) as it stands and returns findings,
one line each naming the screen, the widget and the measurement. The rules read
geometry, font metrics and rendered pixels, never a screenshot compared with a
stored one, so they hold for every language, theme and text size:

- ``fits``: every label's and button's text fits its rect (font metrics vs geometry);
- ``under_bar``: nothing is drawn under a screen's bottom bar of buttons;
- ``script``: no Latin words on a Mongolian screen outside an allowlist (codes, "QR",
  numbers, form ids, commands and paths on staff screens), no Cyrillic on an English one;
- ``contrast``: every text against the background it is drawn on >= 4.5:1 (7:1 in high
  contrast);
- ``focus_ring``: the focus indicator of every focusable control >= 3:1 against the
  colours on both sides of it;
- ``targets``: every clickable >= 44 x 44 px, scroll-bar arrows and dropdown arrows too;
- ``rows``: every row of a list a finger picks from >= 56 px (at 100 %), including the list
  a dropdown opens;
- ``keyboard_label``: with the on-screen keyboard open, the focused question's label is
  fully inside the visible part of its page;
- ``read_only``: no editable-looking box (line edit, text box, spin box) for a read-only
  value: a calculated answer is shown as text (issue 19).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import shiboken6
from PIL import Image
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollBar,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QStyleOptionSlider,
    QTextEdit,
    QWidget,
)

from ui import a11y, theme

MIN_TARGET = theme.MIN_TARGET_PX
MIN_ROW = 56  # a list row a finger picks (issue 19)
DEFAULT_RULES = ("fits", "under_bar", "script", "contrast", "focus_ring", "targets", "rows", "keyboard_label",
                 "read_only")
FOCUS_MIN = 3.0

CYRILLIC = re.compile(r"[А-Яа-яЁёӨөҮү]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
# Latin that belongs on a Mongolian screen: abbreviations read as such, and the
# names of things staff type or see on the machine.
LATIN_ALLOWED = {
    "QR", "PIN", "USB", "PDF", "ID", "URL", "SMS", "GPS", "OK", "PNG", "JPEG", "JPG",
    "ODK",  # the name of the forms server (ODK Central), as staff know it
    "keyring", "kiosk", "Python", "SQLite", "soum",
    "ABC",  # the on-screen keyboard's key for the Latin letters
    "Enter", "Shift", "Tab", "Esc",  # names printed on the keys of a keyboard
    "DEMO",  # the marker printed on demo receipts and in their QR codes
}
# Cyrillic that belongs on an English screen: the face of the on-screen keyboard's key
# for the Mongolian letters (as "ABC" on a Mongolian one; its spoken name is English).
CYRILLIC_ALLOWED = {"АБВ"}
# Spans removed before looking at words: URLs, paths, command lines, options, file
# names, codes with digits, e-mail addresses, UUIDs.
_CODE_SPANS = re.compile(
    r"\w+://\S+"            # URLs
    r"|\S*[/\\]\S*"         # paths
    r"|\bkiosk(?: [a-z][\w-]*)+(?: --?[\w-]+(?: [A-Z]+)?)*"  # kiosk commands with options
    r"|--?[a-z][\w-]*"      # options
    r"|\S+@\S+"             # e-mail
    r"|[\w-]+\.\w+\b"       # file names, versions, dotted names
    r"|\b[0-9A-HJKMNP-TV-Z]{4}(?: [0-9A-HJKMNP-TV-Z]{4}){2}\b"  # a receipt number (Crockford base32 groups)
    r"|\b\w*\d\w*\b"        # codes and numbers
    r"|\b[0-9A-F]{4}\b"     # groups of a receipt number
    r"|\b[a-z]+(?:[-_][a-z]+)+\b"  # ids (form ids, backend names)
)
# A registry number is Cyrillic in every language (the format hint shows one).
REGISTRY_NUMBER = re.compile(r"[А-ЯЁӨҮ]{2}[0-9]{8}")


# -- helpers -------------------------------------------------------------------------
def shown(root: QWidget, kinds: type | tuple[type, ...] = QWidget) -> list[QWidget]:
    """Visible widgets of ``kinds`` under ``root`` (itself included)."""
    found = [w for w in root.findChildren(QWidget) if isinstance(w, kinds) and w.isVisible()]
    if isinstance(root, kinds) and root.isVisible():
        found.insert(0, root)
    return found


def window_rect(w: QWidget) -> QRect:
    return QRect(w.mapTo(w.window(), QPoint(0, 0)), w.size())


def clipped_rect(w: QWidget) -> QRect:
    """The part of ``w`` its ancestors let through (a scroll area's viewport, a page)."""
    rect = window_rect(w)
    parent = w.parentWidget()
    while parent is not None and not parent.isWindow():
        rect = rect.intersected(window_rect(parent))
        parent = parent.parentWidget()
    return rect


def fully_in_view(w: QWidget) -> bool:
    return clipped_rect(w) == window_rect(w)


def name_of(w: QWidget) -> str:
    text = w.text() if isinstance(w, QLabel | QAbstractButton) else ""
    return w.objectName() or (text or w.accessibleName())[:40] or type(w).__name__


def text_of(w: QWidget) -> str:
    if isinstance(w, QLabel | QAbstractButton):
        return w.text()
    if isinstance(w, QComboBox):
        return w.currentText()
    return ""


def to_pil(image: QImage) -> Image.Image:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = bytes(image.constBits())
    return Image.frombuffer("RGB", (image.width(), image.height()), data, "raw", "BGRX",
                            image.bytesPerLine(), 1)


def grab(w: QWidget, rect: QRect | None = None) -> QImage:
    """What the window shows over ``rect`` (window coordinates; composited, real background)."""
    window = w.window()
    return window.grab(rect if rect is not None else window_rect(w)).toImage()


def most_common(image: Image.Image) -> QColor:
    colors = image.getcolors(maxcolors=image.width * image.height + 1) or []
    _n, rgb = max(colors, key=lambda c: c[0])
    return QColor(*rgb)


# -- rules ---------------------------------------------------------------------------
def fits(root: QWidget, where: str) -> list[str]:
    """Every text fits the rect it is drawn in, by the font's own metrics."""
    problems = []
    for lab in shown(root, QLabel):
        text = lab.text()
        if not text or (lab.pixmap() is not None and not lab.pixmap().isNull()):
            continue
        box = lab.contentsRect()
        fm = lab.fontMetrics()
        if lab.wordWrap():
            need = fm.boundingRect(QRect(0, 0, max(1, box.width()), 100_000),
                                   int(Qt.TextFlag.TextWordWrap) | int(lab.alignment()), text)
            if need.height() > box.height() + 1 or need.width() > box.width() + 1:
                problems.append(f"{where}: fits: {name_of(lab)!r} needs {need.width()}x{need.height()}"
                                f" px, has {box.width()}x{box.height()}")
        else:
            need_w = max(fm.horizontalAdvance(line) for line in text.split("\n"))
            need_h = fm.height() * (text.count("\n") + 1)
            if need_w > box.width() + 1 or need_h > box.height() + 1:
                problems.append(f"{where}: fits: {name_of(lab)!r} needs {need_w}x{need_h} px, "
                                f"has {box.width()}x{box.height()}")
    for b in shown(root, QPushButton):
        if not b.text():
            continue
        opt = QStyleOptionButton()
        b.initStyleOption(opt)
        box = b.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, b)
        need = b.fontMetrics().horizontalAdvance(b.text())
        if need > box.width() + 1 or b.fontMetrics().height() > box.height() + 1:
            problems.append(f"{where}: fits: button {b.text()!r} needs {need} px, its text area "
                            f"is {box.width()}x{box.height()}")
    return problems


def bottom_bars(window: QWidget) -> list[QWidget]:
    """The bars of large buttons under a screen (ui.widgets.common.button_bar)."""
    half = window.height() // 2
    return [f for f in shown(window) if f.objectName() == "topBar" and window_rect(f).top() > half]


def under_bar(window: QWidget, where: str) -> list[str]:
    problems = []
    for bar in bottom_bars(window):
        bar_rect = window_rect(bar)
        for w in shown(window, (QLabel, QAbstractButton, QComboBox)):
            if w is bar or bar.isAncestorOf(w) or w.isAncestorOf(bar):
                continue
            overlap = clipped_rect(w).intersected(bar_rect)
            if overlap.width() > 1 and overlap.height() > 1:
                problems.append(f"{where}: under_bar: {name_of(w)!r} has {overlap.width()}x"
                                f"{overlap.height()} px under the bottom bar")
    return problems


def _texts(root: QWidget) -> Iterable[tuple[QWidget, str]]:
    for w in shown(root):
        text = text_of(w)
        if text.strip():
            yield w, text
        if a11y.is_interactive(w):
            for extra in (w.accessibleName(), w.accessibleDescription()):
                if extra.strip() and extra != text:
                    yield w, extra


def script(root: QWidget, lang: str, where: str, data: Iterable[str] = ()) -> list[str]:
    """The screen's language only. ``data`` are texts the resident typed (shown back on the
    review screen), which are the resident's, not the screen's."""
    problems = []
    typed = {d for d in data if d}
    for w, text in _texts(root):
        name = w.objectName()
        if name == "language" or name.startswith(("key-", "pin-")):
            continue  # the other language's name; the keyboard's letters
        plain = REGISTRY_NUMBER.sub(" ", text) if lang == "en" else text
        for d in sorted(typed, key=len, reverse=True):  # "Энхбат Солонго" before "Солонго"
            plain = plain.replace(d, " ")
        if lang == "en":
            plain = " ".join(word for word in plain.split() if word not in CYRILLIC_ALLOWED)
            if CYRILLIC.search(plain):
                problems.append(f"{where}: script: Cyrillic on the English screen in {name_of(w)!r}: "
                                f"{text[:60]!r}")
        else:
            words = [m for m in LATIN_WORD.findall(_CODE_SPANS.sub(" ", plain)) if m not in LATIN_ALLOWED]
            if words:
                problems.append(f"{where}: script: Latin {words[:4]} on the Mongolian screen in "
                                f"{name_of(w)!r}: {text[:60]!r}")
    return problems


def contrast(root: QWidget, theme_name: str, where: str) -> list[str]:
    """Each text's colour (from the stylesheet) against the background drawn behind it."""
    need = theme.required_contrast(theme_name)
    problems = []
    for w in shown(root, (QLabel, QPushButton)):
        if not text_of(w).strip() or not fully_in_view(w) or w.width() < 2 or w.height() < 2:
            continue
        if isinstance(w, QLabel) and w.pixmap() is not None and not w.pixmap().isNull():
            continue
        if w.hasFocus():
            continue  # measured with its focus ring by focus_ring
        fg = w.palette().color(w.foregroundRole())
        rect = window_rect(w)
        if isinstance(w, QPushButton):
            opt = QStyleOptionButton()
            w.initStyleOption(opt)
            inner = w.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, w)
            rect = QRect(rect.topLeft() + inner.topLeft(), inner.size())
        if rect.width() < 1 or rect.height() < 1:
            continue
        bg = most_common(to_pil(grab(w, rect)))
        ratio = theme.contrast_ratio(fg, bg)
        if ratio < need:
            problems.append(f"{where}: contrast: {name_of(w)!r} {fg.name()} on {bg.name()} is "
                            f"{ratio:.2f}:1 < {need}:1")
    return problems


def _ring_run(pixels: list[QColor], focus: QColor) -> tuple[int, int] | None:
    """The first run of focus-coloured pixels (start, end exclusive) on a scan line."""
    start = None
    for i, c in enumerate(pixels):
        near = theme.contrast_ratio(c, focus) < 1.1
        if near and start is None:
            start = i
        elif not near and start is not None:
            return start, i
    return None


def focus_ring(window: QWidget, theme_name: str, where: str) -> list[str]:
    """Focus each control in turn and measure its ring where it crosses the middle of its
    left and top edges: against the colour outside it and the colour inside it."""
    focus = QColor(theme.palette(theme_name)["focus"])
    before = QApplication.focusWidget()
    problems = []
    margin = 3
    for w in shown(window):
        if not shiboken6.isValid(w):
            continue  # a replaced screen's widget, deleted while events were processed
        if not (w.isEnabled() and a11y.is_interactive(w)) or not w.focusPolicy() & Qt.FocusPolicy.TabFocus:
            continue
        if not fully_in_view(w) or w.width() < 8 or w.height() < 8:
            continue
        w.setFocus(Qt.FocusReason.TabFocusReason)
        QApplication.processEvents()
        if not w.hasFocus():
            continue
        rect = window_rect(w).adjusted(-margin, -margin, margin, margin)
        image = grab(w, rect)
        mid_y, mid_x = image.height() // 2, image.width() // 2
        scans = {
            "left": [image.pixelColor(x, mid_y) for x in range(0, min(image.width(), 40))],
            "top": [image.pixelColor(mid_x, y) for y in range(0, min(image.height(), 40))],
        }
        for side, pixels in scans.items():
            run = _ring_run(pixels, focus)
            if run is None or run[0] > margin + 2:
                problems.append(f"{where}: focus_ring: {name_of(w)!r} shows no focus ring on its {side} edge")
                break
            start, end = run
            outside = pixels[max(0, start - 1)]
            inside = pixels[min(len(pixels) - 1, end)]
            ratio = min(theme.contrast_ratio(focus, outside), theme.contrast_ratio(focus, inside))
            if ratio < FOCUS_MIN:
                problems.append(f"{where}: focus_ring: {name_of(w)!r} ring {focus.name()} between "
                                f"{outside.name()} and {inside.name()} is {ratio:.2f}:1 < 3:1 ({side})")
                break
    if before is not None and shiboken6.isValid(before):
        before.setFocus()
        QApplication.processEvents()
    return problems


def targets(root: QWidget, where: str) -> list[str]:
    """Every clickable, and the arrows inside scroll bars and dropdowns, >= 44 x 44 px."""
    problems = []
    for w in shown(root):
        if a11y.is_interactive(w) and (w.width() < MIN_TARGET or w.height() < MIN_TARGET):
            problems.append(f"{where}: targets: {name_of(w)!r} is {w.width()}x{w.height()} px")
    for sb in shown(root, QScrollBar):
        if sb.orientation() != Qt.Orientation.Vertical or sb.maximum() <= sb.minimum():
            continue
        opt = QStyleOptionSlider()
        sb.initStyleOption(opt)
        if sb.width() < MIN_TARGET:
            problems.append(f"{where}: targets: scroll bar is {sb.width()} px wide")
        for part in (QStyle.SubControl.SC_ScrollBarSubLine, QStyle.SubControl.SC_ScrollBarAddLine):
            r = sb.style().subControlRect(QStyle.ComplexControl.CC_ScrollBar, opt, part, sb)
            if r.width() < MIN_TARGET or r.height() < MIN_TARGET:
                problems.append(f"{where}: targets: scroll-bar arrow is {r.width()}x{r.height()} px")
    for combo in shown(root, QComboBox):
        opt = QStyleOptionComboBox()
        combo.initStyleOption(opt)
        r = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                         QStyle.SubControl.SC_ComboBoxArrow, combo)
        if r.width() < MIN_TARGET or r.height() < MIN_TARGET:
            problems.append(f"{where}: targets: dropdown arrow of {name_of(combo)!r} is "
                            f"{r.width()}x{r.height()} px")
    return problems


def rows(root: QWidget, where: str) -> list[str]:
    """Every row of a visible list, and of the list each visible dropdown opens, >= 56 px."""
    problems = []
    for view in shown(root, QAbstractItemView):
        model = view.model()
        for r in range(model.rowCount() if model is not None else 0):
            h = view.visualRect(model.index(r, 0)).height()
            if 0 < h < MIN_ROW:
                problems.append(f"{where}: rows: row {r + 1} of {name_of(view)!r} is {h} px high")
                break
    for combo in shown(root, QComboBox):
        if type(combo).showPopup is QComboBox.showPopup and combo.count():  # Qt's own list
            h = combo.view().sizeHintForRow(0)
            if h < MIN_ROW:
                problems.append(f"{where}: rows: the list of {name_of(combo)!r} has {h}-px rows")
    return problems


def _keyboard(window: QWidget) -> QWidget | None:
    from ui.widgets.keyboard import OnScreenKeyboard

    return next((k for k in window.findChildren(OnScreenKeyboard) if k.isVisible()), None)


def _question_label(focus: QWidget) -> QLabel | None:
    """The label heading the block (a direct child of a scroll area's body) ``focus`` is in."""
    from PySide6.QtWidgets import QScrollArea

    block, parent = focus, focus.parentWidget()
    while parent is not None:
        area = parent.parentWidget().parentWidget() if parent.parentWidget() is not None else None
        if isinstance(area, QScrollArea) and area.widget() is parent:
            labels = [w for w in block.findChildren(QLabel) if w.isVisible() and w.text().strip()]
            return min(labels, key=lambda w: w.mapTo(block, QPoint(0, 0)).y()) if labels else None
        block, parent = parent, parent.parentWidget()
    return None


def keyboard_label(window: QWidget, where: str) -> list[str]:
    """With the on-screen keyboard open, the focused question's label fully in view."""
    focus = QApplication.focusWidget()
    if _keyboard(window) is None or focus is None or not window.isAncestorOf(focus):
        return []
    label = _question_label(focus)
    if label is None or fully_in_view(label):
        return []
    return [f"{where}: keyboard_label: {name_of(label)!r} (the label of the focused "
            f"{type(focus).__name__}) is not fully in view with the keyboard open"]


def read_only(root: QWidget, where: str) -> list[str]:
    """No editable-looking box for a read-only value (it is shown as text instead)."""
    problems = []
    for w in shown(root, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)):
        if w.isReadOnly():  # type: ignore[attr-defined]
            problems.append(f"{where}: read_only: {name_of(w)!r} is a read-only value in an input box")
    return problems


def lint(window: QWidget, lang: str, theme_name: str, where: str, data: Iterable[str] = (),
         rules: Iterable[str] = DEFAULT_RULES,
         ) -> list[str]:
    """All rules (or the named ones) over what ``window`` shows now."""
    out: list[str] = []
    for rule in rules:
        if rule == "fits":
            out += fits(window, where)
        elif rule == "under_bar":
            out += under_bar(window, where)
        elif rule == "script":
            out += script(window, lang, where, data)
        elif rule == "contrast":
            out += contrast(window, theme_name, where)
        elif rule == "focus_ring":
            out += focus_ring(window, theme_name, where)
        elif rule == "targets":
            out += targets(window, where)
        elif rule == "rows":
            out += rows(window, where)
        elif rule == "keyboard_label":
            out += keyboard_label(window, where)
        elif rule == "read_only":
            out += read_only(window, where)
    return out
