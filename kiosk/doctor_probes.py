"""What the doctor reads from the other parts of the kiosk, as plain dicts.

The store, secrets, device identity and sync engine are separate parts that
may be missing from a build (or not yet written); this module is the one
place that knows their interfaces, so ``kiosk.doctor`` only judges figures.
A missing part raises ``Unavailable``; the doctor turns that into a warning
instead of a crash. Everything here reads; nothing here repairs or migrates.

``sync`` is looked up by name at run time (importlib), like ``sync.commands``
in the CLI: the core never imports it statically.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from kiosk.config import Config
from kiosk.paths import Home

KEYRING_PROBE_SERVICE = "soum-kiosk-doctor"
KEYRING_PROBE_USER = "probe"


class Unavailable(Exception):
    """A part of the kiosk that a check needs is not in this build."""


def module(name: str) -> Any:
    """Import ``name`` or raise Unavailable (never ModuleNotFoundError)."""
    try:
        if importlib.util.find_spec(name) is None:
            raise Unavailable(name)
    except ModuleNotFoundError:
        raise Unavailable(name) from None
    return importlib.import_module(name)


def _attr(mod: Any, *names: str) -> Any:
    for name in names:
        value = getattr(mod, name, None)
        if value is not None:
            return value
    raise Unavailable(f"{mod.__name__}.{names[0]}")


# --- database schema and queue (kiosk.store) ------------------------------------------


def schema_info(home: Home) -> dict[str, Any]:
    """``current`` (the DB's schema version, None without a DB) and ``expected``."""
    store = module("kiosk.store")
    raise Unavailable(f"{store.__name__} schema version")


def queue_info(home: Home) -> dict[str, Any]:
    """``counts`` by state, ``unsent`` and ``oldest_unsent_hours``."""
    store = module("kiosk.store")
    raise Unavailable(f"{store.__name__} queue counts")


# --- secrets and device identity -----------------------------------------------------


def keyring_info(home: Home, config: Config) -> dict[str, Any]:
    """Is there a keyring (or the configured fallback) that can store and return a value?

    A round trip with a harmless probe entry is the only honest test: some
    backends load fine and then fail on the first write (a locked collection).
    """
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    info: dict[str, Any] = {"backend": name, "fallback": "", "usable": False}
    if isinstance(backend, fail.Keyring):
        if config.keyring_fallback:
            info.update(fallback=config.keyring_fallback, usable=True)
        else:
            info["error"] = "no keyring backend"
        return info
    try:
        keyring.set_password(KEYRING_PROBE_SERVICE, KEYRING_PROBE_USER, "ok")
        ok = keyring.get_password(KEYRING_PROBE_SERVICE, KEYRING_PROBE_USER) == "ok"
        keyring.delete_password(KEYRING_PROBE_SERVICE, KEYRING_PROBE_USER)
    except Exception as exc:  # noqa: BLE001 - every backend raises its own errors
        info["error"] = type(exc).__name__
        return info
    info["usable"] = ok
    if not ok:
        info["error"] = "value read back differs"
    return info


def device_info(home: Home, config: Config) -> dict[str, Any]:
    """``enrolled``, ``device_id`` and ``key_present`` (the private key in the keyring)."""
    device = module("kiosk.device")
    raise Unavailable(f"{device.__name__} enrolment state")


# --- sync: server link, clock, last error --------------------------------------------


def server_info(home: Home, config: Config, timeout: float) -> dict[str, Any]:
    """``url``, ``reachable``, ``captive_portal`` and ``error`` from the connectivity probe."""
    probe = module("sync.probe")
    raise Unavailable(f"{probe.__name__} probe")


def clock_info(home: Home, config: Config, timeout: float) -> dict[str, Any]:
    """``skew_seconds`` (kiosk minus server), None when never measured."""
    sync = module("sync")
    raise Unavailable(f"{sync.__name__} clock skew")


def sync_info(home: Home, config: Config) -> dict[str, Any]:
    """``last_error``, ``last_error_at`` and ``last_success_at`` from the sync status."""
    sync = module("sync")
    raise Unavailable(f"{sync.__name__} status")
