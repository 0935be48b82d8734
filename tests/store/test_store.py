"""The store on real SQLite files: durability settings, drafts, finalize, outbox, retention."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk.envelope import open_envelope, sha256_hex, verify_attachment, verify_record
from kiosk.errors import KioskError, NotFoundError, StorageError
from kiosk.paths import home
from kiosk.store import STATES, AttachmentTooLarge, Store
from kiosk.store.ids import is_uuid7, uuid7
from tests.store.conftest import document


def test_pragmas_are_asserted_at_open(store):
    assert store.read("PRAGMA journal_mode")[0][0] == "wal"
    assert store.read("PRAGMA synchronous")[0][0] == 2  # FULL
    assert store.schema_version() == 6
    assert store.integrity_check() == "ok"


def test_uuid7_sorts_by_time_and_is_valid():
    ids = [uuid7() for _ in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == 5000
    assert all(is_uuid7(i) for i in ids[:50])


def test_drafts_are_encrypted_and_interrupted_drafts_are_for_staff(store, isolated_home):
    did = store.save_draft(None, form_id="f", form_version="1", answers={"name": "Канарбат"})
    store.save_draft(did, form_id="f", form_version="1", answers={"name": "Канарбат Дорж"})
    assert store.load_draft(did).answers == {"name": "Канарбат Дорж"}
    raw = b"".join(p.read_bytes() for p in isolated_home.glob("kiosk.db*"))
    assert "Канарбат".encode() not in raw
    assert store.interrupted_drafts() == []
    store.close()
    again = Store.open(home(isolated_home))  # "next start after a power cut"
    assert again.mark_open_drafts_interrupted() == 1
    [info] = again.interrupted_drafts()
    assert info.id == did and not hasattr(info, "answers")
    assert again.resume_draft(did).answers == {"name": "Канарбат Дорж"}
    assert again.interrupted_drafts() == []
    assert again.discard_draft(did)
    with pytest.raises(NotFoundError):
        again.load_draft(did)
    again.close()


def test_draft_rows_cannot_be_swapped(store):
    a = store.save_draft(None, form_id="f", form_version="1", answers={"x": 1})
    b = store.save_draft(None, form_id="f", form_version="1", answers={"x": 2})
    with store.write() as conn:
        blob = conn.execute("SELECT sealed FROM drafts WHERE id = ?", (a,)).fetchone()[0]
        conn.execute("UPDATE drafts SET sealed = ? WHERE id = ?", (blob, b))
    with pytest.raises(KioskError, match="cannot be decrypted"):
        store.load_draft(b)


def test_finalize_is_one_transaction_and_idempotent_by_id(store, device, agency):
    did = store.save_draft(None, form_id="test-form", form_version="1", answers={"a": 1})
    photo = store.add_attachment(
        did, b"photo bytes", name="p.jpg", media_type="image/jpeg", max_bytes=1024
    )
    doc = document(name="Бат", photo=photo)
    sid = uuid7()
    env = store.finalize(
        doc, device=device, agency_jwk=agency[1], demo=True, draft_id=did, submission_id=sid
    )
    assert env.submission_id == sid and env.demo
    assert store.drafts() == []
    again = store.finalize(doc, device=device, agency_jwk=agency[1], demo=True, submission_id=sid)
    assert again.jwe == env.jwe and again.record == env.record
    assert store.read("SELECT COUNT(*) FROM submissions")[0][0] == 1
    [item] = store.next_batch()
    assert item.id == sid and item.jwe == env.jwe and item.demo
    claims = verify_record(item.record, item.jwe, device.public_jwk)
    blob = store.read_attachment(item.attachments[0]["sha256"])
    assert sha256_hex(blob.data) == claims["attachments"][0]["sha256"] == blob.sha256
    payload = open_envelope(item.jwe, agency[0], device.public_jwk)
    assert verify_attachment(payload, blob.data)[1] == b"photo bytes"
    assert store.submission(sid)["receipt_qr"]
    assert store.verify_audit().ok


def test_finalize_refuses_an_attachment_that_was_not_captured(store, device, agency):
    doc = document(photo={"sha256": "0" * 64, "size": 1, "media_type": "image/png", "name": "x"})
    with pytest.raises(KioskError, match="capture it again"):
        store.finalize(doc, device=device, agency_jwk=agency[1], demo=False)
    assert store.counts()["sealed"] == 0


def test_attachment_over_limit_is_refused_at_capture(store):
    with pytest.raises(AttachmentTooLarge, match="largest accepted is 1 KB"):
        store.add_attachment(
            "d", b"x" * 2048, name="big.jpg", media_type="image/jpeg", max_bytes=1024
        )
    assert store.read("SELECT COUNT(*) FROM attachments")[0][0] == 0


def test_outbox_state_machine(store, device, agency):
    ids = [
        store.finalize(
            document(n=i), device=device, agency_jwk=agency[1], demo=i == 0
        ).submission_id
        for i in range(4)
    ]
    assert [i.id for i in store.next_batch(max_items=10)] == ids  # oldest first
    assert len(store.next_batch(max_items=2)) == 2
    one = store.next_batch()[0].size
    assert len(store.next_batch(max_bytes=one)) == 1  # at least one, even at the limit
    store.mark_sent(ids[:2], now=1000.0, resend_after=60)
    assert store.counts()["sent"] == 2
    due_later = [i.id for i in store.next_batch(now=1030.0)]
    assert ids[0] not in due_later and ids[2] in due_later
    assert ids[0] in [i.id for i in store.next_batch(now=1061.0)]  # ack never came: resend
    store.mark_acknowledged(ids[0], {"receipt": "server-signed"})
    store.mark_acknowledged(ids[0], {"receipt": "again"})  # idempotent
    store.mark_rejected(ids[1], "400: form retired")
    store.schedule_retry(ids[2], "timeout", 5000.0)
    assert store.submission(ids[2])["attempts"] == 1
    assert ids[2] not in [i.id for i in store.next_batch(now=4999.0)]
    assert ids[2] in [i.id for i in store.next_batch(now=5000.0)]
    counts = store.counts()
    assert set(counts) == set(STATES)
    assert (counts["acknowledged"], counts["rejected"], counts["queued"], counts["sealed"]) == (
        1,
        1,
        1,
        1,
    )
    assert store.demo_counts()["acknowledged"] == 1
    assert store.submission(ids[0])["server_receipt"] == {"receipt": "server-signed"}
    assert store.oldest_unsent_age() is not None
    assert store.last_error() in ("timeout", "400: form retired")
    with pytest.raises(NotFoundError):
        store.mark_acknowledged("nope", {})
    assert store.verify_audit().ok


def test_retention_purges_to_a_tombstone(store, device, agency):
    did = store.save_draft(None, form_id="test-form", form_version="1", answers={})
    photo = store.add_attachment(did, b"img", name="p.png", media_type="image/png", max_bytes=99)
    env = store.finalize(
        document(photo=photo), device=device, agency_jwk=agency[1], demo=False, draft_id=did
    )
    keep = store.finalize(document(), device=device, agency_jwk=agency[1], demo=False)
    store.mark_acknowledged(env.submission_id, {"r": 1})
    store.mark_acknowledged(keep.submission_id, {"r": 2})
    assert store.purge_acknowledged(30) == 0  # too recent
    import time

    assert store.purge_acknowledged(30, now=time.time() + 31 * 86400) == 2
    info = store.submission(env.submission_id)
    assert info["state"] == "purged" and info["payload_sha256"] == env.payload_sha256
    assert info["receipt_qr"] and info["server_receipt"] == {"r": 1}
    assert store.envelope(env.submission_id).jwe == ""
    with pytest.raises(NotFoundError):
        store.read_attachment(env.attachments[0]["sha256"])
    # a retry of the same ID after purge still does not make a second copy
    again = store.finalize(
        document(), device=device, agency_jwk=agency[1], demo=False, submission_id=env.submission_id
    )
    assert again.payload_sha256 == env.payload_sha256
    assert store.read("SELECT COUNT(*) FROM submissions")[0][0] == 2


def test_newer_database_is_refused_and_untouched(isolated_home):
    h = home(isolated_home).ensure()
    Store.open(h).close()
    conn = sqlite3.connect(h.db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = h.db.read_bytes()
    with pytest.raises(StorageError, match="newer kiosk build.*schema 99.*not changed"):
        Store.open(h)
    assert h.db.read_bytes() == before


def test_reader_in_another_connection_is_not_blocked_by_a_writer(store):
    other = sqlite3.connect(store.path, timeout=0)
    with store.write() as conn:
        conn.execute("INSERT INTO settings VALUES ('k', '1')")
        assert other.execute("SELECT COUNT(*) FROM settings WHERE key = 'k'").fetchone()[0] == 0
    assert other.execute("SELECT COUNT(*) FROM settings WHERE key = 'k'").fetchone()[0] == 1
    other.close()


def test_a_damaged_database_file_is_one_clear_error(isolated_home, kiosk_cli):
    h = home(isolated_home).ensure()
    h.db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="damaged"):
        Store.open(h)
    result = kiosk_cli("status", "--lang", "en")
    assert result.returncode == 5 and "damaged" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_kiosk_start_applies_retention_from_config(isolated_home, device, agency):
    h = home(isolated_home).ensure()
    h.config_file.write_text("retention_days = 0\n", encoding="utf-8")
    with Store.open(h) as store:
        env = store.finalize(document(), device=device, agency_jwk=agency[1], demo=False)
        store.mark_acknowledged(env.submission_id, {"r": 1})
        store.mark_open_drafts_interrupted()
        assert store.submission(env.submission_id)["state"] == "purged"
    h.config_file.write_text("retention_days = -1\n", encoding="utf-8")  # broken: skip
    with Store.open(h) as store:
        assert store.apply_retention() == 0


def test_mark_acknowledged_many_is_one_all_or_nothing_transaction(store, device, agency):
    ids = [
        store.finalize(document(n=i), device=device, agency_jwk=agency[1], demo=False).submission_id
        for i in range(3)
    ]
    with pytest.raises(NotFoundError):
        store.mark_acknowledged_many([(ids[0], {"r": 0}), ("unknown", {})])
    assert store.counts()["acknowledged"] == 0  # nothing of the failed batch
    store.mark_acknowledged_many([(i, {"r": n}) for n, i in enumerate(ids)])
    assert store.counts()["acknowledged"] == 3
    assert store.submission(ids[2])["server_receipt"] == {"r": 2}
    assert store.verify_audit().ok


def test_resumed_draft_attachment_preview(store):
    did = store.save_draft(None, form_id="f", form_version="1", answers={})
    value = store.add_attachment(
        did, b"jpeg bytes", name="a.jpg", media_type="image/jpeg", max_bytes=100
    )
    assert store.draft_attachment(did, value["sha256"]) == b"jpeg bytes"
    with pytest.raises(NotFoundError):
        store.draft_attachment("other", value["sha256"])


class _CommitFails:
    """Connection proxy: COMMIT reports an I/O error, after (or instead of) committing."""

    def __init__(self, conn, *, really_commit: bool):
        self._conn, self._really = conn, really_commit

    def execute(self, sql, *args):
        if sql == "COMMIT":
            if self._really:
                self._conn.execute(sql)
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.mark.parametrize("really_commit", [True, False])
def test_commit_error_is_reconciled_by_id(store, device, agency, really_commit):
    did = store.save_draft(None, form_id="test-form", form_version="1", answers={"a": 1})
    real = store.conn
    store.conn = _CommitFails(real, really_commit=really_commit)
    sid = uuid7()
    try:
        if really_commit:  # outcome unknown, but it is on disk: finalize succeeds
            env = store.finalize(
                document(a=1),
                device=device,
                agency_jwk=agency[1],
                demo=False,
                draft_id=did,
                submission_id=sid,
            )
            assert env.submission_id == sid
        else:
            with pytest.raises(StorageError, match="not saved and the draft is kept"):
                store.finalize(
                    document(a=1),
                    device=device,
                    agency_jwk=agency[1],
                    demo=False,
                    draft_id=did,
                    submission_id=sid,
                )
    finally:
        store.conn = real
    rows = store.read("SELECT COUNT(*) FROM submissions WHERE id = ?", (sid,))[0][0]
    assert rows == (1 if really_commit else 0)
    if not really_commit:
        assert store.load_draft(did).answers == {"a": 1}
        # retrying with the same ID now works, once
        store.finalize(
            document(a=1),
            device=device,
            agency_jwk=agency[1],
            demo=False,
            draft_id=did,
            submission_id=sid,
        )
        assert store.read("SELECT COUNT(*) FROM submissions")[0][0] == 1
    assert store.verify_audit().ok


def test_a_lost_or_different_data_key_stops_instead_of_orphaning_drafts(isolated_home):
    """A fresh key would make every saved draft unreadable for good: refuse, name the fix."""
    import pytest

    from kiosk.errors import ConfigError
    from kiosk.paths import Home
    from kiosk.secrets import DATA_KEY, open_secrets
    from kiosk.store import Store

    with Store.open(Home(isolated_home)) as store:
        draft = store.save_draft(None, form_id="id-card", form_version="1", answers={"a": 1})
    secrets = open_secrets(isolated_home)
    original = secrets.get(DATA_KEY)
    secrets.delete(DATA_KEY)  # keyring reset
    with Store.open(Home(isolated_home)) as store:
        with pytest.raises(ConfigError, match="missing .* holds encrypted drafts"):
            store.load_draft(draft)
    assert open_secrets(isolated_home).get(DATA_KEY) is None  # no new key was made
    secrets.set(DATA_KEY, "A" * 43)  # a different 32-byte key (another session's)
    with Store.open(Home(isolated_home)) as store:
        with pytest.raises(ConfigError, match="does not match"):
            store.save_draft(None, form_id="id-card", form_version="1", answers={"b": 2})
    secrets.set(DATA_KEY, original)
    with Store.open(Home(isolated_home)) as store:
        assert store.load_draft(draft).answers == {"a": 1}
