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
from dataclasses import dataclass
from typing import Any

from kiosk.config import load_config
from kiosk.paths import Home, home
from ui import theme
from ui.bridge import Bridge, Operation
from ui.qt import QApplication, Qt, QTimer
from ui.services import Services
from ui.speech import Reader
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
    # The after-first-paint work (store, full catalog) is queued: waiting for this and then
    # for an idle bridge is waiting for a fully started kiosk (tests, screenshots).
    startup_queued: bool = False

    def close(self) -> None:
        loop = getattr(self.window, "sync_loop", None)
        if loop is not None:
            loop.stop()
        self.window.form.flush()
        self.bridge.shutdown()
        self.services.close()
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
    """The kiosk window, themed, with its catalog loaded; not shown yet."""
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
    kiosk = Kiosk(app, window, services, bridge, prefs, reader)

    def started(result: tuple[int, bool]) -> None:
        window.retranslate()  # DEMO banner follows the enrolment just read
        if services.secrets_problem and window.stack.currentWidget() is not window.staff:
            window.flow = None  # a form opened in the first instant could never be kept
            window.show_home()  # out of service: no tiles, a plain word for staff
        if start_sync and result[1]:
            _start_sync(window, h)

    def catalog_loaded(_catalog: Any) -> None:
        if window.stack.currentWidget() is window.home:
            window.render_home()  # broken forms drop out; staff see why

    def after_first_paint() -> None:
        # Opening the store imports the crypto stack, and the full catalog load checks
        # every form: both would otherwise hold up the home screen.
        bridge.run_net(Operation(services.load_catalog, catalog_loaded, label="catalog"))
        def startup() -> tuple[int, bool]:
            if services.check_secrets():
                return 0, False  # out of service: nothing can be opened or saved safely
            pending = services.startup()
            enrolled = services.check_enrolled()
            return pending, services.check_odk() or enrolled  # sync runs for either server

        bridge.run_db(Operation(startup, started, label="startup"))
        kiosk.startup_queued = True

    QTimer.singleShot(0, after_first_paint)
    return kiosk


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


def run(args: argparse.Namespace) -> int:
    """``kiosk``: full screen on a kiosk; ``KIOSK_WINDOWED=1`` for a window (development).

    SIGTERM/SIGINT end it like staff's "close": the open draft is saved, workers stop,
    and the exit code is 128 + the signal's number.
    """
    from ui import qtlog
    from ui.stop_signals import QuitOnSignals

    check_platform(getattr(args, "lang", None))
    qtlog.install()
    kiosk = build(home(getattr(args, "home", None)), getattr(args, "lang", None), start_sync=True)
    window = kiosk.window
    if os.environ.get("KIOSK_WINDOWED") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        window.show()
    else:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.locked = True
        window.showFullScreen()
    launched = int(os.environ.get("KIOSK_LAUNCH_NS", "0") or 0)
    if launched or os.environ.get("KIOSK_EXIT_WHEN_READY"):
        # The cold-start benchmark (and tests): say when home is shown and the event loop runs.
        def ready() -> None:
            if launched:
                print(f"kiosk-ready-ms={(time.time_ns() - launched) / 1e6:.1f}", flush=True)
            if os.environ.get("KIOSK_EXIT_WHEN_READY"):
                kiosk.app.quit()

        QTimer.singleShot(0, ready)
    with QuitOnSignals(kiosk.app.quit) as stop:
        code = kiosk.app.exec()
    kiosk.close()
    if stop.received:
        log.info("kiosk stopped by signal %d", stop.received)
        return stop.exit_code
    return int(code)


__all__ = ["Kiosk", "application", "build", "run", "Any"]
