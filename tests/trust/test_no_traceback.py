"""No traceback reaches a person (issue 10): full disk, bad --home, no kiosk, --lang anywhere.

The full disk is a file-size limit (RLIMIT_FSIZE) on the real child process: its
log file and its database cannot grow.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.sync.helpers import enrolled_kiosk, finalize


def _kiosk(*args: str, fsize: int | None = None, input: str | None = None
           ) -> subprocess.CompletedProcess:
    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120, preexec_fn=limit, input=input)


def _clean(out: subprocess.CompletedProcess) -> None:
    text = out.stdout + out.stderr
    assert "Traceback" not in text, text
    assert "Logging error" not in text, text
    assert out.returncode != 70, text


def test_full_disk_sync_and_doctor_print_lines_not_tracebacks(server, isolated_home):
    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        finalize(kiosk, store, 3)
    kiosk.home.logs.mkdir(exist_ok=True)
    (kiosk.home.logs / "kiosk.log").write_text("x" * 4096, "utf-8")
    home = str(kiosk.home.root)
    sync = _kiosk("sync", "--once", "--lang", "en", "--home", home, fsize=2048)
    _clean(sync)
    assert "cannot write the log file" in sync.stderr or "disk" in sync.stderr, sync.stderr
    assert sync.stderr.count("cannot write the log file") <= 1
    assert all(line.startswith("kiosk: ") for line in sync.stderr.splitlines()), sync.stderr
    doctor = _kiosk("doctor", "--lang", "en", "--home", home, fsize=2048)
    _clean(doctor)
    with kiosk.store() as store:  # nothing saved was lost
        assert sum(store.counts().values()) == 3


@pytest.mark.parametrize("command", [
    ["status"], ["sync", "--once"], ["export", "--out", "q.bundle"], ["audit", "verify"],
    ["audit", "list"], ["receipt", "verify", "a.b.c"], ["receipt", "show", "x"],
    ["import-acks", "acks.json"],
])
def test_read_only_commands_on_an_empty_home_say_so_and_create_nothing(tmp_path, command):
    where = tmp_path / "typo"
    out = _kiosk(*command, "--home", str(where), "--lang", "en")
    _clean(out)
    assert out.returncode == 3, out.stderr
    assert out.stderr.strip().splitlines() == [f"kiosk: error: There is no kiosk in {where} "
                                               "(no kiosk.db): check --home."]
    assert not where.exists()


@pytest.mark.parametrize("command", [["status"], ["doctor"], ["pin", "set"], ["fill", "x",
                                     "--answers", "y"], ["forms", "list"], []])
def test_a_home_that_is_a_file_is_one_line(command):
    out = _kiosk("--home", "/etc/passwd", *command, "--lang", "en")
    _clean(out)
    assert out.returncode == 4
    assert out.stderr.strip() == ("kiosk: error: /etc/passwd is not a folder: give --home the "
                                  "kiosk's data folder.")


def test_lang_after_any_sub_command(isolated_home):
    out = _kiosk("pin", "status", "--lang", "en")
    assert "No staff PIN" in out.stdout
    out = _kiosk("doctor", "--json", "--lang", "en")
    assert "Version" in [c["title"] for c in json.loads(out.stdout)["checks"]]
    out = _kiosk("forms", "list", "--lang", "en")
    assert out.returncode == 0, out.stderr


def test_everything_in_the_data_folder_is_private(server, isolated_home, tmp_path):
    import os
    import stat

    from kiosk.paths import bundled_catalog_dir
    from tests.sync.helpers import enroll_code

    old = os.umask(0o022)  # a typical login umask: files would be 0644
    try:
        home = str(isolated_home)
        out = _kiosk("enroll", "--server", server.url, "--code", enroll_code(server),
                     "--home", home)
        assert out.returncode == 0, out.stderr
        example = bundled_catalog_dir() / "examples" / "id-card.answers.json"
        out = _kiosk("fill", "id-card", "--answers", str(example), "--home", home)
        assert out.returncode == 0, out.stderr
        _kiosk("sync", "--once", "--home", home)
        _kiosk("pin", "set", "--stdin", "--home", home, input="482913\n")
        _kiosk("doctor", "--home", home)
    finally:
        os.umask(old)
    loose = []
    for root, dirs, files in os.walk(isolated_home):
        for name in dirs:
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            if mode != 0o700:
                loose.append((os.path.join(root, name), oct(mode)))
        for name in files:
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            if mode != 0o600:
                loose.append((os.path.join(root, name), oct(mode)))
    assert not loose, loose
    assert (isolated_home / "kiosk.db").exists() and (isolated_home / "enrolment.json").exists()
