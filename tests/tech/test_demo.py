"""``kiosk demo`` end to end (real server subprocess on loopback) and doctor's all-pass case."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.paths import Home


def test_demo_headless_delivers_the_sample_to_the_server(kiosk_cli, tmp_path: Path) -> None:
    keyring_file = Path(__import__("os").environ["KIOSK_TEST_KEYRING"])
    result = kiosk_cli("--lang", "en", "demo", "--no-ui", "--dir", str(tmp_path / "demo"), timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "received 1 submission" in result.stdout
    # The demo kiosk kept its secrets in its own encrypted file, not in the keyring.
    assert (tmp_path / "demo" / "kiosk" / "secrets.enc").exists()
    assert not keyring_file.exists() or "device-key" not in keyring_file.read_text()
    # The demo kiosk has the known demo staff PIN it announces.
    from app.demo import DEMO_PIN
    from kiosk.pin import check_pin
    from kiosk.store import Store

    assert len(DEMO_PIN) == 6 and DEMO_PIN.isascii() and DEMO_PIN.isdigit()
    with Store.open(Home(tmp_path / "demo" / "kiosk")) as store:
        assert check_pin(store, DEMO_PIN)


def test_demo_opens_the_ui_and_ends_cleanly(kiosk_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KIOSK_EXIT_WHEN_READY", "1")  # the UI quits once home is interactive
    result = kiosk_cli("demo", "--dir", str(tmp_path / "demo"), timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # No --lang and no config: Mongolian, as every other command speaks (issue 19).
    assert "Сервер 0 өргөдөл хүлээн авсан" in result.stdout, result.stdout


def test_doctor_all_pass_on_an_enrolled_synced_kiosk(kiosk_cli, isolated_home, tmp_path) -> None:
    from app.demo import DemoServer
    from kiosk.store import Store
    from sync.enrol import enroll
    from sync.runtime import open_engine

    server = DemoServer(tmp_path / "central", timeout=60)
    try:
        url = server.start()
        code = str(server.call("enroll-code")["code"])
        home = Home(isolated_home)
        enroll(home, url, code, name="doctor-test")
        with Store.open(home) as store:
            engine = open_engine(home, store=store)
            engine.run_once(deadline=engine.clock() + 30)
        result = kiosk_cli("doctor", "--json", "--timeout", "5")
        report = json.loads(result.stdout)
        not_ok = [c for c in report["checks"] if c["status"] != "pass"]
        assert not not_ok, not_ok
        assert result.returncode == 0
        by_name = {c["name"]: c for c in report["checks"]}
        assert by_name["server"]["details"]["reachable"] is True
        assert abs(by_name["clock"]["details"]["skew_seconds"]) < 60
    finally:
        server.stop()
    # And with the server gone, the link is a warning, not a crash.
    result = kiosk_cli("doctor", "--json", "--timeout", "2")
    report = json.loads(result.stdout)
    assert {c["name"]: c["status"] for c in report["checks"]}["server"] == "warn"
    assert result.returncode == 1
