"""``kiosk pin set``: the technician's way to give staff a PIN the UI accepts."""

from __future__ import annotations


def test_pin_set_from_stdin_then_the_ui_check_accepts_it(kiosk_cli, isolated_home):
    assert kiosk_cli("pin", "status").returncode == 1
    result = kiosk_cli("pin", "set", "--stdin", "--lang", "en", input="482913\n")
    assert result.returncode == 0, result.stderr
    assert "PIN is set" in result.stdout
    assert kiosk_cli("pin", "status").returncode == 0

    from kiosk.paths import Home
    from kiosk.pin import PinOutcome, check_for_ui
    from kiosk.store import Store

    with Store.open(Home(isolated_home)) as store:
        assert check_for_ui(store, "482913").ok
        assert check_for_ui(store, "000000").outcome is PinOutcome.WRONG


def test_bad_pin_is_one_clear_line_and_nothing_is_set(kiosk_cli):
    result = kiosk_cli("pin", "set", "--stdin", "--lang", "en", input="12\n")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert kiosk_cli("pin", "status").returncode == 1
