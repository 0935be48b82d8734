"""Staff PIN: slow hash at rest, rate limit that survives a restart, audit entries."""

from __future__ import annotations

import pytest

from kiosk.errors import KioskError
from kiosk.paths import home
from kiosk.pin import (
    FREE_ATTEMPTS,
    PinCheck,
    PinLocked,
    PinOutcome,
    check_pin,
    has_pin,
    lockout_remaining,
    set_pin,
)
from kiosk.store import Store


def test_pin_hash_and_rate_limit(store, isolated_home):
    assert not has_pin(store) and not check_pin(store, "123456", now=0)
    set_pin(store, "246813")
    assert has_pin(store)
    raw = store.read("SELECT value FROM settings WHERE key = 'staff_pin'")[0][0]
    assert "246813" not in raw and "scrypt" in raw
    assert check_pin(store, "246813", now=100)
    for i in range(FREE_ATTEMPTS):
        assert not check_pin(store, "000000", now=100 + i)
    with pytest.raises(PinLocked) as locked:
        check_pin(store, "246813", now=105)  # even the right PIN waits
    assert 1 <= locked.value.seconds <= 30
    store.close()
    again = Store.open(home(isolated_home))  # a restart does not reset the limit
    assert lockout_remaining(again, now=110) > 0
    with pytest.raises(PinLocked):
        check_pin(again, "246813", now=110)
    assert not check_pin(again, "111111", now=200)  # wrong after the lock: longer lock
    assert lockout_remaining(again, now=200) == pytest.approx(60)
    assert check_pin(again, "246813", now=300)
    assert lockout_remaining(again, now=300) == 0
    events = [r[0] for r in again.read("SELECT event FROM audit_log")]
    assert "staff_login" in events and "staff_login_failed" in events
    assert again.verify_audit().ok
    again.close()


def test_pin_format(store):
    for bad in ("12", "12345", "abcdef", "1234567890123", "١٢٣٤٥٦", "１２３４５６"):
        with pytest.raises(KioskError):
            set_pin(store, bad)


def test_check_for_ui_reasons(isolated_home):
    from kiosk.pin import check_for_ui

    h = home(isolated_home)
    assert check_for_ui(h, "123456") == PinCheck(PinOutcome.NOT_SET)
    with Store.open(h) as store:
        set_pin(store, "123456")
    assert check_for_ui(h, "123456", now=10) == PinCheck(PinOutcome.OK)
    for i in range(FREE_ATTEMPTS):
        assert check_for_ui(h, "999999", now=20 + i) == PinCheck(PinOutcome.WRONG)
    result = check_for_ui(h, "123456", now=30)
    assert not result.ok and result.outcome is PinOutcome.LOCKED and result.seconds >= 1
