"""Issue 21: a hostile ODK server cannot stop the kiosk's sync, steal its password or fill
its disk (the ODK *pull*: formList, forms, media). A real OpenRosa-speaking server on
loopback (tests/odk/hostile_server.py), a real kiosk-central, the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.odk.hostile_server import (
    deep_xform,
    endless,
    form_list,
    hostile,
    manifest,
    quoted,
    trickle,
    xform,
)
from tests.sync.helpers import enrolled_kiosk, finalize, server_ids, start_server


def _connect(home_root: Path, url: str, *, user: str | None = None) -> None:
    from kiosk.secrets import open_secrets
    from sync.odk.connection import parse_url, save

    conn = parse_url(url if user else f"{url}/v1/key/TOKEN/projects/1",
                     username=user, password="s3cret" if user else None)
    save(open_secrets(home_root), conn)


def _pull(home_root: Path, **client_kw: object) -> dict:
    from kiosk.paths import Home
    from kiosk.store import Store
    from sync.odk.deliver import open_delivery

    home = Home(home_root).ensure()
    delivery = open_delivery(home, Store.open(home), **client_kw)
    assert delivery is not None
    try:
        report = delivery.maybe_pull_forms(force=True)
    finally:
        delivery.close()
    assert report is not None
    return report


@pytest.fixture
def kc(tmp_path: Path):
    srv = start_server(tmp_path / "central-data")
    yield srv
    srv.stop()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("attack", ["deep", "many"])
def test_a_hostile_odk_server_never_stops_kiosk_central_delivery(
        attack: str, kc, isolated_home: Path, kiosk_cli) -> None:
    kiosk = enrolled_kiosk(kc, isolated_home)
    store = kiosk.store()
    ids = finalize(kiosk, store, 2)
    store.close()
    with hostile() as h:
        routes = h.routes
        base = "/v1/key/TOKEN/projects/1"
        if attack == "deep":
            routes[f"{base}/formList"] = form_list([("deep", f"{h.url}/deep.xml", None)])
            routes["/deep.xml"] = deep_xform("deep")
        else:
            entries = [(f"f{i}", f"{h.url}/f.xml", None) for i in range(10_000)]
            routes[f"{base}/formList"] = form_list(entries)
            routes["/f.xml"] = xform("f")
        _connect(isolated_home, h.url)
        first = kiosk_cli("sync", "--once", "--json", timeout=240)
        assert first.returncode == 0, first.stderr[-2000:]
        assert set(ids) <= set(server_ids(kc))
        if attack == "deep":  # refused once, then skipped: not downloaded every round
            kiosk_cli("sync", "--once", "--json", timeout=240)
            assert h.served("/deep.xml") == 1
        else:
            assert h.served("/f.xml") <= 1000  # a bounded share of the list, not all of it


@pytest.mark.timeout(120)
def test_a_trickling_form_list_is_cut_at_the_deadline(isolated_home: Path) -> None:
    with hostile() as h:
        h.routes["/v1/key/TOKEN/projects/1/formList"] = trickle
        _connect(isolated_home, h.url)
        report = _pull(isolated_home, timeout=2.0)
    assert "error" in report and "deadline" in report["error"]


def test_credentials_go_only_to_the_configured_origin(isolated_home: Path) -> None:
    with hostile() as other, hostile() as h:
        other.routes["/steal.xml"] = xform("steal")
        h.routes["/formList"] = form_list([("steal", f"{other.url}/steal.xml", None),
                                           ("mine", f"{h.url}/mine.xml", None)])
        h.routes["/mine.xml"] = xform("mine")
        _connect(isolated_home, h.url, user="staff")
        _pull(isolated_home)
    assert other.seen and all(auth is None for _, auth in other.seen)
    assert any(auth for p, auth in h.seen if p == "/mine.xml")  # the own origin still gets it


def _media_form(image: str, csv_name: str) -> bytes:
    """A form with an image label (itext) and a choices CSV, both by Unicode names."""
    itext = ('<itext><translation lang="default" default="true()"><text id="/data/name:label">'
             f'<value>Name</value><value form="image">jr://images/{image}</value></text>'
             '</translation></itext>')
    text = xform("m").decode()
    text = text.replace("<bind nodeset", f'{itext}<instance id="c" src="jr://file-csv/{csv_name}"/>'
                        "<bind nodeset", 1)
    return text.replace("<label>Name</label>", "<label ref=\"jr:itext('/data/name:label')\"/>"
                        ).encode()


def test_media_unicode_names_found_again_and_unreferenced_media_skipped(
        isolated_home: Path) -> None:
    image, table = "Сумын газрын зураг.png", "сум нэр.csv"
    with hostile() as h:
        h.routes["/formList"] = form_list([("m", f"{h.url}/m.xml", f"{h.url}/m-manifest")])
        h.routes["/m.xml"] = _media_form(image, table)
        h.routes["/m-manifest"] = manifest(
            [(n, f"{h.url}/media/{quoted(n)}") for n in (image, table)]
            + [("unreferenced.bin", f"{h.url}/big")])
        h.routes[f"/media/{quoted(image)}"] = b"\x89PNG not really"
        h.routes[f"/media/{quoted(table)}"] = "name,label\nx,Икс\n".encode()
        h.routes["/big"] = endless
        _connect(isolated_home, h.url, user="staff")
        report = _pull(isolated_home)
    assert h.served("/big") == 0, "a file the form does not use is not downloaded"
    assert report["media_files"] == 2 and not report["problems"], report
    from kiosk.forms.local_catalog import local_dir
    from kiosk.forms.media import question_media
    from kiosk.forms.xform_read import read_xform

    folder = local_dir(isolated_home) / "m"
    form = read_xform((folder / "form.xml").read_bytes(), source="form.xml",
                      media_dir=folder / "media")
    form.file = folder / "form.xml"
    found = question_media(form, form.questions["name"], "image", "en")
    assert found is not None and found.read_bytes() == b"\x89PNG not really"
    assert not list((isolated_home / "odk").rglob("*.part"))


def test_an_endless_download_stops_at_the_quota_and_leaves_no_part_file(
        isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sync.odk import catalog

    monkeypatch.setattr(catalog, "PULL_QUOTA", 4 * 1024 * 1024)
    with hostile() as h:
        h.routes["/formList"] = form_list([(f"e{i}", f"{h.url}/endless", None)
                                           for i in range(3)])
        h.routes["/endless"] = endless
        _connect(isolated_home, h.url, user="staff")
        report = _pull(isolated_home)
    assert any("quota" in p for p in report["problems"]), report
    assert report["bytes"] <= catalog.PULL_QUOTA + 1024 * 1024  # counted, cut ones too
    assert not list((isolated_home / "odk").rglob("*.part"))


def test_a_servers_terminal_escapes_never_reach_the_terminal(
        kc, isolated_home: Path, kiosk_cli) -> None:
    from sync.odk.openrosa import _message

    evil = "\x1b]0;owned\x07\x1b[2J\u202egnp.exe"
    reply = (f'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
             f"<message>{evil}</message></OpenRosaResponse>").encode()
    said = _message(reply)
    assert "\x1b" not in said and "\x07" not in said and "\u202e" not in said
    assert "owned" in said  # the words stay readable
    kiosk = enrolled_kiosk(kc, isolated_home)
    store = kiosk.store()
    [sid] = finalize(kiosk, store, 1)
    store.mark_rejected(sid, f"HTTP 400 {evil}")  # a reason stored before this fix
    store.close()
    shown = kiosk_cli("status")
    assert shown.returncode == 0, shown.stderr
    assert "owned" in shown.stdout
    assert not any(c in shown.stdout for c in "\x1b\x07\u202e"), repr(shown.stdout)


def test_media_a_form_names_by_stem_still_count_as_referenced() -> None:
    from sync.odk.catalog import referenced

    assert referenced(b'<bind calculate="pulldata(&apos;villages&apos;, &apos;x&apos;)"/>',
                      "villages.csv")
    assert referenced(b"<select1 appearance=\"search('villages')\"/>", "villages.csv")
    assert referenced("jr://images/Сум нэр.png".encode(), "Сум нэр.png")
    assert referenced(b"jr://images/a%20b.png", "a b.png")
    assert not referenced(b"<h:html/>", "unreferenced.bin")
