"""Issue 21 (Low): forged receipts are one-line refusals, never a crash (rc 70); a
receipt that attributes this kiosk's own submission to another device is refused,
``--key`` or not, and shows no local state."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc.jwk import OKPKey

from kiosk.device import DeviceIdentity
from kiosk.envelope import canonical_json, jws_sign
from kiosk.receipt import RECEIPT_TYP
from tests.sync.helpers import enrolled_kiosk, finalize
from tests.trust.test_receipt_anchor import _run


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed_deep(key: OKPKey, dev: str) -> str:
    payload = b'{"dev":"' + dev.encode() + b'","v":2,"x":' + b"[" * 1400 + b"]" * 1400 + b"}"
    return jws_sign(payload, key, kid=dev, typ=RECEIPT_TYP)


@pytest.mark.parametrize("kind", ["deep-unsigned", "deep-signed", "huge"])
def test_forged_receipts_are_one_line_refusals(server, isolated_home, tmp_path, kind):
    kiosk = enrolled_kiosk(server, isolated_home)
    data = str(server.central.settings.data_dir)
    if kind == "deep-unsigned":
        text = "e30." + _b64(b"[" * 50_000) + ".c2ln"
    elif kind == "huge":
        text = "e30." + _b64(b'{"dev": "' + b"k" * 60_000 + b'"}') + ".c2ln"
    else:  # signed by the enrolled kiosk's own key (a device that turned hostile)
        text = _signed_deep(kiosk.device.private_key, kiosk.device.device_id)
    central = _run("central.cli", "receipt", "verify", text, "--data", data)
    assert central.returncode == 7, central.stderr
    assert "Traceback" not in central.stderr and len(central.stderr.strip().splitlines()) == 1
    own = _run("app", "receipt", "verify", text, "--lang", "en", "--home", str(kiosk.home.root))
    assert own.returncode == 7, own.stderr
    assert "Traceback" not in own.stderr


def test_a_receipt_giving_our_submission_to_another_device_is_refused(server, isolated_home,
                                                                      tmp_path):
    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        [sid] = finalize(kiosk, store, 1)
        genuine = store.receipt_qr(sid)
    claims = json.loads(base64.urlsafe_b64decode(genuine.split(".")[1] + "=="))
    other = OKPKey.generate_key("Ed25519")
    other_id = DeviceIdentity.from_private_jwk(other.as_dict(private=True)).device_id
    forged = jws_sign(canonical_json({**claims, "dev": other_id}), other, kid=other_id,
                      typ=RECEIPT_TYP)
    key_file = tmp_path / "other.jwk"
    key_file.write_text(json.dumps(other.as_dict(private=False)), "utf-8")
    out = _run("app", "receipt", "verify", forged, "--key", str(key_file), "--json",
               "--home", str(kiosk.home.root))
    assert out.returncode == 7, out.stdout + out.stderr
    assert "local_state" not in out.stdout and "Traceback" not in out.stderr


def test_a_hostile_key_list_file_is_one_line_refusal(server, isolated_home, tmp_path):
    kiosk = enrolled_kiosk(server, isolated_home)
    with kiosk.store() as store:
        [sid] = finalize(kiosk, store, 1)
        qr = store.receipt_qr(sid)
    server_key = tmp_path / "server.jwk"
    server_key.write_text(json.dumps(server.central.key.as_dict(private=False)), "utf-8")
    for name, content in (("deep.json", "[" * 100_000), ("int.json", "9" * 10_000)):
        keys = tmp_path / name
        keys.write_text(content, "utf-8")
        out = _run("central.cli", "receipt", "verify", qr, "--keys", str(keys),
                   "--server-key", str(server_key))
        assert out.returncode == 7, out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_an_oversized_receipt_is_refused_in_mongolian(server, isolated_home):
    kiosk = enrolled_kiosk(server, isolated_home)
    text = "e30." + _b64(b'{"dev": "' + b"k" * 6000 + b'"}') + ".c2ln"
    out = _run("app", "receipt", "verify", text, "--lang", "mn", "--home", str(kiosk.home.root))
    assert out.returncode == 7 and "4096" in out.stderr and "тэмдэгт" in out.stderr, out.stderr
