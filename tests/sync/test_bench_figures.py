"""The 2G figures measure what their names say (a tiny, fast run of the same code)."""

from __future__ import annotations

import os

from app.bench import sync as bench
from app.bench.openrosa import OpenRosaSink, instance_xml, send_collect_shaped


def test_link_figures_come_from_the_wire_and_respect_the_physical_limit(tmp_path, monkeypatch):
    monkeypatch.setenv(bench.PASSPHRASE_ENV, bench.BENCH_PASSPHRASE)
    fig = bench._link_2g(tmp_path, 4, 50.0)
    assert fig["wire_bytes_up"] > 0 and fig["wire_bytes_down"] > 0
    assert fig["wire_bytes_per_submission"] == round(
        (fig["wire_bytes_up"] + fig["wire_bytes_down"]) / 4)
    # nothing can beat the link: the efficiency is a fraction of the physical limit
    assert 0 < fig["link_efficiency"] <= 1.0
    assert fig["odk_shaped"]["requests"] == 8  # HEAD + POST each
    assert fig["answers_bytes_per_submission"] >= 250
    assert os.environ[bench.PASSPHRASE_ENV] == bench.BENCH_PASSPHRASE


def test_collect_shaped_client_and_sink():
    sink = OpenRosaSink().start()
    try:
        assert send_collect_shaped(sink.url, [{"a": "<b&c>", "l": ["x", "y"]}]) == {"requests": 2}
    finally:
        sink.stop()
    xml = instance_xml({"a": "<b&c>"}, "id-1")
    assert b"<a>&lt;b&amp;c&gt;</a>" in xml and b"uuid:id-1" in xml


def test_bundle_figures_come_from_real_processes(tmp_path, monkeypatch):
    from app.bench import bundles

    monkeypatch.setenv(bench.PASSPHRASE_ENV, bench.BENCH_PASSPHRASE)
    fig = bundles._round_trip(tmp_path, 100)
    assert fig["items"] == 100 and fig["with_photo"] == 2 and fig["exactly_once"]
    for step in ("export", "import", "reimport"):
        assert fig[step]["seconds"] > 0 and fig[step]["peak_rss_mb"] > 10  # a real process
