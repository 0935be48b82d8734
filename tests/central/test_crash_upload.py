"""A server crash mid-attachment never blocks a submission: real SIGKILLs of a real
``kiosk-central serve`` at the two moments of issue 9, then a real kiosk sync that
delivers. Plus the on-disk states an older server left behind at those moments."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.paths import Home
from tests.central.conftest import SQLITE_ONLY
from tests.sync.helpers import Kiosk, engine, enroll_code

REPO = Path(__file__).resolve().parents[2]
BLOB = 600 * 1024
CRASH_ENV = "KIOSK_CENTRAL_TEST_CRASH_AT"  # central.attachments: SIGKILL at a named moment  # three upload chunks of at most 256 KB


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(data: Path, port: int, crash_at: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    proc = subprocess.Popen(
        [sys.executable, "-m", "central.cli", "serve", "--port", str(port), "--data", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    line = proc.stdout.readline() if proc.stdout else ""
    assert "listening on" in line, line + (proc.stderr.read(2000) if proc.stderr else "")
    return proc


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def _code(data: Path) -> str:
    res = subprocess.run([sys.executable, "-m", "central.cli", "enroll-code", "--json",
                          "--data", str(data)], capture_output=True, text=True, cwd=REPO,
                         timeout=60)
    return str(json.loads(res.stdout)["code"])


def _kiosk_with_photo(home_root: Path, url: str, code: str) -> tuple[Kiosk, str]:
    from kiosk.device import load_device
    from kiosk.secrets import open_secrets
    from sync.enrol import enroll

    home = Home(home_root).ensure()
    enroll(home, url, code)
    catalog = json.loads((home.catalog / "catalog.json").read_text("utf-8"))
    agency = next(iter(catalog["agencies"].values()))
    kiosk = Kiosk(home, load_device(open_secrets(home.root)), agency["keys"][0])
    with kiosk.store() as store:
        draft = store.save_draft(None, form_id="test-form", form_version="1", answers={})
        value = store.add_attachment(draft, os.urandom(BLOB), name="scan.png",
                                     media_type="image/png", max_bytes=10**7)
        env = store.finalize({"form_id": "test-form", "form_version": "1",
                              "answers": {"scan": value}}, device=kiosk.device,
                             agency_jwk=kiosk.agency_jwk, demo=False, draft_id=draft)
    return kiosk, env.submission_id


def _later() -> float:
    return time.time() + 7200  # past any retry the first round scheduled


@pytest.mark.parametrize("moment", ["attachment-appended", "attachment-before-seal"])
def test_sigkill_mid_attachment_then_next_sync_delivers(tmp_path, isolated_home, moment):
    data, port = tmp_path / "central", _free_port()
    proc = _serve(data, port, crash_at=moment)
    try:
        kiosk, sid = _kiosk_with_photo(isolated_home, f"http://127.0.0.1:{port}", _code(data))
        with kiosk.store() as store:
            report = engine(kiosk, store, pull_catalog=False).run_once()
            assert report.state in ("outcome-unknown", "offline"), report.as_dict()
            assert proc.wait(timeout=30) == -signal.SIGKILL  # it died exactly there
            assert store.counts()["rejected"] == 0
    finally:
        _stop(proc)
    proc = _serve(data, port)  # restarted, no hook
    try:
        with kiosk.store() as store:
            report = engine(kiosk, store, pull_catalog=False, clock=_later).run_once()
            assert report.state == "ok", report.as_dict()
            assert report.accepted == 1 and report.rejected == 0
            assert store.counts()["acknowledged"] == 1
        subs = subprocess.run([sys.executable, "-m", "central.cli", "submissions", "--json",
                               "--data", str(data)], capture_output=True, text=True, cwd=REPO,
                              timeout=60)
        assert [s["submission_id"] for s in json.loads(subs.stdout)] == [sid]
    finally:
        _stop(proc)


def _blob(kiosk: Kiosk, sid: str) -> tuple[str, bytes]:
    with kiosk.store() as store:
        env = store.envelope(sid)
        digest = str(env.attachments[0]["sha256"])
        return digest, bytes(store.read_attachment(digest).data)


@SQLITE_ONLY  # files an older single-node server left in its data folder
@pytest.mark.parametrize("left", ["file-without-row", "complete-file-unsealed-row"])
def test_state_an_older_server_left_after_a_crash_still_delivers(server, isolated_home, left):
    kiosk, sid = _kiosk_with_photo(isolated_home, server.url, enroll_code(server))
    digest, blob = _blob(kiosk, sid)
    folder = server.central.settings.data_dir / "attachments" / kiosk.device.device_id
    folder.mkdir(parents=True, exist_ok=True)
    if left == "file-without-row":  # appended + fsynced, killed before the row existed
        (folder / digest).write_bytes(blob[:256 * 1024])
    else:  # every byte written, killed before the row said complete
        (folder / digest).write_bytes(blob)
        server.central.store.set_attachment(kiosk.device.device_id, digest, len(blob),
                                            512 * 1024, False)
    with kiosk.store() as store:
        report = engine(kiosk, store, pull_catalog=False).run_once()
        assert report.state == "ok", report.as_dict()
        assert report.accepted == 1 and store.counts()["rejected"] == 0
