"""Keeps every test off the real data folder and the real keyring (napari-style).

Autouse: each test gets its own KIOSK_HOME, XDG folders and a file-backed test
keyring that child processes share (see tests/support/keyring_backend.py).
A test that needs a system package skips naming it, and under CI=true that skip
fails (tests/support/system_parts.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import keyring
import pytest

from tests.support.system_parts import MissingSystemPart, missing, need_programs

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs_programs(*names): skips naming the missing system package "
        "(a failure under CI=true)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("needs_programs"):
        need_programs(*marker.args)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    """Under CI=true a skip for a missing system package is a failure."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and call.excinfo is not None
            and call.excinfo.errisinstance(MissingSystemPart)):
        return
    path, line = item.reportinfo()[:2]
    report.longrepr = (str(path), (line or 0) + 1, f"Skipped: {call.excinfo.value.msg}")
    if os.environ.get("CI") == "true":
        report.outcome = "failed"
        report.longrepr = f"CI=true and a system package is missing: {call.excinfo.value.msg}"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tests.support.keyring_backend import FileTestKeyring

    home = tmp_path / "kiosk-home"
    home.mkdir()
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "xdg" / var.lower()))
    monkeypatch.setenv("KIOSK_HOME", str(home))
    monkeypatch.setenv("KIOSK_TEST_KEYRING", str(tmp_path / "test-keyring.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.FileTestKeyring")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    previous = keyring.get_keyring()
    keyring.set_keyring(FileTestKeyring())
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def kiosk_cli():
    """Run ``python -m app ARGS`` as a real subprocess; returns CompletedProcess."""
    import subprocess

    def run(*args: str, input: str | None = None, timeout: float = 120):
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            cwd=REPO,
        )

    return run


@pytest.fixture(scope="session")
def pg_cluster():
    """A private PostgreSQL cluster for the session (tests/servers/postgres.py); skips
    loudly, naming the package, when the server binaries cannot be had."""
    from tests.servers.postgres import PACKAGE, PgCluster, install_if_root, unavailable

    install_if_root()
    why = unavailable()
    if why:
        missing(PACKAGE, why)  # a failure under CI=true
    cluster = PgCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A fresh, empty database in the session's cluster."""
    return pg_cluster.new_database()
