"""Per-key token buckets: enrolment attempts and failed authentications, per address
and per device, answered with ``429`` and ``Retry-After`` (which the kiosk honours).

In memory on purpose: limits protect this process's CPU and the enrolment codes
from guessing; a restart forgets them, which costs an attacker a restart they
cannot cause. The table is bounded (full buckets are dropped first).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: float, burst: int, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or None if it may now (spends nothing)."""
        with self._lock:
            tokens = self._tokens(key, self.clock())
        if tokens >= 1.0:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def spend(self, key: str) -> int | None:
        """Take one token; the Retry-After (seconds) if there was none."""
        with self._lock:
            now = self.clock()
            tokens = self._tokens(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / self.rate))
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._prune(now)
        return None

    def _prune(self, now: float) -> None:
        full = [k for k in self._buckets if self._tokens(k, now) >= self.burst]
        for k in full:
            del self._buckets[k]
        while len(self._buckets) > self.max_keys:  # still too many: oldest first
            del self._buckets[min(self._buckets, key=lambda k: self._buckets[k][1])]
