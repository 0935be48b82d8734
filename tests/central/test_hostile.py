"""Hostile clients, devices and bundles against a real kiosk-central on loopback.

Each attack from issue 9 is a test here; each failed on the server before the
grammar, the streamed/authenticated bundle route, the JSON limits, the covered
headers, the real-insert enrolment and the rate limits.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from central.app import Limits
from sync.auth import generate_key
from tests.central.attack import hostile_item, post_items, problem_type, signed
from tests.central.conftest import SQLITE_ONLY
from tests.sync.helpers import engine, enroll_code, finalize, start_server

REPO = Path(__file__).resolve().parents[2]


def import_bundle_file(central, path: Path) -> dict:
    from central.bundle_import import import_bundle_bytes

    return import_bundle_bytes(central, path.read_bytes())
HOSTILE_IDS = ["../../../../tmp/owned", "/etc/cron.d/owned", "a\nb", "\x1b[31mred\x1b[0m",
               "0190f5a2-7c3e-7000-8000-00000000000G", "0190F5A2-7C3E-7ABC-8DEF-0123456789AB",
               "0190f5a2-7c3e-4abc-8def-0123456789ab", "x" * 64]


def central_cli(*args: str, data: Path, db_url: str | None = None) -> subprocess.CompletedProcess:
    url = ["--database-url", db_url] if db_url else []
    return subprocess.run([sys.executable, "-m", "central.cli", *args, "--data", str(data), *url],
                          capture_output=True, text=True, timeout=60, cwd=REPO)


def _agency_key(server, kid: str, folder: Path) -> Path:
    """The agency's private key file, exported from wherever the backend keeps it."""
    from central.keys import DbVault, FileVault, export_agency_keys

    central = server.central
    vault = DbVault(central.store) if central.settings.database_url else \
        FileVault(central.settings.data_dir)
    return next(p for p in export_agency_keys(vault, folder)
                if json.loads(p.read_text())["kid"] == kid)


# -- identifiers -----------------------------------------------------------------
@pytest.mark.parametrize("sid", HOSTILE_IDS)
def test_hostile_submission_id_is_rejected_per_item(server, kiosk, sid):
    good = finalize(kiosk, kiosk.store(), 1)[0]
    store = kiosk.store()
    real = store.next_batch(time.time() + 10, 10**9, 10)[0]
    resp = post_items(server, kiosk, [
        hostile_item(kiosk, sid), {"submission_id": real.id, "record": real.record,
                                   "jwe": real.jwe}])
    assert resp.status_code == 200, resp.text
    bad, ok = resp.json()["results"]
    assert bad["status"] == "rejected" and "UUIDv7" in bad["reason"]
    assert "\x1b" not in bad["reason"] and "\n" not in bad["reason"]
    assert ok["status"] == "accepted" and ok["submission_id"] == good
    assert [r["submission_id"] for r in server.central.store.submissions()] == [good]


def test_form_id_and_attachment_hash_are_in_the_grammar(server, kiosk):
    from kiosk.store import uuid7

    resp = post_items(server, kiosk, [hostile_item(kiosk, uuid7(), form_id="../../x")])
    result = resp.json()["results"][0]
    assert result["status"] == "rejected" and "form ID" in result["reason"]
    assert server.central.store.count() == 0


def _raw_row(central, sid: str, *, form_id: str = "test-form", record: str = "a.b.c") -> None:
    """A row as an older server (no grammar) would have stored it."""
    with central.store.transaction() as conn:
        conn.execute(
            "INSERT INTO submissions (device_id, submission_id, form_id, form_version, "
            "finalized_at, received_at, record, jwe, item_sha256, attachments, demo, verified, "
            "via, receipt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (central.store.devices()[0]["device_id"], sid, form_id, "1", "", time.time(),
             record, "a.b.c.d.e", "0" * 64, "[]", 0, 1, "online", "r"))


def test_decrypt_writes_only_under_out_and_survives_bad_rows(server, kiosk, tmp_path):
    """A device-chosen attachment name and rows with traversal IDs left by an older
    server: decrypt writes nothing outside --out, keeps going, all files 0600."""
    from central.decrypt import decrypt_all
    from kiosk.store import uuid7

    store = kiosk.store()
    draft = store.save_draft(None, form_id="test-form", form_version="1", answers={})
    value = store.add_attachment(draft, b"ssh-ed25519 AAAA attacker", max_bytes=10**6,
                                 name="../../../.ssh/authorized_keys", media_type="text/plain")
    env = store.finalize({"form_id": "test-form", "form_version": "1",
                          "answers": {"scan": value}}, device=kiosk.device,
                         agency_jwk=kiosk.agency_jwk, demo=False, draft_id=draft)
    plain = finalize(kiosk, store, 1)
    assert engine(kiosk, store).run_once().accepted == 2
    # the same record under a traversal ID, as an older server would have stored it
    record = server.central.store.submissions(with_payload=True)[0]["record"]
    _raw_row(server.central, "../../escaped", record=record)
    _raw_row(server.central, uuid7(), record="not-a-jws")
    data = server.central.settings.data_dir
    out = tmp_path / "agency" / "out"
    out.parent.mkdir()
    before = {p for p in tmp_path.rglob("*")}
    key = _agency_key(server, kiosk.agency_jwk["kid"], data / "exported-keys")
    result = decrypt_all(data, key, out, server.central.settings.database_url)
    assert result["decrypted"] == 2, result
    assert len(result["failed"]) == 2
    assert all("\n" not in f["submission_id"] for f in result["failed"])
    created = {p for p in tmp_path.rglob("*") if data not in p.parents} - before
    assert created and all(out in p.parents or p == out for p in created), created
    assert not (tmp_path / ".ssh").exists() and not (tmp_path / "escaped.json").exists()
    doc = json.loads((out / f"{env.submission_id}.json").read_text("utf-8"))
    assert doc["attachment_files"] == [f"{env.submission_id}/attachment-0"]
    assert (out / env.submission_id / "attachment-0").read_bytes().startswith(b"ssh-ed25519")
    assert (out / f"{plain[0]}.json").exists()
    for p in created:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), (p, oct(mode))


def test_decrypt_never_writes_through_a_planted_symlink(server, kiosk, tmp_path):
    from central.decrypt import decrypt_all

    ids = finalize(kiosk, kiosk.store(), 2)
    assert engine(kiosk, kiosk.store()).run_once().accepted == 2
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "authorized_keys"
    victim.write_text("original")
    (out / f"{ids[0]}.json").symlink_to(victim)
    data = server.central.settings.data_dir
    key = _agency_key(server, kiosk.agency_jwk["kid"], data / "exported-keys")
    result = decrypt_all(data, key, out, server.central.settings.database_url)
    assert victim.read_text() == "original"
    assert result["decrypted"] == 1 and [f["submission_id"] for f in result["failed"]] == [ids[0]]
    assert stat.S_IMODE((out / f"{ids[1]}.json").stat().st_mode) == 0o600


def test_terminal_output_is_escaped(server, kiosk):
    data = server.central.settings.data_dir
    _raw_row(server.central, "\x1b]0;owned\x07\x1b[2J", form_id="\x1b[31mred")
    code, _ = server.central.store.new_enroll_code(600)
    key = generate_key()
    resp = httpx.post(server.url + "/v1/enroll", json={
        "code": code, "name": "evil\x1b[2J\r\nkiosk-0000000000000000  active",
        "device_public_jwk": {"kty": "OKP", "crv": "Ed25519",
                              "x": key.as_dict(private=False)["x"]}})
    assert resp.status_code == 400 and "printable" in resp.json()["detail"]
    # a name stored by an older server is still shown escaped
    resp = httpx.post(server.url + "/v1/enroll", json={
        "code": code, "name": "front desk", "device_public_jwk": {
            "kty": "OKP", "crv": "Ed25519", "x": key.as_dict(private=False)["x"]}})
    assert resp.status_code == 201
    with server.central.store.transaction() as conn:
        conn.execute("UPDATE devices SET name = ? WHERE name = 'front desk'",
                     ("evil\x1b[2J\r\nkiosk-0000000000000000  active",))
    url = server.central.settings.database_url
    for command in ("submissions", "devices"):
        res = central_cli(command, data=data, db_url=url)
        assert res.returncode == 0, res.stderr
        assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "\r" not in res.stdout
    assert "\\x1b" in central_cli("submissions", data=data, db_url=url).stdout
    assert len(central_cli("devices", data=data, db_url=url).stdout.strip().splitlines()) == 2


# -- enrolment -------------------------------------------------------------------
def _enrol(server, key, name="kiosk", code=None) -> httpx.Response:
    return httpx.post(server.url + "/v1/enroll", json={
        "code": code or enroll_code(server), "name": name,
        "device_public_jwk": {"kty": "OKP", "crv": "Ed25519",
                              "x": key.as_dict(private=False)["x"]}})


def test_revocation_is_permanent_and_enrolment_never_replaces(server):
    key = generate_key()
    first = _enrol(server, key, "front desk")
    assert first.status_code == 201
    device_id = first.json()["device_id"]
    again = _enrol(server, key, "renamed by attacker")
    assert again.status_code == 409 and problem_type(again) == "already-enrolled"
    assert server.central.store.device(device_id)["name"] == "front desk"
    assert server.central.store.revoke(device_id)
    code = enroll_code(server)
    back = _enrol(server, key, "back again", code=code)
    assert back.status_code == 403 and "revoked" in back.json()["detail"]
    row = server.central.store.device(device_id)
    assert row["revoked_at"] and row["name"] == "front desk"
    assert _enrol(server, generate_key(), code=code).status_code == 201  # code not burnt


# -- bundles ---------------------------------------------------------------------
def _bundle(kiosk, tmp_path, n=2) -> Path:
    from sync.media import export_queue

    store = kiosk.store()
    finalize(kiosk, store, n)
    out = tmp_path / "queue.ndjson"
    export_queue(kiosk.home, store, out, device=kiosk.device, everything=True)  # as --all
    return out


def test_bundle_route_needs_a_credential_before_reading_the_body(server, kiosk, tmp_path):
    bundle = _bundle(kiosk, tmp_path).read_bytes()
    ndjson = {"Content-Type": "application/x-ndjson"}
    anon = httpx.post(server.url + "/v1/bundles", content=bundle, headers=ndjson)
    assert anon.status_code == 401 and server.central.store.count() == 0
    bogus = httpx.post(server.url + "/v1/bundles", content=bundle,
                       headers={**ndjson, "Authorization": "Bearer kct_guess"})
    assert bogus.status_code == 401 and server.central.store.count() == 0
    token, _ = server.central.store.new_technician_token(600)
    ok = httpx.post(server.url + "/v1/bundles", content=bundle,
                    headers={**ndjson, "Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["counts"] == {"accepted": 2}
    # or the device's own request signature, over the gzip'd body
    body = gzip.compress(_bundle(kiosk, tmp_path, 1).read_bytes())
    headers = {**ndjson, "Content-Encoding": "gzip"}
    own = httpx.post(server.url + "/v1/bundles", content=body,
                     headers=signed(kiosk, "POST", "/v1/bundles", body, headers=headers))
    assert own.status_code == 200 and own.json()["counts"] == {"accepted": 1, "duplicate": 2}


def test_device_may_send_only_its_own_bundle_and_bodies_are_bounded(tmp_path, isolated_home,
                                                                    db_url):
    from tests.sync.helpers import enrolled_kiosk

    server = start_server(tmp_path / "c", limits=Limits(max_bundle_bytes=50_000),
                          database_url=db_url)
    try:
        from kiosk.device import DeviceIdentity

        alice = enrolled_kiosk(server, isolated_home)
        bob = DeviceIdentity.from_private_jwk(dict(generate_key().as_dict(private=True)))
        pub = {k: bob.public_jwk[k] for k in ("kty", "crv", "x")}
        assert server.central.store.use_enroll_code(enroll_code(server), bob.device_id, pub,
                                                    "bob") is None
        body = _bundle(alice, tmp_path, 1).read_bytes()
        headers = {"Content-Type": "application/x-ndjson"}
        resp = httpx.post(server.url + "/v1/bundles", content=body, headers=signed(
            alice, "POST", "/v1/bundles", body, headers=headers, key=bob.private_key,
            device_id=bob.device_id))
        assert resp.status_code == 200 and resp.json()["results"] == []
        assert "another device" in resp.json()["errors"][0]
        big = body + b"\n" * 60_000
        resp = httpx.post(server.url + "/v1/bundles", content=big,
                          headers=signed(alice, "POST", "/v1/bundles", big, headers=headers))
        assert resp.status_code == 413
        assert server.central.store.count() == 0
        assert not list((tmp_path / "c" / "tmp").iterdir())
    finally:
        server.stop()


def test_forged_bundle_item_writes_nothing_for_an_enrolled_device(server, kiosk, tmp_path):
    """A bundle naming an enrolled device but not signed by it: no blob, no row."""
    from kiosk.device import DeviceIdentity
    from sync.bundles import BundleItem, write_bundle

    mallory = DeviceIdentity.from_private_jwk(dict(generate_key().as_dict(private=True)))
    blob = b"\x00" * 1000
    import hashlib

    digest = hashlib.sha256(blob).hexdigest()
    item = hostile_item(kiosk, "0190f5a2-7c3e-7abc-8def-0123456789ab")
    forged = tmp_path / "forged.ndjson"
    write_bundle(forged, device_id=kiosk.device.device_id, key=mallory.private_key,
                 items=[BundleItem(item["submission_id"], item["record"], item["jwe"],
                                   [(digest, blob)])], tmp_dir=tmp_path / "t")
    report = import_bundle_file(server.central, forged)
    assert not report["manifest_verified"] and report["results"] == []
    assert not list((server.central.settings.data_dir / "attachments").rglob(digest))
    assert server.central.attachments.status(kiosk.device.device_id, digest)["offset"] == 0
    # signed by the device, but the blob is not one its record binds: still nothing
    honest = tmp_path / "honest.ndjson"
    write_bundle(honest, device_id=kiosk.device.device_id, key=kiosk.device.private_key,
                 items=[BundleItem(item["submission_id"], item["record"], item["jwe"],
                                   [(digest, blob)])], tmp_dir=tmp_path / "t")
    report = import_bundle_file(server.central, honest)
    assert report["results"][0]["status"] == "rejected"
    assert "binds" in report["results"][0]["reason"]
    assert not list((server.central.settings.data_dir / "attachments").rglob(digest))
    assert server.central.attachments.status(kiosk.device.device_id, digest)["offset"] == 0
    assert server.central.store.count() == 0


def test_bundle_gzip_bomb_is_bounded_and_off_the_event_loop(tmp_path, isolated_home):
    server = start_server(tmp_path / "c", limits=Limits(max_bundle_bytes=20_000_000))
    try:
        token, _ = server.central.store.new_technician_token(600)
        bomb = gzip.compress(b"\n" * 200_000_000, compresslevel=9)  # 0.2 MB -> 200 MB
        assert len(bomb) < 400_000
        resp = httpx.post(server.url + "/v1/bundles", content=bomb, timeout=60, headers={
            "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip",
            "Authorization": f"Bearer {token}"})
        assert resp.status_code == 413 and problem_type(resp) == "too-large"
        assert not list((tmp_path / "c" / "tmp").iterdir())  # temp files cleaned up
        # two members, or junk after the member: refused, not silently ignored
        two = gzip.compress(b"") + gzip.compress(b"x")
        resp = httpx.post(server.url + "/v1/bundles", content=two, headers={
            "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip",
            "Authorization": f"Bearer {token}"})
        assert resp.status_code == 400 and "gzip member" in resp.json()["detail"]
    finally:
        server.stop()


def test_bundle_header_with_hostile_device_id_stores_nothing(server, tmp_path):
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(json.dumps({"format": "soum-kiosk-bundle/1", "device_id": "../../x\x1b[2J",
                                "manifest": "a.b.c"}).encode() + b"\n{}\n")
    report = import_bundle_file(server.central, bad)
    assert not report["manifest_verified"] and report["results"] == []
    assert "\x1b" not in json.dumps(report["errors"]) and "\\x1b" in report["errors"][0]
    assert "\x1b" not in (report["device_id"] or "")


# -- JSON and wire limits ---------------------------------------------------------
DEEP = b"[" * 100_000 + b"]" * 100_000


def test_deep_json_is_a_400_without_traceback(server, kiosk, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    deep_enrol = httpx.post(server.url + "/v1/enroll", content=b'{"code": ' + DEEP[:60_000]
                            + b"}", headers={"Content-Type": "application/json"})
    assert deep_enrol.status_code == 400 and problem_type(deep_enrol) == "bad-request"
    body = b'{"items": ' + DEEP + b"}"
    headers = {"Content-Type": "application/json"}
    deep_items = httpx.post(server.url + "/v1/submissions", content=body,
                            headers=signed(kiosk, "POST", "/v1/submissions", body,
                                           headers=headers))
    assert deep_items.status_code == 400 and "nested" in deep_items.json()["detail"]
    token, _ = server.central.store.new_technician_token(600)
    deep_bundle = httpx.post(server.url + "/v1/bundles", content=DEEP + b"\n" + DEEP, headers={
        "Content-Type": "application/x-ndjson", "Authorization": f"Bearer {token}"})
    assert deep_bundle.status_code == 200 and not deep_bundle.json()["manifest_verified"]
    digits = httpx.post(server.url + "/v1/enroll", content=b'{"code": ' + b"9" * 5000 + b"}",
                        headers={"Content-Type": "application/json"})
    assert digits.status_code == 400 and "4300" not in digits.text
    assert "Traceback" not in caplog.text and not [
        r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_signature_covers_content_range_and_encoding(server, kiosk):
    blob = os.urandom(5000)
    import hashlib

    digest = hashlib.sha256(blob).hexdigest()
    target = f"/v1/attachments/{digest}"
    part = blob[:1000]
    honest = {"Content-Type": "application/octet-stream", "Content-Range": "bytes 0-999/5000"}
    sent = {**honest, "Content-Length": "1000"}
    rewritten = {**honest, "Content-Range": "bytes 0-999/1000"}
    resp = httpx.put(server.url + target, content=part,
                     headers=signed(kiosk, "PUT", target, part, headers=rewritten,
                                    sign_headers=sent))
    assert resp.status_code == 401 and problem_type(resp) == "bad-signature"
    assert server.central.attachments.status(kiosk.device.device_id, digest)["offset"] == 0
    # an encoding added on the way is refused as well
    body = b'{"items": []}'
    resp = httpx.post(server.url + "/v1/submissions", content=body, headers=signed(
        kiosk, "POST", "/v1/submissions", body,
        headers={"Content-Type": "application/json", "Content-Encoding": "identity"},
        sign_headers={"Content-Type": "application/json", "Content-Length": str(len(body))}))
    assert resp.status_code == 401
    huge = {**honest, "Content-Range": "bytes 0-999/" + "9" * 100}
    resp = httpx.put(server.url + target, content=part,
                     headers=signed(kiosk, "PUT", target, part, headers=huge))
    assert resp.status_code == 400 and "digits" in resp.json()["detail"]
    from central.attachments import parse_content_range

    with pytest.raises(ValueError) as exc:  # no CPython integer-limit message either
        parse_content_range("bytes 0-1/" + "9" * 5000)
    assert "4300" not in str(exc.value)


@pytest.mark.parametrize("tail", [b"junk after the member", None])
def test_gzip_body_is_exactly_one_member(server, kiosk, tail):
    raw = json.dumps({"items": [{"submission_id": "x", "record": "a.b.c", "jwe": "a"}]}).encode()
    body = gzip.compress(raw) + (tail if tail is not None else gzip.compress(b" "))
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    resp = httpx.post(server.url + "/v1/submissions", content=body,
                      headers=signed(kiosk, "POST", "/v1/submissions", body, headers=headers))
    assert resp.status_code == 400 and "gzip member" in resp.json()["detail"]


# -- abuse -----------------------------------------------------------------------
def _guarded_server(data: Path, guards, db_url: str | None = None):
    from central.app import Settings
    from central.server import start_in_thread
    from kiosk.paths import bundled_catalog_dir

    return start_in_thread(Settings(data, bundled_catalog_dir(), guards=guards,
                                    database_url=db_url))


def test_enrolment_and_failed_auth_are_rate_limited(tmp_path, isolated_home, db_url):
    from central.app import Guards

    # slow refill so the test does not depend on how fast this machine sends
    server = _guarded_server(tmp_path / "c", Guards(
        enrol_per_minute=0.1, enrol_burst=10, enrol_device_per_minute=0.1, enrol_device_burst=3,
        auth_failures_per_minute=0.1, auth_failures_burst=30), db_url)
    try:
        codes = [httpx.post(server.url + "/v1/enroll", json={
            "code": f"AAAA-BBBB-{i:04d}", "device_public_jwk": {
                "kty": "OKP", "crv": "Ed25519", "x": generate_key().as_dict()["x"]}})
            for i in range(11)]
        assert [r.status_code for r in codes[:10]] == [403] * 10
        assert codes[10].status_code == 429 and int(codes[10].headers["Retry-After"]) >= 1
        body = b'{"items": []}'
        fails = [httpx.post(server.url + "/v1/submissions", content=body, headers={
            "Content-Type": "application/json", "Authorization": "KioskJWS a.b.c"})
            for _ in range(31)]
        assert {r.status_code for r in fails[:30]} == {401}
        assert fails[30].status_code == 429 and fails[30].headers["Retry-After"].isdigit()
    finally:
        server.stop()


def test_enrolment_per_device_key_is_rate_limited(tmp_path, isolated_home, db_url):
    from central.app import Guards

    server = _guarded_server(tmp_path / "c", Guards(enrol_device_per_minute=0.1,
                                                    enrol_device_burst=3), db_url)
    try:
        x = generate_key().as_dict()["x"]
        replies = [httpx.post(server.url + "/v1/enroll", json={
            "code": f"AAAA-BBBB-{i:04d}", "device_public_jwk": {
                "kty": "OKP", "crv": "Ed25519", "x": x}}) for i in range(4)]
        assert [r.status_code for r in replies] == [403, 403, 403, 429]
    finally:
        server.stop()


def test_slow_body_is_cut_off(tmp_path, isolated_home):
    import socket

    from central.app import Guards
    from central.http_body import BodyTimeouts

    server = start_server(tmp_path / "c")
    server.central.settings.guards = Guards(body=BodyTimeouts(idle=0.5, grace=0.5, min_rate=100))
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                         b"\r\nContent-Length: 1000\r\n\r\n{")
            sock.settimeout(10)
            reply = sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    finally:
        server.stop()


def test_slow_headers_are_cut_off(tmp_path, isolated_home):
    """Slowloris: one header line a moment never completes a request; the server closes."""
    import socket

    from central.app import Guards

    server = _guarded_server(tmp_path / "c", Guards(header_timeout=1.0))
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
            sock.settimeout(0.2)
            deadline = time.monotonic() + 15
            closed = False
            while time.monotonic() < deadline and not closed:
                try:
                    closed = sock.recv(100) == b""
                except TimeoutError:
                    try:
                        sock.sendall(b"X-Trickle: 1\r\n")
                    except OSError:
                        closed = True
                except OSError:
                    closed = True
            assert closed, "a header trickle held the connection open"
        # a normal client on a kept-alive connection is not affected
        with httpx.Client() as client:
            assert client.get(server.url + "/v1/health").status_code == 200
            assert client.get(server.url + "/v1/health").status_code == 200
    finally:
        server.stop()


def test_signature_is_checked_before_device_status(server, kiosk):
    """Revoked is told only to the key's holder; a stranger naming the ID learns nothing."""
    assert server.central.store.revoke(kiosk.device.device_id)
    stranger = generate_key()
    resp = httpx.get(server.url + "/v1/catalog", headers=signed(kiosk, "GET", "/v1/catalog",
                                                                key=stranger))
    assert resp.status_code == 401 and problem_type(resp) == "bad-signature"
    own = httpx.get(server.url + "/v1/catalog", headers=signed(kiosk, "GET", "/v1/catalog"))
    assert own.status_code == 403 and problem_type(own) == "revoked"


@SQLITE_ONLY  # the files of the SQLite backend
def test_data_folder_and_database_are_private(server):
    data = server.central.settings.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("central.db", "server-key.jwk"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600
    for extra in ("central.db-wal", "central.db-shm"):
        if (data / extra).exists():
            assert stat.S_IMODE((data / extra).stat().st_mode) & 0o077 == 0


def test_the_grammar_accepts_what_the_kiosk_makes():
    from kiosk.ids import is_submission_id
    from kiosk.store import uuid7

    assert all(is_submission_id(uuid7()) for _ in range(1000))
    assert not any(is_submission_id(s) for s in HOSTILE_IDS)


def _durable_writes(statements: list[str]) -> int:
    """Commits, counting a write outside BEGIN…COMMIT as its own (autocommit) commit."""
    writes, in_tx = 0, False
    for sql in statements:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head == "BEGIN":
            in_tx = True
        elif head in ("COMMIT", "END"):
            in_tx, writes = False, writes + 1
        elif head == "ROLLBACK":
            in_tx = False
        elif head in ("INSERT", "UPDATE", "DELETE", "REPLACE") and not in_tx:
            writes += 1
    return writes


@SQLITE_ONLY  # counts SQLite's statements (PostgreSQL: one transaction per pooled request)
def test_intake_is_one_durable_write_per_request(server, kiosk):
    """Issue 14: the nonce and the device's last-seen time ride in the intake commit."""
    store = kiosk.store()
    finalize(kiosk, store, 3)
    items = [{"submission_id": i.id, "record": i.record, "jwe": i.jwe}
             for i in store.next_batch(time.time() + 10, 10**9, 10)]
    statements: list[str] = []
    conn = server.central.store.db.conn
    conn.set_trace_callback(statements.append)
    try:
        resp = post_items(server, kiosk, items)
    finally:
        conn.set_trace_callback(None)
    assert [r["status"] for r in resp.json()["results"]] == ["accepted"] * 3
    assert _durable_writes(statements) == 1, statements
    assert server.central.store.device(kiosk.device.device_id)["last_seen"]
    again = post_items(server, kiosk, items)  # a new nonce: duplicates, still one commit
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3


def test_kiosk_survives_a_server_reply_of_deep_json():
    """The other direction: a hostile or broken server cannot crash the kiosk's sync."""
    from sync.client import CentralClient, OutcomeUnknown

    deep = b"[" * 100_000 + b"]" * 100_000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=deep, headers={"Content-Type": "application/json"})

    with CentralClient("http://central.test", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(OutcomeUnknown):
            client.health()


def test_a_device_cannot_open_unlimited_uploads(server, kiosk):
    """Disk as a target: a device may not start upload after upload and never finish."""
    from central.attachments import MAX_OPEN_UPLOADS

    statuses = []
    for i in range(MAX_OPEN_UPLOADS + 1):
        digest = f"{i:064x}"
        target = f"/v1/attachments/{digest}"
        headers = {"Content-Type": "application/octet-stream",
                   "Content-Range": "bytes 0-0/1000000"}
        resp = httpx.put(server.url + target, content=b"x",
                         headers=signed(kiosk, "PUT", target, b"x", headers=headers))
        statuses.append(resp.status_code)
    assert statuses[:-1] == [200] * MAX_OPEN_UPLOADS
    assert statuses[-1] == 429
