"""Wire the sync pieces for this kiosk: enrolment + device key + store + client.

Used by ``kiosk sync``, the UI's background loop (``make_loop``) and doctor.
Everything is opened in the calling thread (SQLite connections stay there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.destination import Destination
from kiosk.paths import Home
from sync.client import CentralClient
from sync.engine import SyncEngine
from sync.loop import SyncLoop, SyncStatus
from sync.odk.deliver import open_deliveries
from sync.report import RoundReport


def other_destinations(home: Home, store: Any) -> list[Destination]:
    """The destinations besides kiosk-central this kiosk delivers to (its ODK connection,
    and an earlier one kept for the submissions made for it)."""
    return list(open_deliveries(home, store))


def open_engine(home: Home, *, store: Any = None, client_kwargs: dict[str, Any] | None = None,
                **engine_kwargs: Any) -> SyncEngine:
    """A ready engine; ConfigError if the kiosk is not enrolled or has no device key."""
    from kiosk.config import load_config
    from kiosk.device import load_device
    from kiosk.secrets import open_secrets
    from kiosk.store import Store
    from sync.enrol import require_enrolment

    secrets = open_secrets(home.root)
    enrolment = require_enrolment(secrets)
    device = load_device(secrets)
    kwargs: dict[str, Any] = {"timeout": float(load_config(home.config_file).sync_stall_seconds)}
    kwargs.update(client_kwargs or {})
    client = CentralClient(enrolment.server_url, device=device, server_key=enrolment.server_key,
                           **kwargs)
    if enrolment.limits:
        client.state.limits = dict(enrolment.limits)
    if store is None:
        store = Store.open(home)
    if "destinations" not in engine_kwargs:
        engine_kwargs["destinations"] = other_destinations(home, store)
    return SyncEngine(home, store, client, device_id=device.device_id, **engine_kwargs)


def open_any_engine(home: Home, *, store: Any = None, pull_catalog: bool = True,
                    **engine_kwargs: Any) -> SyncEngine:
    """``open_engine`` when enrolled with kiosk-central; else, for a kiosk that delivers
    only to an ODK server (``kiosk odk connect``), an engine with that destination alone.
    ``run_once()`` and ``close()`` either way. Not enrolled and not connected: the
    enrolment error."""
    from kiosk.errors import ConfigError

    try:
        return open_engine(home, store=store, pull_catalog=pull_catalog, **engine_kwargs)
    except ConfigError:
        from kiosk.store import Store

        store = store if store is not None else Store.open(home)
        others = other_destinations(home, store)
        if not others:
            raise
        return SyncEngine(home, store, None, destinations=others, pull_catalog=pull_catalog)


def make_loop(home: Home, *, interval: float | None = None,
              on_status: Callable[[SyncStatus], None] | None = None) -> SyncLoop:
    """The background loop for the UI: ``loop.start()``, ``loop.wake()``, ``loop.stop()``."""
    if interval is None:
        from kiosk.config import load_config

        interval = float(load_config(home.config_file).sync_interval_seconds or 30)

    def make_round() -> Callable[[], RoundReport]:
        engine = open_any_engine(home)
        return engine.run_once

    return SyncLoop(make_round, interval=interval, on_status=on_status)
