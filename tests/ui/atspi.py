"""The kiosk as a screen reader sees it: AT-SPI over D-Bus, under Xvfb.

A private desktop per test session: an Xvfb display, a D-Bus session bus and the
AT-SPI bus launcher (which starts the accessibility bus and its registry). The
kiosk runs as a real subprocess on Qt's xcb platform with its accessibility bridge
on; this side talks to it only through the accessibility bus (jeepney, pure Python
D-Bus), as Orca would: the tree of accessibles, their roles, names, states, and
their actions (Press, SetTextContents).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, DBusErrorResponse, MessageType, Properties, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

ACCESSIBLE = "org.a11y.atspi.Accessible"
ACTION = "org.a11y.atspi.Action"
TEXT = "org.a11y.atspi.Text"
EDITABLE = "org.a11y.atspi.EditableText"
SELECTION = "org.a11y.atspi.Selection"
COMPONENT = "org.a11y.atspi.Component"
REGISTRY_ROOT = ("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root")
# AtspiStateType bits (at-spi2-core atspi-constants.h).
STATE_CHECKED, STATE_ENABLED, STATE_FOCUSABLE = 4, 8, 11
STATE_SHOWING, STATE_VISIBLE = 25, 30
STATE_PRESSED = 20
BUS_LAUNCHER = ("/usr/libexec/at-spi-bus-launcher", "/usr/lib/at-spi2-core/at-spi-bus-launcher",
                "/usr/lib/at-spi-bus-launcher")
# Roles a person operates (what must have a name), as AT-SPI spells them.
CONTROL_ROLES = {
    "push button", "toggle button", "check box", "radio button", "text", "password text",
    "entry", "combo box", "list", "list item", "spin button", "slider", "menu item",
    "page tab", "scroll bar", "table cell",
}


class Unavailable(Exception):
    """What is missing for an AT-SPI desktop here (the test skips naming it)."""


def _poll(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last = exc
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f} s (last error: {last!r})")


@dataclass
class Desktop:
    """Xvfb + session bus + AT-SPI bus; ``env`` is what a program on it needs."""

    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]]

    def close(self) -> None:
        for p in reversed(self.processes):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)


def start_desktop(tmp: Path, size: str = "1280x800") -> Desktop:
    missing = [name for name in ("Xvfb", "dbus-daemon") if shutil.which(name) is None]
    launcher = next((p for p in BUS_LAUNCHER if Path(p).exists()), None)
    if launcher is None:
        missing.append("at-spi-bus-launcher (at-spi2-core)")
    if missing:
        raise Unavailable("not installed: " + ", ".join(missing))
    procs: list[subprocess.Popen[bytes]] = []
    env = dict(os.environ)
    try:
        env["DISPLAY"] = _start_xvfb(size, procs)
        # The AT-SPI bus's socket goes in the runtime (else cache) folder of whoever starts
        # the launcher, the session bus too (by activation): this desktop's own folders, so
        # desktops side by side never share, or remove, one another's ~/.cache/at-spi/bus.
        env["XDG_RUNTIME_DIR"] = str(tmp)
        env["XDG_CACHE_HOME"] = str(tmp / "cache")
        env.pop("AT_SPI_BUS_ADDRESS", None)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        dbus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        procs.append(dbus)
        address = dbus.stdout.readline().decode().strip() if dbus.stdout else ""
        if not address:
            raise Unavailable(f"dbus-daemon --session did not start (exit {dbus.poll()})")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        procs.append(subprocess.Popen([launcher, "--launch-immediately"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        desktop = Desktop(env, procs)
        env["AT_SPI_BUS_ADDRESS"] = _poll("the AT-SPI bus", lambda: a11y_bus_address(address))
        return desktop
    except BaseException:
        Desktop(env, procs).close()
        raise


def _displays() -> list[str]:
    """The display numbers to try: $KIOSK_XVFB_DISPLAYS ("71-79", when several test runs
    share a machine and each keeps to its own numbers) whose lock is free, else [""]
    (Xvfb picks a free number itself)."""
    span = os.environ.get("KIOSK_XVFB_DISPLAYS", "")
    if not span:
        return [""]
    lo, _, hi = span.partition("-")
    free = [str(n) for n in range(int(lo), int(hi or lo) + 1) if not Path(f"/tmp/.X{n}-lock").exists()]
    if not free:
        raise Unavailable(f"no free X display in KIOSK_XVFB_DISPLAYS={span}")
    return free


def _start_xvfb(size: str, procs: list[subprocess.Popen[bytes]]) -> str:
    """A started Xvfb's display (":N"); the process is added to ``procs``."""
    for number in _displays():
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(["Xvfb", *([f":{number}"] if number else []), "-displayfd", str(write_fd),
                                 "-screen", "0", f"{size}x24", "-nolisten", "tcp"], pass_fds=(write_fd,),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as r:
            display = r.readline().strip()
        if display:
            procs.append(xvfb)
            return f":{display}"
        xvfb.wait(5)  # taken meanwhile by another run: the next number
    raise Unavailable(f"Xvfb did not start (exit {xvfb.poll()})")


def a11y_bus_address(session_address: str) -> str:
    conn = open_dbus_connection(bus=session_address)
    try:
        addr = DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Bus")
        return str(conn.send_and_get_reply(new_method_call(addr, "GetAddress"), timeout=5).body[0])
    finally:
        conn.close()


Ref = tuple[str, str]


class Tree:
    """Read and operate an application's accessibles over the AT-SPI bus."""

    def __init__(self, bus_address: str) -> None:
        self.conn: DBusConnection = open_dbus_connection(bus=bus_address)

    def close(self) -> None:
        self.conn.close()

    def call(self, ref: Ref, iface: str, method: str, sig: str | None = None,
             body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        msg = new_method_call(DBusAddress(ref[1], bus_name=ref[0], interface=iface), method, sig, body)
        return tuple(self._reply(msg).body)

    def prop(self, ref: Ref, iface: str, name: str) -> Any:
        msg = Properties(DBusAddress(ref[1], bus_name=ref[0], interface=iface)).get(name)
        return self._reply(msg).body[0][1]

    def _reply(self, msg: Any) -> Any:
        reply = self.conn.send_and_get_reply(msg, timeout=30)
        if reply.header.message_type == MessageType.error:
            raise DBusErrorResponse(reply)
        return reply

    def children(self, ref: Ref) -> list[Ref]:
        return [tuple(c) for c in self.call(ref, ACCESSIBLE, "GetChildren")[0]]  # type: ignore[misc]

    def name(self, ref: Ref) -> str:
        return str(self.prop(ref, ACCESSIBLE, "Name"))

    def description(self, ref: Ref) -> str:
        return str(self.prop(ref, ACCESSIBLE, "Description"))

    def role(self, ref: Ref) -> str:
        return str(self.call(ref, ACCESSIBLE, "GetRoleName")[0])

    def states(self, ref: Ref) -> set[int]:
        low, high = self.call(ref, ACCESSIBLE, "GetState")[0]
        bits = int(low) | (int(high) << 32)
        return {i for i in range(64) if bits >> i & 1}

    def interfaces(self, ref: Ref) -> set[str]:
        return set(self.call(ref, ACCESSIBLE, "GetInterfaces")[0])

    def showing(self, ref: Ref) -> bool:
        s = self.states(ref)
        return STATE_SHOWING in s and STATE_VISIBLE in s

    def application(self, name: str) -> Ref | None:
        for app in self.children(REGISTRY_ROOT):
            try:
                if self.name(app) == name:
                    return app
            except Exception:  # noqa: BLE001 - an application that just went away
                continue
        return None

    def _walk(self, ref: Ref) -> Iterator[tuple[Ref, set[int]]]:
        try:
            children = self.children(ref)
        except DBusErrorResponse:
            return
        for child in children:
            try:
                states = self.states(child)
            except DBusErrorResponse:
                continue
            if STATE_SHOWING in states and STATE_VISIBLE in states:
                yield child, states
                yield from self._walk(child)

    def walk(self, ref: Ref) -> Iterator[Ref]:
        """Showing accessibles under ``ref``, in the tree's (reading) order. An object
        that goes away while being read (a screen being replaced) is left out."""
        for child, _states in self._walk(ref):
            yield child

    def nodes(self, ref: Ref) -> list[Node]:
        out = []
        for r, states in self._walk(ref):
            try:
                out.append(Node(r, self.role(r), self.name(r), self.description(r), states))
            except DBusErrorResponse:
                continue
        return out

    def actions(self, ref: Ref) -> list[str]:
        n = int(self.prop(ref, ACTION, "NActions"))
        return [str(self.call(ref, ACTION, "GetName", "i", (i,))[0]) for i in range(n)]

    def do(self, ref: Ref, action: str) -> None:
        names = self.actions(ref)
        if action not in names:
            raise AssertionError(f"{self.role(ref)} {self.name(ref)!r} has no action {action!r} ({names})")
        ok = self.call(ref, ACTION, "DoAction", "i", (names.index(action),))[0]
        assert ok, f"{action} on {self.name(ref)!r} failed"

    def extents(self, ref: Ref) -> tuple[int, int, int, int]:
        """Where ``ref`` is on the screen (x, y, width, height), as a magnifier reads it."""
        x, y, w, h = self.call(ref, COMPONENT, "GetExtents", "u", (0,))[0]  # 0: ATSPI_COORD_TYPE_SCREEN
        return int(x), int(y), int(w), int(h)

    def text(self, ref: Ref) -> str:
        return str(self.call(ref, TEXT, "GetText", "ii", (0, -1))[0])

    def set_text(self, ref: Ref, text: str) -> None:
        ok = self.call(ref, EDITABLE, "SetTextContents", "s", (text,))[0]
        assert ok, f"SetTextContents on {self.name(ref)!r} failed"


@dataclass
class Node:
    ref: Ref
    role: str
    name: str
    description: str
    states: set[int]

    @property
    def checked(self) -> bool:
        return STATE_CHECKED in self.states or STATE_PRESSED in self.states


def launch_kiosk(desktop: Desktop, env: dict[str, str], lang: str, log: Path,
                 windowed: bool = True) -> subprocess.Popen[bytes]:
    """The real kiosk program on the private desktop, its Qt accessibility bridge on
    (``windowed=False``: full screen and frameless, as on a kiosk)."""
    import sys

    full = {**env, **{k: v for k, v in desktop.env.items() if k in (
        "DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS", "XDG_RUNTIME_DIR")}}
    full.update({"QT_QPA_PLATFORM": "xcb", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
                 "KIOSK_TTS_ENGINE": "mock", "QT_ACCESSIBILITY": "1"})
    if windowed:
        full["KIOSK_WINDOWED"] = "1"
    else:
        full.pop("KIOSK_WINDOWED", None)
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "app", "--lang", lang], env=full,
                                stdout=out, stderr=subprocess.STDOUT)
