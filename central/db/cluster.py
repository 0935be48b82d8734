"""A private, throwaway PostgreSQL cluster (the distribution's binaries), for the tests
and for ``kiosk bench --only central``: both need a real server and must not touch one
an operator runs.

``PgCluster`` finds ``initdb``/``pg_ctl`` (``/usr/lib/postgresql/*/bin``, then PATH),
makes a cluster in a temp folder, starts it on a free loopback port (TCP only, no
Unix socket in a shared folder) and stops it at the end. When the tests run as
root the server cannot (PostgreSQL refuses root): initdb and pg_ctl then run as
the ``postgres`` OS user through ``runuser``, in a folder handed to that user.

``new_database()`` gives each test its own empty database (``CREATE DATABASE``),
so backends can be compared test by test without cleaning up between them.
If PostgreSQL cannot be had, ``unavailable()`` says why, naming the package.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PACKAGE = "postgresql"  # Debian/Ubuntu: the server binaries under /usr/lib/postgresql/N/bin
SUPERUSER = "kiosk"


def find_bin_dir() -> Path | None:
    """The newest distribution bin folder holding initdb and pg_ctl (None: not installed)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                        else 0, reverse=True)
    for folder in candidates:
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb and shutil.which("pg_ctl") else None


def unavailable() -> str | None:
    """Why no cluster can be made here (None: it can)."""
    if find_bin_dir() is None:
        return (f"PostgreSQL server binaries not found (install the distribution package "
                f"'{PACKAGE}': apt-get install -y {PACKAGE})")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' OS user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root and 'runuser' (util-linux) is missing"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the Python driver is missing: pip install 'soum-kiosk[central]' (psycopg)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """One running cluster; ``url(db)`` for a database in it."""

    def __init__(self) -> None:
        bin_dir = find_bin_dir()
        assert bin_dir is not None, unavailable()
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # the server refuses root: run it as the postgres user
            entry = pwd.getpwnam("postgres")
            os.chmod(self.root, 0o700)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._counter = 0

    def _run(self, *args: str, timeout: float = 120) -> None:
        res = subprocess.run([*self._as_user, *args], capture_output=True, text=True,
                             timeout=timeout, cwd=self.root)
        if res.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({res.returncode}): "
                               f"{res.stderr.strip()[-2000:]}")

    def start(self) -> PgCluster:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   "-c unix_socket_directories='' -c max_connections=200 "
                   "-c shared_buffers=32MB -c synchronous_commit=on -c fsync=on")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.root / "server.log"), "-o", options, "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        self._counter += 1
        name = f"{prefix}_{os.getpid()}_{self._counter}_{int(time.time() * 1000) % 10**8}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                      "-w", "stop", timeout=60)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
