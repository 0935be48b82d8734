"""Building the kiosk window (``kiosk`` with no sub-command: app.start.run calls it).

:func:`build` makes the whole window without showing it, so ``kiosk
screenshots``, the benchmarks and the tests start the exact same thing the
resident sees. Starting the process around it (signals, full screen, the sync
loop) is the composition root's job: app/start.py.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import load_config
from kiosk.paths import Home, home
from ui import theme
from ui.bridge import Bridge, Operation
from ui.qt import QApplication
from ui.services import DoctorRun, Services
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


def build(kiosk_home: Home | None = None, lang: str | None = None,
          start_sync: Callable[[KioskWindow, Home], None] | None = None,
          doctor: DoctorRun | None = None) -> Kiosk:
    """The kiosk window, themed, with the home screen only; not shown yet.

    The rest (catalog, store, secrets, the other screens) comes after the first paint
    or on first use: ui.startup, ui.screens. ``start_sync`` (given by app.start on a
    real kiosk) starts the background sync loop once start-up finds a server to sync with;
    ``doctor`` (app.doctor.run_checks) is what the staff diagnostics screen runs.
    """
    app = application()
    h = (kiosk_home or home()).ensure()
    config = load_config(h.config_file)
    prefs = Prefs(lang or config.language)
    theme.apply(app, prefs.theme, prefs.scale)
    services = Services(h, config, doctor)
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
        if start_sync is not None and result[1]:
            start_sync(window, h)

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


__all__ = ["Kiosk", "application", "build", "Any"]
