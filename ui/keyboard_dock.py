"""The on-screen keyboard's place under the screens, and when it comes and goes.

A finger on a text field opens it (digits for numbers, the letters of the language
typed in); it follows the focus, keeps the field being typed into in view above the
keys, makes room at large text, and puts itself away on a screen with nothing to
type into. It is built the first time it is needed. The window owns one and calls
it through a few methods; the dock sees the window only as the :class:`Host` below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ui import touch
from ui.qt import QApplication, QObject, Qt, QTimer, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from ui.widgets.keyboard import OnScreenKeyboard


class Host(Protocol):
    """What the dock needs of the window."""

    @property
    def stack(self) -> Any: ...
    @property
    def top_bar(self) -> QWidget: ...
    @property
    def banner(self) -> QWidget: ...

    def typing_lang(self) -> str: ...
    def kiosk_lang(self) -> str: ...
    def scale(self) -> int: ...
    def enrolled(self) -> bool: ...
    def make_form_room(self, keyboard_open: bool) -> None: ...
    def isAncestorOf(self, widget: QWidget) -> bool: ...  # noqa: N802 - Qt's name


class KeyboardDock(QObject):
    def __init__(self, host: Host, layout: QVBoxLayout, parent: QObject) -> None:
        super().__init__(parent)
        self._host = host
        self._layout = layout
        self._keyboard: OnScreenKeyboard | None = None

    @property
    def built(self) -> OnScreenKeyboard | None:
        return self._keyboard

    @property
    def keyboard(self) -> OnScreenKeyboard:
        if self._keyboard is None:
            from ui.widgets.keyboard import OnScreenKeyboard

            keyboard = OnScreenKeyboard()
            keyboard.hide()
            self._layout.addWidget(keyboard)
            keyboard.shown.connect(self._make_room)  # room for the keys
            keyboard.closed.connect(self.toggle)
            keyboard.set_lang(self._host.kiosk_lang())
            keyboard.set_letters(self._host.typing_lang())
            self._keyboard = keyboard
        return self._keyboard

    def retranslate(self, lang: str) -> None:
        if self._keyboard is not None:
            self._keyboard.set_lang(lang)
            self._keyboard.set_letters(self._host.typing_lang())

    def _make_room(self, keyboard_open: bool) -> None:
        """With the keys open at large text, the question needs the top bar's height too
        (its label, hint and field above the keys at 200 %): the bar comes back with the
        keys put away, and the keyboard has its own key to put itself away. The DEMO
        banner (two lines at 200 %) steps aside while typing too and comes back with the
        bar; the receipt still says DEMO."""
        roomy = not keyboard_open or self._host.scale() <= 100
        self._host.top_bar.setVisible(roomy)
        self._host.banner.setVisible(roomy and not self._host.enrolled())
        self._host.make_form_room(keyboard_open)

    def hide(self) -> None:
        if self._keyboard is not None:
            self._keyboard.hide()

    def toggle(self) -> None:
        self.keyboard.setVisible(not self.keyboard.isVisible())
        if self.keyboard.isVisible():
            self._follow(QApplication.focusWidget())
            QTimer.singleShot(0, self, lambda: self._reveal(QApplication.focusWidget()))

    def open_for(self, field: QWidget) -> None:
        """A finger tapped a text field: the keyboard for it (digits for numbers), and the
        field with its question's label and hint in view above the keys."""
        if not self._host.isAncestorOf(field):
            return  # a dialog's field (staff PIN has its own pad)
        self._follow(field)
        if not self.keyboard.isVisible():
            self.keyboard.show()
        QTimer.singleShot(0, self, lambda: self._reveal(field))

    def _follow(self, widget: QWidget | None) -> None:
        """The keys for ``widget``, with the letters of the language typed in."""
        self.keyboard.set_letters(self._host.typing_lang())
        self.keyboard.follow_focus(widget)

    def focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._keyboard is not None and self._keyboard.isVisible():
            self._follow(new)
            self._reveal_focus()
            # Again once laid out: a screen just drawn (Next with the keys open) has its
            # fields' places only after the layout pass; its focused field is not under the keys.
            QTimer.singleShot(0, self, self._reveal_focus)
            QTimer.singleShot(0, self, self.put_away_if_nothing_to_type)

    def _reveal_focus(self) -> None:
        """The focused field in view, unless a finger is down: what it pressed is under it,
        and a drag begun on a field or dropdown scrolls the page (no pulling it back)."""
        if not QApplication.mouseButtons() & Qt.MouseButton.LeftButton:
            self._reveal(QApplication.focusWidget())

    def follows_page(self) -> None:
        """After a form screen is drawn (Next/Back move within the same page widget, which
        no stack change reports): no text field on it puts the keyboard away; a form
        switched to another language switches the letters."""
        if self._keyboard is not None:
            self._keyboard.set_letters(self._host.typing_lang())
        self.check_soon()

    def check_soon(self) -> None:
        if self._keyboard is not None and self._keyboard.isVisible():
            QTimer.singleShot(0, self, self.put_away_if_nothing_to_type)

    def put_away_if_nothing_to_type(self) -> None:
        """Put the keyboard away on a screen with nothing to type into (it hid the answers)."""
        if self._keyboard is None or not self._keyboard.isVisible():
            return
        page = self._host.stack.currentWidget()
        fields = [w for w in page.findChildren(QWidget) if touch.is_text_field(w) and w.isVisible()] if page else []
        if not fields:
            self._keyboard.hide()

    def _reveal(self, widget: QWidget | None) -> None:
        """Keep the field being typed into in view above the keyboard."""
        page = self._host.stack.currentWidget()
        scroller: Any = getattr(page, "page", page)
        if widget is not None and hasattr(scroller, "reveal") and scroller.isAncestorOf(widget):
            scroller.reveal(widget)  # the whole field, not only its text cursor (ui.widgets.common.Page)
