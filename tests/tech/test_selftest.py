"""``kiosk --self-test`` from source: every step passes, nothing real is touched, failures are named."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from app import selftest

STEPS = ("database", "catalog", "finalize", "verify", "screen")


def test_self_test_passes_from_source_and_touches_nothing_real(kiosk_cli, isolated_home):
    keyring_file = Path(os.environ["KIOSK_TEST_KEYRING"])
    result = kiosk_cli("--lang", "en", "--self-test", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for step in STEPS:
        assert f"ok    {step}:" in result.stdout, result.stdout
    assert "all 5 steps passed" in result.stdout
    # The real data folder got a log file at most; no database, no secrets.
    assert not (isolated_home / "kiosk.db").exists()
    assert not (isolated_home / "secrets.enc").exists()
    assert not keyring_file.exists() or "device-key" not in keyring_file.read_text()


def test_a_failing_step_is_named_with_exit_1(tmp_path, capsys, monkeypatch) -> None:
    empty = tmp_path / "no-catalog"
    empty.mkdir()
    monkeypatch.setattr(selftest, "bundled_catalog_dir", lambda: empty)
    code = selftest.run(argparse.Namespace(lang="en", home=None))
    out = capsys.readouterr()
    assert code == 1
    assert "ok    database:" in out.out
    assert "FAILED catalog:" in out.err and str(empty) in out.err
    assert "finalize" not in out.out  # later steps did not run
    assert os.environ.get("KIOSK_HOME") != str(tmp_path)  # environment restored


def test_a_crashing_step_is_named_not_a_traceback(capsys, monkeypatch) -> None:
    def boom(state):
        raise RuntimeError("unexpected")

    steps = tuple((name, boom if name == "database" else func) for name, func in selftest.STEPS)
    monkeypatch.setattr(selftest, "STEPS", steps)
    assert selftest.run(argparse.Namespace(lang="en", home=None)) == 1
    err = capsys.readouterr().err
    assert "FAILED database: RuntimeError: unexpected" in err
    assert "Traceback" not in err

