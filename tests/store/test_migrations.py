"""Upgrades from every earlier schema version (fixture DBs), backups, failed upgrades."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from kiosk.device import DeviceIdentity
from kiosk.envelope import b64url_decode, open_envelope, verify_attachment, verify_record
from kiosk.errors import StorageError
from kiosk.paths import home
from kiosk.store import SCHEMA_VERSION, Store
from kiosk.store import db as store_db
from kiosk.store.schema import MIGRATIONS
from tests.store.fixtures.make_fixtures import ACKED_ID, DRAFT_ID, SEALED_ID

FIXTURES = Path(__file__).parent / "fixtures"
KEYS = json.loads((FIXTURES / "keys.json").read_text())
EARLIER = [v for v, _ in MIGRATIONS[:-1]]


def test_there_is_a_fixture_for_every_earlier_version():
    assert EARLIER, "no earlier versions?"
    for version in EARLIER:
        path = FIXTURES / f"kiosk-schema{version}.db"
        assert path.exists(), f"make a fixture for schema {version} (make_fixtures.py)"
        assert store_db.schema_version_of(path) == version


def _home_with(version: int, root: Path):
    h = home(root).ensure()
    shutil.copyfile(FIXTURES / f"kiosk-schema{version}.db", h.db)
    return h


@pytest.mark.parametrize("version", EARLIER)
def test_upgrade_keeps_everything(version, isolated_home):
    h = _home_with(version, isolated_home)
    with Store(h.db, backups=h.backups, data_key=b64url_decode(KEYS["data_key"])) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.read("PRAGMA synchronous")[0][0] == 2
        assert store.integrity_check() == "ok"
        # the pre-v3 draft is offered to staff as interrupted, and still decrypts
        [info] = store.interrupted_drafts()
        assert info.id == DRAFT_ID
        assert store.load_draft(DRAFT_ID).answers == {"applicant_name": "Фикстур Батболд"}
        # the queued submission is still sendable with the same bytes
        [item] = store.next_batch()
        assert item.id == SEALED_ID
        device = DeviceIdentity.from_private_jwk(KEYS["device"])
        verify_record(item.record, item.jwe, device.public_jwk)
        payload = open_envelope(item.jwe, KEYS["agency"], device.public_jwk)
        blob = store.read_attachment(item.attachments[0]["sha256"])
        assert verify_attachment(payload, blob.data)[1].startswith(b"fixture photo")
        assert store.counts()["acknowledged"] == 1
        assert store.submission(ACKED_ID)["state"] == "acknowledged"
        # audit chain carried over, upgrade recorded
        report = store.verify_audit()
        assert report.ok, report.problems
        events = [r[0] for r in store.read("SELECT event FROM audit_log ORDER BY seq")]
        assert events[-1] == "database_upgraded"
        # retention works on upgraded rows
        assert store.purge_acknowledged(0) == 1
    backups = list(h.backups.glob(f"kiosk-schema{version}-*.db"))
    assert len(backups) == 1
    assert store_db.schema_version_of(backups[0]) == version


def test_failed_upgrade_restores_the_backup_and_says_so(isolated_home, monkeypatch):
    h = _home_with(EARLIER[0], isolated_home)
    before = sqlite3.connect(h.db).execute("SELECT COUNT(*), MAX(id) FROM submissions").fetchone()
    last_version, last_steps = MIGRATIONS[-1]
    broken = [*MIGRATIONS[:-1], (last_version, [*last_steps, "CREATE TABLE broken_step ("])]
    real_open = store_db.open_db
    monkeypatch.setattr(
        "kiosk.store.core.open_db",
        lambda path, backups, **kw: real_open(path, backups, migrations=broken, **kw),
    )
    with pytest.raises(StorageError, match="failed.*restored from .*nothing was lost"):
        Store(h.db, backups=h.backups, data_key=b"k" * 32)
    assert store_db.schema_version_of(h.db) == EARLIER[0]
    conn = sqlite3.connect(h.db)
    assert conn.execute("SELECT COUNT(*), MAX(id) FROM submissions").fetchone() == before
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    monkeypatch.undo()
    with Store(h.db, backups=h.backups, data_key=b64url_decode(KEYS["data_key"])) as store:
        assert store.schema_version() == SCHEMA_VERSION  # a fixed build upgrades fine


def test_cli_reports_a_newer_database_in_one_line(kiosk_cli, isolated_home):
    h = home(isolated_home).ensure()
    Store.open(h).close()
    conn = sqlite3.connect(h.db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = h.db.read_bytes()
    result = kiosk_cli("status", "--lang", "en")
    assert result.returncode == 5, result.stderr
    assert "newer kiosk build" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert h.db.read_bytes() == before


@pytest.mark.parametrize("version", EARLIER)
def test_upgraded_rows_can_be_held_and_sent_again(version, isolated_home):
    """v5: the rebuilt table takes the held state, its counts trigger and due index work."""
    h = _home_with(version, isolated_home)
    with Store(h.db, backups=h.backups, data_key=b64url_decode(KEYS["data_key"])) as store:
        store.mark_held(SEALED_ID, "form-closed", "the form is closed on the server", 10**12)
        assert store.counts()["held"] == 1
        assert store.demo_counts()["held"] == 1
        assert store.next_batch() == []  # held until the slow schedule or "send again"
        [held] = store.held_items()
        assert (held.id, held.reason) == (SEALED_ID, "form-closed")
        assert store.send_again() == 1
        [item] = store.next_batch()
        assert item.id == SEALED_ID
        triggers = {r[0] for r in store.read("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"submission_counts_insert", "submission_counts_update",
                "submission_counts_delete"} <= triggers
        assert store.integrity_check() == "ok"
