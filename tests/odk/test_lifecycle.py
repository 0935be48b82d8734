"""A server's normal life never throws away a finished application (issue 20), against
the real ODK Central: a form closed, deleted or taken away from the app user holds the
kiosk's submissions (with a reason staff can read) until it is fixed; then each is
delivered exactly once. Only Central's "same ID, other content" is a rejection."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from kiosk.destination import Reason
from kiosk.store import Store
from kiosk.store.states import DestinationKind
from sync.odk.deliver import open_delivery
from sync.odk.xformmeta import read_meta
from tests.odk.central import Central, unassign
from tests.odk.helpers import household_answers, household_xform
from tests.odk.kiosk_side import OdkKiosk, connect_kiosk
from tests.sync.faultproxy import Fault, FaultProxy

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POST = b"POST /v1/key/"


def _state(central: Central, pid: int, form_id: str, state: str) -> None:
    central._ok(central._http.patch(f"{central.api}/projects/{pid}/forms/{form_id}",
                                    json={"state": state}))


def _held(kiosk: OdkKiosk, sid: str) -> str | None:
    row = kiosk.store.submission(sid)
    assert row["state"] == "held", row["state"]
    return kiosk.store.held_reason(sid)


def test_closed_form_holds_then_reopened_delivers_once(make_form, central, isolated_home):
    pid, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sids = [kiosk.finalize() for _ in range(3)]
    _state(central, pid, form_id, "closed")
    delivery = open_delivery(kiosk.home, kiosk.store)
    assert delivery is not None
    report = delivery.run_once(pull_forms=False)
    assert (report.held, report.rejected, report.accepted) == (3, 0, 0), report
    assert {_held(kiosk, s) for s in sids} == {Reason.FORM_CLOSED.value}
    assert "409.2" in kiosk.store.held_items()[0].detail
    assert delivery.run_once(pull_forms=False).sent == 0  # the slow schedule: not due now
    _state(central, pid, form_id, "open")
    assert kiosk.store.send_again() == 3  # staff's "Send again"
    assert delivery.run_once(pull_forms=False).accepted == 3
    assert {kiosk.store.submission(s)["state"] for s in sids} == {"acknowledged"}
    assert central.count(pid, form_id) == 3


def test_deleted_form_holds_then_restored_delivers_once(make_form, central, isolated_home,
                                                         kiosk_cli):
    pid, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    central._ok(central._http.delete(f"{central.api}/projects/{pid}/forms/{form_id}"))
    delivery = open_delivery(kiosk.home, kiosk.store)
    assert delivery is not None
    report = delivery.run_once(pull_forms=False)
    assert (report.held, report.rejected) == (1, 0), report
    assert _held(kiosk, sid) == Reason.FORM_UNKNOWN.value  # 404.1, restorable
    # a held submission is exported for the technician's USB route
    out = isolated_home.parent / "odk-export"
    exported = kiosk_cli("export", "--odk", "--out", str(out), "--json")
    assert exported.returncode == 0 and '"count": 1' in exported.stdout, exported.stdout
    trash = central.get(f"/projects/{pid}/forms", params={"deleted": "true"}).json()
    numeric = next(f["id"] for f in trash if f["xmlFormId"] == form_id)
    central.post(f"/projects/{pid}/forms/{numeric}/restore")
    if not any(a["id"] == user.id for a in _assigned(central, pid, form_id)):
        central.assign(pid, form_id, user.id)  # Central may drop assignments with the form
    synced = kiosk_cli("sync", "--once", "--retry-held", "--no-catalog", "--json")
    assert '"accepted": 1' in synced.stdout, synced.stdout + synced.stderr
    assert kiosk.store.submission(sid)["state"] == "acknowledged"
    assert central.count(pid, form_id) == 1


def _assigned(central: Central, pid: int, form_id: str) -> list[dict]:
    roles = central.get("/roles").json()
    role = next(r["id"] for r in roles if r["system"] == "app-user")
    return list(central.get(f"/projects/{pid}/forms/{form_id}/assignments/{role}").json())


def test_unassigned_form_holds_others_still_delivered(make_form, central, isolated_home):
    pid, form_a, user = make_form(household_xform())
    form_b = central.publish(pid, household_xform().replace(b"{FORM_ID}",
                                                            f"{form_a}_b".encode()))
    central.assign(pid, form_b, user.id)
    kiosk = connect_kiosk(isolated_home, user.url, form_a)
    with _client(user.url) as client:
        entry = next(f for f in client.form_list() if f.form_id == form_b)
        _, xml, _ = client.get(entry.download_url)
    other = OdkKiosk(kiosk.home, kiosk.store, read_meta(xml, source=form_b))
    held_sid = kiosk.finalize()
    sent_sid = other.finalize()
    unassign(central, pid, form_a, user.id)
    delivery = open_delivery(kiosk.home, kiosk.store)
    assert delivery is not None
    report = delivery.run_once(pull_forms=False)
    assert (report.held, report.accepted, report.rejected) == (1, 1, 0), report
    assert report.state == "ok", report  # not "credentials refused": they are fine
    assert _held(kiosk, held_sid) == Reason.NOT_ASSIGNED.value
    assert kiosk.store.submission(sent_sid)["state"] == "acknowledged"
    central.assign(pid, form_a, user.id)
    kiosk.store.send_again([held_sid])
    assert delivery.run_once(pull_forms=False).accepted == 1
    assert central.count(pid, form_a) == 1 and central.count(pid, form_b) == 1


def _client(url: str):  # noqa: ANN202
    from sync.odk.openrosa import OpenRosaClient

    return OpenRosaClient(url)


def test_a_true_conflict_is_still_rejected(make_form, central, isolated_home):
    pid, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    other = connect_kiosk(isolated_home.parent / "other-kiosk", user.url, form_id)
    other.finalize(dict(household_answers(), age=7), submission_id=sid)
    assert open_delivery(other.home, other.store).run_once().accepted == 1
    report = open_delivery(kiosk.home, kiosk.store).run_once(pull_forms=False)
    assert (report.rejected, report.held) == (1, 0)
    assert "409.1" in kiosk.store.submission(sid)["last_error"]


def test_sigkill_mid_batch_then_one_clean_sync_delivers_all_once(make_form, central,
                                                                  isolated_home):
    """Killed while the first submissions are on the wire: the next round sends every
    one Central has not acknowledged at once (no waiting on a resend clock); Central
    answers the resent ones that did arrive as the same submission."""
    pid, form_id, user = make_form(household_xform())
    with FaultProxy.to_url(central.base) as proxy:
        url = proxy.url + "/" + user.url.split("://", 1)[1].split("/", 1)[1]
        kiosk = connect_kiosk(isolated_home, url, form_id)
        sids = [kiosk.finalize() for _ in range(8)]
        kiosk.store.close()
        proxy.inject(*[Fault("stall_down", at=0, stall=60, match=POST)] * 3)  # each worker
        child = subprocess.Popen([sys.executable, "-m", "app", "sync", "--once",
                                  "--no-catalog"], cwd=REPO, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE,
                                 env=dict(os.environ, KIOSK_HOME=str(kiosk.home.root)))
        deadline = time.monotonic() + 60
        while central.count(pid, form_id) < 1:  # one has reached Central; its reply held
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "nothing reached Central"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    again = connect_kiosk(isolated_home, user.url, form_id, moved=True)  # proxy gone
    counts = again.store.counts_for(DestinationKind.ODK)
    assert counts["sent"] <= 3, counts  # only what was on the wire is "sent"
    delivery = open_delivery(again.home, again.store)
    assert delivery is not None
    report = delivery.run_once(pull_forms=False)
    assert (report.accepted, report.rejected, report.held) == (8, 0, 0), report
    assert {again.store.submission(s)["state"] for s in sids} == {"acknowledged"}
    assert central.count(pid, form_id) == 8


def test_connect_elsewhere_with_unsent_items(make_form, central, isolated_home, kiosk_cli):
    """Submissions belong to the server and project they were made for: connecting to
    another project while any are unsent is refused in one line naming the count;
    --keep-old keeps delivering them to the old project, never to the new one."""
    pid_a, form_a, user_a = make_form(household_xform())
    pid_b, form_b, user_b = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user_a.url, form_a)
    sids = [kiosk.finalize() for _ in range(2)]
    kiosk.store.close()
    refused = kiosk_cli("odk", "connect", user_b.url, "--lang", "en")
    assert refused.returncode != 0
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "2 submission(s)" in refused.stderr and user_a.token not in refused.stderr
    kept = kiosk_cli("odk", "connect", user_b.url, "--keep-old")
    assert kept.returncode == 0, kept.stderr
    synced = kiosk_cli("sync", "--once", "--no-catalog", "--json")
    assert '"accepted": 2' in synced.stdout, synced.stdout + synced.stderr
    assert central.count(pid_a, form_a) == 2 and central.count(pid_b, form_b) == 0
    again = connect_kiosk(isolated_home, user_b.url, form_b)  # B's form, made for B
    new_sid = again.finalize()
    assert '"accepted": 1' in kiosk_cli("sync", "--once", "--no-catalog", "--json").stdout
    assert central.count(pid_a, form_a) == 2 and central.count(pid_b, form_b) == 1
    assert {again.store.submission(s)["state"] for s in [*sids, new_sid]} == {"acknowledged"}


def test_connect_elsewhere_after_an_odk_export(make_form, central, isolated_home, kiosk_cli):
    pid_a, form_a, user_a = make_form(household_xform())
    pid_b, form_b, user_b = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user_a.url, form_a)
    sid = kiosk.finalize()
    kiosk.store.close()
    out = isolated_home.parent / "usb"
    assert kiosk_cli("export", "--odk", "--out", str(out)).returncode == 0
    moved = kiosk_cli("odk", "connect", user_b.url)
    assert moved.returncode == 0, moved.stderr
    kiosk_cli("sync", "--once", "--no-catalog")
    # the technician carries it: never sent to project B it was not made for
    assert central.count(pid_a, form_a) == 0 and central.count(pid_b, form_b) == 0
    with Store.open(kiosk.home) as store:
        assert store.submission(sid)["state"] == "sealed"
    assert (out / "instances").is_dir() and any(sid in p.name for p in
                                                (out / "instances").iterdir())


def test_odk_only_rounds_write_sync_state_count_requests_and_purge(
        make_form, central, isolated_home, kiosk_cli):
    """An ODK-only kiosk: doctor sees its rounds (not "no sync yet" while Central refuses),
    ``sync --json`` counts the real requests, retention runs after the round."""
    import json

    from kiosk.config import DEFAULT_CONFIG_TEXT

    pid, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    kiosk.store.close()
    kiosk.home.config_file.write_text(  # purge on acknowledgement
        DEFAULT_CONFIG_TEXT.replace("retention_days = 30", "retention_days = 0"), "utf-8")
    first = json.loads(kiosk_cli("sync", "--once", "--no-catalog", "--json").stdout)
    assert (first["state"], first["accepted"]) == ("ok", 1), first
    assert first["requests"] >= 2  # HEAD for the accepted length, then the POST
    with Store.open(kiosk.home) as store:
        assert store.submission(sid)["state"] == "purged"
    assert "Last successful sync" in kiosk_cli("doctor", "--lang", "en").stdout
    again = connect_kiosk(isolated_home, user.url, form_id)
    again.finalize()
    again.store.close()
    central._ok(central._http.delete(f"{central.api}/projects/{pid}/app-users/{user.id}"))
    refused = kiosk_cli("sync", "--once", "--no-catalog", "--json")
    assert json.loads(refused.stdout)["state"] == "auth"
    doctor = kiosk_cli("doctor", "--lang", "en").stdout
    assert "Last sync error" in doctor and "credentials" in doctor, doctor


def test_the_same_server_at_a_new_address_takes_its_unsent_items(make_form, central,
                                                                  isolated_home, kiosk_cli):
    pid, form_id, user = make_form(household_xform())
    kiosk = connect_kiosk(isolated_home, user.url, form_id)
    sid = kiosk.finalize()
    kiosk.store.close()
    renamed = user.url.replace("127.0.0.1", "localhost")
    assert kiosk_cli("odk", "connect", renamed).returncode != 0  # another address: refused
    assert kiosk_cli("odk", "connect", renamed, "--moved").returncode == 0
    synced = kiosk_cli("sync", "--once", "--no-catalog", "--json")
    assert '"accepted": 1' in synced.stdout, synced.stdout + synced.stderr
    with Store.open(kiosk.home) as store:
        assert store.submission(sid)["state"] == "acknowledged"
    assert central.count(pid, form_id) == 1
