"""Accessibility helpers: names, descriptions, announcements, focus order.

Every interactive widget gets an accessible name and description in the
current language through :func:`label`, so screen readers and the tests that
walk the widget tree see the same words the resident sees. Announcements
(errors, submit) go to assistive technology as QAccessibleAnnouncementEvent
and, when read-aloud is on, to the speech engine too.
"""

from __future__ import annotations

from collections.abc import Iterable

from ui.qt import (
    QAbstractButton,
    QAccessible,
    QAccessibleAnnouncementEvent,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QScrollBar,
    Qt,
    QWidget,
)

INTERACTIVE = (QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox, QListWidget, QCheckBox)
announcements: list[str] = []  # the last few, for tests and diagnostics


def label(widget: QWidget, name: str, description: str = "") -> QWidget:
    widget.setAccessibleName(name)
    widget.setAccessibleDescription(description or name)
    if isinstance(widget, QAbstractButton | QComboBox | QLineEdit):
        widget.setToolTip(description or name)
    return widget


def is_interactive(widget: QWidget) -> bool:
    if isinstance(widget, INTERACTIVE):
        return True
    return widget.focusPolicy() != Qt.FocusPolicy.NoFocus and bool(widget.property("role") == "pad")


def announce(widget: QWidget, text: str, assertive: bool = False) -> None:
    announcements.append(text)
    del announcements[:-20]
    event = QAccessibleAnnouncementEvent(widget, text)
    if assertive:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)


def chain_focus(widgets: Iterable[QWidget]) -> None:
    """Tab order = reading order (top to bottom, left to right as laid out)."""
    previous: QWidget | None = None
    for w in widgets:
        if w.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if previous is not None:
            QWidget.setTabOrder(previous, w)
        previous = w


def pickable(combo: QComboBox) -> QComboBox:
    """Let assistive technology choose an item of a closed dropdown.

    A screen reader picks from a dropdown's list by selecting one of its items
    (AT-SPI Selection / the item's Toggle action). Qt only takes a choice made in
    the open popup, so such a selection would change nothing; here a selection
    made while the popup is closed becomes the dropdown's choice. With the popup
    open (touch, keyboard) Qt's own behaviour is kept.
    """
    view = combo.view()

    def selected(*_args: object) -> None:
        if view.isVisible():
            return
        rows = view.selectionModel().selectedRows()
        if rows and rows[0].row() != combo.currentIndex():
            combo.setCurrentIndex(rows[0].row())

    view.selectionModel().selectionChanged.connect(selected)
    return combo


def name_scroll_bars(root: QWidget, name: str) -> None:
    """Scroll bars are controls too: a screen reader says what they are for."""
    for bar in root.findChildren(QScrollBar):
        if bar.accessibleName() != name:
            bar.setAccessibleName(name)
