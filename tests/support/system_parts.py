"""Tests that need a part of the machine the project cannot pip-install (issue 18).

Such a test calls :func:`need_programs` (or carries ``@pytest.mark.needs_programs(...)``,
or calls :func:`missing` itself). Where the part is absent it skips, loudly, naming the
Debian package that provides it; ``python -m tests.setup_machine`` installs them all.
Under ``CI=true`` such a skip is a failure (the hook in tests/conftest.py): CI is where
every part must be present, so a missing one must not pass as a quiet skip there.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest

#: a program a test runs -> the Debian package that provides it (tests/setup_machine.py installs these)
PACKAGE_OF = {
    "faketime": "faketime",
    "speech-dispatcher": "speech-dispatcher",
    "espeak-ng": "espeak-ng",
    "Xvfb": "xvfb",
    "dbus-daemon": "dbus",
    "initdb": "postgresql",
    "setpriv": "util-linux",
}


class MissingSystemPart(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """A skip because a system package is missing: a failure under CI=true."""


def missing(package: str, why: str) -> NoReturn:
    raise MissingSystemPart(
        f"MISSING SYSTEM PACKAGE {package}: {why} (python -m tests.setup_machine installs it)",
        allow_module_level=True)


def need_programs(*programs: str) -> None:
    for program in programs:
        if shutil.which(program) is None:
            missing(PACKAGE_OF[program], f"{program} is not on PATH")


def run_as_unprivileged_user(test_id: str, user: str = "nobody") -> None:
    """Root ignores file modes: run one test of this repo again as ``user`` (setpriv), in a
    folder that user owns, and fail unless it passed there."""
    need_programs("setpriv")
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        missing("passwd", f"no '{user}' user to run {test_id} without root")
    repo = Path(__file__).resolve().parents[2]
    work = Path(tempfile.mkdtemp(prefix="kiosk-unprivileged-"))
    try:
        os.chown(work, account.pw_uid, account.pw_gid)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(work), "TMPDIR": str(work),
               "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
        proc = subprocess.run(
            ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups",
             sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
             f"--rootdir={repo}", test_id],
            cwd=repo, env=env, capture_output=True, text=True, timeout=240)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert proc.returncode == 0 and " passed" in proc.stdout, \
        f"as {user}: exit {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-1000:]}"
