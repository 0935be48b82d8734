"""What the resident chose for this session: language, text size, contrast, read-aloud.

One small QObject every screen listens to, so a choice made on any screen
(the accessibility panel is reachable everywhere) re-renders every screen in
place; nothing the resident typed is lost by a change. The choices hold for the
whole visit (several forms, Finish and Cancel included) and reset to the kiosk
defaults when the visit ends: the idle wipe (ui.idle), which also runs on the home
screen while choices differ from the defaults.
"""

from __future__ import annotations

from ui.qt import QObject, Signal


class Prefs(QObject):
    changed = Signal(str)  # which: "lang", "theme", "scale", "read_aloud"

    def __init__(self, lang: str = "mn", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.default_lang = lang
        self.lang = lang
        self.theme = "default"
        self.scale = 100
        self.read_aloud = False

    def set_lang(self, lang: str) -> None:
        if lang != self.lang:
            self.lang = lang
            self.changed.emit("lang")

    def set_theme(self, theme: str) -> None:
        if theme != self.theme:
            self.theme = theme
            self.changed.emit("theme")

    def set_scale(self, scale: int) -> None:
        if scale != self.scale:
            self.scale = scale
            self.changed.emit("scale")

    def set_read_aloud(self, on: bool) -> None:
        if on != self.read_aloud:
            self.read_aloud = on
            self.changed.emit("read_aloud")

    def is_default(self) -> bool:
        """Nothing chosen: the next resident would see the kiosk as it starts."""
        return (self.lang, self.theme, self.scale, self.read_aloud) == (
            self.default_lang, "default", 100, False)

    def reset(self) -> None:
        """Back to the kiosk's defaults for the next resident."""
        self.set_read_aloud(False)
        self.set_scale(100)
        self.set_theme("default")
        self.set_lang(self.default_lang)
