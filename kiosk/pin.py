"""The staff PIN: the only way out of the locked-down kiosk screen.

Stored as a slow hash (scrypt from ``cryptography``, random salt) in the
store's settings — never the PIN itself. Wrong attempts are rate-limited and
the limit survives a restart (it is in the database, not in memory): after
``FREE_ATTEMPTS`` wrong PINs each further one locks the screen for twice as
long as the last, up to an hour. Every attempt is in the audit log (no PIN).
"""

from __future__ import annotations

import hmac
import os
import time
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kiosk import audit
from kiosk.envelope import b64url, b64url_decode
from kiosk.errors import KioskError
from kiosk.i18n import t

PIN_KEY = "staff_pin"
STATE_KEY = "staff_pin_attempts"
MIN_LENGTH = 4
MAX_LENGTH = 12
FREE_ATTEMPTS = 5
FIRST_LOCK_SECONDS = 30.0
MAX_LOCK_SECONDS = 3600.0
_N, _R, _P = 2**14, 8, 1


class PinLocked(KioskError):
    def __init__(self, seconds: float, lang: str = "mn") -> None:
        self.seconds = max(1, int(seconds + 0.999))
        super().__init__(t("store.pin_locked", lang, seconds=self.seconds))


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(pin.encode("utf-8"))


def has_pin(store: Any) -> bool:
    return store.get_setting(PIN_KEY) is not None


def set_pin(store: Any, pin: str, lang: str = "mn") -> None:
    """Set or change the staff PIN (digits only, MIN_LENGTH..MAX_LENGTH)."""
    if not (pin.isdigit() and MIN_LENGTH <= len(pin) <= MAX_LENGTH):
        raise KioskError(t("store.pin_too_short", lang, min=MIN_LENGTH))
    salt = os.urandom(16)
    record = {
        "kdf": "scrypt",
        "n": _N,
        "r": _R,
        "p": _P,
        "salt": b64url(salt),
        "hash": b64url(_derive(pin, salt, _N, _R, _P)),
    }
    with store.write() as conn:
        for key, value in ((PIN_KEY, record), (STATE_KEY, {"failures": 0, "locked_until": 0})):
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, json(?)) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, _json(value)),
            )
        audit.append(conn, "staff_pin_set")


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def check_pin(store: Any, pin: str, *, now: float | None = None, lang: str = "mn") -> bool:
    """True if ``pin`` is right. Raises PinLocked while attempts are locked out.

    With no PIN set yet, nothing matches: the technician sets one at install.
    """
    now = time.time() if now is None else now
    state = store.get_setting(STATE_KEY, {"failures": 0, "locked_until": 0})
    if now < state.get("locked_until", 0):
        raise PinLocked(state["locked_until"] - now, lang)
    record = store.get_setting(PIN_KEY)
    ok = False
    if record is not None:
        digest = _derive(pin, b64url_decode(record["salt"]), record["n"], record["r"], record["p"])
        ok = hmac.compare_digest(digest, b64url_decode(record["hash"]))
    failures = 0 if ok else int(state.get("failures", 0)) + 1
    locked_until = 0.0
    if failures >= FREE_ATTEMPTS:
        lock = min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (failures - FREE_ATTEMPTS))
        locked_until = now + lock
    with store.write() as conn:
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (STATE_KEY, _json({"failures": failures, "locked_until": locked_until})),
        )
        audit.append(
            conn, "staff_login" if ok else "staff_login_failed", None, {"failures": failures}
        )
    return ok


def lockout_remaining(store: Any, now: float | None = None) -> float:
    """Seconds until the next attempt is allowed (0 when it is allowed now)."""
    now = time.time() if now is None else now
    state = store.get_setting(STATE_KEY, {"failures": 0, "locked_until": 0})
    return max(0.0, float(state.get("locked_until", 0)) - now)


def check_for_ui(where: Any, pin: str, *, now: float | None = None) -> tuple[bool, str]:
    """(ok, reason) for the staff screen: reason is "", "wrong", "not_set" or
    "locked:<seconds>". ``where`` is a Store or a data folder (Home)."""
    from kiosk.store import Store

    own = not hasattr(where, "write")
    store = Store.open(where) if own else where
    try:
        if not has_pin(store):
            return False, "not_set"
        try:
            ok = check_pin(store, pin, now=now)
        except PinLocked as exc:
            return False, f"locked:{exc.seconds}"
        return ok, "" if ok else "wrong"
    finally:
        if own:
            store.close()
