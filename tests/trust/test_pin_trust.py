"""The staff PIN against a copied DB, parallel guessing and clock changes (issue 10).

Real processes share one real database: eight wrong attempts at once must all
count; the lockout is elapsed time, so a clock set back a day (faketime) does
not lock staff out for a day; `kiosk pin set` over a PIN needs that PIN or an
audited --reset; without a terminal it says so in one line.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from kiosk.paths import Home
from kiosk.pin import FREE_ATTEMPTS, MAX_LOCK_SECONDS, check_for_ui, set_pin
from kiosk.store import Store
from tests.conftest import REPO

ATTEMPT = r"""
import json, sys
from kiosk.paths import Home
from kiosk.pin import check_for_ui
result = check_for_ui(Home(__import__("pathlib").Path(sys.argv[1])), sys.argv[2])
print(json.dumps([result.outcome, result.seconds]))
"""


def _attempt(home, pin: str, *, offset: str | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-c", ATTEMPT, str(home), pin]
    env = dict(os.environ)
    if offset:
        cmd = [shutil.which("faketime") or "faketime", "-f", offset, *cmd]
        env["DONT_FAKE_MONOTONIC"] = "1"
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO, env=env)


def _result(proc: subprocess.Popen) -> tuple[str, int]:
    """(outcome, seconds to wait when locked) of one attempt."""
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    outcome, seconds = json.loads(out)
    return outcome, seconds


def test_parallel_wrong_attempts_from_several_processes_each_count(isolated_home):
    with Store.open(Home(isolated_home)) as store:
        set_pin(store, "482913")
    procs = [_attempt(isolated_home, "000000") for _ in range(8)]
    results = [_result(p) for p in procs]
    wrong = [r for r in results if r == ("wrong", 0)]
    locked = [r for r in results if r[0] == "locked"]
    assert len(wrong) + len(locked) == 8, results
    assert len(wrong) <= FREE_ATTEMPTS  # no more guesses than the limit allows
    with Store.open(Home(isolated_home)) as store:
        state = store.get_setting("staff_pin_attempts")
        failed = store.read("SELECT COUNT(*) FROM audit_log WHERE event = 'staff_login_failed'")
    assert state["failures"] == len(wrong) == failed[0][0]  # every checked guess counted


@pytest.mark.needs_programs("faketime")
def test_lockout_is_elapsed_time_whatever_the_clock_says(isolated_home):
    with Store.open(Home(isolated_home)) as store:
        set_pin(store, "482913")
    for _ in range(FREE_ATTEMPTS):
        assert _result(_attempt(isolated_home, "000000")) == ("wrong", 0)
    outcome, seconds = _result(_attempt(isolated_home, "482913", offset="-1d"))  # clock set back
    assert outcome == "locked"
    assert seconds <= 30  # the lock's own length, not a day
    outcome, seconds = _result(_attempt(isolated_home, "482913", offset="+1d"))  # clock forward
    assert outcome == "locked"  # the boot clock has not moved on
    assert seconds <= 30
    assert MAX_LOCK_SECONDS <= 3600


def test_copied_db_holds_only_a_costly_verifier(isolated_home, tmp_path):
    """The DB holds scrypt at N=2^16, r=8, p=3 (>= 0.25 s a guess; the figure is in
    `kiosk bench`), never anything cheaper to test a guess against."""
    with Store.open(Home(isolated_home)) as store:
        set_pin(store, "482913")
    copy = tmp_path / "stolen.db"
    shutil.copyfile(isolated_home / "kiosk.db", copy)
    raw = sqlite3.connect(copy).execute(
        "SELECT value FROM settings WHERE key = 'staff_pin'").fetchone()[0]
    record = json.loads(raw)
    assert "482913" not in raw
    assert record["kdf"] == "scrypt" and record["n"] >= 2**16 and record["r"] >= 8
    assert record["p"] >= 3
    assert check_for_ui(Home(isolated_home), "482913").ok


def _cli(*args: str, input: str | None = None, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=stdin is None,
                          stdout=subprocess.PIPE if stdin is not None else None,
                          stderr=subprocess.PIPE if stdin is not None else None,
                          text=True, input=input, stdin=stdin, cwd=REPO, timeout=120)


def test_pin_set_over_a_pin_needs_it_or_an_audited_reset(isolated_home):
    assert _cli("pin", "set", "--stdin", input="482913\n").returncode == 0
    bad = _cli("pin", "set", "--stdin", "--lang", "en", input="111111\n222222\n")
    assert bad.returncode == 1 and "current PIN is wrong" in bad.stderr
    assert bad.stderr.count("\n") == 1
    assert check_for_ui(Home(isolated_home), "482913").ok  # unchanged
    good = _cli("pin", "set", "--stdin", input="482913\n222222\n")
    assert good.returncode == 0, good.stderr
    assert check_for_ui(Home(isolated_home), "222222").ok
    reset = _cli("pin", "set", "--stdin", "--reset", input="333333\n")
    assert reset.returncode == 0, reset.stderr
    with Store.open(Home(isolated_home)) as store:
        events = [r[0] for r in store.read("SELECT event FROM audit_log ORDER BY seq")]
    assert events.count("staff_pin_reset") == 1
    assert check_for_ui(Home(isolated_home), "333333").ok


def test_pin_set_without_a_terminal_is_one_line(isolated_home):
    out = _cli("pin", "set", "--lang", "en", stdin=subprocess.DEVNULL)
    assert out.returncode == 4, out.stderr
    assert "No terminal" in out.stderr and out.stderr.count("\n") == 1
    assert "Warning" not in out.stderr and "Traceback" not in out.stderr


def test_unicode_digits_are_not_a_pin(isolated_home):
    out = _cli("pin", "set", "--stdin", "--lang", "en", input="١٢٣٤٥٦\n")
    assert out.returncode == 1 and "0-9" in out.stderr
