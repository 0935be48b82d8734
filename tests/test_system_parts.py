"""A missing system package: a loud skip, a failure under CI=true; the machine setup (issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.setup_machine import installed as package_installed
from tests.setup_machine import wanted
from tests.support.system_parts import missing

PROBE = '''
import pytest
from tests.support.system_parts import missing, need_programs

def test_needs_a_package():
    missing("some-package", "some-tool is not on PATH")

@pytest.mark.needs_programs("faketime")
def test_marked():
    pass

def test_plain_skip():
    pytest.skip("not this platform")
'''


def _probe(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(PROBE, encoding="utf-8")
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-rA",
         "-o", "addopts=", f"--rootdir={tmp_path}", str(tmp_path / "test_probe.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_a_missing_package_is_a_skip_naming_it(tmp_path: Path) -> None:
    run = _probe(tmp_path, "")
    assert run.returncode == 0, run.stdout
    assert "MISSING SYSTEM PACKAGE some-package: some-tool is not on PATH" in run.stdout
    assert "test_probe.py:5" in run.stdout  # the test's own place, not the helper's


def test_under_ci_a_missing_package_fails_and_a_plain_skip_stays_a_skip(tmp_path: Path) -> None:
    run = _probe(tmp_path, "true")
    assert run.returncode == 1, run.stdout
    assert "FAILED" in run.stdout and "CI=true and a system package is missing" in run.stdout
    assert "SKIPPED" in run.stdout and "not this platform" in run.stdout


def test_setup_says_in_one_line_when_it_cannot_install(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no apt-get, no dpkg-query
    run = subprocess.run([sys.executable, "-m", "tests.setup_machine"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.count("\n") == 1 and "no apt-get" in run.stdout


def test_this_machine_has_every_package_the_setup_installs() -> None:
    """On CI the setup must have worked: a package it could not install fails here."""
    if not Path("/usr/bin/dpkg-query").exists():
        missing("dpkg", "not a Debian/Ubuntu machine: python -m tests.setup_machine cannot install")
    for package in wanted():
        if not package_installed(package):
            missing(package, "python -m tests.setup_machine did not install it")
