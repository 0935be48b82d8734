"""A full disk (a file-size limit, RLIMIT_FSIZE, in a child) during commits: a clear
one-line error, and nothing that was saved before is lost."""

from __future__ import annotations

import json
import subprocess
import sys

from kiosk.paths import home
from kiosk.store import Store
from tests.conftest import REPO


def test_disk_full_during_commit_is_clear_and_loses_nothing(isolated_home, agency):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.store.diskfull_child",
            str(isolated_home),
            json.dumps(agency[1]),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, proc.stderr
    assert not any("never_failed" in e for e in events), "the size limit never bit"
    [error] = [e for e in events if "error" in e]
    assert error["exit_code"] == 5  # StorageError
    message = error["error"]
    assert "\n" not in message and "kiosk.db" in message
    assert "disk" in message or "full" in message
    saved = [e["saved"] for e in events if "saved" in e]
    [draft] = [e["draft"] for e in events if "draft" in e]
    assert len(saved) >= 5
    with Store.open(home(isolated_home)) as store:
        assert store.integrity_check() == "ok"
        for sid in saved:
            assert store.envelope(sid) is not None
        assert store.load_draft(draft).answers == {"kept": True}
        if error["draft_after_error"]:  # the finalize that failed kept its draft
            assert store.load_draft(error["draft_after_error"]).answers == {"i": error["at"]}
            assert "draft is kept" in message
        assert store.verify_audit().ok
        # and the kiosk goes on working once there is room again
        assert store.save_draft(None, form_id="f", form_version="1", answers={})
