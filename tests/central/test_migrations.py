"""Schema migrations from every earlier schema, on both backends, and ``kiosk-central doctor``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "central.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=REPO)


def _legacy_sqlite(path: Path, *, audit_heads: bool) -> None:
    """A database as the servers before versioning left it (user_version 0)."""
    from central.storage import MIGRATIONS

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0] + (MIGRATIONS[1] if audit_heads else []):
        conn.execute(statement)
    conn.execute("INSERT INTO devices (device_id, public_jwk, name, enrolled_at) "
                 "VALUES ('kiosk-0000000000000001', '{}', 'old', 1.0)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("audit_heads", [False, True], ids=["before-audit-heads", "with-them"])
def test_sqlite_from_every_earlier_schema(tmp_path, audit_heads):
    from central.storage import SCHEMA_VERSION, CentralStore

    path = tmp_path / "data" / "central.db"
    _legacy_sqlite(path, audit_heads=audit_heads)
    store = CentralStore(path)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        assert [d["name"] for d in store.devices()] == ["old"]  # nothing lost
        assert store.record_head("kiosk-0000000000000001", 3, "a" * 64, "online")["status"] == "ok"
        assert store.migrate() == SCHEMA_VERSION  # idempotent
    finally:
        store.close()
    res = _cli("doctor", "--data", str(path.parent))
    assert res.returncode == 0 and res.stdout.count("ok  ") == 3, res.stdout + res.stderr


@pytest.mark.needs_system
def test_postgres_from_every_earlier_version_and_nodes_migrating_together(pg_url):
    import psycopg

    from central.db.postgres import MIGRATIONS, SCHEMA_VERSION, PgStore

    with psycopg.connect(pg_url) as conn:  # a database at version 1, with a row
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                     "applied_at DOUBLE PRECISION NOT NULL)")
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (1, 0)")
        conn.execute("INSERT INTO devices (device_id, public_jwk, name, enrolled_at) "
                     "VALUES ('kiosk-0000000000000001', '{}', 'old', 1.0)")
    stores: list[PgStore] = []
    gate = threading.Barrier(3)

    def start() -> None:
        gate.wait(timeout=30)
        stores.append(PgStore(pg_url))

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert len(stores) == 3 and all(s.schema_version() == SCHEMA_VERSION for s in stores)
        _, rows = stores[0].query("SELECT version FROM schema_migrations ORDER BY version")
        assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
        assert [d["name"] for d in stores[0].devices()] == ["old"]
    finally:
        for s in stores:
            s.close()


@pytest.mark.needs_system
def test_doctor_and_migrate_on_postgres(pg_url, tmp_path):
    data = str(tmp_path / "node")
    fresh = _cli("doctor", "--data", data, "--database-url", pg_url)
    assert fresh.returncode == 1 and "FAIL  migrated" in fresh.stdout, fresh.stdout
    migrated = _cli("migrate", "--json", "--data", data, "--database-url", pg_url)
    assert json.loads(migrated.stdout)["from"] == 0, migrated.stderr
    again = _cli("migrate", "--json", "--data", data, "--database-url", pg_url)
    assert json.loads(again.stdout)["from"] == json.loads(again.stdout)["to"] > 0
    good = _cli("doctor", "--json", "--data", data, "--database-url", pg_url)
    rows = json.loads(good.stdout)
    assert good.returncode == 0 and [r["check"] for r in rows] == [
        "reachable", "migrated", "consistent"] and all(r["ok"] for r in rows), rows
    assert "synchronous_commit=on" in rows[0]["detail"]
    import time

    import psycopg

    with psycopg.connect(pg_url) as conn:  # sealed, yet short of its size: not consistent
        conn.execute("INSERT INTO attachments VALUES ('kiosk-0000000000000001', %s, 10, 5, 1, "
                     "%s)", ("a" * 64, time.time()))
    broken = _cli("doctor", "--data", data, "--database-url", pg_url)
    assert broken.returncode == 1 and "FAIL  consistent" in broken.stdout, broken.stdout


def test_doctor_names_an_unreachable_database_without_its_password(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://kiosk:s3cret-pw@127.0.0.1:{port}/central"
    res = _cli("doctor", "--data", str(tmp_path), "--database-url", url)
    assert res.returncode == 1 and "FAIL  reachable" in res.stdout, res.stdout + res.stderr
    assert "s3cret-pw" not in res.stdout + res.stderr and "Traceback" not in res.stderr
    bad = _cli("devices", "--data", str(tmp_path), "--database-url", "mysql://x@y/z")
    assert bad.returncode != 0 and "postgresql://" in bad.stderr and "Traceback" not in bad.stderr
