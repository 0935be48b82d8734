"""``kiosk doctor``: the JSON shape, the exit codes, and that a check never crashes it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app import doctor, doctor_probes
from kiosk.config import Config
from kiosk.paths import Home

NAMES = [
    "config", "version", "data_folder", "database", "schema", "catalog", "keyring",
    "device", "server", "odk", "clock", "queue", "last_sync",
]


def _doctor_json(kiosk_cli, *extra: str):
    result = kiosk_cli("doctor", "--json", "--timeout", "2", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_json_shape_and_exit_code_match(kiosk_cli) -> None:
    code, report = _doctor_json(kiosk_cli)
    assert set(report) == {"version", "home", "status", "checks"}
    assert [c["name"] for c in report["checks"]] == NAMES
    for check in report["checks"]:
        assert set(check) == {"name", "status", "message", "fix", "title", "details"}
        assert check["status"] in ("pass", "warn", "fail")
        assert check["message"] and check["title"]
        assert "\n" not in check["message"] and "\n" not in check["fix"]
        if check["status"] != "pass":
            assert check["fix"], check
    assert code == {"pass": 0, "warn": 1, "fail": 2}[report["status"]]


def test_fresh_home_warns_and_exits_1(kiosk_cli, isolated_home: Path) -> None:
    code, report = _doctor_json(kiosk_cli)
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["database"]["status"] == "warn"  # no database yet
    assert by_name["keyring"]["status"] == "pass"  # the test keyring works
    assert by_name["data_folder"]["status"] == "pass"
    assert report["status"] == "warn" and code == 1


def test_broken_database_fails_and_exits_2(kiosk_cli, isolated_home: Path) -> None:
    (isolated_home / "kiosk.db").write_bytes(b"this is not an SQLite database" * 200)
    code, report = _doctor_json(kiosk_cli)
    db = next(c for c in report["checks"] if c["name"] == "database")
    assert db["status"] == "fail"
    assert "kiosk.db" in db["message"]
    assert code == 2 and report["status"] == "fail"


def test_corrupt_pages_fail_integrity_check(isolated_home: Path) -> None:
    db = isolated_home / "kiosk.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE INDEX t_v ON t (v)")
    conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"value {i}" * 20,) for i in range(500)])
    conn.commit()
    conn.close()
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(3 * page + 100, 3 * page + 400):  # scribble inside a b-tree page
        data[offset] = 0xA5
    db.write_bytes(bytes(data))
    checks = doctor.run_checks(Home(isolated_home), Config(), server_timeout=1)
    check = next(c for c in checks if c.name == "database")
    assert check.status == doctor.FAIL
    assert check.fix


def test_healthy_database_passes_read_only(isolated_home: Path) -> None:
    db = isolated_home / "kiosk.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    checks = doctor.run_checks(Home(isolated_home), Config(), server_timeout=1)
    assert next(c for c in checks if c.name == "database").status == doctor.PASS
    assert db.read_bytes() == before


def test_broken_config_is_a_failed_check_not_a_crash(kiosk_cli, isolated_home: Path) -> None:
    (isolated_home / "config.toml").write_text("language = [broken\n", encoding="utf-8")
    code, report = _doctor_json(kiosk_cli)
    config = report["checks"][0]
    assert config["name"] == "config" and config["status"] == "fail"
    assert "config.toml" in config["message"]
    assert code == 2


def test_human_output_has_one_line_per_check_and_fixes(kiosk_cli, isolated_home) -> None:
    (isolated_home / "kiosk.db").write_bytes(b"garbage" * 100)
    result = kiosk_cli("--lang", "en", "doctor", "--timeout", "2")
    assert result.returncode == 2
    assert "FAIL  Database:" in result.stdout
    assert "fix: " in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("Summary:")


def test_a_crashing_check_is_reported_as_a_failure(isolated_home, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("probe exploded")

    monkeypatch.setattr(doctor_probes, "keyring_info", boom)
    checks = doctor.run_checks(Home(isolated_home), Config(), server_timeout=1)
    keyring = next(c for c in checks if c.name == "keyring")
    assert keyring.status == doctor.FAIL and "RuntimeError" in keyring.message
    assert len(checks) == len(NAMES) - 1  # every other check still ran


def test_a_missing_part_is_a_warning(isolated_home, monkeypatch) -> None:
    def missing(*args, **kwargs):
        raise doctor_probes.Unavailable("kiosk.store")

    monkeypatch.setattr(doctor_probes, "queue_info", missing)
    checks = doctor.run_checks(Home(isolated_home), Config(), server_timeout=1, lang="en")
    queue = next(c for c in checks if c.name == "queue")
    assert queue.status == doctor.WARN
    assert "not available in this build" in queue.message.lower()


@pytest.mark.parametrize(("free_mb", "status"), [(10, "fail"), (200, "warn"), (5000, "pass")])
def test_free_disk_thresholds(isolated_home, monkeypatch, free_mb: int, status: str) -> None:
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(
        shutil, "disk_usage", lambda path: usage(10**12, 0, free_mb * 1024 * 1024)
    )
    checks = doctor.run_checks(Home(isolated_home), Config(), server_timeout=1)
    assert next(c for c in checks if c.name == "data_folder").status == status


@pytest.mark.parametrize(("skew", "status"), [(3, "pass"), (-120, "warn"), (900, "fail")])
def test_clock_skew_thresholds(isolated_home, monkeypatch, skew: float, status: str) -> None:
    monkeypatch.setattr(doctor_probes, "clock_info", lambda *a: {"skew_seconds": skew})
    checks = doctor.run_checks(Home(isolated_home), Config(), server_timeout=1)
    assert next(c for c in checks if c.name == "clock").status == status


def test_exit_codes_follow_the_worst_status() -> None:
    def c(status: str) -> doctor.Check:
        return doctor.Check(name="x", status=status, message="m", fix="f")

    assert doctor.exit_code([c("pass"), c("pass")]) == 0
    assert doctor.exit_code([c("pass"), c("warn")]) == 1
    assert doctor.exit_code([c("warn"), c("fail"), c("pass")]) == 2


def test_every_doctor_string_is_bilingual() -> None:
    from kiosk.paths import ASSETS_DIR

    entries = json.loads((ASSETS_DIR / "i18n" / "doctor.json").read_text(encoding="utf-8"))
    for key, texts in entries.items():
        assert texts.get("mn") and texts.get("en"), key
    for name in NAMES:
        assert f"title_{name}" in entries


def _check(home: Path, name: str, config: Config | None = None) -> doctor.Check:
    checks = doctor.run_checks(Home(home), config or Config(), server_timeout=1, lang="en")
    return next(c for c in checks if c.name == name)


def test_device_not_enrolled_warns_enrolled_with_key_passes(isolated_home: Path) -> None:
    from kiosk import device, secrets

    store = secrets.open_secrets(isolated_home)
    assert _check(isolated_home, "device").status == doctor.WARN
    ident = device.create_device(store)
    store.set_json(secrets.API_CREDENTIALS, {"token": "x"})
    check = _check(isolated_home, "device")
    assert check.status == doctor.PASS and ident.device_id in check.message


def test_enrolled_device_without_its_key_fails(isolated_home: Path) -> None:
    from kiosk import secrets

    secrets.open_secrets(isolated_home).set_json(secrets.API_CREDENTIALS, {"token": "x"})
    check = _check(isolated_home, "device")
    assert check.status == doctor.FAIL and check.fix


def test_no_keyring_backend_fails_with_the_fallback_as_fix(isolated_home, monkeypatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    check = _check(isolated_home, "keyring")
    assert check.status == doctor.FAIL
    assert "encrypted-file" in check.fix


def test_configured_fallback_never_prompts(isolated_home, monkeypatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    monkeypatch.delenv("KIOSK_SECRETS_PASSPHRASE", raising=False)
    monkeypatch.setattr("getpass.getpass", lambda *a: pytest.fail("the doctor prompted"))
    config = Config(keyring_fallback="encrypted-file")
    assert _check(isolated_home, "keyring", config).status == doctor.PASS
    assert _check(isolated_home, "device", config).status == doctor.FAIL


def test_configured_fallback_with_wrong_passphrase_fails(isolated_home, monkeypatch) -> None:
    from kiosk import secrets

    path = isolated_home / "secrets.enc"
    secrets.open_secrets(
        isolated_home, fallback="encrypted-file", fallback_file=str(path), passphrase="the right passphrase"
    ).data_key()
    monkeypatch.setenv("KIOSK_SECRETS_PASSPHRASE", "a wrong passphrase")
    config = Config(keyring_fallback="encrypted-file", keyring_fallback_file=str(path))
    assert _check(isolated_home, "keyring", config).status == doctor.FAIL
    monkeypatch.setenv("KIOSK_SECRETS_PASSPHRASE", "the right passphrase")
    assert _check(isolated_home, "keyring", config).status == doctor.PASS


def _store_with_sample(home: Path):
    """A real store in ``home`` holding one finalized sample submission."""
    from kiosk.finalize import fill_from_file
    from kiosk.forms import load_catalog
    from kiosk.paths import bundled_catalog_dir
    from kiosk.store import Store

    catalog = load_catalog(bundled_catalog_dir())
    example = bundled_catalog_dir() / "examples" / "id-card.answers.json"
    with Store.open(Home(home)) as store:
        return fill_from_file(store, catalog, "id-card", example, lang="en")


def test_schema_and_queue_of_a_real_store(isolated_home: Path) -> None:
    from kiosk.store import SCHEMA_VERSION

    _store_with_sample(isolated_home)
    before = (isolated_home / "kiosk.db").read_bytes()
    schema = _check(isolated_home, "schema")
    assert schema.status == doctor.PASS and schema.details["current"] == SCHEMA_VERSION
    queue = _check(isolated_home, "queue")
    assert queue.status == doctor.PASS
    assert queue.details["unsent"] == 1 and queue.details["oldest_unsent_hours"] is not None
    assert (isolated_home / "kiosk.db").read_bytes() == before  # the doctor changed nothing


def test_old_unsent_submission_warns(isolated_home: Path, monkeypatch) -> None:
    _store_with_sample(isolated_home)
    real = doctor_probes.queue_info

    def aged(home):
        info = real(home)
        info["oldest_unsent_hours"] = doctor.QUEUE_WARN_HOURS + 1
        return info

    monkeypatch.setattr(doctor_probes, "queue_info", aged)
    assert _check(isolated_home, "queue").status == doctor.WARN


def test_database_from_a_newer_build_fails_and_is_left_alone(kiosk_cli, isolated_home) -> None:
    from kiosk.store import SCHEMA_VERSION

    _store_with_sample(isolated_home)
    db = isolated_home / "kiosk.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    code, report = _doctor_json(kiosk_cli)
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["schema"]["status"] == "fail"
    assert by_name["queue"]["status"] == "warn"
    assert code == 2
    assert db.read_bytes() == before


def test_catalog_check_bundled_broken_and_empty(isolated_home: Path, tmp_path: Path) -> None:
    import shutil

    from kiosk.paths import bundled_catalog_dir

    check = _check(isolated_home, "catalog")
    assert check.status == doctor.PASS and check.details["source"] == "bundled"
    copy = tmp_path / "catalog"
    shutil.copytree(bundled_catalog_dir(), copy)
    broken = sorted((copy / "forms").glob("*.json"))[0]
    broken.write_text("{ not json", encoding="utf-8")
    check = _check(isolated_home, "catalog", Config(catalog_dir=str(copy)))
    assert check.status == doctor.WARN and broken.name in check.message
    assert check.details["forms"] > 0
    empty = tmp_path / "empty"
    empty.mkdir()
    check = _check(isolated_home, "catalog", Config(catalog_dir=str(empty)))
    assert check.status == doctor.FAIL and check.fix


def test_a_check_status_is_one_of_three_words() -> None:
    check = doctor.Check(name="x", status="warn", message="m")  # type: ignore[arg-type]
    assert check.status is doctor.CheckStatus.WARN and check.to_dict()["status"] == "warn"
    assert json.loads(json.dumps(check.to_dict()))["status"] == "warn"
    with pytest.raises(ValueError):
        doctor.Check(name="x", status="ok", message="m")  # type: ignore[arg-type]
