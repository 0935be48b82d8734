"""The background sync loop the UI drives: plain thread, events and callbacks (no Qt).

``start()`` / ``stop()``; ``wake()`` is "sync now"; ``on_status(status)`` is
called from the loop thread after every round (the UI's bridge re-posts it to
the Qt thread). While the link is down the loop probes with a short, capped
backoff so sending starts within seconds of the link returning; when the server
is busy it backs off exponentially (full jitter); when the server refuses the
device it stops sending until woken by staff.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.report import RoundReport
from sync.retry import full_jitter
from sync.state import LINK_TROUBLE, RoundState

log = logging.getLogger("sync.loop")

OFFLINE_BASE, OFFLINE_CAP = 1.0, 5.0
BUSY_BASE, BUSY_CAP = 5.0, 600.0


@dataclass
class SyncStatus:
    state: str = RoundState.STARTING  # a RoundState value
    counts: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None  # in English, for logs
    last_error_key: str | None = None  # the same in the catalog, for the reader's language
    last_error_params: dict[str, str] = field(default_factory=dict)
    last_success_at: float | None = None
    skew_seconds: float | None = None
    next_round_in: float | None = None
    rounds: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class SyncLoop:
    """Runs ``run_round()`` (returns a RoundReport) again and again in one thread.

    ``run_round`` is usually ``SyncEngine.run_once`` built inside the thread by
    ``make_round`` (so the store's SQLite connection belongs to that thread).
    """

    def __init__(
        self,
        make_round: Callable[[], Callable[[], RoundReport]],
        *,
        interval: float = 30.0,
        on_status: Callable[[SyncStatus], None] | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.make_round = make_round
        self.interval = max(interval, 0.5)
        self.on_status = on_status
        self.rng = rng
        self.status = SyncStatus()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sync-loop", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    def wake(self) -> None:
        """"Sync now": run a round at once (also after an auth failure)."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def _delay(self, report: RoundReport) -> float | None:
        if report.state == RoundState.OK:
            self._failures = 0
            return self.interval
        self._failures += 1
        if report.state in LINK_TROUBLE:
            return max(0.2, full_jitter(self._failures, OFFLINE_BASE, OFFLINE_CAP, self.rng))
        if report.state == RoundState.AUTH:
            return None  # wait for staff ("sync now") — never hammer a server that refused us
        return max(1.0, full_jitter(self._failures, BUSY_BASE, BUSY_CAP, self.rng))

    def _prepare(self) -> Callable[[], RoundReport] | None:
        """The round function, or None (status says why) — e.g. not enrolled yet."""
        from kiosk.errors import ConfigError

        try:
            return self.make_round()
        except ConfigError as exc:  # not enrolled / no device key: wait for staff
            self.status.state, self.status.last_error = RoundState.NOT_ENROLLED, str(exc)
            self.status.last_error_key = exc.key
            self.status.last_error_params = {k: str(v) for k, v in exc.params.items()}
        except Exception as exc:  # noqa: BLE001 - report, never crash the UI
            log.error("sync loop could not start: %s", exc)
            self.status.state, self.status.last_error = RoundState.ERROR, str(exc)
        self.status.next_round_in = None
        self._emit()
        return None

    def _run(self) -> None:
        run_round = None
        while run_round is None:
            run_round = self._prepare()
            if run_round is None:
                self._wake.wait()  # "sync now" after enrolment tries again
                self._wake.clear()
                if self._stop.is_set():
                    return
        while not self._stop.is_set():
            self._wake.clear()
            try:
                report = run_round()
            except Exception as exc:  # noqa: BLE001 - keep looping; say what went wrong
                log.exception("sync round failed")
                report = RoundReport(state=RoundState.ERROR, error=f"{type(exc).__name__}: {exc}")
            delay = self._delay(report)
            self.status.rounds += 1
            self.status.state = report.state
            self.status.counts = report.counts
            self.status.skew_seconds = report.skew_seconds
            self.status.next_round_in = delay
            if report.state == RoundState.OK:
                self.status.last_success_at = time.time()
                self.status.last_error = None
            else:
                self.status.last_error = report.error
            self.status.last_error_key = None if report.state == RoundState.OK else report.error_key
            self.status.last_error_params = dict(report.error_params)
            self._emit()
            self._wake.wait(delay)

    def _emit(self) -> None:
        if self.on_status:
            try:
                self.on_status(self.status)
            except Exception:  # noqa: BLE001 - a UI callback must not stop sync
                log.exception("sync status callback failed")
