"""A real ODK Central for the tests in tests/odk (session-scoped).

``start.sh`` beside the backend tarball is idempotent: it starts Central when it is not
running and prints ``KEY='value'`` lines either way. It lives in
``<repo>/../shared/odk-central`` (where CI's clone finds it) unless ODK_CENTRAL_DIR says
otherwise. The tests skip — loudly, with the reason — only when Node or PostgreSQL
cannot be installed on this machine; any other failure to start is an error.
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

REPO = Path(__file__).resolve().parents[2]
_LINE = re.compile(r"^([A-Z_][A-Z0-9_]*)=(.*)$")
_CANNOT_INSTALL = ("postgresql is not installed and this is not root", "need npm",
                   "apt-get install postgresql failed", "apt-get install npm failed",
                   "node install failed")


def central_dir() -> Path:
    """ODK_CENTRAL_DIR, else the nearest ``shared/odk-central`` beside the repo or one of its
    parents (a clone sits beside ``shared/``; a git worktree may sit a level deeper)."""
    if os.environ.get("ODK_CENTRAL_DIR"):
        return Path(os.environ["ODK_CENTRAL_DIR"])
    for parent in REPO.parents:
        candidate = parent / "shared" / "odk-central"
        if (candidate / "start.sh").is_file():
            return candidate
    return REPO.parent / "shared" / "odk-central"


def parse_env(stdout: str) -> dict[str, str]:
    """start.sh's KEY='value' lines (shell-quoted) as a dict."""
    out: dict[str, str] = {}
    for line in stdout.splitlines():
        m = _LINE.match(line.strip())
        if m:
            values = shlex.split(m.group(2))
            out[m.group(1)] = values[0] if values else ""
    return out


@pytest.fixture(scope="session")
def odk_env() -> dict[str, str]:
    script = central_dir() / "start.sh"
    if not script.is_file():
        raise AssertionError(f"ODK Central's start.sh not found at {script}: set ODK_CENTRAL_DIR")
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no output"
        if any(s in err.lower() for s in _CANNOT_INSTALL):
            pytest.skip(f"ODK CENTRAL NOT AVAILABLE: Node/PostgreSQL cannot be installed here: {err}")
        raise AssertionError(f"ODK Central start.sh failed ({proc.returncode}): {err}")
    env = parse_env(proc.stdout)
    missing = {"ODK_BASE", "ODK_ADMIN_EMAIL", "ODK_ADMIN_PASSWORD"} - env.keys()
    assert not missing, f"start.sh printed no {sorted(missing)}: {proc.stdout[:300]!r}"
    return env


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
