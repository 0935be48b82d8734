"""The tests' PostgreSQL: the throwaway cluster of central.db.cluster, plus installing the
distribution package on a CI machine where the tests run as root."""

from __future__ import annotations

import os
import shutil
import subprocess

from central.db.cluster import PACKAGE, PgCluster, find_bin_dir, unavailable

__all__ = ["PACKAGE", "PgCluster", "install_if_root", "unavailable"]


def install_if_root() -> None:
    """Root without the binaries: install the distribution package (CI machines)."""
    if find_bin_dir() is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", PACKAGE],
                       capture_output=True, timeout=600, env=env)
