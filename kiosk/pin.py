"""The staff PIN: the only way out of the locked-down kiosk screen.

What a copied database gives an attacker: a slow hash to guess against —
scrypt (random salt, N=2^16, r=8, p=3: at least 0.25 s and 64 MiB a guess;
``kiosk bench`` reports the figure), never the PIN itself. A PIN stored with cheaper
parameters (p=2, which measured 0.25 s a guess on a quiet dev machine: at the target,
not above it) is re-stored at the current cost the next time it is entered right. The verifier is
deliberately not keyed by the secrets store: staff must be able to unlock staff
mode (and see the diagnostics) on a kiosk whose keyring is broken.

PINs are 6 to 12 ASCII digits. Wrong attempts are rate-limited: after
``FREE_ATTEMPTS`` wrong PINs each further one locks the screen for twice as long
as the last, up to an hour. The attempt is counted *before* the PIN is checked,
in one IMMEDIATE transaction, so parallel attempts (several processes) each
count. The lock is measured as elapsed time on the boot clock
(kiosk/clock.py): it survives a restart and a clock set back or forward cannot
stretch it beyond its length. Every attempt is in the audit log (no PIN).
"""

from __future__ import annotations

import hmac
import json
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kiosk import audit
from kiosk.clock import elapsed_since, stamp
from kiosk.envelope import b64url, b64url_decode
from kiosk.errors import KioskError

PIN_KEY = "staff_pin"
STATE_KEY = "staff_pin_attempts"
MIN_LENGTH = 6
MAX_LENGTH = 12
FREE_ATTEMPTS = 5
FIRST_LOCK_SECONDS = 30.0
MAX_LOCK_SECONDS = 3600.0
# 64 MiB (N and r); p runs the 64 MiB mix p times in turn: time, not memory.
# p=3: 0.37-0.38 s a guess on one quiet core of the dev machine (p=2 gave 0.25 s).
_N, _R, _P = 2**16, 8, 3
_PIN_RE = re.compile(f"[0-9]{{{MIN_LENGTH},{MAX_LENGTH}}}")


class PinLocked(KioskError):
    def __init__(self, seconds: float, lang: str = "mn") -> None:
        self.seconds = max(1, int(seconds + 0.999))
        super().__init__(key="store.pin_locked", params={"seconds": self.seconds})


class PinOutcome(StrEnum):
    """What a PIN attempt on the staff screen came to."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # too many wrong attempts: wait ``PinCheck.seconds``
    NOT_SET = "not_set"


@dataclass(frozen=True)
class PinCheck:
    """A PIN attempt's outcome; ``seconds`` to wait when it is LOCKED (else 0)."""

    outcome: PinOutcome
    seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is PinOutcome.OK


def valid_format(pin: str) -> bool:
    """6..12 ASCII digits ("١٢٣٤٥٦" and other Unicode digits are not a PIN)."""
    return bool(_PIN_RE.fullmatch(pin))


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(pin.encode("utf-8"))


def _verifier(pin: str, record: dict[str, Any]) -> bytes:
    return _derive(pin, b64url_decode(record["salt"]), record["n"], record["r"], record["p"])


def guess_seconds(repeat: int = 3) -> float:
    """What one guess costs with the current parameters (best of ``repeat``): the bench."""
    import time

    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        _derive("000000", b"\0" * 16, _N, _R, _P)
        best = min(best, time.perf_counter() - started)
    return best


def has_pin(store: Any) -> bool:
    return store.get_setting(PIN_KEY) is not None


def set_pin(store: Any, pin: str, lang: str = "mn", *, event: str = "staff_pin_set") -> None:
    """Set the staff PIN (6..12 ASCII digits). Callers that change an existing PIN
    check the current one first (``change_pin``)."""
    if not valid_format(pin):
        raise KioskError(key="store.pin_too_short", params={"min": MIN_LENGTH})
    record = _new_record(pin)
    with store.write() as conn:
        for key, value in ((PIN_KEY, record), (STATE_KEY, {"failures": 0})):
            _put(conn, key, value)
        audit.append(conn, event)


def _new_record(pin: str) -> dict[str, Any]:
    """The stored verifier of ``pin``: a fresh salt and the current cost."""
    record: dict[str, Any] = {"kdf": "scrypt", "n": _N, "r": _R, "p": _P,
                              "salt": b64url(os.urandom(16))}
    record["hash"] = b64url(_verifier(pin, record))
    return record


def _cheaper(record: dict[str, Any]) -> bool:
    """A verifier stored with less cost than the current parameters."""
    return (record.get("n", 0), record.get("r", 0), record.get("p", 0)) < (_N, _R, _P) and (
        record.get("n", 0) <= _N and record.get("r", 0) <= _R and record.get("p", 0) <= _P)


def change_pin(store: Any, new_pin: str, *, current: str | None = None, reset: bool = False,
               lang: str = "mn") -> None:
    """Set or replace the PIN: over an existing one, the current PIN (an attempt like
    any other: counted, rate-limited) or an explicit technician reset (audited)."""
    if not valid_format(new_pin):
        raise KioskError(key="store.pin_too_short", params={"min": MIN_LENGTH})
    if has_pin(store) and not reset:
        if current is None or not check_pin(store, current, lang=lang):
            raise KioskError(key="trust.pin_current_wrong")
    set_pin(store, new_pin, lang, event="staff_pin_reset" if reset and has_pin(store)
            else "staff_pin_set")


def _put(conn: Any, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def _get(conn: Any, key: str, default: Any) -> Any:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def _remaining(state: dict[str, Any], now: float | None) -> float:
    lock = float(state.get("lock_seconds", 0) or 0)
    if lock <= 0:
        return 0.0
    mark = state.get("locked_at")
    if now is not None:  # injected clock (tests): wall time only
        mark = {"wall": float(state.get("locked_wall", now))}
        return max(0.0, lock - max(0.0, min(lock, now - mark["wall"])))
    return max(0.0, lock - elapsed_since(mark, limit=lock))


def _lock_for(failures: int) -> float:
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (failures - FREE_ATTEMPTS))


def check_pin(store: Any, pin: str, *, now: float | None = None, lang: str = "mn") -> bool:
    """True if ``pin`` is right. Raises PinLocked while attempts are locked out.

    With no PIN set yet, nothing matches: the technician sets one at install.
    """
    record = store.get_setting(PIN_KEY)
    # 1. count the attempt first, atomically: a parallel attempt sees it
    with store.write() as conn:
        state = _get(conn, STATE_KEY, {"failures": 0})
        remaining = _remaining(state, now)
        if remaining > 0:
            raise PinLocked(remaining, lang)
        failures = int(state.get("failures", 0)) + 1
        lock = _lock_for(failures)
        mark = stamp()
        _put(conn, STATE_KEY, {"failures": failures, "lock_seconds": lock, "locked_at": mark,
                               "locked_wall": mark["wall"] if now is None else now})
    # 2. the slow check, outside the write lock
    ok = False
    if record is not None:
        ok = hmac.compare_digest(_verifier(pin, record), b64url_decode(record["hash"]))
    upgraded = _new_record(pin) if ok and record is not None and _cheaper(record) else None
    # 3. a right PIN clears the counter; either way the audit log has the attempt
    with store.write() as conn:
        if ok:
            _put(conn, STATE_KEY, {"failures": 0})
        if upgraded is not None:  # stored again at today's cost (the PIN is known now)
            _put(conn, PIN_KEY, upgraded)
        audit.append(conn, "staff_login" if ok else "staff_login_failed", None,
                     {"failures": 0 if ok else failures})
    return ok


def lockout_remaining(store: Any, now: float | None = None) -> float:
    """Seconds until the next attempt is allowed (0 when it is allowed now)."""
    return _remaining(store.get_setting(STATE_KEY, {"failures": 0}), now)


def check_for_ui(where: Any, pin: str, *, now: float | None = None) -> PinCheck:
    """The attempt's outcome for the staff screen. ``where`` is a Store or a data folder
    (Home)."""
    from kiosk.store import Store

    own = not hasattr(where, "write")
    store = Store.open(where) if own else where
    try:
        if not has_pin(store):
            return PinCheck(PinOutcome.NOT_SET)
        try:
            ok = check_pin(store, pin, now=now)
        except PinLocked as exc:
            return PinCheck(PinOutcome.LOCKED, exc.seconds)
        return PinCheck(PinOutcome.OK if ok else PinOutcome.WRONG)
    finally:
        if own:
            store.close()
