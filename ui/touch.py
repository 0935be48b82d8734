"""The kiosk's touch rules, applied to the whole application at once (issue 19).

A kiosk screen is worked with a finger, so these hold for every widget any screen
ever makes, present or future, without each view remembering them:

- every scroll area (pages, lists, the review, the picker) scrolls by dragging, with
  kinetic flicks (QScroller on the viewport, left-button gesture: a touch screen's
  finger arrives as the left button on X11);
- the mouse wheel never changes a closed control (dropdown, spin box): it scrolls the
  page the control sits on instead, as the resident meant;
- no context menu anywhere (Qt's own Undo/Cut/Paste menu is English, and offers
  nothing a resident needs);
- a tap in an editable text field is reported (``TouchPolicy.text_tapped``) so the
  window opens the on-screen keyboard for it;
- a finger on a drawing pad (the signature, ``role="pad"``) draws: a scroll never starts
  on a pad (and a page still gliding stops when the finger lands on one), or the flick
  gesture would take the stroke for a scroll of the page. Elsewhere on the same page a
  drag scrolls it, so a pad below the fold (large text on a small screen) can be brought
  up by a finger: a page that only its thin scroll bar moves is one a resident cannot sign.
"""

from __future__ import annotations

from ui.qt import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QEvent,
    QLineEdit,
    QObject,
    QPlainTextEdit,
    QScroller,
    QScrollerProperties,
    QTextEdit,
    QWidget,
    Signal,
)

WHEEL_STEP_PX = 40  # one wheel notch redirected to the page: about a line of body text


def is_text_field(w: QObject | None) -> bool:
    """An editable text field: the kind a resident types into with the on-screen keyboard."""
    if isinstance(w, QLineEdit | QPlainTextEdit | QTextEdit):
        return not w.isReadOnly() and w.isEnabled()
    return False


def grabbed(viewport: QWidget) -> bool:
    """Drag scrolling is on for ``viewport`` (a scroller may outlive its gesture)."""
    return bool(viewport.property("kioskFlick"))  # Qt keeps no readable "grabbed" state


def flick(area: QAbstractScrollArea) -> None:
    """Drag-to-scroll with kinetic flicks on ``area``'s viewport (idempotent)."""
    viewport = area.viewport()
    if grabbed(viewport):
        return
    QScroller.grabGesture(viewport, QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    viewport.setProperty("kioskFlick", True)
    scroller = QScroller.scroller(viewport)
    props = scroller.scrollerProperties()
    # The press reaches the control under the finger at once (a tap is never late);
    # a drag that starts on a button scrolls and cancels the press.
    props.setScrollMetric(QScrollerProperties.ScrollMetric.MousePressEventDelay, 0)
    off = QScrollerProperties.OvershootPolicy.OvershootAlwaysOff
    props.setScrollMetric(QScrollerProperties.ScrollMetric.HorizontalOvershootPolicy, off)
    props.setScrollMetric(QScrollerProperties.ScrollMetric.VerticalOvershootPolicy, off)
    scroller.setScrollerProperties(props)


def _closed_control(obj: QObject) -> QWidget | None:
    """The dropdown or spin box ``obj`` is (or is inside), unless its list is open."""
    w = obj if isinstance(obj, QWidget) else None
    while w is not None:
        if isinstance(w, QComboBox | QAbstractSpinBox):
            return w
        if w.isWindow():
            return None
        w = w.parentWidget()
    return None


def _stop_pages(pad: QWidget) -> None:
    """A finger put down on a drawing pad while its page still glides (a flick just
    before): the glide stops, so the moves that follow draw instead of dragging the page
    (a gliding scroller takes a press without asking the pad's filter again)."""
    area = _page_of(pad)
    while area is not None:
        if grabbed(area.viewport()):
            QScroller.scroller(area.viewport()).stop()
        area = _page_of(area)


def _on_pad(viewport: QWidget, event: QEvent) -> bool:
    """The finger that starts a scroll (QScrollPrepareEvent, viewport coordinates) is on a
    drawing pad (``role="pad"``, the signature) or inside one."""
    w = viewport.childAt(event.startPos().toPoint())  # type: ignore[attr-defined]
    while w is not None and w is not viewport:
        if w.property("role") == "pad":
            return True
        w = w.parentWidget()
    return False


def _page_of(w: QWidget) -> QAbstractScrollArea | None:
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and not isinstance(parent, QPlainTextEdit | QTextEdit):
            return parent
        parent = parent.parentWidget()
    return None


_WATCHED = frozenset({QEvent.Type.ContextMenu, QEvent.Type.Polish, QEvent.Type.Wheel,
                      QEvent.Type.ScrollPrepare, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
                      QEvent.Type.KeyRelease})


class TouchPolicy(QObject):
    """The application-wide event filter holding the rules above."""

    text_tapped = Signal(object)  # the QWidget (text field) a finger tapped
    released = Signal()  # any tap or key ended (the screen may have changed under it)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind not in _WATCHED:  # every event of the program passes here: out at once
            return False
        if kind == QEvent.Type.ContextMenu:
            return True  # no context menu, anywhere
        if kind == QEvent.Type.Polish and isinstance(obj, QAbstractScrollArea):
            if not isinstance(obj, QPlainTextEdit | QTextEdit):  # a finger there selects text
                flick(obj)
        elif kind == QEvent.Type.Wheel:
            return self._wheel(obj, event)
        elif kind == QEvent.Type.ScrollPrepare and isinstance(obj, QWidget) and _on_pad(obj, event):
            event.ignore()  # the scroller does not start: the pad under the finger draws
            return True
        elif kind == QEvent.Type.MouseButtonPress and isinstance(obj, QWidget) and obj.property("role") == "pad":
            _stop_pages(obj)
        if kind == QEvent.Type.MouseButtonRelease and is_text_field(obj):
            self.text_tapped.emit(obj)
        elif kind in (QEvent.Type.MouseButtonRelease, QEvent.Type.KeyRelease) and obj.isWindowType():
            self.released.emit()  # once per input event: the QWindow's copy, before any widget's
        return False

    def _wheel(self, obj: QObject, event: QEvent) -> bool:
        control = _closed_control(obj)
        if control is None:
            return False
        page = _page_of(control)
        if page is not None:
            notches = event.angleDelta().y() / 120  # type: ignore[attr-defined]
            bar = page.verticalScrollBar()
            bar.setValue(bar.value() - round(notches * WHEEL_STEP_PX))
        return True  # the value under the pointer never changes by the wheel


def install(app: QApplication, owner: QObject) -> TouchPolicy:
    """The rules on every widget of ``app`` from now on, for as long as ``owner`` lives
    (Qt drops a deleted filter: a second window never doubles them)."""
    policy = TouchPolicy(owner)
    app.installEventFilter(policy)
    return policy
