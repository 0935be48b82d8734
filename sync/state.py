"""What the sync engine last saw, kept in ``sync-state.json`` in the data folder.

Not secret and never personal: state, last error (a one-line message), times,
clock skew. ``kiosk status``, ``kiosk doctor`` and the staff screen read it;
the engine rewrites it atomically after every round.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from kiosk.paths import Home

STATE_FILE = "sync-state.json"


class RoundState(StrEnum):
    """A sync round's state: the one definition (the error classes' ``kind``, the
    loop's schedule, the CLI's exit code and the ``sync.state_*`` texts use it)."""

    OK = "ok"
    OFFLINE = "offline"
    CAPTIVE_PORTAL = "captive-portal"
    OUTCOME_UNKNOWN = "outcome-unknown"
    SERVER_BUSY = "server-busy"
    REFUSED = "refused"
    CONFLICT = "conflict"
    AUTH = "auth"
    SECURITY = "security"
    ERROR = "error"
    NEVER = "never"
    STARTING = "starting"
    NOT_ENROLLED = "not-enrolled"


# the link is down or its answer was lost: probe again within seconds
LINK_TROUBLE = frozenset({RoundState.OFFLINE, RoundState.CAPTIVE_PORTAL,
                          RoundState.OUTCOME_UNKNOWN})
# network trouble of any kind (the CLI's exit code 6): the link, or a busy server
NETWORK_TROUBLE = LINK_TROUBLE | {RoundState.SERVER_BUSY}
# the server refused this kiosk: wait for staff, exit code 7
REFUSED_KIOSK = frozenset({RoundState.AUTH, RoundState.SECURITY})


@dataclass
class SyncState:
    state: str = RoundState.NEVER  # a RoundState value
    last_error: str | None = None
    last_error_at: float | None = None
    last_success_at: float | None = None
    last_attempt_at: float | None = None
    skew_seconds: float | None = None  # kiosk clock minus server clock
    auth_failed: bool = False
    link_bytes_per_s: float | None = None  # measured by the last round (batch sizing)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _path(home: Home) -> Path:
    return home.root / STATE_FILE


def load_state(home: Home) -> SyncState:
    try:
        data = json.loads(_path(home).read_text("utf-8"))
    except (OSError, ValueError):
        return SyncState()
    known = SyncState.__dataclass_fields__
    return SyncState(**{k: v for k, v in data.items() if k in known})


def save_state(home: Home, state: SyncState) -> None:
    path = _path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state.as_dict(), indent=1), "utf-8")
    os.replace(tmp, path)


def clock_info(home: Home) -> dict[str, Any]:
    """For doctor: ``skew_seconds`` (kiosk minus server), None when never measured."""
    return {"skew_seconds": load_state(home).skew_seconds}


def sync_info(home: Home) -> dict[str, Any]:
    """For doctor/status: last error, last success, current state."""
    s = load_state(home)
    return {"state": s.state, "last_error": s.last_error, "last_error_at": s.last_error_at,
            "last_success_at": s.last_success_at, "auth_failed": s.auth_failed,
            "checked_at": time.time()}
