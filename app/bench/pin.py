"""Staff PIN figure for ``kiosk bench`` (suite ``pin``): what one guess costs.

The verifier in the database is scrypt with the parameters in kiosk.pin; a
copied database can be attacked only at this rate per core (target ≥ 0.25 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    from kiosk import pin

    seconds = pin.guess_seconds(2 if quick else 5)
    six_digit_core_days = 10**pin.MIN_LENGTH * seconds / 86400
    return {
        "kdf": f"scrypt N={pin._N} r={pin._R} p={pin._P}",
        "guess_seconds": round(seconds, 3),
        "target_guess_seconds": 0.25,
        "all_6_digit_pins_core_days": round(six_digit_core_days, 1),
        "meets_target": seconds >= 0.25,
    }
