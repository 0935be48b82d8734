"""A staff PIN stored at an older, cheaper scrypt cost is stored again at today's cost
the first time it is entered right (the PIN is known only then); a wrong PIN changes
nothing. The cost itself is a `kiosk bench` figure (suite ``pin``), never timed here."""

from __future__ import annotations

from typing import Any

from kiosk import pin
from kiosk.envelope import b64url
from kiosk.paths import Home
from kiosk.store import Store


def _store_at_old_cost(store: Store, value: str) -> dict[str, Any]:
    record: dict[str, Any] = {"kdf": "scrypt", "n": 2**16, "r": 8, "p": 2,
                              "salt": b64url(b"\1" * 16)}
    record["hash"] = b64url(pin._verifier(value, record))
    with store.write() as conn:
        pin._put(conn, pin.PIN_KEY, record)
    return record


def test_a_right_pin_is_stored_again_at_the_current_cost(isolated_home) -> None:  # type: ignore[no-untyped-def]
    assert (pin._N, pin._R, pin._P) > (2**16, 8, 2)  # today's cost is above the old one
    with Store.open(Home(isolated_home)) as store:
        old = _store_at_old_cost(store, "482913")
        assert not pin.check_pin(store, "000000")
        assert store.get_setting(pin.PIN_KEY) == old  # a wrong PIN upgrades nothing
        assert pin.check_pin(store, "482913")
        new = store.get_setting(pin.PIN_KEY)
        assert (new["n"], new["r"], new["p"]) == (pin._N, pin._R, pin._P)
        assert new["salt"] != old["salt"] and "482913" not in str(new)
        assert pin.check_pin(store, "482913") and not pin.check_pin(store, "482914")
        assert store.get_setting(pin.PIN_KEY) == new  # already at today's cost: kept
