"""Starting the kiosk UI (``kiosk`` with no sub-command calls :func:`run`).

:func:`build` makes the whole window without showing it, so ``kiosk
screenshots``, the benchmarks and the tests start the exact same thing the
resident sees.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import load_config
from kiosk.paths import Home, home
from ui import theme
from ui.bridge import Bridge, Operation
from ui.qt import QApplication, Qt
from ui.services import Services
from ui.speech import Reader
from ui.startup import FirstPaint, Startup, alive
from ui.state import Prefs
from ui.window import KioskWindow

log = logging.getLogger("kiosk.ui")
WINDOW_SIZE = (1280, 800)


@dataclass
class Kiosk:
    app: QApplication
    window: KioskWindow
    services: Services
    bridge: Bridge
    prefs: Prefs
    reader: Reader
    startup: Startup = field(default_factory=lambda: Startup(lambda: []))

    def is_ready(self) -> bool:
        """Background start-up done: catalog loaded, store, secrets and enrolment read."""
        return self.startup.is_ready

    @property
    def startup_queued(self) -> bool:
        """The background start-up has been queued (after the first paint or first use)."""
        return self.startup.started

    def close(self) -> None:
        loop = getattr(self.window, "sync_loop", None)
        if loop is not None:
            loop.stop()
        if alive(self.window):
            self.window.flush_form()
        self.bridge.shutdown()
        self.services.close()
        if alive(self.window):
            self.window.close()
            self.window.deleteLater()


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("soum-kiosk")
    return app


def build(kiosk_home: Home | None = None, lang: str | None = None, start_sync: bool = False) -> Kiosk:
    """The kiosk window, themed, with the home screen only; not shown yet.

    The rest (catalog, store, secrets, the other screens) comes after the first paint
    or on first use: ui.startup, ui.screens.
    """
    app = application()
    h = (kiosk_home or home()).ensure()
    config = load_config(h.config_file)
    prefs = Prefs(lang or config.language)
    theme.apply(app, prefs.theme, prefs.scale)
    services = Services(h, config)
    services.load_index()
    bridge = Bridge()
    reader = Reader()
    window = KioskWindow(services, prefs, reader, bridge)
    window.resize(*WINDOW_SIZE)

    def started(result: tuple[int, bool]) -> None:
        startup.done("startup")
        if not alive(window):
            return
        window.retranslate()  # DEMO banner follows the enrolment just read
        if services.secrets_problem and not window.showing("staff"):
            window.flow = None  # a form opened in the first instant could never be kept
            window.show_home()  # out of service: no tiles, a plain word for staff
        if start_sync and result[1]:
            _start_sync(window, h)

    def catalog_loaded(_catalog: Any) -> None:
        startup.done("catalog")
        if alive(window) and window.showing("home"):
            window.render_home()  # broken forms drop out; staff see why

    def catalog_failed(exc: BaseException) -> None:
        startup.done("catalog")
        log.error("catalog load failed: %s", type(exc).__name__)

    def jobs() -> list[str]:
        # Opening the store imports the crypto stack, and the full catalog load checks
        # every form: both would otherwise hold up the home screen's first paint.
        bridge.run_net(Operation(services.load_catalog, catalog_loaded, catalog_failed, label="catalog"))

        def startup_work() -> tuple[int, bool]:
            if services.check_secrets():
                return 0, False  # out of service: nothing can be opened or saved safely
            pending = services.startup()
            enrolled = services.check_enrolled()
            return pending, services.check_odk() or enrolled  # sync runs for either server

        def startup_failed(exc: BaseException) -> None:
            startup.done("startup")
            log.error("start-up failed: %s", type(exc).__name__)

        bridge.run_db(Operation(startup_work, started, startup_failed, label="startup"))
        return ["catalog", "startup"]

    startup = Startup(jobs)
    FirstPaint(window).painted.connect(startup.painted)
    window.before_first_use = startup.start  # a form or staff mode before the paint: start now
    return Kiosk(app, window, services, bridge, prefs, reader, startup)


def _start_sync(window: KioskWindow, h: Home) -> None:
    """The background sync loop; its status reaches Qt through the StatusListener."""
    try:
        from sync.runtime import make_loop
    except ImportError:
        return
    loop = make_loop(h, on_status=lambda status: window.listener.notify(status.as_dict()))
    window.sync_loop = loop  # type: ignore[attr-defined]
    loop.start()


def check_platform(lang: str | None) -> None:
    """Stop with one line naming the missing system libraries before Qt would abort (rc 134)."""
    from kiosk.errors import ConfigError
    from kiosk.i18n import DEFAULT_LANGUAGE, t
    from ui.platform_check import problem

    found = problem()
    if found is not None:
        platform, missing, packages = found
        raise ConfigError(t("startup.qt_platform_missing", lang or DEFAULT_LANGUAGE, platform=platform,
                            libraries=", ".join(missing), packages=" ".join(packages)))


def _show(kiosk: Kiosk) -> None:
    window = kiosk.window
    if os.environ.get("KIOSK_WINDOWED") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        window.show()
    else:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.locked = True
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
    from ui.stop_signals import QuitOnSignals

    check_platform(getattr(args, "lang", None))
    qtlog.install()
    application()  # the signal watch needs Qt's event dispatcher
    with QuitOnSignals(QApplication.quit) as stop:
        kiosk = build(home(getattr(args, "home", None)), getattr(args, "lang", None), start_sync=True)
        _show(kiosk)
        _report_start(kiosk)
        code = kiosk.app.exec()
    kiosk.close()
    if stop.received:
        log.info("kiosk stopped by signal %d", stop.received)
        return stop.exit_code
    return int(code)


__all__ = ["Kiosk", "application", "build", "run", "Any"]
