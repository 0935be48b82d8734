"""`kiosk odk connect/forms/pull/disconnect` against the real ODK Central."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.odk.central import unassign
from tests.odk.helpers import FORMS, household_xform

VILLAGES_CSV = "name,label\nmoron,Мөрөн\ntosontsengel,Тосонцэнгэл\n".encode()


def _two_forms(central) -> tuple[int, list[str], object]:
    pid = central.project()
    tag = f"{os.getpid()}_{id(central) % 10000}"
    plain = central.publish(pid, household_xform().replace(b"{FORM_ID}", f"hh_{tag}".encode()))
    with_media = central.publish(
        pid, (FORMS / "villages.xml").read_bytes().replace(b"{FORM_ID}", f"vil_{tag}".encode()),
        {"villages.csv": VILLAGES_CSV})
    return pid, [plain, with_media], central.app_user(pid, [plain, with_media])


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_connect_pull_conditional_and_withdrawn(central, kiosk_cli, isolated_home: Path) -> None:
    pid, (plain, media_form), user = _two_forms(central)
    r = kiosk_cli("odk", "connect", user.url, "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["kind"] == "app-user" and info["forms"] == 2
    assert user.token not in r.stdout and "/key/…/" in info["url"]
    assert sorted(info["pull"]["downloaded"]) == sorted([plain, media_form])
    assert info["pull"]["media_files"] == 1
    odk = isolated_home / "odk"
    assert (odk / "forms" / f"{plain}.xml").read_bytes().startswith(b"<")
    assert (odk / "forms" / f"{media_form}-media" / "villages.csv").read_bytes() == VILLAGES_CSV
    # the token is a secret: nowhere in the data folder (config, logs, catalog)
    for f in _files_under(isolated_home):
        assert user.token.encode() not in f.read_bytes(), f

    again = kiosk_cli("odk", "pull", "--json")
    assert again.returncode == 0, again.stderr
    rep = json.loads(again.stdout)
    assert rep["downloaded"] == [] and sorted(rep["unchanged"]) == sorted([plain, media_form])
    assert rep["bytes"] == 0 and rep["media_files"] == 0

    unassign(central, pid, media_form, user.id)
    rep = json.loads(kiosk_cli("odk", "pull", "--json").stdout)
    assert rep["withdrawn"] == [media_form]
    listed = json.loads(kiosk_cli("odk", "forms", "--json").stdout)
    states = {f["form_id"]: f["state"] for f in listed["forms"]}
    assert states == {plain: "current", media_form: "withdrawn"}
    # withdrawn: no longer offered, but its files are kept
    assert (odk / "forms" / f"{media_form}.xml").is_file()

    out = kiosk_cli("odk", "disconnect")
    assert out.returncode == 0 and ("removed" in out.stdout or "устгалаа" in out.stdout)
    gone = kiosk_cli("odk", "forms")
    assert gone.returncode == 4 and "kiosk odk connect" in gone.stderr
    assert "Traceback" not in gone.stderr


def test_connect_refuses_a_wrong_url_in_one_line(kiosk_cli, odk_env) -> None:
    r = kiosk_cli("odk", "connect", odk_env["ODK_BASE"] + "/v1/key/nonsense/projects/99999")
    assert r.returncode == 7, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "nonsense" not in r.stderr
    r = kiosk_cli("odk", "connect", "ftp://example.test/x")
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1


def test_sync_rounds_pull_new_forms_when_due(central, kiosk_cli, isolated_home) -> None:
    import time

    from kiosk.paths import Home
    from kiosk.store import Store
    from sync.odk.deliver import FORMS_PULL_EVERY, open_delivery

    pid, (plain, media_form), user = _two_forms(central)
    assert kiosk_cli("odk", "connect", user.url).returncode == 0
    later = central.publish(pid, household_xform().replace(b"{FORM_ID}", b"later_form_x"))
    central.assign(pid, later, user.id)
    home = Home(isolated_home)
    with Store.open(home) as store:
        delivery = open_delivery(home, store)
        assert delivery is not None
        assert delivery.run_once().catalog is None  # pulled at connect: not due yet
        delivery.clock = lambda: time.time() + FORMS_PULL_EVERY + 1
        report = delivery.run_once()
    assert report.catalog is not None and report.catalog["downloaded"] == [later]
    assert (isolated_home / "local-forms" / "later-form-x" / "form.xml").is_file()


def test_a_download_cut_earlier_is_completed_and_checked(central, kiosk_cli,
                                                         isolated_home) -> None:
    """A `.part` left by a cut link: the next pull completes it (Central ignores Range, so
    it sends the file whole and the part is replaced) and only a file matching the
    announced md5 is moved into place."""
    pid, (plain, media_form), user = _two_forms(central)
    part = isolated_home / "odk" / "forms" / f"{media_form}-media" / "villages.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(VILLAGES_CSV[:10] + b"garbage from a cut link")
    r = kiosk_cli("odk", "connect", user.url, "--json")
    assert r.returncode == 0, r.stderr
    assert (part.parent / "villages.csv").read_bytes() == VILLAGES_CSV
    assert not part.exists()


def test_user_connection_over_plain_http_is_refused_with_centrals_reason(
        central, kiosk_cli, odk_env, isolated_home) -> None:
    """Central takes a web user's password only over HTTPS: the kiosk relays that in one
    line (exit 7) and keeps nothing — the password is not stored anywhere."""
    pid = central.project()
    r = kiosk_cli("odk", "connect", f"{odk_env['ODK_BASE']}/v1/projects/{pid}", "--user",
                  odk_env["ODK_ADMIN_EMAIL"], "--password-stdin",
                  input=odk_env["ODK_ADMIN_PASSWORD"] + "\n")
    assert r.returncode == 7, r.stderr
    assert "only available over HTTPS" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert odk_env["ODK_ADMIN_PASSWORD"] not in r.stderr + r.stdout
    for f in _files_under(isolated_home):
        assert odk_env["ODK_ADMIN_PASSWORD"].encode() not in f.read_bytes(), f
    assert kiosk_cli("odk", "forms").returncode == 4  # nothing was saved


def test_doctor_reports_the_odk_connection(central, kiosk_cli, isolated_home) -> None:
    pid, _, user = _two_forms(central)

    def odk_check() -> dict:  # type: ignore[type-arg]
        r = kiosk_cli("doctor", "--json", "--timeout", "5", "--lang", "en")
        assert "Traceback" not in r.stderr, r.stderr
        return next(c for c in json.loads(r.stdout)["checks"] if c["name"] == "odk")

    assert odk_check()["status"] == "pass"  # not connected: fine
    assert kiosk_cli("odk", "connect", user.url).returncode == 0
    check = odk_check()
    assert check["status"] == "pass" and "offers 2 forms" in check["message"]
    assert user.token not in json.dumps(check)
    central._ok(central._http.delete(f"{central.api}/projects/{pid}/app-users/{user.id}"))
    check = odk_check()
    assert check["status"] == "fail" and "kiosk odk connect" in check["fix"]
