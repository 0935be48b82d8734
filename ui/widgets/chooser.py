"""A dropdown a finger can use: its list opens as a full-screen chooser (issue 19).

Qt's own dropdown list has 38-px rows behind a thin scroll strip, and at 200 % a
tap easily picks the neighbour; the mouse wheel changes it while closed. Here the
dropdown (:class:`TouchCombo`) keeps Qt's model, its current item and its
accessibility (a screen reader still picks from the closed dropdown: ui.a11y.pickable),
but a tap opens :class:`Chooser`: the whole window, one row per item at the touch
size (>= 56 px), scrolled by dragging, and for long lists (aimag, soum) a strip of
first letters: the tapped letter brings the first item starting with it to the top.
"""

from __future__ import annotations

from kiosk.i18n import t
from ui import a11y, theme
from ui.qt import (
    QApplication,
    QComboBox,
    QDialog,
    QEvent,
    QGridLayout,
    QListWidget,
    QListWidgetItem,
    QPoint,
    QSize,
    Qt,
    QVBoxLayout,
    QWidget,
)
from ui.widgets.common import button, button_bar, text_label

LETTER_STRIP_FROM = 12  # a list longer than this gets the strip of first letters
LETTERS_PER_ROW = 14
# The Mongolian Cyrillic alphabet's order (Ө after О, Ү after У), for the sorted list.
MN_ORDER = "АБВГДЕЁЖЗИЙКЛМНОӨПРСТУҮФХЦЧШЩЪЫЬЭЮЯ"


def sort_key(text: str) -> tuple[int, ...]:
    """Alphabetical in Mongolian Cyrillic, then Latin (a letter strip jumps in this order)."""
    return tuple(MN_ORDER.index(c) if c in MN_ORDER else 100 + ord(c) for c in text.upper())


class TouchCombo(QComboBox):
    """A dropdown whose list is a full-screen :class:`Chooser`; the wheel never changes it."""

    def __init__(self, lang: str = "mn", scale: int = 100, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lang, self.scale = lang, scale
        self.chooser: Chooser | None = None
        self._pressed_at: QPoint | None = None

    # Opened by a tap (released where it was pressed), not by the press as Qt's dropdown
    # is: a finger dragging the page from over a dropdown scrolls it, opening nothing.
    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self._pressed_at = event.globalPosition().toPoint()
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        start, self._pressed_at = self._pressed_at, None
        if start is None or event.button() != Qt.MouseButton.LeftButton:
            super().mouseReleaseEvent(event)
            return
        moved = (event.globalPosition().toPoint() - start).manhattanLength()
        if moved <= max(QApplication.startDragDistance(), 16) and self.rect().contains(event.position().toPoint()):
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.showPopup()
        event.accept()

    def showPopup(self) -> None:  # noqa: N802 - Qt override
        top = self.window()
        self.chooser = Chooser(top, self, self.lang, self.scale)
        self.chooser.open()

    def hidePopup(self) -> None:  # noqa: N802 - Qt override
        if self.chooser is not None:
            self.chooser.close()
            self.chooser = None
        super().hidePopup()

    def wheelEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        event.ignore()  # the page under it scrolls instead (ui.touch)


class Chooser(QDialog):
    """The items of ``combo`` over the whole kiosk window; a tap chooses and closes."""

    def __init__(self, top: QWidget, combo: QComboBox, lang: str, scale: int) -> None:
        super().__init__(top)
        self.setObjectName("chooser")
        self.setModal(True)
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.combo, self.lang = combo, lang
        title = combo.accessibleName() or t("ui.choose_placeholder", lang)
        a11y.label(self, title, t("ui.chooser_desc", lang))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        head = QWidget()
        head_box = QVBoxLayout(head)
        head_box.setContentsMargins(32, 16, 32, 8)
        head_box.addWidget(text_label(title, "title"))
        outer.addWidget(head)
        self.list = self._list(theme.sizes(scale)["target"])
        self.letters = self._letter_strip()
        if self.letters is not None:
            outer.addWidget(self.letters)
        outer.addWidget(self.list, 1)
        cancel = button(t("ui.chooser_cancel", lang), t("ui.chooser_cancel_desc", lang), name="chooser-cancel")
        cancel.clicked.connect(self.reject)
        button_bar(outer, [cancel], [])

    def _list(self, row_px: int) -> QListWidget:
        listing = QListWidget()
        listing.setObjectName("chooserList")
        listing.setUniformItemSizes(True)
        listing.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        a11y.label(listing, self.combo.accessibleName(), t("ui.chooser_desc", self.lang))
        # The placeholder ("choose") first, then the names alphabetically; each row
        # remembers its dropdown index.
        indexes = sorted(range(self.combo.count()),
                         key=lambda i: (bool(self.combo.itemData(i)), sort_key(self.combo.itemText(i))))
        for i in indexes:
            item = QListWidgetItem(self.combo.itemText(i))
            item.setData(Qt.ItemDataRole.UserRole, i)
            item.setSizeHint(QSize(0, row_px))  # a finger's row at every text size
            listing.addItem(item)
        listing.setCurrentRow(indexes.index(self.combo.currentIndex()) if self.combo.currentIndex() >= 0 else 0)
        listing.itemClicked.connect(self._chosen)
        listing.itemActivated.connect(self._chosen)  # Enter on a keyboard
        return listing

    def _letter_strip(self) -> QWidget | None:
        if self.combo.count() <= LETTER_STRIP_FROM:
            return None
        firsts: list[str] = []
        for i in range(self.combo.count()):
            data = self.combo.itemData(i)
            text = self.combo.itemText(i)
            if data and text and text[0].upper() not in firsts:
                firsts.append(text[0].upper())
        strip = QWidget()
        strip.setObjectName("letterStrip")
        grid = QGridLayout(strip)
        grid.setContentsMargins(32, 0, 32, 8)
        grid.setSpacing(6)
        for n, letter in enumerate(sorted(firsts, key=sort_key)):
            b = button(letter, t("ui.chooser_letter_desc", self.lang, letter=letter), name=f"letter-{letter}")
            b.clicked.connect(lambda _=False, x=letter: self.jump(x))
            grid.addWidget(b, n // LETTERS_PER_ROW, n % LETTERS_PER_ROW)
        return strip

    def jump(self, letter: str) -> None:
        """The first item starting with ``letter`` at the top of the list."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if self.combo.itemData(item.data(Qt.ItemDataRole.UserRole)) and item.text().upper().startswith(letter):
                self.list.scrollToItem(item, QListWidget.ScrollHint.PositionAtTop)
                return

    def _chosen(self, item: QListWidgetItem) -> None:
        self.combo.setCurrentIndex(int(item.data(Qt.ItemDataRole.UserRole)))
        self.accept()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.window().geometry())  # the whole window, nothing behind it
        super().showEvent(event)
        row = self.list.currentRow()
        if row > 0:
            self.list.scrollToItem(self.list.item(row), QListWidget.ScrollHint.PositionAtCenter)
        self.list.setFocus()

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.Close and self.combo is not None:
            self.combo.setFocus()  # back to the dropdown it came from
        return super().event(e)
