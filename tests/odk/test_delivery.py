"""Finalize → outbox → OpenRosa delivery to the real ODK Central, exactly once."""

from __future__ import annotations

import json

import pytest

from kiosk.errors import KioskError
from sync.odk.deliver import OdkDelivery, open_delivery
from tests.odk.conftest import PASSPHRASE
from tests.odk.helpers import PHOTO, household_answers, household_xform
from tests.odk.kiosk_side import connect_kiosk


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_finalize_sync_twice_one_submission(make_form, central, isolated_home,
                                            encrypted: bool) -> None:
    pid, form_id, user = make_form(household_xform(), encrypted=encrypted)
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    assert kiosk.store.submission(sid)["state"] == "sealed"
    delivery = open_delivery(kiosk.home, kiosk.store)
    assert isinstance(delivery, OdkDelivery)
    report = delivery.run_once()
    assert (report.state, report.accepted) == ("ok", 1), report
    row = kiosk.store.submission(sid)
    assert row["state"] == "acknowledged"
    assert row["server_receipt"]["http_status"] in (201, 202)
    assert delivery.run_once().sent == 0  # nothing due any more
    # a resend of the same stored bytes (as after a lost reply): still one submission
    with kiosk.store.write() as conn:
        conn.execute("UPDATE submissions SET state = 'queued', next_attempt_at = 0 WHERE id = ?",
                     (sid,))
    assert delivery.run_once().accepted == 1
    assert central.count(pid, form_id) == 1
    if encrypted:
        tables, media = central.decrypted_export(pid, form_id, PASSPHRASE)
        row_csv = tables[f"{form_id}.csv"][0]
        assert media == {"photo.jpg": PHOTO}
    else:
        row_csv = central.plain_export(pid, form_id)[0]
        assert central.attachment(pid, form_id, f"uuid:{sid}", "photo.jpg") == PHOTO
    assert row_csv["name"] == household_answers()["name"]
    assert row_csv["meta-instanceID"] == f"uuid:{sid}"
    # the kiosk's own evidence is unchanged: a receipt and an audit trail
    assert kiosk.store.receipt_qr(sid)
    assert kiosk.store.verify_audit().ok


def test_changed_answer_under_the_same_id_is_refused_locally(make_form, isolated_home) -> None:
    _, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    assert kiosk.finalize(submission_id=sid) == sid  # the same answers again: the same one
    changed = dict(household_answers(), age=42)
    with pytest.raises(KioskError, match="other answers"):
        kiosk.finalize(changed, submission_id=sid)


def test_edit_with_deprecated_id_is_one_logical_submission(make_form, central,
                                                          isolated_home) -> None:
    pid, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    first = kiosk.finalize()
    delivery = open_delivery(kiosk.home, kiosk.store)
    assert delivery is not None and delivery.run_once().accepted == 1
    edit = kiosk.finalize(dict(household_answers(), age=42), deprecated_id=first)
    assert delivery.run_once().accepted == 1
    assert central.count(pid, form_id) == 1
    rows = central.plain_export(pid, form_id)
    assert rows[0]["age"] == "42" and rows[0]["meta-instanceID"] == f"uuid:{edit}"


def test_conflict_is_shown_to_staff(make_form, central, isolated_home) -> None:
    """The server already holds this instanceID with other content (e.g. another kiosk
    restored from the same backup): 409 becomes a rejected item with the reason."""
    pid, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    other = connect_kiosk(isolated_home.parent / "other-kiosk", user.url, form_id)
    other.finalize(dict(household_answers(), age=7), submission_id=sid)
    assert open_delivery(other.home, other.store).run_once().accepted == 1
    report = open_delivery(kiosk.home, kiosk.store).run_once()
    assert report.rejected == 1
    row = kiosk.store.submission(sid)
    assert row["state"] == "rejected" and "409" in row["last_error"]
    assert central.count(pid, form_id) == 1


def test_revoked_app_user_stops_the_round(make_form, central, isolated_home) -> None:
    pid, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    central._ok(central._http.delete(f"{central.api}/projects/{pid}/app-users/{user.id}"))
    report = open_delivery(kiosk.home, kiosk.store).run_once()
    assert report.state == "auth" and ("401" in (report.error or "") or "403" in (report.error or ""))
    assert user.token not in (report.error or "")
    assert kiosk.store.submission(sid)["state"] in ("sent", "queued", "sealed")


def test_engine_routes_each_submission_to_its_destination(make_form, central, isolated_home,
                                                          tmp_path) -> None:
    """One kiosk enrolled with kiosk-central and connected to ODK Central: one round of
    the sync engine delivers the JOSE submission to kiosk-central and the ODK one over
    OpenRosa, each exactly once."""
    from sync.runtime import open_engine
    from tests.sync.helpers import enrolled_kiosk, finalize, server_ids, start_server

    server = start_server(tmp_path / "central-data")
    try:
        jose = enrolled_kiosk(server, isolated_home)
        pid, form_id, user = make_form(household_xform())
        odk = connect_kiosk(isolated_home, user.url, form_id)
        odk_id = odk.finalize()
        (jose_id,) = finalize(jose, odk.store, 1)
        engine = open_engine(odk.home, store=odk.store, pull_catalog=False)
        assert [d.key.kind.value for d in engine.destinations] == ["odk"]
        report = engine.run_once()
        engine.client.close()
        assert report.state == "ok", report
        assert report.accepted == 2
        assert server_ids(server) == [jose_id]
        assert central.count(pid, form_id) == 1
        assert {odk.store.submission(i)["state"] for i in (odk_id, jose_id)} == {"acknowledged"}
        # the USB bundle for kiosk-central holds only kiosk-central's submissions
    finally:
        server.stop()


def test_export_odk_writes_briefcase_folders(make_form, central, isolated_home, tmp_path,
                                             kiosk_cli) -> None:
    """The USB path: the exported folder's parts, posted by hand (as a technician's upload
    would), give Central the same submission; kiosk-central's bundle leaves it out."""
    from sync.odk.multipart import Part, plan_requests
    from sync.odk.openrosa import OpenRosaClient

    pid, form_id, user = make_form(household_xform(), encrypted=True)
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    r = kiosk_cli("export", "--odk", "--out", str(tmp_path / "usb"), "--json")
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "usb" / "instances" / f"{form_id}_{sid}"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["photo.jpg.enc", "submission.xml", "submission.xml.enc"]
    assert PHOTO not in (folder / "photo.jpg.enc").read_bytes()
    files = [Part(n, (folder / n).read_bytes(), "application/octet-stream", n)
             for n in ("photo.jpg.enc", "submission.xml.enc")]
    with OpenRosaClient(user.url) as client:
        client.submit(plan_requests((folder / "submission.xml").read_bytes(), files))
    tables, media = central.decrypted_export(pid, form_id, PASSPHRASE)
    assert media == {"photo.jpg": PHOTO} and len(tables[f"{form_id}.csv"]) == 1
    bundle = kiosk_cli("export", "--out", str(tmp_path / "usb" / "central.bundle"), "--json")
    assert bundle.returncode == 0, bundle.stderr
    assert json.loads(bundle.stdout)["count"] == 0  # kiosk-central's bundle leaves ODK out


def test_engine_round_ends_when_odk_refuses_the_kiosk(make_form, central, isolated_home,
                                                      tmp_path) -> None:
    """A revoked app user while kiosk-central works: the kiosk-central item is delivered,
    the ODK items get the reason and a later due time, and the round ends (no spin)."""
    from sync.runtime import open_engine
    from tests.sync.helpers import enrolled_kiosk, finalize, start_server

    server = start_server(tmp_path / "central-data")
    try:
        jose = enrolled_kiosk(server, isolated_home)
        pid, form_id, user = make_form(household_xform())
        odk = connect_kiosk(isolated_home, user.url, form_id)
        odk_ids = [odk.finalize() for _ in range(3)]
        (jose_id,) = finalize(jose, odk.store, 1)
        central._ok(central._http.delete(f"{central.api}/projects/{pid}/app-users/{user.id}"))
        engine = open_engine(odk.home, store=odk.store, pull_catalog=False)
        report = engine.run_once()
        engine.client.close()
        assert odk.store.submission(jose_id)["state"] == "acknowledged"
        for sid in odk_ids:
            row = odk.store.submission(sid)
            assert row["state"] in ("queued", "sent") and row["last_error"], row
            assert "403" in row["last_error"] or "401" in row["last_error"]
        assert report.retry >= 3
    finally:
        server.stop()


def test_odk_still_delivered_while_kiosk_central_is_down(make_form, central, isolated_home,
                                                        tmp_path) -> None:
    from sync.runtime import open_engine
    from tests.sync.helpers import enrolled_kiosk, finalize, start_server

    server = start_server(tmp_path / "central-data")
    jose = enrolled_kiosk(server, isolated_home)
    server.stop()  # kiosk-central out of reach from here on
    pid, form_id, user = make_form(household_xform())
    odk = connect_kiosk(isolated_home, user.url, form_id)
    odk_id = odk.finalize()
    (jose_id,) = finalize(jose, odk.store, 1)
    engine = open_engine(odk.home, store=odk.store, pull_catalog=False,
                         client_kwargs={"connect_timeout": 2.0})
    report = engine.run_once()
    engine.client.close()
    assert report.state == "offline" and report.accepted == 1
    assert odk.store.submission(odk_id)["state"] == "acknowledged"
    assert odk.store.submission(jose_id)["state"] == "sealed"
    assert central.count(pid, form_id) == 1


def test_a_closing_form_stops_being_offered_but_its_work_is_delivered(
        make_form, central, kiosk_cli, isolated_home) -> None:
    """Central's "closing" state: out of the formList, still taking submissions. The kiosk
    takes the form off the home screen; a queued submission and a draft finished by staff
    afterwards are both delivered."""
    from kiosk.config import load_config
    from kiosk.finalize import finalize_session
    from kiosk.paths import Home
    from ui.services import Services

    pid, form_id, user = make_form(household_xform())
    assert kiosk_cli("odk", "connect", user.url).returncode == 0
    home = Home(isolated_home)
    services = Services(home, load_config(home.config_file))
    kiosk_id = form_id.replace("_", "-").lower()
    assert kiosk_id in services.load_index().forms
    queued = kiosk_cli("fill", kiosk_id, "--answers", str(_answers_file(isolated_home.parent)),
                       "--json")
    assert queued.returncode == 0, queued.stderr
    central._ok(central._http.patch(f"{central.api}/projects/{pid}/forms/{form_id}",
                                    json={"state": "closing"}))
    rep = json.loads(kiosk_cli("odk", "pull", "--json").stdout)
    assert rep["withdrawn"] == [form_id]
    services = Services(home, load_config(home.config_file))
    assert kiosk_id not in services.load_index().forms  # not offered to residents
    assert kiosk_id not in services.load_catalog().forms
    session = services.new_session(kiosk_id, "mn")  # staff finish a draft of it
    session.restore({"name": "Draft finished", "age": 30})
    finalize_session(services.store(), session, services.catalog,
                     destination=OdkDelivery(services.store(), None))
    services.close()
    synced = kiosk_cli("sync", "--once", "--json")
    assert json.loads(synced.stdout)["accepted"] == 2, synced.stdout
    assert central.count(pid, form_id) == 2


def _answers_file(folder) -> object:  # noqa: ANN001
    path = folder / "closing.answers.json"
    path.write_text(json.dumps({"answers": {"name": "Queued one", "age": 5}}), "utf-8")
    return path
