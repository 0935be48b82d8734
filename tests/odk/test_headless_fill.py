"""The whole way, as a technician and a resident would: `kiosk odk connect` pulls the
forms into the local catalog, `kiosk fill` fills one headless (the XForm reader's
FormDef), `kiosk sync --once` delivers it, and Central's export has every value and
byte; plain and managed-encrypted. Then the canary scan of the data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.odk.conftest import PASSPHRASE
from tests.odk.helpers import PHOTO, household_xform

CANARY_NAME = "Канарь-Зэрлэг-7731"
CANARY_NOTE = "canary-odk-7731-note"


def _answers(tmp: Path) -> Path:
    (tmp / "files").mkdir(parents=True, exist_ok=True)
    (tmp / "files" / "photo.jpg").write_bytes(PHOTO)
    doc = {"answers": {
        "name": CANARY_NAME, "age": 41, "livestock": ["horse", "goat"],
        "district": "Мөрөн", "member": [{"mname": "Сарнай", "mage": 12}],
        "photo": {"file": "files/photo.jpg"}, "note_text": CANARY_NOTE}}
    path = tmp / "answers.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return path


def _scan(root: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for f in root.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            hits += [f"{f.relative_to(root)}: {n!r}" for n in needles if n in data]
    return hits


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_connect_fill_sync_and_read_back(make_form, central, kiosk_cli, isolated_home,
                                         tmp_path, encrypted: bool) -> None:
    pid, form_id, user = make_form(household_xform(), encrypted=encrypted)
    r = kiosk_cli("odk", "connect", user.url, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["pull"]["problems"] == []
    listed = kiosk_cli("forms", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    kiosk_id = form_id.replace("_", "-").lower()
    assert kiosk_id in listed.stdout
    filled = kiosk_cli("fill", kiosk_id, "--answers", str(_answers(tmp_path / "in")), "--json")
    assert filled.returncode == 0, filled.stderr
    sid = json.loads(filled.stdout)["submission_id"]
    synced = kiosk_cli("sync", "--once", "--json")
    assert synced.returncode == 0, synced.stderr + synced.stdout
    assert json.loads(synced.stdout)["accepted"] == 1
    again = kiosk_cli("sync", "--once", "--json")
    assert json.loads(again.stdout)["sent"] == 0
    status = kiosk_cli("status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["odk_counts"] == {"acknowledged": 1}
    human = kiosk_cli("status", "--lang", "en")
    assert "To the ODK server: waiting 0, received 1, refused 0" in human.stdout
    assert central.count(pid, form_id) == 1
    if encrypted:
        tables, media = central.decrypted_export(pid, form_id, PASSPHRASE)
        row = tables[f"{form_id}.csv"][0]
        members = tables[f"{form_id}-member.csv"]
        assert media == {"photo.jpg": PHOTO}
    else:
        row = central.plain_export(pid, form_id)[0]
        assert central.attachment(pid, form_id, f"uuid:{sid}", "photo.jpg") == PHOTO
        members = None
    assert (row["name"], row["age"], row["livestock"], row["grp-district"], row["photo"],
            row["note_text"]) == (CANARY_NAME, "41", "horse goat", "Мөрөн", "photo.jpg",
                                  CANARY_NOTE)
    assert row["meta-instanceID"] == f"uuid:{sid}"
    if members is not None:
        assert [(m["mname"], m["mage"]) for m in members] == [("Сарнай", "12")]
    # the canary scan: no answer in plaintext anywhere in the data folder (DB, WAL,
    # logs, tmp, the ODK cache), in any encoding the kiosk might have written it
    needles = [CANARY_NAME.encode(), CANARY_NOTE.encode(), CANARY_NAME.encode("utf-16-le"),
               json.dumps(CANARY_NAME).encode(), PHOTO[:64]]
    assert _scan(isolated_home, needles) == []
    (tmp_path / "in" / "files" / "photo.jpg").unlink()
