"""Health checks a field technician runs after driving to a soum: ``kiosk doctor``.

The same list feeds the CLI (human or ``--json``), the support bundle
(``kiosk logs --export``) and the staff diagnostics screen, so the words are
the same everywhere. Each check says pass / warn / fail, one line about what
it saw and one line about what to do.

A check must never crash the doctor: the doctor is what people run when
things are already broken. A part missing from the build is a warning ("not
available in this build"); an unexpected exception is a failure naming the
check, logged (scrubbed) for support.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from app import doctor_probes as probes
from app.doctor_probes import Unavailable
from kiosk import __version__
from kiosk.config import Config
from kiosk.i18n import t
from kiosk.paths import Home

log = logging.getLogger("kiosk.doctor")

class CheckStatus(StrEnum):
    """A check's verdict. The value is the stable word of ``kiosk doctor --json`` (scripts
    and the staff screen match on it); the order is the severity, worst last."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        """0 pass, 1 warn, 2 fail: also ``kiosk doctor``'s exit code."""
        return list(CheckStatus).index(self)


PASS = CheckStatus.PASS
WARN = CheckStatus.WARN
FAIL = CheckStatus.FAIL

# Free space below which a kiosk cannot be trusted to keep finalising forms.
DISK_FAIL_MB = 50
DISK_WARN_MB = 500
# Clock skew: signatures carry times the server checks; receipts show them.
SKEW_WARN_S = 60
SKEW_FAIL_S = 300
# An unsent submission older than this means the link (or the USB run) is overdue.
QUEUE_WARN_HOURS = 72
# Items due this long without being sent: the queue is due but not moving.
QUEUE_STUCK_S = 3600


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report. ``name`` is stable (scripts match on it)."""

    name: str
    status: CheckStatus
    message: str
    fix: str = ""
    title: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A plain word ("warn") is accepted and checked: an unknown one raises ValueError.
        object.__setattr__(self, "status", CheckStatus(self.status))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Ctx:
    home: Home
    config: Config
    server_timeout: float
    lang: str


def _key(key: str) -> str:
    """A check's message key: ``doctor.<key>``, or a full key when it names its own
    section (``odk.doctor_ok`` lives in odk.json, with the part it checks)."""
    return key if "." in key else f"doctor.{key}"


def _mk(ctx: _Ctx, name: str, status: CheckStatus, msg_key: str, fix_key: str | None = None,
        details: dict[str, Any] | None = None, **params: Any) -> Check:
    lang = ctx.lang
    # One line each, whatever an error message from below looked like.
    params = {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in params.items()}
    return Check(
        name=name,
        status=status,
        message=t(_key(msg_key), lang, **params),
        fix=t(_key(fix_key), lang, **params) if fix_key else "",
        title=t(f"doctor.title_{name}", lang),
        details=details or {},
    )


# --- checks -------------------------------------------------------------------------


def _install_kind() -> str:
    """How this kiosk was installed: a PyInstaller build, a pip-installed package or a checkout."""
    if getattr(sys, "frozen", False):
        return "build"
    from kiosk.paths import PACKAGE_DIR

    return "package" if PACKAGE_DIR.parent.name in ("site-packages", "dist-packages") else "source"


def check_version(ctx: _Ctx) -> Check:
    kind = _install_kind()
    frozen = kind == "build"
    details = {
        "version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "frozen": frozen,
    }
    return _mk(ctx, "version", PASS, "version_ok", details=details,
               version=__version__, python=platform.python_version(),
               kind=t(f"doctor.kind_{kind}", ctx.lang))


def check_data_folder(ctx: _Ctx) -> Check:
    root = ctx.home.root
    if not root.is_dir():
        return _mk(ctx, "data_folder", FAIL, "folder_missing", "fix_folder_missing",
                   details={"path": str(root)}, path=root)
    if not os.access(root, os.W_OK):
        return _mk(ctx, "data_folder", FAIL, "folder_readonly", "fix_folder_readonly",
                   details={"path": str(root)}, path=root)
    free_mb = shutil.disk_usage(root).free // (1024 * 1024)
    details = {"path": str(root), "free_mb": free_mb}
    if free_mb < DISK_FAIL_MB:
        return _mk(ctx, "data_folder", FAIL, "disk_low", "fix_disk", details,
                   path=root, free_mb=free_mb)
    if free_mb < DISK_WARN_MB:
        return _mk(ctx, "data_folder", WARN, "disk_low", "fix_disk", details,
                   path=root, free_mb=free_mb)
    return _mk(ctx, "data_folder", PASS, "folder_ok", details=details, path=root, free_mb=free_mb)


def check_database(ctx: _Ctx) -> Check:
    """Read-only: the doctor must never be the thing that changes a broken database."""
    db = ctx.home.db
    if not db.exists():
        return _mk(ctx, "database", WARN, "db_missing", "fix_db_missing", {"path": str(db)},
                   path=db)
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return _mk(ctx, "database", FAIL, "db_unreadable", "fix_db_corrupt", {"path": str(db)},
                   path=db, error=str(exc))
    result = [str(r[0]) for r in rows]
    details: dict[str, Any] = {"path": str(db), "integrity": result[:5]}
    if result != ["ok"]:
        return _mk(ctx, "database", FAIL, "db_corrupt", "fix_db_corrupt", details,
                   path=db, error=result[0])
    details["user_version"] = user_version
    return _mk(ctx, "database", PASS, "db_ok", details=details, path=db)


def check_schema(ctx: _Ctx) -> Check:
    info = probes.schema_info(ctx.home)
    details = dict(info)
    current, expected = info.get("current"), info.get("expected")
    if current is None:
        return _mk(ctx, "schema", WARN, "schema_none", "fix_db_missing", details,
                   expected=expected)
    if expected is not None and current > expected:
        return _mk(ctx, "schema", FAIL, "schema_newer", "fix_schema_newer", details,
                   current=current, expected=expected)
    if expected is not None and current < expected:
        return _mk(ctx, "schema", WARN, "schema_older", "fix_schema_older", details,
                   current=current, expected=expected)
    return _mk(ctx, "schema", PASS, "schema_ok", details=details, current=current)


def check_catalog(ctx: _Ctx) -> Check:
    info = probes.catalog_info(ctx.home, ctx.config)
    details = dict(info)
    source = t(f"doctor.catalog_{info['source']}", ctx.lang)
    if not info["forms"]:
        return _mk(ctx, "catalog", FAIL, "catalog_empty", "fix_catalog", details,
                   folder=info["folder"], problem=(info["problems"] or ["?"])[0])
    if info["problems"]:
        return _mk(ctx, "catalog", WARN, "catalog_problems", "fix_catalog", details,
                   forms=info["forms"], source=source, count=len(info["problems"]),
                   problem=info["problems"][0])
    return _mk(ctx, "catalog", PASS, "catalog_ok", details=details, forms=info["forms"],
               source=source)


def check_keyring(ctx: _Ctx) -> Check:
    info = probes.keyring_info(ctx.home, ctx.config)
    details = dict(info)
    backend = info.get("backend", "?")
    if not info.get("usable"):
        return _mk(ctx, "keyring", FAIL, "keyring_unusable", "fix_keyring", details,
                   backend=backend, error=info.get("error", ""))
    if info.get("fallback") and _passphrase_missing(ctx):
        return _mk(ctx, "keyring", PASS, "keyring_no_passphrase", "fix_passphrase",
                   details, backend=backend)
    if info.get("fallback"):
        return _mk(ctx, "keyring", PASS, "keyring_fallback", details=details, backend=backend)
    return _mk(ctx, "keyring", PASS, "keyring_ok", details=details, backend=backend)


def _passphrase_missing(ctx: _Ctx) -> bool:
    """The encrypted-file fallback is configured but its passphrase was not given."""
    from kiosk.secrets import ENV_PASSPHRASE

    return ctx.config.keyring_fallback == "encrypted-file" and not os.environ.get(ENV_PASSPHRASE)


def _secrets_fix(ctx: _Ctx) -> str:
    return "fix_passphrase" if _passphrase_missing(ctx) else "fix_keyring"


def check_device(ctx: _Ctx) -> Check:
    info = probes.device_info(ctx.home, ctx.config)
    details = dict(info)
    if info.get("error"):
        return _mk(ctx, "device", FAIL, "device_secrets_error", _secrets_fix(ctx), details,
                   error=info["error"])
    if not info.get("enrolled"):
        return _mk(ctx, "device", WARN, "device_not_enrolled", "fix_enroll", details)
    if not info.get("key_present"):
        return _mk(ctx, "device", FAIL, "device_key_missing", "fix_device_key", details,
                   device_id=info.get("device_id", "?"))
    return _mk(ctx, "device", PASS, "device_ok", details=details,
               device_id=info.get("device_id", "?"))


def check_server(ctx: _Ctx) -> Check:
    info = probes.server_info(ctx.home, ctx.config, ctx.server_timeout)
    details = dict(info)
    url = info.get("url") or ""
    if info.get("unreadable"):
        return _mk(ctx, "server", WARN, "server_unreadable", _secrets_fix(ctx), details)
    if not url:
        return _mk(ctx, "server", WARN, "server_none", "fix_enroll", details)
    if info.get("captive_portal"):
        return _mk(ctx, "server", FAIL, "server_captive", "fix_captive", details, url=url)
    if not info.get("reachable"):
        return _mk(ctx, "server", WARN, "server_unreachable", "fix_server", details,
                   url=url, error=info.get("error", ""))
    return _mk(ctx, "server", PASS, "server_ok", details=details, url=url)


def check_odk(ctx: _Ctx) -> Check:
    """The ODK server connection (`kiosk odk connect`), when the kiosk has one."""
    info = probes.odk_info(ctx.home, ctx.config, ctx.server_timeout)
    url = info.get("url") or ""
    if info.get("unreadable"):
        return _mk(ctx, "odk", WARN, "server_unreadable", "fix_keyring", info)
    if not info.get("connected"):
        return _mk(ctx, "odk", PASS, "odk.doctor_none", details=info)
    if info.get("auth_refused"):
        return _mk(ctx, "odk", FAIL, "odk.doctor_auth", "odk.doctor_fix_auth", info, url=url,
                   error=info.get("error", ""))
    if not info.get("reachable"):
        return _mk(ctx, "odk", WARN, "server_unreachable", "fix_server", info, url=url,
                   error=info.get("error", ""))
    return _mk(ctx, "odk", PASS, "odk.doctor_ok", details=info, url=url, forms=info.get("forms", 0))


def check_clock(ctx: _Ctx) -> Check:
    from kiosk.clock import BUILD_DATE, wall_clock_before_build

    info = probes.clock_info(ctx.home, ctx.config, ctx.server_timeout)
    details = dict(info)
    skew = info.get("skew_seconds")
    if wall_clock_before_build():
        details["build_date"] = BUILD_DATE
        return _mk(ctx, "clock", FAIL, "clock_before_build", "fix_clock", details,
                   now=time.strftime("%Y-%m-%d %H:%M"), build=BUILD_DATE)
    if skew is None:
        return _mk(ctx, "clock", WARN, "clock_unknown", "fix_clock_unknown", details)
    skew_abs = abs(float(skew))
    status = FAIL if skew_abs >= SKEW_FAIL_S else WARN if skew_abs >= SKEW_WARN_S else PASS
    return _mk(ctx, "clock", status, "clock_skew", "fix_clock" if status != PASS else None,
               details, skew=round(float(skew)))


def check_queue(ctx: _Ctx) -> Check:
    info = probes.queue_info(ctx.home)
    details = dict(info)
    counts = info.get("counts", {})
    unsent = int(info.get("unsent", 0))
    age_h = info.get("oldest_unsent_hours")
    summary = ", ".join(f"{_state_word(k, ctx.lang)} {v}" for k, v in sorted(counts.items())) or t(
        "doctor.queue_empty", ctx.lang
    )
    if unsent and age_h is not None:
        summary += "; " + t("doctor.queue_oldest", ctx.lang, hours=round(age_h, 1))
    if info.get("error"):
        return _mk(ctx, "queue", WARN, "queue_unreadable", "fix_schema_older", details,
                   error=info["error"])
    if int(info.get("stranded_ahead", 0)) > 0:
        return _mk(ctx, "queue", WARN, "queue_ahead", "fix_queue_ahead", details,
                   summary=summary, count=info["stranded_ahead"])
    due_for = info.get("due_for_seconds")
    if due_for is not None and due_for >= QUEUE_STUCK_S:
        return _mk(ctx, "queue", WARN, "queue_stuck", "fix_queue_stuck", details,
                   summary=summary, count=info.get("due", 0), minutes=round(due_for / 60))
    if int(counts.get("rejected", 0)) > 0:
        return _mk(ctx, "queue", WARN, "queue_rejected", "fix_rejected", details,
                   summary=summary, rejected=counts.get("rejected"))
    if info.get("held_reasons"):
        from kiosk.destination import held_summary

        return _mk(ctx, "queue", WARN, "queue_held", "fix_held", details, summary=summary,
                   held=sum(info["held_reasons"].values()),
                   reasons=held_summary(info["held_reasons"], ctx.lang))
    if unsent and age_h is not None and age_h >= QUEUE_WARN_HOURS:
        return _mk(ctx, "queue", WARN, "queue_old", "fix_queue_old", details,
                   summary=summary, hours=round(age_h))
    return _mk(ctx, "queue", PASS, "queue_ok", details=details, summary=summary)


def check_last_sync(ctx: _Ctx) -> Check:
    info = probes.sync_info(ctx.home, ctx.config)
    details = dict(info)
    error = info.get("last_error")
    if info.get("auth_failed"):
        return _mk(ctx, "last_sync", FAIL, "sync_auth", "fix_sync_auth", details,
                   error=error or "?")
    if error:
        return _mk(ctx, "last_sync", WARN, "sync_error", "fix_sync_error", details,
                   error=error, when=_when(info.get("last_error_at")))
    if info.get("last_success_at"):
        return _mk(ctx, "last_sync", PASS, "sync_ok", details=details,
                   when=_when(info["last_success_at"]))
    return _mk(ctx, "last_sync", PASS, "sync_never", details=details)


def _state_word(state: str, lang: str) -> str:
    """A submission state in the reader's language; a state newer than the catalog as is."""
    key = f"doctor.queue_state_{state}"
    text = t(key, lang)
    return state if text == key else text


def _when(value: Any) -> str:
    """Epoch seconds or ISO text as local 'YYYY-MM-DD HH:MM' (what a technician reads)."""
    from datetime import datetime

    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value)).strftime("%Y-%m-%d %H:%M")
    return str(value) if value else "?"


CHECKS: tuple[tuple[str, Callable[[_Ctx], Check]], ...] = (
    ("version", check_version),
    ("data_folder", check_data_folder),
    ("database", check_database),
    ("schema", check_schema),
    ("catalog", check_catalog),
    ("keyring", check_keyring),
    ("device", check_device),
    ("server", check_server),
    ("odk", check_odk),
    ("clock", check_clock),
    ("queue", check_queue),
    ("last_sync", check_last_sync),
)


def _guarded(ctx: _Ctx, name: str, func: Callable[[_Ctx], Check]) -> Check:
    try:
        return func(ctx)
    except Unavailable as exc:
        return _mk(ctx, name, WARN, "unavailable", "fix_unavailable", {"missing": str(exc)},
                   part=str(exc))
    except Exception as exc:  # noqa: BLE001 - the doctor reports, it never crashes
        log.exception("doctor check %s crashed", name)
        return _mk(ctx, name, FAIL, "crashed", "fix_crashed", {"error": type(exc).__name__},
                   error=type(exc).__name__)


def diagnose(
    home: Home, *, server_timeout: float = 5.0, lang: str | None = None
) -> list[Check]:
    """The config file check, then ``run_checks`` — what ``kiosk doctor`` runs.

    A broken config is reported as a failed check (with the defaults used for
    the rest) rather than stopping the doctor: that is exactly when it is needed.
    """
    from kiosk.config import load_config
    from kiosk.errors import KioskError

    ctx = _Ctx(home=home, config=Config(), server_timeout=server_timeout, lang=lang or "mn")
    try:
        config = load_config(home.config_file)
    except KioskError as exc:
        config = Config(source=home.config_file)
        first = _mk(ctx, "config", FAIL, "config_broken", "fix_config",
                    {"path": str(home.config_file)}, error=exc.message)
    else:
        ctx.lang = lang or config.language
        state = "config_ok" if home.config_file.exists() else "config_default"
        first = _mk(ctx, "config", PASS, state, details={"path": str(home.config_file)},
                    path=home.config_file)
    return [first, *run_checks(home, config, server_timeout=server_timeout, lang=ctx.lang)]


def run_checks(
    home: Home,
    config: Config,
    *,
    server_timeout: float = 5.0,
    lang: str | None = None,
) -> list[Check]:
    """Every check, in a fixed order; never raises.

    ``server_timeout`` bounds each network step, so the staff screen and the
    CLI stay responsive on a dead link.
    """
    ctx = _Ctx(home=home, config=config, server_timeout=server_timeout,
               lang=lang or config.language)
    return [_guarded(ctx, name, func) for name, func in CHECKS]


def overall(checks: list[Check]) -> CheckStatus:
    """The worst status: what the exit code and the staff screen's banner show."""
    return max((c.status for c in checks), key=lambda s: s.rank, default=PASS)


def exit_code(checks: list[Check]) -> int:
    """0 all pass, 1 warnings, 2 failures (the stable ``kiosk doctor`` contract)."""
    return overall(checks).rank


def report(home: Home, checks: list[Check]) -> dict[str, Any]:
    """The JSON document (``kiosk doctor --json`` and the support bundle)."""
    return {
        "version": __version__,
        "home": str(Path(home.root)),
        "status": overall(checks),
        "checks": [c.to_dict() for c in checks],
    }
