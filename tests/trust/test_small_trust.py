"""The smaller holes of issue 10: passphrase length, doctor's advice, orphans, clock blame."""

from __future__ import annotations

import pytest

from kiosk.config import Config
from kiosk.errors import ConfigError
from kiosk.paths import Home


def test_new_encrypted_secrets_file_needs_12_characters(tmp_path):
    from kiosk.secrets import open_secrets

    path = tmp_path / "secrets.enc"
    for short in ("1", "elevenchars"):
        with pytest.raises(ConfigError, match="at least 12 characters"):
            open_secrets(tmp_path, fallback="encrypted-file", fallback_file=str(path),
                         passphrase=short)
        assert not path.exists()
    s = open_secrets(tmp_path, fallback="encrypted-file", fallback_file=str(path),
                     passphrase="twelve chars")
    s.data_key()
    assert path.exists()


def test_doctor_with_fallback_but_no_passphrase_says_so(isolated_home, monkeypatch):
    import keyring
    from keyring.backends import fail

    from app import doctor

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    monkeypatch.delenv("KIOSK_SECRETS_PASSPHRASE", raising=False)
    config = Config(keyring_fallback="encrypted-file")
    checks = {c.name: c for c in doctor.run_checks(Home(isolated_home), config,
                                                   server_timeout=1, lang="en")}
    for name in ("keyring", "device"):
        assert "KIOSK_SECRETS_PASSPHRASE" in checks[name].fix, checks[name]
        assert "Install a keyring" not in checks[name].fix


@pytest.mark.needs_programs("faketime")
def test_a_clock_far_behind_blames_the_clock_not_the_resident():
    import subprocess
    import sys

    from tests.conftest import REPO

    code = ("from kiosk.validators import parse_registry_number as p; "
            "print(type(p('УБ23250112')).__name__, p('УБ27210112'))")
    out = subprocess.run(["faketime", "-f", "@2020-06-01 10:00:00", sys.executable, "-c", code],
                         capture_output=True, text=True, cwd=REPO, timeout=60,
                         env={**__import__("os").environ, "DONT_FAKE_MONOTONIC": "1"})
    assert out.returncode == 0, out.stderr
    # born 2023: a real date, accepted although the clock says 2020; born 2027: the
    # clock is certainly wrong (before this build), and the message says so
    assert out.stdout.split() == ["RegistryInfo", "rd_clock"]


def test_orphaned_attachment_rows_are_cleaned_at_start(isolated_home):
    from kiosk.store import Store, uuid7

    with Store.open(Home(isolated_home)) as store:
        # a fill that failed under I/O errors left its encrypted rows behind
        store.add_attachment(uuid7(), b"x" * 100, name="a.jpg", media_type="image/jpeg",
                             max_bytes=10_000)
        with store.write() as conn:
            conn.execute("UPDATE attachments SET created_at = '2026-01-01T00:00:00.000Z'")
        # a capture in progress in another process right now: left alone
        store.add_attachment(uuid7(), b"y" * 100, name="b.jpg", media_type="image/jpeg",
                             max_bytes=10_000)
    with Store.open(Home(isolated_home)) as store:
        before = store.read("SELECT COUNT(*) FROM attachments")[0][0]
        store.mark_open_drafts_interrupted()  # the kiosk-start hook
        after = store.read("SELECT COUNT(*) FROM attachments")[0][0]
    assert (before, after) == (2, 1)


def test_failed_fill_says_no_draft_was_kept(isolated_home, monkeypatch):
    from kiosk.errors import StorageError
    from kiosk.finalize import fill_from_file
    from kiosk.forms import load_catalog
    from kiosk.paths import bundled_catalog_dir
    from kiosk.store import DraftKeptError, Store
    from kiosk.store.outbox import OutboxMixin

    def failing(self, *a, **k):
        raise DraftKeptError("kiosk.db: disk I/O error")

    monkeypatch.setattr(OutboxMixin, "finalize", failing)
    catalog = load_catalog(bundled_catalog_dir())
    example = bundled_catalog_dir() / "examples" / "id-card.answers.json"
    with Store.open(Home(isolated_home)) as store, pytest.raises(StorageError) as err:
        fill_from_file(store, catalog, "id-card", example, lang="en")
    assert "draft is kept" not in err.value.message
    assert "no draft was kept" in err.value.message and "disk I/O error" in err.value.message


def test_odk_items_stranded_by_a_clock_set_back_are_due(isolated_home, device, agency):
    import time

    from kiosk.store import Store
    from sync.odk.deliver import due_odk_items
    from tests.store.conftest import document

    with Store.open(Home(isolated_home)) as store:
        env = store.finalize(document(a=1), device=device, agency_jwk=agency[1], demo=True)
        with store.write() as conn:  # scheduled while the clock was 30 days ahead
            conn.execute("UPDATE submissions SET agency_kid = 'odk', state = 'queued', "
                         "next_attempt_at = ? WHERE id = ?",
                         (time.time() + 30 * 86400, env.submission_id))
        assert [i.id for i in due_odk_items(store, time.time())] == [env.submission_id]
