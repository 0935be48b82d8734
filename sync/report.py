"""What one sync round did (``kiosk sync --json``, the loop's status, the bench).

Its own module so the engine and every destination adapter use it without importing
each other (the ODK adapter once imported the engine for it: a cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.state import RoundState


@dataclass
class RoundReport:
    state: str = RoundState.OK  # a RoundState value
    error: str | None = None  # in English, for logs and scripts
    error_key: str | None = None  # the same in the catalog, worded in the reader's language
    error_params: dict[str, str] = field(default_factory=dict)
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    retry: int = 0
    held: int = 0
    requests: int = 0
    catalog: dict[str, Any] | None = None
    skew_seconds: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    audit_head: str | None = None  # reported | regressed | not-reported | unsupported

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
