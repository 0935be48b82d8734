"""XLSForms as agencies write them (pyxform output, the shape Central publishes) go the
whole way: published to the real Central (managed encryption), pulled, filled headless
with `kiosk fill`, delivered by `kiosk sync --once`; Central's decrypted export has every
value, the repeat rows, the calculation and the metadata the kiosk fills."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.forms.xlsform_builders import (
    household_answers,
    household_form,
    odk_types_answers,
    odk_types_form,
    to_xform,
)
from tests.odk.conftest import PASSPHRASE


def _deliver(central, kiosk_cli, tmp_path: Path, builder, answers) -> tuple[dict, dict, str]:  # noqa: ANN001
    form_id = f"x{os.getpid()}_{builder.__name__}"
    xml = to_xform(builder(tmp_path / f"{form_id}.xlsx", form_id=form_id))
    pid = central.project(passphrase=PASSPHRASE)
    published = central.publish(pid, xml)
    user = central.app_user(pid, [published])
    r = kiosk_cli("odk", "connect", user.url, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["pull"]["problems"] == []
    answers_file = tmp_path / f"{form_id}.answers.json"
    answers_file.write_text(json.dumps(answers, ensure_ascii=False), "utf-8")
    kiosk_id = form_id.replace("_", "-").lower()
    filled = kiosk_cli("fill", kiosk_id, "--answers", str(answers_file), "--json")
    assert filled.returncode == 0, filled.stderr
    sid = json.loads(filled.stdout)["submission_id"]
    synced = kiosk_cli("sync", "--once", "--json")
    assert synced.returncode == 0 and json.loads(synced.stdout)["accepted"] == 1, synced.stdout
    tables, _ = central.decrypted_export(pid, published, PASSPHRASE)
    return tables, {"form_id": published}, sid


def test_xlsform_household_round_trip(central, kiosk_cli, tmp_path) -> None:
    tables, info, sid = _deliver(central, kiosk_cli, tmp_path, household_form,
                                 household_answers())
    form_id = info["form_id"]
    row = tables[f"{form_id}.csv"][0]
    assert (row["head_name"], row["members"], row["aimag"], row["soum"], row["animals"],
            row["horses"]) == ("Батболд", "2", "MN11", "MN1102", "horse sheep", "12")
    assert float(row["horses_per_member"]) == 6
    assert (row["address-street"], row["address-door"]) == ("Энхтайваны өргөн чөлөө", "12")
    assert row["meta-instanceID"] == f"uuid:{sid}"
    for meta in ("start", "end", "today", "deviceid"):
        assert row[meta], meta
    assert row["deviceid"].startswith("soum-kiosk:kiosk-")
    members = tables[f"{form_id}-member.csv"]
    assert [(m["member_name"], m["member_birth"], m["member_age"]) for m in members] == [
        ("Батболд", "1980-04-02", "46"), ("Сараа", "1984-10-11", "42")]


def test_xlsform_odk_types_round_trip(central, kiosk_cli, tmp_path) -> None:
    tables, info, _ = _deliver(central, kiosk_cli, tmp_path, odk_types_form, odk_types_answers())
    row = tables[f"{info['form_id']}.csv"][0]
    assert row["satisfaction"] == "4"
    assert row["priorities"] == "school water road"
    assert row["confirm"] == "OK"
    assert row["door"] == "12"
    assert row["visit_time"].startswith("09:45")
    assert row["appointment"].startswith("2026-12-24T15:30")
    assert row["where-Latitude"] == "47.9185" and row["where-Longitude"] == "106.9176"


@pytest.fixture(autouse=True)
def _needs_pyxform() -> None:
    pytest.importorskip("pyxform")
    pytest.importorskip("openpyxl")
