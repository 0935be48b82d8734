"""A real ODK Central for the tests in tests/odk (session-scoped).

The project carries it: tests/servers/odk-central/central.sh starts the pinned
central-backend beside it (idempotent; it prints ``KEY='value'`` lines). What this
session started, it stops at the end; a Central that was already running is left
running. Where Node or PostgreSQL cannot be had on this machine the tests skip naming
the package (a failure under CI=true); any other failure to start is an error.
ODK_PORT, ODK_PG_PORT, ODK_STATE_DIR and ODK_CACHE_DIR pass through to the script.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.odk.central import AppUser, Central
from tests.support.system_parts import missing

SCRIPT = Path(__file__).resolve().parents[1] / "servers" / "odk-central" / "central.sh"
_LINE = re.compile(r"^([A-Z_][A-Z0-9_]*)=(.*)$")
#: central.sh's message when a system part is absent -> the Debian package to name
_MISSING = {"PostgreSQL is not installed": "postgresql", "needs Node 24 or npm": "npm"}


def parse_env(stdout: str) -> dict[str, str]:
    """central.sh's KEY='value' lines (shell-quoted) as a dict."""
    out: dict[str, str] = {}
    for line in stdout.splitlines():
        m = _LINE.match(line.strip())
        if m:
            values = shlex.split(m.group(2))
            out[m.group(1)] = values[0] if values else ""
    return out


def _central(verb: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), verb], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def odk_env() -> Iterator[dict[str, str]]:
    proc = _central("start")
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no output"
        for cause, package in _MISSING.items():
            if cause in err:
                missing(package, f"ODK Central cannot start: {err}")
        raise AssertionError(f"ODK Central did not start ({proc.returncode}): {err}")
    env = parse_env(proc.stdout)
    lacking = {"ODK_BASE", "ODK_ADMIN_EMAIL", "ODK_ADMIN_PASSWORD"} - env.keys()
    assert not lacking, f"central.sh printed no {sorted(lacking)}: {proc.stdout[:300]!r}"
    yield env
    if env.get("ODK_STARTED") == "1":
        stopped = _central("stop")
        assert stopped.returncode == 0, stopped.stderr


@pytest.fixture(scope="session")
def central(odk_env: dict[str, str]) -> Iterator[Central]:
    c = Central(odk_env["ODK_BASE"], odk_env["ODK_ADMIN_EMAIL"], odk_env["ODK_ADMIN_PASSWORD"])
    yield c
    c.close()


PASSPHRASE = "kiosk-test-passphrase"


def _with_id(xform: bytes, form_id: str) -> bytes:
    return xform.replace(b"{FORM_ID}", form_id.encode())


@pytest.fixture
def make_form(central: Central):
    """Publish a hand-written XForm (``{FORM_ID}`` in it replaced) in a fresh project;
    returns (project id, form id, app user)."""
    counter = iter(range(1, 1000))

    def make(xform: bytes, *, encrypted: bool = False, media: dict[str, bytes] | None = None,
             form_id: str | None = None) -> tuple[int, str, AppUser]:
        pid = central.project(passphrase=PASSPHRASE if encrypted else None)
        fid = form_id or f"kiosk_f{os.getpid()}_{next(counter)}"
        published = central.publish(pid, _with_id(xform, fid), media)
        return pid, published, central.app_user(pid, [published])

    return make
