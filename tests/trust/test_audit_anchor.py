"""An audit log whose end is anchored (issue 10): raw-SQL truncation is caught.

The attacker has the database file and plain SQL, not the secrets store.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from kiosk.paths import Home
from kiosk.store import Store
from tests.conftest import REPO
from tests.store.conftest import document


@pytest.fixture
def used_store(isolated_home, device, agency):
    with Store.open(Home(isolated_home)) as store:
        for i in range(4):
            store.finalize(document(i=i), device=device, agency_jwk=agency[1], demo=True)
            store.audit("staff_login", None)
        assert store.verify_audit().ok
        assert store.audit_head()["seq"] >= 9
    return isolated_home


def _sql(home, *statements: str) -> None:
    conn = sqlite3.connect(home / "kiosk.db")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def _verify(home) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", "audit", "verify", "--json",
                           "--home", str(home)], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


@pytest.mark.parametrize("keep_mac", [True, False])
def test_cutting_the_end_and_rewriting_the_head_is_caught(used_store, keep_mac):
    conn = sqlite3.connect(used_store / "kiosk.db")
    last = conn.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE seq > ?", (last - 5,))
    seq, digest = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    old = json.loads(conn.execute("SELECT value FROM settings WHERE key='audit_head'").fetchone()[0])
    forged = {"seq": seq, "count": seq, "hash": digest}
    if keep_mac:
        forged["mac"] = old["mac"]
    conn.execute("UPDATE settings SET value = ? WHERE key = 'audit_head'", (json.dumps(forged),))
    conn.commit()
    conn.close()
    out = _verify(used_store)
    assert out.returncode == 1, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert not report["ok"] and any("not sealed" in p for p in report["problems"])


def test_deleting_everything_is_caught(used_store):
    _sql(used_store, "DELETE FROM audit_log", "DELETE FROM settings WHERE key = 'audit_head'")
    out = _verify(used_store)
    assert out.returncode == 1, out.stdout + out.stderr
    assert any("whole log was deleted" in p for p in json.loads(out.stdout)["problems"])


def test_a_fresh_kiosk_log_verifies(isolated_home):
    with Store.open(Home(isolated_home)) as store:
        assert store.verify_audit().ok
        assert store.audit_head()["seq"] == 1
    assert _verify(isolated_home).returncode == 0
