"""What `kiosk doctor` says about the ODK connection (app.doctor_probes finds this by
name): whether there is one, and whether its formList answers — the one request that
proves both the URL and the credentials. The URL is shown with its token masked."""

from __future__ import annotations

from typing import Any

from kiosk.errors import KioskError


def odk_info(home: Any, timeout: float) -> dict[str, Any]:
    from kiosk.secrets import open_secrets
    from sync.client import AuthRefused, SyncError
    from sync.odk.connection import load

    try:
        conn = load(open_secrets(home.root, interactive=False))
    except KioskError as exc:
        return {"connected": False, "unreadable": True, "error": exc.message}
    if conn is None:
        return {"connected": False}
    info: dict[str, Any] = {"connected": True, "url": conn.shown_url, "kind": conn.kind}
    try:
        with conn.client(timeout=timeout, connect_timeout=timeout) as client:
            info["forms"] = len(client.form_list())
        info["reachable"] = True
    except AuthRefused as exc:
        info.update(reachable=True, auth_refused=True, error=str(exc))
    except SyncError as exc:
        info.update(reachable=False, error=str(exc))
    return info
