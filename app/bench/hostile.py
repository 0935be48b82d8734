"""``kiosk bench --only hostile``: what a stranger's traffic costs genuine kiosks (issue 21).

Forged requests naming the kiosks' device IDs and idle sockets from another
network, against one real ``kiosk-central serve`` on loopback, while genuine
kiosks deliver (``central.bench_hostile``). A second run without the stranger
gives the same-run ratio.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    from central.bench_hostile import hostile_figures

    size = {"batches": 5, "idle": 100} if quick else {"batches": 25, "forgers": 8, "idle": 500}
    attacked = hostile_figures(work=workdir / "attacked", **size)
    calm = hostile_figures(work=workdir / "calm", **{**size, "forgers": 0, "idle": 0})
    return {
        "attacked": attacked,
        "calm_submissions_per_s": calm["genuine_submissions_per_s"],
        "calm_p99_ms": calm["genuine_p99_ms"],
        "attacked_vs_calm_throughput": round(attacked["genuine_submissions_per_s"]
                                             / calm["genuine_submissions_per_s"], 2),
        "targets": {"genuine_refused": 0, "idle_connections_kept": "the per-source cap (50)"},
    }
