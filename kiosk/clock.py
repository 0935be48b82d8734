"""What the kiosk can know about its own clock, and the times that must not trust it.

A kiosk's clock may be days off (a dead battery, a technician's typo, NTP that
has not run yet). Nothing stored may depend on the wall clock staying put:

- the wall clock is never earlier than the day this source was released
  (``BUILD_DATE``): a clock before it is certainly wrong;
- ``Elapsed`` measures time on the boot clock (``CLOCK_BOOTTIME``, which counts
  suspend and never jumps) and falls back to the wall clock only across a
  reboot, clamped, so a clock set back or forward cannot stretch a wait.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

# The day this source was released. A build stamps nothing else: the clock can
# only be trusted to be *after* this.
BUILD_DATE = "2026-11-30"
BUILD_EPOCH = datetime.fromisoformat(BUILD_DATE).replace(tzinfo=UTC).timestamp()


def wall_clock_before_build(now: float | None = None) -> bool:
    return (time.time() if now is None else now) < BUILD_EPOCH


def trusted_today() -> date:
    """Today by the kiosk clock, but never before the build's release date: a clock
    far behind must not make a recent date look like one in the future."""
    return max(date.today(), date.fromisoformat(BUILD_DATE))


def boot_id() -> str:
    """Identifies this boot (Linux); "" elsewhere (then only the wall clock is used)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text("ascii").strip()
    except OSError:
        return ""


def boot_seconds() -> float:
    """Seconds since boot, suspend included; never jumps with the wall clock."""
    clock = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
    return time.clock_gettime(clock)


def stamp() -> dict[str, float | str]:
    """A point in time that can be compared later, even after a clock change."""
    return {"boot": boot_id(), "mono": boot_seconds(), "wall": time.time()}


def elapsed_since(mark: dict | None, *, limit: float) -> float:
    """Seconds since ``mark`` (from ``stamp``), between 0 and ``limit``.

    Same boot: the boot clock, exact. Another boot: the wall clock, clamped to
    0..limit, so a clock moved back by a day counts as "no time passed" (a wait
    starts over, never grows beyond ``limit``) and a clock moved forward at
    most ends the wait.
    """
    if not mark:
        return limit
    try:
        if mark.get("boot") and mark.get("boot") == boot_id():
            return max(0.0, min(limit, boot_seconds() - float(mark["mono"])))
        return max(0.0, min(limit, time.time() - float(mark["wall"])))
    except (TypeError, ValueError, KeyError):
        return limit
