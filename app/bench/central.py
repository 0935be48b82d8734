"""``kiosk bench --only central``: kiosk-central under N simulated kiosks on one SQLite
node, one PostgreSQL node and two PostgreSQL nodes, in one run, as ratios.

The PostgreSQL setups use ``KIOSK_BENCH_DATABASE_URL`` (an empty database) when set,
else a throwaway private cluster from the distribution's binaries; with neither, the
SQLite figure stands alone and the report says why PostgreSQL was not measured.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    from central.bench import central_figures
    from central.db.cluster import PgCluster, unavailable

    size = {"kiosks": 6, "batches": 3, "photos": 1} if quick else {}
    url = os.environ.get("KIOSK_BENCH_DATABASE_URL")
    if url:
        return central_figures(url, work=workdir, **size)
    why = unavailable()
    if why is not None:
        figures = central_figures(None, work=workdir, **size)
        figures["setups"]["postgresql"] = f"not measured: {why}"
        return figures
    cluster = PgCluster().start()
    try:
        return central_figures(cluster.new_database("bench"), work=workdir, **size)
    finally:
        cluster.stop()
