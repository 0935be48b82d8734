"""Pieces of sync.odk that need no server: texts, URL parsing, request planning."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from kiosk.errors import KioskError
from kiosk.paths import ASSETS_DIR
from sync.odk.connection import parse_url
from sync.odk.multipart import INCOMPLETE_PART, XML_PART, Part, plan_requests
from sync.odk.openrosa import _basic_allowed, safe_url

REPO = Path(__file__).resolve().parents[2]


def test_odk_texts_exist_in_both_languages() -> None:
    data = json.loads((ASSETS_DIR / "i18n" / "odk.json").read_text("utf-8"))
    for key, texts in data.items():
        assert texts.get("mn") and texts.get("en"), key
        assert re.search("[а-яөүА-ЯӨҮ]", texts["mn"]), f"odk.{key} is not Mongolian"
    used = set()
    for file in [*(REPO / "sync" / "odk").glob("*.py"), *(REPO / "app").rglob("*.py"),
                 REPO / "ui" / "views" / "staff.py"]:
        used |= {m.group(1) for m in re.finditer(r"[\"']odk\.([a-z_]+)[\"']",
                                                  file.read_text("utf-8"))}
    used |= {f"state_{s}" for s in ("new", "changed", "current", "withdrawn")}  # built names
    assert used and sorted(used - set(data)) == []


def test_app_user_url_and_user_connections() -> None:
    conn = parse_url("https://c.example.mn/v1/key/AbC$12/projects/7")
    assert (conn.kind, conn.project) == ("app-user", "7")
    assert conn.shown_url == "https://c.example.mn/v1/key/…/projects/7"
    assert "AbC" not in json.dumps(conn.describe())
    user = parse_url("https://kobo.example.mn/agency", username="k1", password="pw")
    assert user.kind == "user" and user.auth() is not None
    with pytest.raises(KioskError, match="app-user URL"):
        parse_url("https://kobo.example.mn/agency")
    with pytest.raises(KioskError, match="not an http"):
        parse_url("ftp://x/y")
    assert safe_url("http://h/v1/key/SECRET/projects/1/submission") == \
        "http://h/v1/key/…/projects/1/submission"


def test_basic_is_sent_only_over_https_or_loopback() -> None:
    assert _basic_allowed(httpx.URL("https://kobo.example.mn/x"))
    assert _basic_allowed(httpx.URL("http://127.0.0.1:8383/x"))
    assert not _basic_allowed(httpx.URL("http://kobo.example.mn/x"))


def test_requests_split_under_the_limit_repeating_the_xml() -> None:
    xml = b"<data id='f'><meta><instanceID>uuid:1</instanceID></meta></data>"
    files = [Part(f"f{i}.bin", bytes([i]) * 3000, "application/octet-stream", f"f{i}.bin")
             for i in range(3)]
    one = plan_requests(xml, files, 100_000)
    assert len(one) == 1 and one[0].part_names == (XML_PART, "f0.bin", "f1.bin", "f2.bin")
    split = plan_requests(xml, files, 4000)
    assert [r.part_names for r in split] == [
        (XML_PART, "f0.bin", INCOMPLETE_PART), (XML_PART, "f1.bin", INCOMPLETE_PART),
        (XML_PART, "f2.bin")]
    assert all(xml in r.body for r in split)
    assert plan_requests(xml, files, 4000)[0].body == split[0].body  # same bytes every time


def test_auth_answers_a_digest_challenge_and_remembers_it() -> None:
    """The auth flow alone (no server behaviour is claimed): a Digest challenge is
    answered with Digest, Basic never goes over plain http, the scheme is remembered."""
    from sync.odk.openrosa import OpenRosaAuth

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        value = request.headers.get("authorization", "")
        seen.append(value.split(" ", 1)[0])
        if value.startswith("Digest ") and 'username="k1"' in value:
            return httpx.Response(200, text="<xforms/>")
        return httpx.Response(401, headers={
            "WWW-Authenticate": 'Digest realm="kobo", nonce="abc", qop="auth"'})

    auth = OpenRosaAuth("k1", "secret-pw")
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        assert client.get("http://kobo.example.mn/formList").status_code == 200
        assert auth.scheme == "digest"
        assert client.get("http://kobo.example.mn/formList").status_code == 200
    assert "Basic" not in seen and seen[-1] == "Digest"


def test_server_xml_with_entities_is_refused_in_one_line() -> None:
    from sync.client import OutcomeUnknown
    from sync.odk.openrosa import parse_form_list

    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xforms><xform><formID>&b;</formID>'
            b"</xform></xforms>")
    with pytest.raises(OutcomeUnknown, match="not usable XML"):
        parse_form_list(bomb)
