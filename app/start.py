"""Starting the kiosk process: bare ``kiosk`` (app.cli) ends here.

The composition root for the resident's kiosk: it checks the Qt platform, quiets
Qt's harmless console lines, turns SIGTERM/SIGINT into a clean quit, builds the
window (ui.app.build) with the background sync loop (sync.runtime) wired in, shows
it full screen and reports the cold-start marks the UI benchmark reads.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from kiosk.paths import Home, home
from ui.app import Kiosk, application, build
from ui.qt import Qt
from ui.window import KioskWindow

if TYPE_CHECKING:
    from kiosk.config import Config

log = logging.getLogger("kiosk.ui")


def start_sync(window: KioskWindow, h: Home) -> None:
    """The background sync loop; its status reaches Qt through the StatusListener."""
    from sync.runtime import make_loop

    loop = make_loop(h, on_status=lambda status: window.listener.notify(status.as_dict()))
    window.sync_loop = loop  # type: ignore[attr-defined]
    loop.start()


def check_platform(lang: str | None) -> None:
    """Stop with one line naming the missing system libraries before Qt would abort (rc 134)."""
    from kiosk.errors import ConfigError
    from ui.platform_check import problem

    found = problem()
    if found is not None:
        platform, missing, packages = found
        raise ConfigError(key="startup.qt_platform_missing", params=dict(platform=platform,
                            libraries=", ".join(missing), packages=" ".join(packages)))


def _show(kiosk: Kiosk) -> None:
    window = kiosk.window
    if os.environ.get("KIOSK_WINDOWED") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        window.show()
    else:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.locked = True
        # The whole screen even with no window manager to honour "full screen" (a kiosk often
        # has none): otherwise the window keeps its development size, larger than a 1024x768
        # screen (Next off the edge) or a corner of a 1920x1080 one.
        window.setGeometry(window.screen().geometry())
        window.showFullScreen()
    # Take the keyboard focus: a kiosk often runs with no window manager to give it, and
    # a keyboard-only resident (or a screen reader) could not type until someone touched it.
    window.activateWindow()


def _report_start(kiosk: Kiosk) -> None:
    """The cold-start benchmark (and tests): the first painted home, then "ready"."""
    launched = int(os.environ.get("KIOSK_LAUNCH_NS", "0") or 0)
    if launched:
        def since_launch(ns: int) -> str:
            return f"{(ns - launched) / 1e6:.1f}"

        def painted() -> None:
            # Wall time from launch, and this process's CPU time (all threads) until then:
            # the second stays honest on a machine other work is slowing down.
            print(f"kiosk-painted-ms={since_launch(kiosk.startup.painted_ns)}", flush=True)
            print(f"kiosk-painted-cpu-ms={time.process_time() * 1000:.1f}", flush=True)

        kiosk.startup.on_painted.append(painted)
        kiosk.startup.on_ready.append(
            lambda: print(f"kiosk-ready-ms={since_launch(kiosk.startup.ready_ns)}", flush=True))
    if os.environ.get("KIOSK_EXIT_WHEN_READY"):
        kiosk.startup.on_ready.append(kiosk.app.quit)


def run(args: argparse.Namespace) -> int:
    """``kiosk``: full screen on a kiosk; ``KIOSK_WINDOWED=1`` for a window (development).

    SIGTERM/SIGINT end it like staff's "close": the open draft is saved, workers stop,
    and the exit code is 128 + the signal's number.
    """
    from ui import qtlog
    from ui.stop_signals import QuitOnSignals, end_event_loop

    check_platform(getattr(args, "lang", None))
    qtlog.install()
    application()  # the signal watch needs Qt's event dispatcher
    with QuitOnSignals(end_event_loop) as stop:
        kiosk = build(home(getattr(args, "home", None)), getattr(args, "lang", None), start_sync=start_sync,
                      doctor=_doctor)
        _show(kiosk)
        _report_start(kiosk)
        code = kiosk.app.exec()
    kiosk.close()
    if stop.received:
        log.info("kiosk stopped by signal %d", stop.received)
        return stop.exit_code
    return int(code)


def _doctor(home: Home, config: Config, *, lang: str | None = None) -> list[Any]:
    """The staff diagnostics screen's doctor; imported when staff first open it."""
    from app.doctor import run_checks

    return list(run_checks(home, config, lang=lang))
