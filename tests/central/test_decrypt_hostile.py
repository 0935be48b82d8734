"""Issue 21 item 4 and a Low item: ``kiosk-central decrypt`` against an enrolled device
that turned hostile — one deep-nested submission is reported and the run goes on;
attachments whose names collide get unique output names."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from kiosk.envelope import seal
from kiosk.store import uuid7
from tests.central.attack import post_items
from tests.central.test_hostile import _agency_key
from tests.sync.helpers import engine, finalize


def _deep_item(kiosk, depth: int) -> dict:
    """A correctly sealed submission whose answer is nested ``depth`` levels deep."""
    answer: object = "bottom"
    for _ in range(depth):
        answer = [answer]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, depth * 4))  # only the sender's own JCS needs the room
    try:
        env = seal({"form_id": "test-form", "form_version": "1", "answers": {"note": answer}},
                   submission_id=uuid7(), device=kiosk.device, agency_jwk=kiosk.agency_jwk,
                   demo=False, attachments=[], finalized_at="2026-01-01T00:00:00Z")
    finally:
        sys.setrecursionlimit(limit)
    return {"submission_id": env.submission_id, "record": env.record, "jwe": env.jwe}


def _decrypt(server, kiosk, out: Path) -> dict:
    from central.decrypt import decrypt_all

    data = server.central.settings.data_dir
    key = _agency_key(server, kiosk.agency_jwk["kid"], data / f"keys-{uuid.uuid4().hex}")
    return decrypt_all(data, key, out, server.central.settings.database_url)


def test_one_deep_nested_submission_does_not_stop_decrypt(server, kiosk, tmp_path):
    store = kiosk.store()
    before = finalize(kiosk, store, 2)
    assert engine(kiosk, store).run_once().accepted == 2
    deep = _deep_item(kiosk, 5_000)
    assert post_items(server, kiosk, [deep]).status_code == 200
    after = finalize(kiosk, store, 2)
    assert engine(kiosk, store).run_once().accepted == 2
    result = _decrypt(server, kiosk, tmp_path / "out")
    assert result["decrypted"] == 4, result
    assert [f["submission_id"] for f in result["failed"]] == [deep["submission_id"]]
    reason = result["failed"][0]["reason"]
    assert "nested" in reason and "\n" not in reason
    for sid in before + after:
        assert (tmp_path / "out" / f"{sid}.json").exists()


def test_colliding_attachment_names_get_unique_files(server, kiosk, tmp_path):
    store = kiosk.store()
    draft = store.save_draft(None, form_id="test-form", form_version="1", answers={})
    names = ["2-photo.jpg", "photo.jpg", "PHOTO.jpg", "bad/name", "attachment-3"]
    values = [store.add_attachment(draft, f"content {i}".encode(), max_bytes=10**6, name=name,
                                   media_type="image/jpeg") for i, name in enumerate(names)]
    env = store.finalize({"form_id": "test-form", "form_version": "1",
                          "answers": {f"a{i}": v for i, v in enumerate(values)}},
                         device=kiosk.device, agency_jwk=kiosk.agency_jwk, demo=False,
                         draft_id=draft)
    assert engine(kiosk, store).run_once().accepted == 1
    out = tmp_path / "out"
    result = _decrypt(server, kiosk, out)
    assert result["decrypted"] == 1, result
    doc = json.loads((out / f"{env.submission_id}.json").read_text("utf-8"))
    files = doc["attachment_files"]
    assert len(files) == len(names) == len({f.lower() for f in files}), files
    contents = sorted((out / f).read_bytes() for f in files)
    assert contents == sorted(f"content {i}".encode() for i in range(len(names)))


def test_a_deep_nested_record_is_one_rejected_item(server, kiosk):
    """The record is parsed on intake: [[[[…]]]] signed by the device is refused per
    item, never a 500."""
    from kiosk.envelope import RECORD_TYP, jws_sign

    item = _deep_item(kiosk, 10)  # a genuine JWE to carry
    dev = kiosk.device.device_id
    payload = b'{"device_id":"' + dev.encode() + b'","x":' + b"[" * 5000 + b"]" * 5000 + b"}"
    item["record"] = jws_sign(payload, kiosk.device.private_key, kid=dev,
                              typ=RECORD_TYP)
    resp = post_items(server, kiosk, [item])
    assert resp.status_code == 200, resp.text
    [result] = resp.json()["results"]
    assert result["status"] == "rejected" and "nested" in result["reason"]
