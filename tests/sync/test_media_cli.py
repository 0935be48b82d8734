"""Removable media and the command lines, as real subprocesses.

kiosk export → kiosk-central import (re-import harmless; a truncated or tampered
bundle names the bad item while valid items import) → kiosk-central export-acks
→ kiosk import-acks. And kiosk-central serve/enroll-code/devices/submissions/revoke
with kiosk enroll + kiosk sync --once over a real loopback socket.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sync.helpers import finalize

REPO = Path(__file__).resolve().parents[2]


def central(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "central.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


@pytest.fixture
def exported(server, kiosk, kiosk_cli, tmp_path):
    store = kiosk.store()
    ids = finalize(kiosk, store, 6)
    store.close()
    bundle = tmp_path / "usb" / "queue.ndjson"
    bundle.parent.mkdir()
    res = kiosk_cli("export", "--out", str(bundle), "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["count"] == 6 and sorted(info["submission_ids"]) == sorted(ids)
    return bundle, ids


def _where(server) -> list[str]:
    """--data, and --database-url when the server keeps its state in PostgreSQL."""
    settings = server.central.settings
    url = ["--database-url", settings.database_url] if settings.database_url else []
    return ["--data", str(settings.data_dir), *url]


# bundle import and acknowledgements on both storage backends
BOTH = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.needs_system)],
    indirect=True)


def _import(server, bundle: Path) -> tuple[int, dict]:
    res = central("import", str(bundle), "--json", *_where(server))
    assert "Traceback" not in res.stderr
    return res.returncode, json.loads(res.stdout)


@BOTH
def test_bundle_imports_once_and_reimport_is_harmless(server, kiosk, exported):
    bundle, ids = exported
    text = bundle.read_text("utf-8")
    assert "answers" not in text and "x" * 50 not in text  # nothing plaintext on the stick
    code, report = _import(server, bundle)
    assert code == 0 and report["manifest_verified"]
    assert report["counts"] == {"accepted": 6}
    code, again = _import(server, bundle)
    assert code == 0 and again["counts"] == {"duplicate": 6}
    assert server.central.store.count() == 6


@BOTH
def test_truncated_bundle_names_the_bad_item_and_imports_the_rest(server, exported):
    bundle, ids = exported
    data = bundle.read_bytes()
    lines = data.split(b"\n")
    cut = len(data) - len(lines[-2]) // 2 - 1  # half of the last item survives
    bundle.write_bytes(data[:cut])
    code, report = _import(server, bundle)
    assert code == 1
    assert report["counts"].get("accepted") == 5
    bad = [r for r in report["results"] if r["status"] != "accepted"]
    assert len(bad) == 1
    last_id = json.loads(lines[-2])["submission_id"]
    assert bad[0]["submission_id"] == last_id  # named from the signed manifest
    assert server.central.store.count() == 5


@BOTH
def test_tampered_item_is_named_and_the_others_import(server, exported):
    bundle, ids = exported
    lines = bundle.read_bytes().split(b"\n")
    victim = json.loads(lines[3])
    jwe = victim["jwe"]
    victim["jwe"] = jwe[:40] + ("A" if jwe[40] != "A" else "B") + jwe[41:]
    lines[3] = json.dumps(victim, separators=(",", ":")).encode()
    bundle.write_bytes(b"\n".join(lines))
    code, report = _import(server, bundle)
    assert code == 1 and report["counts"].get("accepted") == 5
    bad = [r for r in report["results"] if r["status"] == "rejected"]
    assert [r["submission_id"] for r in bad] == [victim["submission_id"]]
    assert "manifest" in bad[0]["reason"]


@BOTH
def test_acks_travel_back_on_removable_media(server, kiosk, exported, kiosk_cli, tmp_path):
    bundle, ids = exported
    assert _import(server, bundle)[0] == 0
    acks = tmp_path / "acks.json"
    res = central("export-acks", "--out", str(acks), *_where(server))
    assert res.returncode == 0, res.stderr
    res = kiosk_cli("import-acks", str(acks), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["acknowledged"] == 6
    with kiosk.store() as store:
        assert store.counts()["acknowledged"] == 6
    res = kiosk_cli("import-acks", str(acks), "--json")  # importing twice is harmless
    assert json.loads(res.stdout)["already"] == 6


@BOTH
def test_forged_receipt_is_not_an_acknowledgement(server, kiosk, exported, kiosk_cli, tmp_path):
    bundle, ids = exported
    assert _import(server, bundle)[0] == 0
    acks = tmp_path / "acks.json"
    assert central("export-acks", "--out", str(acks), *_where(server)).returncode == 0
    doc = json.loads(acks.read_text())
    doc["acks"][0]["receipt"], doc["acks"][1]["receipt"] = (doc["acks"][1]["receipt"],
                                                            doc["acks"][0]["receipt"])
    acks.write_text(json.dumps(doc))
    res = kiosk_cli("import-acks", str(acks), "--json")
    assert res.returncode == 1
    out = json.loads(res.stdout)
    assert out["invalid"] == 2 and out["acknowledged"] == 4


def test_import_acks_reports_the_acks_it_skipped(server, kiosk, exported, kiosk_cli, tmp_path):
    bundle, _ = exported
    assert _import(server, bundle)[0] == 0
    acks = tmp_path / "acks.json"
    assert central("export-acks", "--out", str(acks), *_where(server)).returncode == 0
    doc = json.loads(acks.read_text())
    doc["acks"][0]["device_id"] = "someone-else"
    from kiosk.store.ids import uuid7

    stranger = uuid7()
    doc["acks"][1]["submission_id"] = stranger
    acks.write_text(json.dumps(doc))
    out = json.loads(kiosk_cli("import-acks", str(acks), "--json").stdout)
    assert (out["other_device"], out["unknown"], out["acknowledged"]) == (1, 1, 4)
    assert any(stranger in p and "skipped" in p for p in out["problems"])
    human = kiosk_cli("import-acks", str(acks), "--lang", "en").stdout
    assert "1 for another kiosk (skipped)" in human and f"{stranger}: not on this kiosk" in human


def test_cli_serve_enrol_sync_list_revoke(tmp_path, kiosk_cli, isolated_home):
    data = tmp_path / "central"
    proc = subprocess.Popen(
        [sys.executable, "-m", "central.cli", "serve", "--port", "0", "--data", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, line + proc.stderr.read(2000)
        url = line.split("listening on ", 1)[1].split()[0]
        code = json.loads(central("enroll-code", "--json", "--data", str(data)).stdout)["code"]
        res = kiosk_cli("enroll", "--server", url, "--code", code, "--json")
        assert res.returncode == 0, res.stderr
        device_id = json.loads(res.stdout)["device_id"]
        again = kiosk_cli("enroll", "--server", url, "--code", code)
        assert again.returncode != 0 and "already used" in again.stderr
        assert "Traceback" not in again.stderr

        from kiosk.device import load_device
        from kiosk.paths import Home
        from kiosk.secrets import open_secrets
        from tests.sync.helpers import Kiosk

        home = Home(isolated_home)
        cat = json.loads((home.catalog / "catalog.json").read_text("utf-8"))
        agency = next(iter(cat["agencies"].values()))
        k = Kiosk(home, load_device(open_secrets(home.root)), agency["keys"][0])
        with k.store() as store:
            ids = finalize(k, store, 3)
        res = kiosk_cli("sync", "--once", "--json")
        assert res.returncode == 0, res.stdout + res.stderr
        assert json.loads(res.stdout)["accepted"] == 3
        subs = json.loads(central("submissions", "--json", "--data", str(data)).stdout)
        assert sorted(s["submission_id"] for s in subs) == sorted(ids)
        assert all(s["verified"] and not s["demo"] and s["device_id"] == device_id for s in subs)
        agency_id = next(iter(cat["agencies"]))
        out = tmp_path / "agency"
        dec = central("decrypt", "--key", str(data / "agency-keys" / f"{agency_id}.jwk"),
                      "--out", str(out), "--json", "--data", str(data))
        assert dec.returncode == 0, dec.stderr
        assert json.loads(dec.stdout)["decrypted"] == 3
        assert {p.stem for p in out.glob("*.json")} == set(ids)
        assert central("import", str(tmp_path / "nope.ndjson"), "--data",
                       str(data)).returncode == 3
        devices = central("devices", "--data", str(data))
        assert device_id in devices.stdout and "active" in devices.stdout
        assert central("revoke", device_id, "--data", str(data)).returncode == 0
        res = kiosk_cli("sync", "--once")
        assert res.returncode == 7 and "revoked" in res.stdout
        missing = central("revoke", "kiosk-nope", "--data", str(data))
        assert missing.returncode == 3 and "not enrolled" in missing.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)
