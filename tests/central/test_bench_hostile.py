"""The ``hostile`` bench figures come out whole: genuine kiosks delivered everything
while forgers ran, and the idle stranger kept only its per-source cap of sockets."""

from __future__ import annotations


def test_hostile_figures_under_forgery_and_idle_sockets(tmp_path):
    from central.bench_hostile import hostile_figures
    from central.settings import Guards

    figures = hostile_figures(forgers=1, kiosks=2, batches=2, batch=2, idle=80, work=tmp_path)
    assert figures["genuine_refused"] == 0, figures
    assert figures["forged_requests"] > 0
    assert set(figures["forged_statuses"]) <= {"401", "429"}
    assert figures["idle_connections_kept"] == Guards().connections_per_source
