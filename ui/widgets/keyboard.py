"""On-screen keyboard for touch-only kiosks: Mongolian Cyrillic (with Ө and Ү), Latin, digits.

Keys never take focus, so typing goes to whichever field has it; a numeric
field (``keypad`` property) switches the keyboard to the number pad, which shows only
the keys the field takes (``keypadKeys``: digits by default; "-" where a negative number
is allowed, "." for a decimal) and no space bar; a text field's digits keep "-", "."
and the space bar (a hyphenated name: Бат-Эрдэнэ). Key
presses are delivered as real key events, so validators and signals behave
exactly as with a hardware keyboard.
"""

from __future__ import annotations

from kiosk.i18n import t
from ui import a11y
from ui.qt import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QKeyEvent,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

LAYOUTS: dict[str, list[str]] = {
    # Mongolian Cyrillic (ФЦУЖЭ layout order), Ө and Ү included.
    "cyrillic": ["ФЦУЖЭНГШҮЗКЪ", "ЙЫБӨАХРОЛДПЕ", "ЯЧЁСМИТЬВЮЩ"],
    "latin": ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"],
    "digits": ["123", "456", "789", "-0."],
}
BACKSPACE = "⌫"
DIGITS = "0123456789"
TEXT_DIGITS = "0123456789-."  # the digits layout of a text field: a hyphenated name, an address


class OnScreenKeyboard(QFrame):
    closed = Signal()
    shown = Signal(bool)  # opened (True) or put away (False): screens make room for it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("topBar")
        self.layout_name = "cyrillic"
        self.shift = True
        self.lang = "mn"
        self.letters = "cyrillic"  # the letter keys a text field opens with: the form's language's
        self.pad_keys = TEXT_DIGITS  # the number pad's keys (a number field's: ``keypadKeys``)
        self.pad_for: object = None  # the focused field's ``keypad`` (a number's pad: no space)
        self.keys: list[QPushButton] = []
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(12, 4, 12, 4)
        self.grid_host = QWidget()
        self.box.addWidget(self.grid_host)
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(4)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.built = False  # keys are made the first time the keyboard is shown

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        if not self.built:
            self.build()
        super().showEvent(event)
        self.shown.emit(True)

    def hideEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().hideEvent(event)
        self.shown.emit(False)

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        if self.built:
            self.build()

    def set_letters(self, text_lang: str) -> None:
        """The letters of the language being typed in (the form's, which may differ from the
        kiosk's): English opens the Latin keys, any other the Mongolian Cyrillic. Showing
        letters switch at once; the number pad stays (the next text field gets them)."""
        letters = "latin" if text_lang == "en" else "cyrillic"
        if letters == self.letters:
            return
        self.letters = letters
        if self.layout_name != "digits" and self.layout_name != letters:
            self.layout_name = letters
            self.built = False  # made again when next shown
            if self.isVisible():
                self.build()

    def follow_focus(self, widget: QWidget | None) -> None:
        """Number pad for numeric fields, letters otherwise; a registry number (РД) gets
        the Mongolian letters for its two letters, then the number pad for its digits."""
        keypad = widget.property("keypad") if widget is not None else None
        if keypad == "numeric" and widget is not None:
            keys = str(widget.property("keypadKeys") or DIGITS)
        else:
            keys = DIGITS if keypad == "registry" else TEXT_DIGITS
        if isinstance(widget, QLineEdit | QPlainTextEdit) and (keys, keypad) != (self.pad_keys, self.pad_for):
            self.pad_keys, self.pad_for = keys, keypad
            self.built = self.built and self.layout_name != "digits"  # rebuilt below if showing
        if keypad == "registry" and isinstance(widget, QLineEdit):
            self._watch_registry(widget)
            layout = self._registry_layout(widget.text())
            if self.layout_name != layout:
                self.switch(layout)
            elif not self.built:
                self.build()
            return
        wanted = "digits" if keypad == "numeric" else None
        if wanted and (self.layout_name != wanted or not self.built):
            self.layout_name = wanted
            self.build()
        elif not wanted and self.layout_name == "digits" and isinstance(widget, QLineEdit | QPlainTextEdit):
            self.layout_name = self.letters
            self.build()
        elif not self.built:
            self.build()

    @staticmethod
    def _registry_layout(text: str) -> str:
        letters = sum(1 for ch in text if ch.isalpha())
        return "digits" if letters >= 2 else "cyrillic"

    def _watch_registry(self, edit: QLineEdit) -> None:
        if edit.property("keypadWatched"):
            return
        edit.setProperty("keypadWatched", True)
        edit.textChanged.connect(lambda _t, e=edit: self._registry_typed(e))

    def _registry_typed(self, edit: QLineEdit) -> None:
        """After the second letter the digits; back to letters if they are erased."""
        if self.isVisible() and edit.hasFocus():
            wanted = self._registry_layout(edit.text())
            if wanted != self.layout_name:
                self.switch(wanted)

    def _key(self, text: str, description: str, name: str, spoken: str = "") -> QPushButton:
        """A key showing ``text``; ``spoken`` is its name for a screen reader when the face is
        not words of the kiosk's language (АБВ on an English kiosk: "Mongolian letters")."""
        b = QPushButton(text)
        b.setProperty("role", "key")
        b.setObjectName(name)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.setAutoDefault(False)
        b.setMinimumSize(48, 48)
        b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        a11y.label(b, spoken or text, description)
        self.keys.append(b)
        return b

    def build(self) -> None:
        from ui.widgets.common import clear_layout

        clear_layout(self.grid)
        self.built = True
        self.keys = []
        rows = LAYOUTS[self.layout_name]
        width = max(len(r) for r in rows)
        for r, row in enumerate(rows):
            for c, ch in enumerate(row):
                if self.layout_name == "digits" and ch not in self.pad_keys:
                    continue  # a key the field would refuse ("." for a whole number)
                shown = ch if (self.shift or self.layout_name == "digits") else ch.lower()
                b = self._key(shown, t("ui.keyboard_key_desc", self.lang, key=shown), f"key-{shown}")
                b.clicked.connect(lambda _=False, s=shown: self.type_text(s))
                self.grid.addWidget(b, r, c)
        bottom = len(rows)
        specials: list[tuple[str, str, str, object]] = []
        spoken: dict[str, str] = {}
        for name in ("cyrillic", "latin", "digits"):
            if name != self.layout_name:
                label = t(f"ui.keyboard_layout_{name}", self.lang)
                spoken[f"layout-{name}"] = words = t(f"ui.keyboard_layout_{name}_name", self.lang)
                specials.append((label, t("ui.keyboard_layout_desc", self.lang, name=words), f"layout-{name}",
                                 lambda n=name: self.switch(n)))
        if self.layout_name != "digits":
            specials.append((t("ui.keyboard_shift", self.lang), t("ui.keyboard_shift", self.lang), "key-shift",
                             self.toggle_shift))
        if self.layout_name != "digits" or self.pad_for not in ("numeric", "registry"):
            specials.append((t("ui.keyboard_space", self.lang), t("ui.keyboard_space", self.lang), "key-space",
                             lambda: self.type_text(" ")))
        specials.append((BACKSPACE, t("ui.keyboard_backspace", self.lang), "key-backspace", self.backspace))
        specials.append((t("ui.keyboard_hide", self.lang), t("ui.keyboard_hide", self.lang), "key-hide",
                         self.closed.emit))
        if self.layout_name == "digits":
            # The number pad keeps to the letter keyboard's four rows: its special keys sit
            # beside the digits, not in a fifth row under them, so opening it never takes
            # more height from the question (at 200 % the hint would be pushed out).
            places = {"key-backspace": (0, 3, 2), "key-space": (1, 3, 2), "key-hide": (3, 3, 2)}
            layout_keys = [sp for sp in specials if sp[2].startswith("layout-")]
            for i, sp in enumerate(layout_keys):
                places[sp[2]] = (2, 3 + i, 1)
            for text, desc, name, action in specials:
                b = self._key(text, desc, name, spoken.get(name, ""))
                b.clicked.connect(lambda _=False, a=action: a())  # type: ignore[operator]
                r, c, span = places[name]
                self.grid.addWidget(b, r, c, 1, span)
        else:
            # The special keys in a row of their own: their words ("Hide keyboard" at large
            # text) must not widen a column of letters.
            special_row = QHBoxLayout()
            special_row.setSpacing(4)
            for text, desc, name, action in specials:
                b = self._key(text, desc, name, spoken.get(name, ""))
                b.clicked.connect(lambda _=False, a=action: a())  # type: ignore[operator]
                special_row.addWidget(b, 1 if name == "key-space" else 0)  # each as wide as its word
            self.grid.addLayout(special_row, bottom, 0, 1, width)
        for key in self.keys:
            key.show()  # at once: a tap right after a layout switch must find its key

    def switch(self, name: str) -> None:
        self.layout_name = name
        self.build()

    def toggle_shift(self) -> None:
        self.shift = not self.shift
        self.build()

    def _target(self) -> QWidget | None:
        """The focused text field; nothing else (a letter on a focused dropdown would jump
        its choice, a space press a focused button, unseen)."""
        from ui.touch import is_text_field

        focus = QApplication.focusWidget()
        return focus if is_text_field(focus) else None

    def type_text(self, text: str) -> None:
        target = self._target()
        if target is None:
            return
        for ch in text:
            for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
                QApplication.sendEvent(target, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))

    def backspace(self) -> None:
        target = self._target()
        if target is None:
            return
        for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
            QApplication.sendEvent(target, QKeyEvent(kind, Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier))
