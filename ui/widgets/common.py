"""Building blocks every screen uses: word-wrapping buttons, labels, scrolling pages.

A plain QPushButton cannot wrap its text, so at 200 % a long Mongolian choice
would be clipped; :class:`WrapButton` lays a word-wrapped label inside the
button and reports the height it needs for its width. Screens sit in a
:class:`Page` (a vertical scroll area) so large text reflows and scrolls
instead of overlapping.
"""

from __future__ import annotations

from pathlib import Path

from ui import a11y
from ui.qt import (
    QEvent,
    QFontMetrics,
    QFrame,
    QHBoxLayout,
    QIcon,
    QLabel,
    QObject,
    QPixmap,
    QPushButton,
    QRect,
    QScrollArea,
    QSize,
    QSizePolicy,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)


class FitLabel(QLabel):
    """A wrapping label that asks for the height its text needs at its width.

    Qt passes height-for-width only through the window's own layout; a label in
    a page inside a stacked widget would be cut at 200 %. This one sets its
    minimum height itself whenever its width changes.
    """

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().resizeEvent(event)
        self._fit()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self._fit()

    def changeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()

    def _fit(self) -> None:
        if not self.wordWrap() or self.width() <= 0:
            return
        # Measured from the font, not with QLabel.heightForWidth (which never answers
        # below the current minimum): the result depends on the width only, so setting
        # it cannot start a resize loop.
        inner = self.contentsRect()
        side = self.width() - inner.width()
        extra = self.height() - inner.height()
        text = self.text()
        box = QFontMetrics(self.font()).boundingRect(
            QRect(0, 0, max(1, self.width() - side), 100_000),
            int(Qt.TextFlag.TextWordWrap) | int(self.alignment()), text) if text else QRect()
        need = box.height() + extra if text else 0
        if abs(need - self.minimumHeight()) > 1:
            self.setMinimumHeight(need)


def text_label(text: str = "", role: str = "", wrap: bool = True) -> QLabel:
    lab = FitLabel(text)
    lab.setWordWrap(wrap)
    lab.setTextFormat(Qt.TextFormat.PlainText)
    if role:
        lab.setProperty("role", role)
    lab.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return lab


class KioskButton(QPushButton):
    """A push button that Return and keypad Enter press, as Space does.

    Qt's QPushButton takes Enter only as a dialog's default button; outside a
    dialog a keyboard user pressing Enter on a tile, a choice or Next got
    nothing. Here Enter clicks exactly like Space (same signals, same toggle).
    """

    ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier
        if event.key() in self.ENTER_KEYS and plain:
            if not event.isAutoRepeat() and self.isEnabled():
                self.click()
            event.accept()
            return
        super().keyPressEvent(event)


def button(text: str, description: str, role: str = "", *, name: str = "") -> QPushButton:
    b = KioskButton(text)
    if role:
        b.setProperty("role", role)
    if name:
        b.setObjectName(name)
    b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    b.setAutoDefault(False)
    a11y.label(b, text, description)
    return b


def svg_pixmap(path: Path, size: int) -> QPixmap:
    """Through QIcon and Qt's SVG icon-engine plugin: no QtSvg import at start-up."""
    return QIcon(str(path)).pixmap(QSize(size, size))


class WrapButton(KioskButton):
    """A button whose (optional icon and) text wrap onto several lines."""

    def __init__(
        self,
        text: str,
        description: str,
        role: str = "choice",
        icon: Path | None = None,
        icon_size: int = 64,
        checkable: bool = False,
    ) -> None:
        super().__init__()
        self.setProperty("role", role)
        self.setCheckable(checkable)
        self.setAutoDefault(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        row = self.row = QHBoxLayout(self)
        row.setContentsMargins(16, 12, 16, 12)
        row.setSpacing(16)
        self.icon_label: QLabel | None = None
        if icon is not None:
            self.icon_label = QLabel()
            self.icon_label.setPixmap(svg_pixmap(icon, icon_size))
            self.icon_label.setFixedSize(QSize(icon_size, icon_size))
            self.icon_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            row.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignVCenter)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.label.setProperty("btnrole", role)
        self.label.setProperty("on", "false")
        row.addWidget(self.label, 1)
        self.toggled.connect(self._on_toggled)
        self.setText("")
        a11y.label(self, text, description)

    def text_value(self) -> str:
        return self.label.text()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        layout = self.layout()
        h = layout.totalHeightForWidth(width) if layout is not None else 0
        return max(h, self.minimumHeight(), 56)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        layout = self.layout()
        hint = layout.sizeHint() if layout is not None else QSize(200, 56)
        return QSize(max(hint.width(), 120), max(hint.height(), 56))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        layout = self.layout()
        hint = layout.minimumSize() if layout is not None else QSize(56, 56)
        return QSize(max(hint.width(), 56), max(hint.height(), 56))

    def _on_toggled(self, on: bool) -> None:
        # QSS cannot colour a child by its parent's :checked state, so the inner
        # label carries the state as a property and is re-polished.
        restyle(self.label, "on", "true" if on else "false")


def button_bar(outer: QVBoxLayout, left: list[QPushButton], right: list[QPushButton]) -> QFrame:
    """The bar of large buttons under a screen: going back on the left, going on at the right."""
    foot = QFrame()
    foot.setObjectName("topBar")
    row = QHBoxLayout(foot)
    row.setContentsMargins(32, 12, 32, 12)
    row.setSpacing(16)
    for b in left:
        row.addWidget(b)
    row.addStretch(1)
    for b in right:
        row.addWidget(b)
    for b in (*left, *right):
        b.setProperty("chrome", "true")  # styled like the top bar's buttons
    outer.addWidget(foot)
    return foot


def restyle(widget: QWidget, name: str, value: str) -> None:
    """Set a property the stylesheet selects on (role, invalid, on) and apply it now.

    Qt evaluates property selectors once, at polish time: a changed property only
    shows after the widget is re-polished.
    """
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    # Re-polishing recolours but keeps the old box model (padding, border): an error line
    # that started as a hint drew its red bar over its first letter. A StyleChange event
    # makes the widget take the new margins (and a FitLabel re-measure its height).
    from ui.qt import QApplication

    QApplication.sendEvent(widget, QEvent(QEvent.Type.StyleChange))


def show_status(label: QWidget, text: str, role: str = "hint") -> None:
    """A status line under a screen's buttons: hidden when empty, coloured by role."""
    label.setText(text)  # type: ignore[attr-defined]
    restyle(label, "role", role)
    label.setVisible(bool(text))


class Page(QScrollArea):
    """A screen body that scrolls vertically and never scrolls sideways."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.body = QWidget()
        self.body.setObjectName("scrollBody")
        self.column = QVBoxLayout(self.body)
        self.column.setContentsMargins(32, 24, 32, 24)
        self.column.setSpacing(20)
        self.setWidget(self.body)
        self.typing = False  # the on-screen keys are open under the page
        self._tucked: list[QWidget] = []  # hints set aside while typing (see _tuck)
        self._tucked_block: QWidget | None = None

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().resizeEvent(event)
        # The on-screen keyboard opening (or larger text) shrinks the page: the field being
        # typed into must stay in view, above the keyboard, with the text in it; when the
        # page grows again (the top bar giving its room at large text) its label comes back.
        if event.size().height() != event.oldSize().height() and event.oldSize().height() > 0:
            self.reveal_focus()
            # Once more after the pending layout passes (labels re-measure at the new size).
            QTimer.singleShot(0, self, self.reveal_focus)

    def reveal_focus(self) -> None:
        from ui.qt import QApplication

        focus = QApplication.focusWidget()
        if focus is not None and self.body.isAncestorOf(focus) and focus.isVisible():
            self.reveal(focus)

    def reveal_on_focus(self, widget: QWidget) -> None:
        """Scroll ``widget`` into view whenever it gets the keyboard focus, from anywhere
        (Qt does so only for Tab moves that start inside the scroll area)."""
        if not hasattr(self, "_focus_reveal"):
            self._focus_reveal = _RevealOnFocus(self)
        widget.installEventFilter(self._focus_reveal)

    def reveal(self, widget: QWidget, margin: int = 12) -> None:
        """Scroll so that ``widget`` is in view, with as much of what belongs to it as fits.

        The largest ancestor (below the page body) that still fits the viewport is shown
        first — a question's label, hint and field together when there is room — and then
        the widget itself, which always wins when space is short.
        """
        room = self.viewport().height() - 2 * margin
        self._tuck(widget, room)
        self._fit(widget, room)
        best: QWidget | None = None
        outermost: QWidget | None = None
        parent = widget.parentWidget()
        while parent is not None and parent is not self.body:
            if parent.height() <= room:
                best = parent
            outermost = parent
            parent = parent.parentWidget()
        top = self._top_of(outermost) if outermost is not None else 0
        bottom = self._top_of(widget) + widget.height()
        if outermost is not None and best is not outermost and bottom - top <= room:
            # The whole question does not fit (large text, keys open): its start (the
            # label, the hint) down to the widget does, leaving out what is under it.
            self._scroll_span(top, bottom, margin)
        elif best is not None:
            self._scroll_to(best, margin)
        self._scroll_to(widget, margin)

    def set_typing(self, typing: bool) -> None:
        """The on-screen keys opened (True) or put away: hints set aside to make room
        while typing come back with the room."""
        self.typing = typing
        if not typing:
            self._untuck()

    def _block_of(self, widget: QWidget) -> QWidget:
        """The outermost ancestor of ``widget`` below the page body (its question)."""
        block: QWidget = widget
        parent = block.parentWidget()
        while parent is not None and parent is not self.body:
            block, parent = parent, parent.parentWidget()
        return block

    def _tuck(self, widget: QWidget, room: int) -> None:
        """While typing, when a question's label, hints and field do not fit together above
        the keys (200 % text on a 1024x768 screen), hints above the field step aside, the
        topmost first (the question's own, then the field's format hint), as many as the
        room asks: the label says what to type and the field shows what is typed. The hints
        are still read aloud with the question and are back as soon as the keys are put away."""
        block = self._block_of(widget)
        if block is not self._tucked_block:
            self._untuck()
        if not self.typing or block is widget:
            return
        top = self._top_of(widget)
        excess = top - self._top_of(block) + self._least_height(widget) - room
        hints = [w for w in block.findChildren(QLabel) if w.property("role") == "hint"
                 and w.isVisible() and self._top_of(w) < top]
        hidden = []
        for hint in sorted(hints, key=self._top_of):
            if excess <= 0:
                break
            excess -= hint.height()  # and the spacing under it: a hint more at most
            hint.hide()
            hidden.append(hint)
        if hidden:
            self._tucked, self._tucked_block = [*self._tucked, *hidden], block
        inner = block.layout()
        if hidden and inner is not None:
            inner.activate()
            self.column.activate()  # the places without the hints now, before scrolling

    def _untuck(self) -> None:
        for hint in self._tucked:
            hint.show()
        self._tucked, self._tucked_block = [], None

    def _least_height(self, widget: QWidget) -> int:
        """The height ``widget`` can shrink to: a multi-line field's two lines, else its own."""
        from ui.qt import QPlainTextEdit

        if isinstance(widget, QPlainTextEdit):
            return widget.fontMetrics().lineSpacing() * 2 + 2 * widget.frameWidth() + 24
        return widget.height()

    def _fit(self, widget: QWidget, room: int) -> None:
        """A multi-line field taller than the room under its label and hint gives up its
        extra height (its text scrolls inside, two lines at least): the label, the hint
        and the whole field then fit above the keys. It grows back with the room."""
        from ui.qt import QPlainTextEdit

        if not isinstance(widget, QPlainTextEdit):
            return
        block = self._block_of(widget)
        lead = self._top_of(widget) - self._top_of(block)  # the label and hint above it
        least = self._least_height(widget)
        cap = max(least, room - lead)
        if widget.maximumHeight() != cap:
            widget.setMaximumHeight(cap)
            self.column.activate()  # the new height now, before scrolling to it

    def _top_of(self, widget: QWidget) -> int:
        from ui.qt import QPoint

        return widget.mapTo(self.body, QPoint(0, 0)).y()

    def _scroll_to(self, widget: QWidget, margin: int) -> None:
        """The whole widget in view (its top wins when it is taller than the view).

        Not QScrollArea.ensureWidgetVisible: for a text field that only brings the text
        cursor into view, leaving the field's lower half (and the text) under the keyboard.
        """
        top = self._top_of(widget)
        self._scroll_span(top, top + widget.height(), margin)

    def _scroll_span(self, top: int, bottom: int, margin: int) -> None:
        bar = self.verticalScrollBar()
        value, view = bar.value(), self.viewport().height()
        if bottom + margin > value + view:
            value = bottom + margin - view
        if top - margin < value:
            value = top - margin
        bar.setValue(max(bar.minimum(), min(value, bar.maximum())))

    def clear(self, keep_scroll: bool = False) -> None:
        self._tucked, self._tucked_block = [], None  # their questions go with the render
        clear_layout(self.column)
        if not keep_scroll:
            self.verticalScrollBar().setValue(0)

    def show_all(self) -> None:
        """Show what a render added, now rather than on the next event-loop pass (Qt's
        default for children of a visible widget), so a tap or key right after a
        render reaches it. Widgets hidden on purpose stay hidden."""
        for w in self.body.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            explicit = w.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide)  # noqa: E501
            if not (explicit and w.isHidden()):
                w.show()


class _RevealOnFocus(QObject):
    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.page = page

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.FocusIn and isinstance(obj, QWidget):
            self.page.reveal(obj)
        return False


def clear_layout(layout) -> None:  # noqa: ANN001 - any QLayout
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            # Hidden and unnamed now, destroyed by the event loop after the next screen
            # is shown (so a lookup by name finds the new widget, never the old one).
            widget.hide()
            widget.setObjectName("")
            widget.deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())
