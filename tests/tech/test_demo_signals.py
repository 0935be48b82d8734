"""``kiosk demo`` as a real process: SIGTERM/SIGINT stop its server child and remove its folder.

The demo runs with its UI offscreen and its temporary folder under this test's TMPDIR;
the server child is found in /proc before the signal and must be gone after.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(x) for x in text)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _survivors(pids: set[int], timeout: float = 10.0) -> list[tuple[int, str]]:
    """Children still running once the demo is gone (polled with a deadline: one that was
    being spawned as the signal came gets its SIGTERM from the kernel as the demo exits)."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [(pid, _cmdline(pid)) for pid in pids if _alive(pid)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)  # polling with a deadline


class Demo:
    def __init__(self, tmp: Path) -> None:
        env = dict(os.environ, TMPDIR=str(tmp), QT_QPA_PLATFORM="offscreen",
                   KIOSK_LAUNCH_NS=str(time.time_ns()))
        env.pop("KIOSK_EXIT_WHEN_READY", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "--lang", "en", "demo"], cwd=REPO,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self.err = ""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.out.append(line)
            self.lines.put(line)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        self.err = self.proc.stderr.read()

    def wait_for(self, text: str, timeout: float = 150) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if text in line:
                return line
        self.proc.kill()
        raise AssertionError(f"no {text!r} from the demo: {''.join(self.out)}\n{self.err}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_while_the_ui_runs_cleans_everything_up(tmp_path: Path, signum: int) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    demo = Demo(tmp)
    demo.wait_for("kiosk-ready-ms=")  # the UI's event loop is running
    servers = _children(demo.proc.pid)
    assert servers, "the demo's kiosk-central child was not found"
    assert [p.name for p in tmp.iterdir() if p.name.startswith("kiosk-demo-")]
    demo.proc.send_signal(signum)
    code = demo.proc.wait(timeout=90)
    assert code == 128 + signum, demo.err
    assert not _survivors(servers), "a child outlived the demo"
    assert not [p for p in tmp.iterdir() if p.name.startswith("kiosk-demo-")], "temporary folder left"
    assert "Traceback" not in demo.err
    out = "".join(demo.out)
    assert "Staff PIN (this demo only): " in out  # the known demo PIN is said
    # Qt's harmless noise stays out of the console (the offscreen window triggers it).
    assert "propagateSizeHints" not in demo.err


def test_sigterm_before_the_ui_still_cleans_up(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    demo = Demo(tmp)
    demo.wait_for("Demo server:")  # server up; enrolling or opening the UI now
    servers = _children(demo.proc.pid)
    demo.proc.send_signal(signal.SIGTERM)
    code = demo.proc.wait(timeout=90)
    assert code == 128 + signal.SIGTERM, demo.err
    assert not _survivors(servers)
    left = [str(f.relative_to(tmp)) for f in tmp.rglob("*")]
    logs = [f.read_text(errors="replace")[-1500:] for f in tmp.rglob("*.log")]
    assert not left, (left, logs, demo.err[-2000:])
    assert "Traceback" not in demo.err


def test_a_stop_inside_a_held_section_waits_for_the_section_to_end() -> None:
    """The stop handler may run in the main thread in the middle of starting a child (the
    kernel gave the signal to another thread): it is noted, and raised once the child is
    recorded, so the clean-up knows to stop it."""
    from app import demo

    recorded: list[str] = []
    demo._pending.clear()
    demo._finished.set()  # the watchdog the handler arms must find the demo finished
    with pytest.raises(demo.DemoStopped) as stopped:
        with demo._signals_held():
            demo._raise_stopped(signal.SIGTERM, None)  # as Python runs it at a bytecode
            recorded.append("child")
    assert recorded == ["child"] and stopped.value.signum == signal.SIGTERM
    assert demo._holding == [0] and not demo._pending
