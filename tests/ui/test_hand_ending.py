"""Ending the kiosk: a stop signal in locked-down kiosk mode saves the draft and exits
within 5 s with 128 + the signal; staff "close the kiosk program" asks first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _line(proc: subprocess.Popen, deadline: float) -> str:  # type: ignore[type-arg]
    """What the child printed, once it says "typed" (or the deadline passed)."""
    import select

    assert proc.stdout is not None
    fd, got = proc.stdout.fileno(), b""
    while time.monotonic() < deadline and b"typed" not in got:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            got += chunk
    return got.decode("utf-8", "replace")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_in_kiosk_mode_saves_the_draft_and_exits(isolated_home: Path, signum: int) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", KIOSK_TTS_ENGINE="mock", PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "ui" / "stop_child.py"), str(isolated_home)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    try:
        out = _line(proc, time.monotonic() + 60)
        assert "typed" in out, (out, proc.poll())
        proc.send_signal(signum)
        sent = time.monotonic()
        code = proc.wait(timeout=5)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 128 + signum, (code, proc.stderr.read().decode() if proc.stderr else "")
    assert took < 5
    from kiosk.paths import Home
    from kiosk.store import Store

    with Store.open(Home(isolated_home)) as store:
        drafts = store.drafts()
        assert [d.form_id for d in drafts] == ["livestock-census"]
