"""Log files: rotation, scrubbing of personal data and secrets, the support zip."""

from __future__ import annotations

import json
import logging
import os
import sys
import zipfile
from pathlib import Path

import pytest

from kiosk import logs
from kiosk.paths import Home
from tests.support.system_parts import run_as_unprivileged_user


@pytest.fixture
def logging_home(isolated_home: Path):
    """setup_logging on the test's home; the root logger is restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    home = Home(isolated_home)
    yield home
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ("registry УБ99887766 in text", "УБ99887766"),
        ("lower-case registry уб99887766", "уб99887766"),
        ("registry with Ө and Ү: ӨҮ12345678", "ӨҮ12345678"),
        ("phone 99112233", "99112233"),
        ("phone 9911-2233", "9911-2233"),
        ("phone +976 8811 2233", "8811 2233"),
        ("mail bat.dorj+kiosk@example.mn", "bat.dorj+kiosk@example.mn"),
        ('jwk {"kty": "OKP", "crv": "Ed25519", "x": "pub", "d": "PRIVATEPART"}', "PRIVATEPART"),
        ("repr {'kty': 'oct', 'k': 'SYMMETRICKEY'}", "SYMMETRICKEY"),
        ("Authorization: Bearer abc.DEF123.ghi", "abc.DEF123.ghi"),
        ("jws eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl done", "c2lnbmF0dXJl"),
        ("token=TOPSECRETVALUE", "TOPSECRETVALUE"),
        ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
        ("staff_pin: 482916", "482916"),
        ("enrolment_code=ABCD-EFGH", "ABCD-EFGH"),
        (
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIABCDEF\n-----END PRIVATE KEY-----",
            "MC4CAQAwBQYDK2VwBCIEIABCDEF",
        ),
    ],
)
def test_scrub_removes_personal_data_and_secrets(raw: str, secret: str) -> None:
    cleaned = logs.scrub(raw)
    assert secret not in cleaned
    assert "[" in cleaned  # replaced by a visible marker, not silently dropped


@pytest.mark.parametrize(
    "kept",
    [
        "submission 01936f0e-4a1b-7c2d-8e3f-0123456789ab sealed",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "at 2026-11-26T23:20:49+08:00 took 1234 ms on port 8443",
        "form birth_registration v3 validated: 12 answers",
    ],
)
def test_scrub_keeps_what_support_needs(kept: str) -> None:
    assert logs.scrub(kept) == kept


def test_log_file_is_scrubbed_including_arguments_and_tracebacks(logging_home: Home) -> None:
    path = logs.setup_logging(logging_home, "DEBUG")
    assert path == logging_home.logs / "kiosk.log"
    log = logging.getLogger("kiosk.test")
    log.info("answer %s phone %s", "УБ01020304", "88001122")
    try:
        raise ValueError("bad value 'dorj@example.mn' in field")
    except ValueError:
        log.exception("while validating")
    log.debug("jwk %s", {"kty": "OKP", "d": "SECRETD"})
    _flush()
    text = path.read_text(encoding="utf-8")
    for leaked in ("УБ01020304", "88001122", "dorj@example.mn", "SECRETD"):
        assert leaked not in text
    assert "while validating" in text and "ValueError" in text
    assert "[registry-no]" in text and "[phone]" in text


def test_setup_twice_does_not_duplicate_lines(logging_home: Home) -> None:
    logs.setup_logging(logging_home, "INFO")
    path = logs.setup_logging(logging_home, "INFO")
    assert path is not None
    logging.getLogger("kiosk.test").info("only once")
    _flush()
    assert path.read_text(encoding="utf-8").count("only once") == 1


def test_level_from_config_is_respected(logging_home: Home) -> None:
    path = logs.setup_logging(logging_home, "WARNING")
    assert path is not None
    logging.getLogger("kiosk.test").info("quiet")
    logging.getLogger("kiosk.test").warning("loud")
    _flush()
    text = path.read_text(encoding="utf-8")
    assert "loud" in text and "quiet" not in text


def test_files_rotate_and_are_bounded(logging_home: Home, monkeypatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    logs.setup_logging(logging_home, "INFO")
    log = logging.getLogger("kiosk.test")
    for i in range(400):
        log.info("line %d %s", i, "x" * 40)
    _flush()
    files = logs.log_files(logging_home)
    assert len(files) == 1 + logs.BACKUP_COUNT
    assert all(f.stat().st_size <= 2_200 for f in files)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_unwritable_log_folder_does_not_stop_the_kiosk(logging_home: Home, capsys, request) -> None:
    if os.geteuid() == 0:  # root ignores modes: the same test as an unprivileged user
        run_as_unprivileged_user(request.node.nodeid)
        return
    logging_home.logs.mkdir(parents=True, exist_ok=True)
    logging_home.logs.chmod(0o500)
    try:
        assert logs.setup_logging(logging_home, "INFO", "en") is None
    finally:
        logging_home.logs.chmod(0o700)
    assert "cannot write log files" in capsys.readouterr().err


def test_unwritable_log_path_does_not_stop_the_kiosk(logging_home: Home, capsys) -> None:
    # Works as root too: a file where the logs folder should be.
    logging_home.root.mkdir(parents=True, exist_ok=True)
    logging_home.logs.write_text("not a folder", encoding="utf-8")
    assert logs.setup_logging(logging_home, "INFO", "en") is None
    assert "cannot write log files" in capsys.readouterr().err


def test_cli_writes_the_log_file(kiosk_cli, isolated_home: Path) -> None:
    result = kiosk_cli("doctor", "--json")
    assert "Traceback" not in result.stderr
    assert (isolated_home / "logs" / "kiosk.log").exists()


def test_logs_export_zip_holds_logs_and_doctor_report(kiosk_cli, isolated_home, tmp_path):
    logs_dir = isolated_home / "logs"
    logs_dir.mkdir(parents=True, exist_ok=True)
    # A file an older build might have left: the export scrubs it again.
    (logs_dir / "kiosk.log.1").write_text(
        "2026-01-01 INFO old line phone 99001122 reg АБ11223344\n", encoding="utf-8"
    )
    (isolated_home / "config.toml").write_text('language = "en"\n', encoding="utf-8")
    (isolated_home / "kiosk.db").write_bytes(b"not for support")
    (isolated_home / "secrets.enc").write_bytes(b"never for support")
    target = tmp_path / "support.zip"
    result = kiosk_cli("logs", "--export", str(target))
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        assert {"doctor.json", "logs/kiosk.log", "logs/kiosk.log.1", "config.toml"} <= names
        assert not [n for n in names if n.endswith((".db", ".enc", ".json.tmp")) or "secret" in n]
        report = json.loads(zf.read("doctor.json"))
        old = zf.read("logs/kiosk.log.1").decode("utf-8")
    assert report["status"] in ("pass", "warn", "fail")
    assert {c["name"] for c in report["checks"]} >= {"version", "database", "keyring"}
    assert "99001122" not in old and "АБ11223344" not in old and "old line" in old
    assert not list(tmp_path.glob("*.partial"))


def test_logs_export_to_missing_folder_is_one_clear_line(kiosk_cli, tmp_path):
    result = kiosk_cli("--lang", "en", "logs", "--export", str(tmp_path / "nowhere" / "x.zip"))
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr
