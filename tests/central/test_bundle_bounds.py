"""Issue 21 (Low): a small hostile bundle cannot hold the single import slot for
minutes. A genuine header followed by a flood of junk lines (400 kB gzip'd is
hundreds of MB) is read only as far as its signed manifest reaches."""

from __future__ import annotations

from tests.sync.helpers import enrolled_kiosk, finalize


def test_junk_after_a_genuine_manifest_is_not_read_to_the_end(server, isolated_home, tmp_path):
    from central.bundle_import import MAX_BAD_LINES, import_bundle_file
    from sync.media import export_queue

    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        ids = finalize(kiosk, store, 2)
        export_queue(kiosk.home, store, tmp_path / "a.bundle", device=kiosk.device)
    genuine = (tmp_path / "a.bundle").read_bytes()
    hostile = tmp_path / "hostile.bundle"
    junk_lines = 3 * MAX_BAD_LINES
    hostile.write_bytes(genuine + b"{}\n" * junk_lines)
    report = import_bundle_file(server.central, hostile)
    assert report["manifest_verified"]
    assert report["counts"].get("accepted") == len(ids)  # the genuine items still count
    assert sum(report["counts"].values()) < len(ids) + MAX_BAD_LINES + 10, report["counts"]
    assert any("stopped" in e for e in report["errors"]), report["errors"]


def test_a_genuine_bundle_is_read_whole(server, isolated_home, tmp_path):
    from central.bundle_import import import_bundle_file
    from sync.media import export_queue

    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        ids = finalize(kiosk, store, 30)
        export_queue(kiosk.home, store, tmp_path / "a.bundle", device=kiosk.device)
    report = import_bundle_file(server.central, tmp_path / "a.bundle")
    assert report["counts"] == {"accepted": len(ids)} and not report["errors"]


def test_an_upload_import_stops_on_its_clock_and_the_same_bundle_resumes(
        server, isolated_home, tmp_path, monkeypatch):
    """The one import slot is shared by every node: an uploaded bundle's import stops once
    its time is up, keeps what it read, calls the rest unread (not missing), and sending
    the same bundle again imports the rest."""
    from central import bundle_import
    from sync.media import export_queue

    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        ids = finalize(kiosk, store, 30)
        export_queue(kiosk.home, store, tmp_path / "a.bundle", device=kiosk.device)
    ticks = iter(range(10**6))  # a clock that moves one second each time it is read
    monkeypatch.setattr(bundle_import.time, "monotonic", lambda: float(next(ticks)))
    first = bundle_import.import_bundle_file(server.central, tmp_path / "a.bundle", seconds=12)
    assert first["complete"] is False and "missing" not in first["counts"], first
    done = first["counts"].get("accepted", 0)
    assert 0 < done < len(ids), first["counts"]
    assert any("time limit" in e for e in first["errors"]), first["errors"]
    monkeypatch.undo()
    again = bundle_import.import_bundle_file(server.central, tmp_path / "a.bundle", seconds=120)
    assert again["complete"] is True
    assert again["counts"] == {"duplicate": done, "accepted": len(ids) - done}, again["counts"]
