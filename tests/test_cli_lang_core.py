"""Errors raised deep in the core reach the technician in the kiosk's language.

``tests/test_cli_lang.py`` walks the command line's own error paths; these cases
reach an error raised in a core module (secrets, finalize, receipt, envelope, the
central client, the ODK export) through the real ``kiosk`` command, as a subprocess,
with ``--lang mn``: the line must hold no Latin-script prose, and in English it must
read differently (so a case cannot pass by printing only names). One case per module
whose errors carry a catalog key (``core.*``, ``wire.*`` in assets/i18n).
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.device import DeviceIdentity, new_private_jwk
from tests.test_cli_lang import latin_prose

REPO = Path(__file__).resolve().parent.parent
ACRONYMS = frozenset({"HTTP", "ENOTDIR", "EEXIST"})  # the protocol; errno names
EXAMPLE = REPO / "assets" / "catalog" / "examples" / "id-card.answers.json"


class _WebPage(http.server.BaseHTTPRequestHandler):
    """A captive portal: every request gets a web page."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"<html><body>Please log in to the hotel Wi-Fi</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _both(kiosk_cli, args: list[str]):  # type: ignore[no-untyped-def]
    return (kiosk_cli("--lang", "mn", *args, input=""),
            kiosk_cli("--lang", "en", *args, input=""))


def _check(name: str, mn, en, args: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    lines = mn.stderr.strip().splitlines()
    if mn.returncode in (0, 70) or len(lines) != 1 or "Traceback" in mn.stderr:
        return [f"{name}: exit {mn.returncode}, stderr {mn.stderr!r}"]
    prose = latin_prose(mn.stderr, frozenset(args) | ACRONYMS)
    if prose or mn.stderr == en.stderr:
        return [f"{name}: {prose} in {mn.stderr!r} (en: {en.stderr!r})"]
    return []


def test_core_errors_reach_the_technician_in_mongolian(isolated_home: Path, kiosk_cli,  # type: ignore[no-untyped-def]
                                                       tmp_path: Path, portal: str) -> None:
    key_file = tmp_path / "device.jwk"
    key_file.write_text(json.dumps(DeviceIdentity.from_private_jwk(new_private_jwk()).public_jwk),
                        encoding="utf-8")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"answers": {"no_such_question": "1"}}), encoding="utf-8")
    cases = {
        "finalize: not a question of the form": ["fill", "id-card", "--answers", str(unknown)],
        "receipt: not a receipt": ["receipt", "verify", "not-a-receipt", "--key", str(key_file)],
        "envelope: signature check": ["receipt", "verify", "eyJh.eyJi.c2ln", "--key",
                                      str(key_file)],
        "ODK export: no USB folder": ["export", "--odk", "--out", str(tmp_path / "usb" / "x")],
        "central client: a web page answers": ["enroll", "--server", portal, "--code", "x"],
    }
    problems = []
    for name, args in cases.items():
        problems += _check(name, *_both(kiosk_cli, args), args)
    assert not problems, "\n".join(problems)


def test_a_secrets_file_error_speaks_mongolian(isolated_home: Path, kiosk_cli,  # type: ignore[no-untyped-def]
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """kiosk/secrets.py: a new encrypted secrets file with a too-short passphrase."""
    (isolated_home / "config.toml").write_text('keyring_fallback = "encrypted-file"\n',
                                               encoding="utf-8")
    monkeypatch.setenv("KIOSK_SECRETS_PASSPHRASE", "short")
    args = ["fill", "id-card", "--answers", str(EXAMPLE)]
    mn, en = _both(kiosk_cli, args)
    assert mn.returncode == 4, mn.stderr
    assert "secrets.enc" in mn.stderr
    assert not _check("secrets: short passphrase", mn, en, args)


def test_a_round_error_is_printed_in_the_readers_language(capsys) -> None:  # type: ignore[no-untyped-def]
    """`kiosk sync` prints a failed round's detail (from the engine) in the kiosk's language;
    the report keeps the English for logs and scripts."""
    from app.commands.sync import _print_round
    from sync.client import OutcomeUnknown
    from sync.engine import SyncEngine
    from sync.report import RoundReport

    report = RoundReport()
    SyncEngine._stopped(report, OutcomeUnknown(key="wire.send_failed", params={
        "url": "http://127.0.0.1:9", "reason": "WriteError"}))
    assert report.error and "will resend" in report.error  # English in the report
    _print_round(report, "mn")
    detail = capsys.readouterr().out.strip().splitlines()[1]
    assert "127.0.0.1:9" in detail and not latin_prose(detail), detail


def test_an_unwritable_log_folder_is_said_in_mongolian(kiosk_here_status, kiosk_cli) -> None:  # type: ignore[no-untyped-def]
    """kiosk/logs.py: the one warning line when the log folder cannot be written; then the
    store (kiosk/store) says it cannot use that data folder: a line, not an internal error."""
    mn, en = _both(kiosk_cli, ["status"])
    warning, error = mn.stderr.strip().splitlines()
    assert warning.startswith("kiosk: warning: ") and error.startswith("kiosk: error: ")
    assert mn.returncode == 5 and str(kiosk_here_status) in error, mn.stderr
    assert str(kiosk_here_status) in warning and mn.stderr != en.stderr
    # "kiosk: warning:" is a stable marker for scripts, as "kiosk: error:" is
    assert not latin_prose(mn.stderr.replace("kiosk: warning: ", ""), ACRONYMS), mn.stderr


@pytest.fixture
def kiosk_here_status(isolated_home: Path, kiosk_cli) -> Path:  # type: ignore[no-untyped-def]
    """A kiosk whose logs folder is a file."""
    made = kiosk_cli("--lang", "en", "pin", "set", "--stdin", input="135790\n")
    assert made.returncode == 0, made.stderr
    logs = isolated_home / "logs"
    for old in logs.iterdir():
        old.unlink()
    logs.rmdir()
    logs.write_text("not a folder", encoding="utf-8")
    return logs
