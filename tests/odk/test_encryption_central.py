"""ODK encryption checked by the real ODK Central: its decrypted export must give back
every value and every attachment byte the kiosk encrypted (plain form too)."""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest

from sync.odk.encryption import IvSequence, PlainFile, decrypt_file, encrypt_submission
from sync.odk.multipart import plan_requests
from sync.odk.openrosa import OpenRosaClient
from sync.odk.submission import build_submission
from sync.odk.xformmeta import read_meta
from tests.odk.conftest import PASSPHRASE
from tests.odk.helpers import HOUSEHOLD_QUESTIONS, PHOTO, household_answers, household_xform


def _pull_meta(client: OpenRosaClient, form_id: str):
    entry = next(f for f in client.form_list() if f.form_id == form_id)
    status, xml, _ = client.get(entry.download_url)
    assert status == 200
    return entry, read_meta(xml, source=form_id)


def _send(client: OpenRosaClient, wire) -> None:
    client.submit(plan_requests(wire.xml, wire.files, client.max_body()))


def _expect_row(row: dict[str, str], sid: str) -> None:
    assert row["name"] == "Батболд Дорж"
    assert row["age"] == "41"
    assert row["livestock"] == "horse goat"
    assert row["grp-district"] == "Мөрөн <&> \"quoted\""
    assert row["photo"] == "photo.jpg"
    assert row["note_text"] == "line one\nline two"
    assert row["meta-instanceID"] == f"uuid:{sid}"


def test_encrypted_submission_decrypts_in_centrals_export(make_form, central) -> None:
    pid, form_id, user = make_form(household_xform(), encrypted=True)
    with OpenRosaClient(user.url) as client:
        entry, meta = _pull_meta(client, form_id)
        assert meta.base64_rsa_public_key, "managed encryption puts the key in the form"
        assert meta.version and "[encrypted:" in meta.version
        sid = str(uuid.uuid4())
        wire = build_submission(meta, HOUSEHOLD_QUESTIONS, household_answers(),
                                submission_id=sid, media={"photo.jpg": (PHOTO, "image/jpeg")})
        assert wire.encrypted and PHOTO not in b"".join(f.data for f in wire.files)
        assert "Батболд".encode() not in wire.xml + b"".join(f.data for f in wire.files)
        _send(client, wire)
        _send(client, wire)  # the same bytes again: received, no second row
    assert central.count(pid, form_id) == 1
    tables, media = central.decrypted_export(pid, form_id, PASSPHRASE)
    rows = tables[f"{form_id}.csv"]
    assert len(rows) == 1, rows
    _expect_row(rows[0], sid)
    assert media == {"photo.jpg": PHOTO}
    members = tables[f"{form_id}-member.csv"]
    assert [(m["mname"], m["mage"]) for m in members] == [("Сарнай", "12"), ("Тэмүүжин", "9")]
    sub = central.submissions(pid, form_id)[0]
    assert sub["instanceId"] == f"uuid:{sid}"


def test_plain_submission_reads_back_byte_for_byte(make_form, central) -> None:
    pid, form_id, user = make_form(household_xform())
    with OpenRosaClient(user.url) as client:
        _, meta = _pull_meta(client, form_id)
        assert meta.base64_rsa_public_key is None
        sid = str(uuid.uuid4())
        wire = build_submission(meta, HOUSEHOLD_QUESTIONS, household_answers(),
                                submission_id=sid, media={"photo.jpg": (PHOTO, "image/jpeg")})
        _send(client, wire)
    assert central.count(pid, form_id) == 1
    assert central.submission_xml(pid, form_id, f"uuid:{sid}") == wire.xml
    assert central.attachment(pid, form_id, f"uuid:{sid}", "photo.jpg") == PHOTO
    rows = central.plain_export(pid, form_id)
    _expect_row(rows[0], sid)


def test_iv_sequence_and_round_trip_follow_the_spec() -> None:
    key = bytes(range(32))
    ivs = IvSequence("uuid:abc", key)
    first, second = ivs.next(), ivs.next()
    seed = bytearray(hashlib.md5(b"uuid:abc" + key).digest())
    seed[0] = (seed[0] + 1) % 256
    assert first == bytes(seed)
    seed[1] = (seed[1] + 1) % 256
    assert second == bytes(seed)


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 4096])
def test_each_file_decrypts_with_its_own_iv(size: int) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = base64.b64encode(priv.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()
    key = b"k" * 32
    data = bytes(i % 251 for i in range(size))
    enc = encrypt_submission(form_id="f", version="1[encrypted:x]", instance_id="uuid:1",
                             xml=b"<data/>", media=[PlainFile("a.bin", data)],
                             base64_rsa_public_key=pub, key=key)
    ivs = IvSequence("uuid:1", key)
    assert decrypt_file(key, ivs.next(), enc.files[0].data) == data
    assert decrypt_file(key, ivs.next(), enc.files[1].data) == b"<data/>"
    assert [f.name for f in enc.files] == ["a.bin.enc", "submission.xml.enc"]
    assert b'version="1[encrypted:x]"' in enc.manifest
    from xml.etree import ElementTree as ET

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP

    enc_key = ET.fromstring(enc.manifest).find("{http://opendatakit.org/submissions}base64EncryptedKey")
    assert enc_key is not None and enc_key.text
    oaep = OAEP(mgf=MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    assert priv.decrypt(base64.b64decode(enc_key.text), oaep) == key
