"""What the doctor reads from the other parts of the kiosk, as plain dicts.

The store, secrets, device identity and sync engine are separate parts; this
module is the one place that knows their interfaces, so ``app.doctor`` only
judges figures. Every part is imported statically (``app`` is the top floor),
inside the probe that reads it, so ``import app.doctor`` stays cheap. A probe
that finds a part missing raises ``Unavailable``; the doctor turns that into a
warning instead of a crash. Everything here reads; nothing here repairs or migrates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.paths import Home

KEYRING_PROBE_SERVICE = "soum-kiosk-doctor"
KEYRING_PROBE_USER = "probe"


class Unavailable(Exception):
    """A part of the kiosk that a check needs is not in this build."""


# --- database schema and queue (kiosk.store) ------------------------------------------


def schema_info(home: Home) -> dict[str, Any]:
    """``current`` (the DB's schema version, None without a DB) and ``expected``.

    Read without opening a Store: opening one upgrades the database, and the
    doctor must never be what changes it.
    """
    from kiosk.store import SCHEMA_VERSION
    from kiosk.store.db import schema_version_of

    expected = int(SCHEMA_VERSION)
    if not home.db.exists() or home.db.stat().st_size == 0:
        return {"current": None, "expected": expected}
    return {"current": int(schema_version_of(home.db)), "expected": expected}


def queue_info(home: Home) -> dict[str, Any]:
    """``counts`` by state, ``unsent`` and ``oldest_unsent_hours``.

    The Store is opened only when the schema is already current, so opening
    it migrates nothing; otherwise the queue is reported as unreadable
    (``error``) and the schema check says why.
    """
    from kiosk.store import UNSENT, Store

    info = schema_info(home)
    if info["current"] is None:
        return {"counts": {}, "unsent": 0, "oldest_unsent_hours": None}
    if info["current"] != info["expected"]:
        return {"counts": {}, "unsent": 0, "oldest_unsent_hours": None,
                "error": f"schema {info['current']}, this build expects {info['expected']}"}
    store = Store(home.db, backups=home.backups)
    try:
        counts = {k: int(v) for k, v in store.counts().items() if v}
        age = store.oldest_unsent_age()
        due = store.due_stats()
        held = store.held_by_reason()
    finally:
        store.close()
    return {
        **due,
        "held_reasons": held,
        "counts": counts,
        "unsent": sum(counts.get(s, 0) for s in UNSENT),
        "oldest_unsent_hours": None if age is None else round(float(age) / 3600, 1),
    }


def catalog_info(home: Home, config: Config) -> dict[str, Any]:
    """The catalog the kiosk would offer: ``folder``, ``source``, ``forms``, ``problems``."""
    from kiosk.forms import active_catalog_dir, load_catalog
    from kiosk.paths import bundled_catalog_dir

    folder = Path(active_catalog_dir(home, config))
    catalog = load_catalog(folder, home.local_forms)  # imported forms too
    if config.catalog_dir:
        source = "configured"
    elif folder == bundled_catalog_dir():
        source = "bundled"
    else:
        source = "downloaded"
    return {
        "folder": str(folder),
        "source": source,
        "forms": len(catalog.forms),
        "problems": [str(p) for p in catalog.problems][:10],
    }


# --- secrets and device identity -----------------------------------------------------


def _fallback_path(home: Home, config: Config) -> Path:
    from kiosk import secrets

    if config.keyring_fallback_file:
        return Path(config.keyring_fallback_file).expanduser()
    return home.root / str(secrets.FALLBACK_FILE_NAME)


def open_secrets_quietly(home: Home, config: Config) -> Any:
    """The kiosk's secrets store, without ever prompting for a passphrase.

    The doctor runs from scripts and from the staff screen: a hidden prompt
    would hang it. With the encrypted-file fallback and no passphrase in the
    environment, this raises ConfigError saying so.
    """
    import os

    from kiosk import secrets
    from kiosk.errors import ConfigError

    passphrase = os.environ.get(str(secrets.ENV_PASSPHRASE)) or None
    if config.keyring_fallback == "encrypted-file" and not passphrase:
        raise ConfigError(key="tech.secrets_need_passphrase", params={
            "path": _fallback_path(home, config), "variable": secrets.ENV_PASSPHRASE})
    return secrets.open_secrets(
        home.root,
        fallback=config.keyring_fallback,
        fallback_file=config.keyring_fallback_file,
        passphrase=passphrase,
    )


def keyring_info(home: Home, config: Config) -> dict[str, Any]:
    """Can secrets be stored and read back: the keyring, or the configured fallback?

    For the keyring a round trip with a harmless probe entry is the only
    honest test: some backends load fine and then fail on the first write (a
    locked collection). The fallback file is opened only with a passphrase
    from the environment (never a prompt); its presence is reported otherwise.
    """
    import os

    import keyring

    from kiosk import secrets

    if config.keyring_fallback == "encrypted-file":
        path = _fallback_path(home, config)
        info: dict[str, Any] = {
            "backend": f"encrypted-file: {path}",
            "fallback": "encrypted-file",
            "file_exists": path.exists(),
            "usable": True,
        }
        if os.environ.get(str(secrets.ENV_PASSPHRASE)):
            try:
                open_secrets_quietly(home, config).get(str(secrets.DATA_KEY))
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                info.update(usable=False, error=str(exc))
        return info
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    info = {"backend": name, "fallback": "", "usable": False}
    reason = secrets.unusable_reason(backend)
    if reason:
        info["error"] = reason
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
    """``enrolled`` (API credentials kept), ``device_id`` and ``key_present``.

    ``error`` is set when the secrets cannot be read at all (the keyring check
    says why).
    """
    from kiosk import device
    from kiosk import secrets as secrets_mod
    from kiosk.errors import KioskError

    try:
        store = open_secrets_quietly(home, config)
        enrolled = store.get(str(secrets_mod.API_CREDENTIALS)) is not None
        has_key = store.get(str(secrets_mod.DEVICE_KEY)) is not None
        device_id = device.load_device(store).device_id if has_key else None
    except KioskError as exc:
        return {"enrolled": None, "key_present": None, "error": exc.message}
    return {"enrolled": enrolled, "key_present": has_key, "device_id": device_id}


# --- sync: server link, clock, last error --------------------------------------------


def server_info(home: Home, config: Config, timeout: float) -> dict[str, Any]:
    """``url``, ``reachable``, ``captive_portal`` and ``error`` from the connectivity probe.

    The probe also measures the clock skew and keeps it in the sync state,
    which the clock check reads next. ``unreadable`` is set when the
    enrolment cannot be read because the secrets cannot be opened.
    """
    from kiosk.errors import KioskError
    from sync.probe import server_info as probe_server

    try:
        open_secrets_quietly(home, config)
    except KioskError as exc:
        return {"url": None, "reachable": False, "captive_portal": False,
                "error": exc.message, "unreadable": True}
    return dict(probe_server(home, config, timeout))


def odk_info(home: Home, config: Config, timeout: float) -> dict[str, Any]:
    """``connected``, ``url`` (token masked), ``reachable``, ``auth_refused``, ``forms``,
    ``error`` for the ODK server connection (sync.odk.probe)."""
    from sync.odk.probe import odk_info as probe_odk

    return dict(probe_odk(home, timeout))


def clock_info(home: Home, config: Config, timeout: float) -> dict[str, Any]:
    """``skew_seconds`` (kiosk minus server), None when never measured."""
    from sync.state import clock_info as read_clock

    return dict(read_clock(home))


def sync_info(home: Home, config: Config) -> dict[str, Any]:
    """``state``, ``last_error``, ``last_error_at`` and ``last_success_at`` (epoch seconds)."""
    from sync.state import sync_info as read_sync

    return dict(read_sync(home))
