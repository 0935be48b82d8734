"""A finger on the real window: X input synthesized through XTEST, read back through AT-SPI.

The kiosk runs as a real subprocess on Qt's xcb platform under a private Xvfb
(tests/ui/atspi.py starts it with a D-Bus session and the AT-SPI bus). This side
presses, drags, scrolls a wheel and types as the X server's own input would come
(python-xlib's XTEST extension, the same path a touch screen driver's pointer
events take), and reads what a person would see: the accessibility tree's roles,
names, states and on-screen extents, and screenshots of the X screen.

Waiting is polling with a deadline, never a fixed sleep as synchronisation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from Xlib import XK, X, display
from Xlib.ext import xtest

from tests.ui import atspi

STATE_EDITABLE, STATE_FOCUSED = 7, 12
STATE_READ_ONLY = 42  # ATSPI_STATE_READ_ONLY
MENU_ROLES = {"menu", "popup menu", "menu item"}


def poll(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """``check()``'s first true result, looked at every 0.1 s until ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)  # one look is a walk over D-Bus or an X round trip: not too often
    result = check()
    assert result, f"{what}: not seen within {timeout:.0f} s"
    return result


class Hand:
    """Presses, drags, wheel turns and keys on one X display, through XTEST."""

    def __init__(self, display_name: str) -> None:
        self.d = display.Display(display_name)
        if not self.d.has_extension("XTEST"):
            raise RuntimeError(f"the X server {display_name} has no XTEST extension")
        screen = self.d.screen()
        self.width, self.height = screen.width_in_pixels, screen.height_in_pixels

    def close(self) -> None:
        self.d.close()

    def _send(self, kind: int, detail: int = 0, x: int = 0, y: int = 0) -> None:
        if kind == X.MotionNotify:
            xtest.fake_input(self.d, kind, x=int(x), y=int(y))
        else:
            xtest.fake_input(self.d, kind, detail)
        self.d.sync()

    def move(self, x: float, y: float) -> None:
        self._send(X.MotionNotify, x=int(x), y=int(y))

    def tap(self, x: float, y: float, button: int = 1) -> None:
        self.move(x, y)
        self._send(X.ButtonPress, button)
        self._send(X.ButtonRelease, button)

    def drag(self, x0: float, y0: float, x1: float, y1: float, steps: int = 12, hold: int = 0) -> None:
        """A finger put down, moved in ``steps`` even steps (each flushed to the server)
        and lifted; the 10 ms between steps is the finger's speed, not a wait. With
        ``hold``, the finger stays still that many steps before it is lifted: the page
        stops where the finger left it instead of gliding on (a flick)."""
        self.move(x0, y0)
        self._send(X.ButtonPress, 1)
        for i in range(1, steps + hold + 1):
            f = min(i, steps) / steps
            self.move(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f)
            time.sleep(0.01)
        self._send(X.ButtonRelease, 1)

    def wheel(self, x: float, y: float, down: bool = True, clicks: int = 3) -> None:
        self.move(x, y)
        for _ in range(clicks):
            button = 5 if down else 4
            self._send(X.ButtonPress, button)
            self._send(X.ButtonRelease, button)

    def key(self, name: str) -> None:
        """One key by its X keysym name ("Menu", "Return", "a")."""
        code = self.d.keysym_to_keycode(XK.string_to_keysym(name))
        assert code, f"no key {name!r} on this X server's keymap"
        self._send(X.KeyPress, code)
        self._send(X.KeyRelease, code)

    def popups(self) -> list[tuple[int, int, int, int]]:
        """Mapped override-redirect windows (menus, tooltips, dropdown lists), as
        (x, y, width, height): Qt does not put a context menu in the AT-SPI tree."""
        out = []
        for w in self.d.screen().root.query_tree().children:
            try:
                attrs = w.get_attributes()
                if attrs.map_state == X.IsViewable and attrs.override_redirect:
                    g = w.get_geometry()
                    out.append((g.x, g.y, g.width, g.height))
            except Exception:  # noqa: BLE001, S112 - a window that went away meanwhile
                continue
        return out

    def screenshot(self, path: Path) -> Path:
        """The whole X screen as a PNG (what a person standing there sees)."""
        from PySide6.QtGui import QImage

        root = self.d.screen().root
        raw = root.get_image(0, 0, self.width, self.height, X.ZPixmap, 0xFFFFFFFF)
        data = bytes(raw.data)
        image = QImage(data, self.width, self.height, self.width * 4, QImage.Format.Format_RGB32)
        path.parent.mkdir(parents=True, exist_ok=True)
        assert image.copy().save(str(path)), f"could not write {path}"
        return path


def centre(extents: tuple[int, int, int, int]) -> tuple[int, int]:
    x, y, w, h = extents
    return x + w // 2, y + h // 2


class Screen:
    """What the running kiosk shows, through the accessibility tree."""

    def __init__(self, tree: atspi.Tree, app: atspi.Ref, hand: Hand) -> None:
        self.tree, self.app, self.hand = tree, app, hand

    def nodes(self) -> list[atspi.Node]:
        return self.tree.nodes(self.app)

    def find(self, role: str | set[str] | frozenset[str], name: str | None = None,
             where: Callable[[atspi.Node], bool] | None = None) -> atspi.Node | None:
        roles = {role} if isinstance(role, str) else role
        for n in self.nodes():
            if n.role in roles and (name is None or n.name == name) and (where is None or where(n)):
                return n
        return None

    def wait(self, role: str | set[str] | frozenset[str], name: str | None = None, timeout: float = 20.0,
             where: Callable[[atspi.Node], bool] | None = None) -> atspi.Node:
        found = self.find(role, name, where)
        deadline = time.monotonic() + timeout
        while found is None and time.monotonic() < deadline:
            time.sleep(0.1)  # one look is a walk of the tree over D-Bus
            found = self.find(role, name, where)
        if found is None:
            shown = [f"{n.role}:{n.name[:50]}" for n in self.nodes() if n.role not in ("filler", "panel")]
            raise AssertionError(f"no {role} {name!r} within {timeout:.0f} s; the screen shows {shown}")
        return found

    def extents(self, node: atspi.Node) -> tuple[int, int, int, int]:
        return self.tree.extents(node.ref)

    def tap(self, node: atspi.Node) -> None:
        self.hand.tap(*centre(self.extents(node)))

    def on_screen(self, node: atspi.Node) -> bool:
        x, y, w, h = self.extents(node)
        return w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= self.hand.width and y + h <= self.hand.height

    def menus(self) -> list[object]:
        """Any menu showing: in the tree, or as a popup window on the X screen."""
        return [*(n for n in self.nodes() if n.role in MENU_ROLES), *self.hand.popups()]

    def keys_showing(self, key_name: str) -> bool:
        return self.find("push button", key_name) is not None
