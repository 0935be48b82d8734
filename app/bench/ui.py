"""UI bench (``kiosk bench --only ui``): start-up, opening and walking a big form, GUI stalls.

* ``cold_start_ms``: ``python -m app`` in a fresh process (offscreen) from just before
  the process is spawned until the home screen's first paint has been delivered (the
  event-loop turn after the window's first paint event) — median of several starts.
* ``cold_start_cpu_ms``: the CPU time the kiosk process used until that first paint
  (``time.process_time``): on a busy machine wall time also counts the waits for a core.
* ``cold_start_ready_ms``: the same starts until the kiosk is ready for a resident: the
  full catalog loaded and checked, the store opened, secrets and enrolment read.
* ``open_form_300q_ms``: opening a 300-question form (synthetic, from the forms bench)
  until its first screen is rendered.
* ``next_ms``: pressing Next on that form until the following screen has been painted —
  validation, skip-logic re-evaluation, building the screen, layout and the paint (the
  event-loop turn after the first paint event of the window's widgets), median and p95
  over every screen. ``next_logic_ms`` is the part before layout and paint (what
  ``go_next()`` itself takes), reported beside it.
* ``gui_stall_max_ms``: the longest gap between 1 ms timer ticks on the GUI thread while
  the DB worker saves drafts and seals submissions in the background.

Everything runs in ``workdir``: its own data folder, a throwaway data key and device
key — never the kiosk's database or keyring.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGETS = {"cold_start_ms": 400.0, "open_form_300q_ms": 30.0, "next_ms": 16.0, "gui_stall_max_ms": 50.0}
REPO = Path(__file__).resolve().parent.parent


def _cold_start(workdir: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    """(first paint, ready, CPU until first paint) in ms for ``runs`` fresh starts."""
    painted: list[float] = []
    ready: list[float] = []
    cpu: list[float] = []
    from kiosk.secrets import scratch_secrets

    cold = workdir / "cold-home"
    with scratch_secrets(cold):  # never the OS keyring (a build machine may have none)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", KIOSK_EXIT_WHEN_READY="1",
                   KIOSK_HOME=str(cold), PYTHONPATH=str(REPO))
    for _ in range(runs):
        env["KIOSK_LAUNCH_NS"] = str(time.time_ns())
        done = subprocess.run([sys.executable, "-m", "app"], env=env, capture_output=True, text=True,
                              timeout=120, cwd=REPO)
        figures = dict(line.split("=", 1) for line in done.stdout.splitlines()
                       if line.startswith(("kiosk-painted-ms=", "kiosk-ready-ms=", "kiosk-painted-cpu-ms=")))
        if done.returncode != 0 or len(figures) != 3:
            raise RuntimeError(f"kiosk did not start: {done.stderr.strip().splitlines()[-1:]}")
        painted.append(float(figures["kiosk-painted-ms"]))
        ready.append(float(figures["kiosk-ready-ms"]))
        cpu.append(float(figures["kiosk-painted-cpu-ms"]))
    return painted, ready, cpu


def _bench_catalog(workdir: Path) -> Path:
    """The bundled catalog plus one synthetic 300-question form."""
    import shutil

    from app.bench.forms import synthetic_form
    from kiosk.paths import bundled_catalog_dir

    folder = workdir / "catalog"
    shutil.copytree(bundled_catalog_dir(), folder, dirs_exist_ok=True)
    catalog = json.loads((folder / "catalog.json").read_text("utf-8"))
    form = synthetic_form(300)
    form["category"] = catalog["categories"][0]["id"]
    form["agency"] = next(iter(catalog["agencies"]))
    (folder / "forms" / "synthetic-300.json").write_text(json.dumps(form, ensure_ascii=False), "utf-8")
    return folder


def _answer(flow: Any, entry: Any) -> Any:
    kind = entry.type
    if kind == "integer":
        return 3 if entry.name.endswith("_hub") else 1
    if kind == "text":
        return "x"
    if kind == "date":
        return "2020-01-01"
    if kind == "select_one":
        choices = flow.choices(entry)
        return choices[0].value if choices else None
    return None


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _in_process(workdir: Path, quick: bool) -> dict[str, Any]:
    from kiosk.paths import Home
    from kiosk.secrets import scratch_secrets

    home = Home(workdir / "home").ensure()
    home.config_file.write_text(f'catalog_dir = "{_bench_catalog(workdir).as_posix()}"\n', "utf-8")
    with scratch_secrets(home.root):  # never the OS keyring (a build machine may have none)
        return _walk(home, workdir, quick)


def _walk(home: Any, workdir: Path, quick: bool) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.app import build
    from ui.screenshots import settle

    previous = os.environ.get("KIOSK_HOME")
    os.environ["KIOSK_HOME"] = str(home.root)
    try:
        kiosk = build(home, "mn")
        window = kiosk.window
        window.show()
        _private_store(kiosk, workdir)
        settle(lambda: kiosk.bridge.is_idle())
        figures: dict[str, Any] = {}

        opens: list[float] = []
        for _ in range(3 if quick else 10):
            started = time.perf_counter()
            flow = window.open_form("synthetic-300")
            opens.append((time.perf_counter() - started) * 1000)
            window.wipe(discard=True)
            settle()
        figures["open_form_300q_ms"] = round(statistics.median(opens), 2)

        flow = window.open_form("synthetic-300")
        assert flow is not None
        nexts: list[float] = []
        logic: list[float] = []
        limit = 60 if quick else 400
        paints = _PaintWatch(window)
        while len(nexts) < limit:
            for entry in flow.entries():
                value = _answer(flow, entry)
                if value is not None:
                    flow.set_answer(entry, value)
            at_end = flow.is_last
            settle()
            paints.arm()
            started = time.perf_counter()
            window.form.go_next()
            logic.append((time.perf_counter() - started) * 1000)
            painted = paints.wait()
            nexts.append((painted - started) * 1000)
            if at_end:
                break
            settle()
        paints.close()
        figures["next_ms"] = round(statistics.median(nexts), 2)
        figures["next_p95_ms"] = round(_percentile(nexts, 95), 2)
        figures["next_logic_ms"] = round(statistics.median(logic), 2)
        figures["next_logic_p95_ms"] = round(_percentile(logic, 95), 2)
        figures["next_screens"] = len(nexts)
        window.wipe(discard=True)
        settle(lambda: kiosk.bridge.is_idle())
        figures.update(_stalls(kiosk, quick))
        settle(lambda: kiosk.bridge.is_idle())
        kiosk.close()
        return figures
    finally:
        if previous is None:
            os.environ.pop("KIOSK_HOME", None)
        else:
            os.environ["KIOSK_HOME"] = previous


class _PaintWatch:
    """When the window's next frame is on screen: the loop turn after its first paint event."""

    def __init__(self, window: Any) -> None:
        from ui.qt import QApplication, QEvent, QObject

        watch = self
        paint = QEvent.Type.Paint

        class _Filter(QObject):
            def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt override
                if watch.armed and event.type() == paint and hasattr(obj, "window") \
                        and obj.window() is window:
                    watch.armed = False
                    watch.seen = True
                return False

        self.armed = False
        self.seen = False
        app = QApplication.instance()
        assert app is not None, "the kiosk window was built, so the application exists"
        self._app = app
        self._filter = _Filter()
        self._app.installEventFilter(self._filter)

    def arm(self) -> None:
        self.armed, self.seen = True, False

    def wait(self, timeout: float = 10.0) -> float:
        """perf_counter() once the painted frame's event-loop turn has finished."""
        deadline = time.monotonic() + timeout
        while not self.seen and time.monotonic() < deadline:
            self._app.processEvents()
        self._app.processEvents()  # the rest of the update that paint belonged to
        if not self.seen:
            raise RuntimeError("the next screen was never painted")
        return time.perf_counter()

    def close(self) -> None:
        self._app.removeEventFilter(self._filter)


def _sealing(kiosk: Any, session: Any) -> Callable[[], Any]:
    """One finalize of ``session`` as a DB-worker job (bound now, not at the loop's end)."""
    def seal() -> Any:
        return kiosk.services.finalize(None, session)
    return seal


def _private_store(kiosk: Any, workdir: Path) -> None:
    """A store with a throwaway data key and device key, opened on the DB worker."""
    from joserfc.jwk import OKPKey

    from kiosk.device import DeviceIdentity
    from kiosk.store import Store
    from ui.bridge import Operation

    def open_store() -> None:
        kiosk.services._store = Store(workdir / "bench.db", data_key=os.urandom(32))
        key = OKPKey.generate_key("Ed25519")
        kiosk.services._device = DeviceIdentity.from_private_jwk(key.as_dict(private=True))

    kiosk.bridge.run_db(Operation(open_store, label="bench store"))


def _stalls(kiosk: Any, quick: bool) -> dict[str, Any]:
    """Longest GUI-thread gap while drafts are saved and forms sealed in the background."""
    from ui.bridge import Operation
    from ui.examples import open_example
    from ui.qt import QTimer
    from ui.screenshots import settle

    window = kiosk.window
    flow = open_example(window, "livestock-census")  # no attachments: every seal stands alone
    assert flow is not None
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(tick)
    jobs = 100 if quick else 400
    done = [0]
    sealed = [0]
    for i in range(jobs):
        work = window.draft_job(flow)
        kiosk.bridge.run_db(Operation(work, lambda _r: done.__setitem__(0, done[0] + 1), label="bench draft"))
        if i % 10 == 9:
            kiosk.bridge.run_db(Operation(_sealing(kiosk, flow.s),
                                          lambda _r: sealed.__setitem__(0, sealed[0] + 1), label="bench seal"))
    last[0] = time.perf_counter()
    timer.start()
    started = time.perf_counter()
    settle(lambda: kiosk.bridge.is_idle(), timeout=120)
    elapsed = time.perf_counter() - started
    timer.stop()
    window.wipe(discard=True)
    settle()
    return {
        "gui_stall_max_ms": round(max(gaps) if gaps else 0.0, 2),
        "gui_stall_p99_ms": round(_percentile(gaps, 99) if gaps else 0.0, 2),
        "background_drafts": done[0],
        "background_seals": sealed[0],
        "background_seconds": round(elapsed, 2),
    }


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    painted, ready, cpu = _cold_start(workdir, 3 if quick else 7)
    figures["cold_start_ms"] = round(statistics.median(painted), 1)
    figures["cold_start_runs_ms"] = [round(s, 1) for s in painted]
    figures["cold_start_cpu_ms"] = round(statistics.median(cpu), 1)
    figures["cold_start_ready_ms"] = round(statistics.median(ready), 1)
    figures["cold_start_ready_runs_ms"] = [round(s, 1) for s in ready]
    figures.update(_in_process(workdir, quick))
    for name, target in TARGETS.items():
        figures[f"{name}_target"] = target
        figures[f"{name}_ratio"] = round(float(figures[name]) / target, 3)
    return figures
