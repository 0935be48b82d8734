"""Connectivity probe: is the enrolled server reachable, and is it really the server?

A captive portal (hotel/ISP login page) typically answers every request with
``200`` and an HTML page, or with a redirect. The probe asks ``/v1/health``
for a marker signed over a fresh nonce with the server key pinned at
enrolment: only the real server can produce it, so a portal is recognised and
never taken for a working link.
"""

from __future__ import annotations

import time
from typing import Any

from kiosk.paths import Home
from sync.client import CaptivePortal, CentralClient, SyncError


def probe(client: CentralClient) -> dict[str, Any]:
    """{"reachable", "captive_portal", "error", "skew_seconds", "rtt_ms"} — never raises."""
    started = time.perf_counter()
    out: dict[str, Any] = {"url": client.base_url, "reachable": False, "captive_portal": False,
                           "error": None, "skew_seconds": None, "rtt_ms": None}
    try:
        client.health()
        out["reachable"] = True
    except CaptivePortal as exc:
        out["captive_portal"], out["error"] = True, str(exc)
    except SyncError as exc:
        out["error"] = str(exc)
    out["rtt_ms"] = round((time.perf_counter() - started) * 1000, 1)
    out["skew_seconds"] = client.state.skew_seconds
    return out


def server_info(home: Home, config: Any = None, timeout: float = 5.0) -> dict[str, Any]:
    """For ``kiosk doctor``: the enrolled server's link (``url`` None when not enrolled)."""
    from kiosk.errors import KioskError
    from kiosk.secrets import open_secrets
    from sync.enrol import load_enrolment

    try:
        enrolment = load_enrolment(open_secrets(home.root))
    except KioskError as exc:
        return {"url": None, "reachable": False, "captive_portal": False, "error": str(exc)}
    if enrolment is None:
        return {"url": None, "reachable": False, "captive_portal": False,
                "error": "not enrolled"}
    with CentralClient(enrolment.server_url, server_key=enrolment.server_key,
                       timeout=timeout, connect_timeout=timeout) as client:
        result = probe(client)
    if result["skew_seconds"] is not None:
        from sync.state import load_state, save_state

        state = load_state(home)
        state.skew_seconds = result["skew_seconds"]
        save_state(home, state)
    return result
