"""The ``central`` bench figures come out whole: three setups, their ratios, no errors."""

from __future__ import annotations

import pytest


def test_without_postgresql_only_sqlite_is_measured_and_the_rest_says_why(tmp_path):
    from central.bench import central_figures

    figures = central_figures(None, kiosks=2, batches=1, batch=2, photos=1, work=tmp_path)
    assert figures["setups"]["sqlite-1-node"]["errors"] == 0
    assert figures["setups"]["sqlite-1-node"]["submissions"] == 4
    assert "no --database-url" in figures["setups"]["postgresql"]


@pytest.mark.needs_system
def test_three_setups_and_their_ratios_in_one_run(tmp_path, pg_url):
    from central.bench import central_figures

    figures = central_figures(pg_url, kiosks=2, batches=1, batch=2, photos=1, work=tmp_path)
    setups = figures["setups"]
    assert set(setups) == {"sqlite-1-node", "postgresql-1-node", "postgresql-2-node"}
    assert all(s["errors"] == 0 and s["submissions_per_s"] > 0 for s in setups.values())
    assert set(figures["ratios"]) == {"pg1_vs_sqlite_throughput", "pg2_vs_pg1_throughput",
                                      "pg2_vs_sqlite_throughput"}


def test_kiosk_bench_runs_the_central_suite_with_its_own_throwaway_cluster():
    from app.bench import central as suite
    from app.commands.bench import SUITES, _suites

    assert "central" in SUITES and _suites()["central"] is suite
    assert "KIOSK_BENCH_DATABASE_URL" in (suite.__doc__ or "")
