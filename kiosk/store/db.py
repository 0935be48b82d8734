"""Opening the database: durability settings, version checks, upgrades.

The promise "nothing finished is ever lost" rests on two settings that are
asserted (read back), not just requested: WAL journal and ``synchronous=FULL``
(fsync of the WAL on every commit; NORMAL could lose the last commits on a
power cut). Upgrades are forward-only: the file is backed up to
``backups/`` first, all steps run in one transaction, and a failure restores
the backup and says so. A database from a newer build is refused before
anything is written to it.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.errors import StorageError
from kiosk.store import schema

log = logging.getLogger("kiosk.store")

BUSY_TIMEOUT_MS = 10_000


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(
        uri, uri=True, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _private(path: Path) -> None:
    """The database and its journal files: 0600, whatever the umask was."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.exists() and file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except OSError:  # e.g. FAT on a USB stick: no modes to set
            pass


def _sqlite_error(path: Path, action: str, exc: BaseException) -> StorageError:
    text = str(exc)
    if "disk is full" in text or "database or disk is full" in text:
        key = "errors.db_disk_full"
    elif "disk I/O" in text:
        key = "errors.db_io"
    elif "not a database" in text or "malformed" in text:
        key = "errors.db_damaged"
    elif "locked" in text:
        key = "errors.db_locked"
    else:
        key = "errors.db_other"
    return StorageError(key=key, params={"path": path, "action": action, "detail": text})


def schema_version_of(path: Path) -> int:
    """The schema version of an existing file, read without changing it."""
    conn = _connect(path, readonly=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _apply_durability(conn: sqlite3.Connection, path: Path) -> None:
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StorageError(key="core.db_no_wal", params={"path": path, "mode": repr(mode)})
    conn.execute("PRAGMA synchronous = FULL")
    sync = conn.execute("PRAGMA synchronous").fetchone()[0]
    if sync != 2:  # 2 == FULL; never NORMAL (1) or OFF (0)
        raise StorageError(key="core.db_no_full_sync", params={"path": path, "found": sync})
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")  # deleted drafts are overwritten with zeros


def backup_file(conn: sqlite3.Connection, backups: Path, version: int) -> Path:
    """A consistent copy via SQLite's online backup (WAL contents included)."""
    backups.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = backups / f"kiosk-schema{version}-{stamp}-{os.getpid()}.db"
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()
    with open(target, "rb") as f:
        os.fsync(f.fileno())
    return target


def _restore(path: Path, backup: Path) -> None:
    for suffix in ("-wal", "-shm"):
        side = Path(str(path) + suffix)
        if side.exists():
            side.unlink()
    tmp = path.with_name(path.name + ".restore")
    shutil.copyfile(backup, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


Migrations = list[tuple[int, list[str]]]


def _migrate(conn: sqlite3.Connection, current: int, steps: Migrations) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for version, statements in steps:
            if version <= current:
                continue
            for sql in statements:
                conn.execute(sql)
            conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def open_db(
    path: Path,
    backups: Path,
    *,
    migrations: Migrations | None = None,
    on_migrated: Callable[[sqlite3.Connection, int, int], None] | None = None,
) -> sqlite3.Connection:
    """Open (creating or upgrading) the kiosk database at ``path``."""
    steps = migrations if migrations is not None else schema.MIGRATIONS
    newest = steps[-1][0]
    existed = path.exists() and path.stat().st_size > 0
    if existed:
        try:
            found = schema_version_of(path)
        except sqlite3.Error as exc:
            raise _sqlite_error(path, "open the database", exc) from None
        if found > newest:
            raise StorageError(key="errors.db_newer",
                               params={"path": path, "found": found, "newest": newest})
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = _connect(path)
        _private(path)  # SQLite gives the -wal/-shm files the database file's mode
        _apply_durability(conn, path)
        current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise _sqlite_error(path, "open the database", exc) from None
    if current == newest:
        return conn
    backup: Path | None = None
    try:
        if existed and current > 0:
            backup = backup_file(conn, backups, current)
            log.info("backed up schema %d database to %s before upgrading", current, backup)
        _migrate(conn, current, steps)
    except (sqlite3.Error, OSError) as exc:
        conn.close()
        if backup is not None:
            _restore(path, backup)
            raise StorageError(key="core.db_upgrade_failed", params={
                "path": path, "found": current, "newest": newest,
                "reason": type(exc).__name__, "backup": backup}) from None
        raise _sqlite_error(path, "create the database", exc) from None
    log.info("database schema upgraded from %d to %d", current, newest)
    if on_migrated is not None:
        on_migrated(conn, current, newest)
    return conn
