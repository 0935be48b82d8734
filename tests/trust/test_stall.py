"""A dead link is noticed by progress, not by size (issue 10).

The fault proxy plays a 2G link (8 kB/s, 300 ms each way) that goes black in
the middle of the batch upload: no reset, no FIN, no reply. The old client
waited 30 s + body ÷ 2,000 B/s; now `kiosk sync --once` (a real process) gives
up after ``sync_stall_seconds`` of silence and says the outcome is unknown.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import enrolled_kiosk, finalize

SUBMIT = b"POST /v1/submissions"
STALL = 3


def test_black_hole_mid_batch_ends_the_round_at_the_stall_bound(server, isolated_home):
    proxy = FaultProxy.to_url(server.url, latency=0.3, bandwidth=8000.0)
    try:
        kiosk = enrolled_kiosk(server, isolated_home, url=proxy.url)
        (kiosk.home.config_file).write_text(f"sync_stall_seconds = {STALL}\n", "utf-8")
        with kiosk.store() as store:
            ids = finalize(kiosk, store, 176, size=1500)
        proxy.inject(Fault("blackhole", at=0, match=SUBMIT))
        try:
            out = subprocess.run(
                [sys.executable, "-m", "app", "--lang", "en", "sync", "--once",
                 "--no-catalog", "--home", str(kiosk.home.root)],
                capture_output=True, text=True, cwd=REPO, timeout=25)
        except subprocess.TimeoutExpired:
            raise AssertionError("the sync round was still blocked on a dead link after 25 s "
                                 f"(stall bound {STALL} s)") from None
        assert out.returncode == 6, out.stdout + out.stderr
        assert "stalled" in out.stdout + out.stderr
        assert "Traceback" not in out.stdout + out.stderr
        with kiosk.store() as store:
            counts = store.counts()
            assert counts["acknowledged"] == 0
            assert counts["sealed"] + counts["queued"] + counts["sent"] == len(ids)
    finally:
        proxy.stop()


def test_batches_follow_the_measured_rate():
    from sync.client import CentralClient

    client = CentralClient("http://127.0.0.1:9", timeout=20)
    assert client.bytes_per_request(512 * 1024) == 32 * 1024  # unmeasured: a small first one
    client.state.note_rate(40_000, 5.0)  # 8 kB/s
    assert 30_000 <= client.bytes_per_request(512 * 1024) <= 45_000  # ~5 s of the link
    client.state.link_bytes_per_s = 50e6  # loopback
    assert client.bytes_per_request(512 * 1024) == 512 * 1024
    client.close()
