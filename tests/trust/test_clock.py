"""Clock jumps both ways between a failed send and the next round (issue 10).

Real processes under libfaketime (``faketime``): a kiosk whose clock is 30
days ahead fails a send (link reset) and schedules its retry; the clock is then
corrected (NTP after a dead battery) and the next ``kiosk sync --once`` must
deliver, not wait 30 days. The same with the clock 30 days behind. ``kiosk
doctor`` must see the stranded queue before that round.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import enrolled_kiosk, finalize, server_ids

SUBMIT = b"POST /v1/submissions"
FAKETIME = shutil.which("faketime")
pytestmark = pytest.mark.needs_programs("faketime")


def _kiosk(home, *args: str, offset: str | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "app", "--lang", "en", *args, "--home", str(home)]
    env = dict(os.environ)
    if offset:
        cmd = [str(FAKETIME), "-f", offset, *cmd]
        env["DONT_FAKE_MONOTONIC"] = "1"  # the jump is in the wall clock, as NTP makes it
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=120)


@pytest.mark.parametrize("offset", ["+30d", "-30d"])
def test_retry_scheduled_under_a_wrong_clock_is_delivered_after_correction(
        server, isolated_home, offset):
    with FaultProxy.to_url(server.url) as proxy:
        kiosk = enrolled_kiosk(server, isolated_home, url=proxy.url)
        with kiosk.store() as store:
            ids = finalize(kiosk, store, 3)
        proxy.inject(Fault("reset_up", at=0, match=SUBMIT))
        wrong = _kiosk(kiosk.home.root, "sync", "--once", "--no-catalog", offset=offset)
        assert wrong.returncode == 6, wrong.stdout + wrong.stderr
        with kiosk.store() as store:
            assert store.counts()["queued"] == 3

        doctor = _kiosk(kiosk.home.root, "doctor", "--json")
        checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
        if offset.startswith("+"):
            assert checks["queue"]["status"] == "warn", checks["queue"]
            assert "far ahead" in checks["queue"]["message"]

        right = _kiosk(kiosk.home.root, "sync", "--once", "--no-catalog")
        assert right.returncode == 0, right.stdout + right.stderr
        with kiosk.store() as store:
            assert store.counts()["acknowledged"] == 3
        assert sorted(server_ids(server)) == sorted(ids)


def test_doctor_flags_a_clock_before_the_build_date(isolated_home):
    out = _kiosk(isolated_home, "doctor", "--json", offset="@2020-01-01 12:00:00")
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["clock"]["status"] == "fail"
    assert "release date" in checks["clock"]["message"]


def test_queue_due_but_not_moving_is_flagged(server, isolated_home):
    import time

    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        [sid] = finalize(kiosk, store, 1)
        store.schedule_retry(sid, "link down", time.time() - 7200)
        with store.write() as conn:  # finalized 3 h ago, due for 2 h, never sent since
            conn.execute("UPDATE submissions SET finalized_at = ? WHERE id = ?",
                         (time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                        time.gmtime(time.time() - 3 * 3600)), sid))
    out = _kiosk(kiosk.home.root, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["queue"]["status"] == "warn"
    assert "not moving" in checks["queue"]["message"]
