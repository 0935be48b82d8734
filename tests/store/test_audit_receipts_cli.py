"""Audit chain tampering, receipt QR codes, and the fill/status/receipt/audit commands."""

from __future__ import annotations

import json
import sqlite3

import pytest
from joserfc.jwk import OKPKey

from kiosk.errors import SecurityError
from kiosk.paths import ASSETS_DIR
from kiosk.receipt import make_receipt, render_png, render_svg, verify_receipt
from tests.store.conftest import document

EXAMPLES = ASSETS_DIR / "catalog" / "examples"


def _finalize_some(store, device, agency, n=3):
    return [
        store.finalize(document(i=i), device=device, agency_jwk=agency[1], demo=True)
        for i in range(n)
    ]


def test_audit_chain_detects_change_insert_and_deletion(store, device, agency):
    _finalize_some(store, device, agency)
    store.audit("staff_login", None)
    assert store.verify_audit().ok
    db = store.path

    def tamper(sql):
        conn = sqlite3.connect(db)
        conn.execute(sql)
        conn.commit()
        conn.close()

    tamper("UPDATE audit_log SET subject = 'other' WHERE seq = 2")
    report = store.verify_audit()
    assert not report.ok and any("entry 2 was changed" in p for p in report.problems)
    tamper("DELETE FROM audit_log WHERE seq = 2")
    assert any("missing" in p for p in store.verify_audit().problems)


def test_audit_deleting_the_last_entry_is_detected(store, device, agency):
    _finalize_some(store, device, agency, 2)
    conn = sqlite3.connect(store.path)
    conn.execute("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    conn.commit()
    conn.close()
    report = store.verify_audit()
    assert not report.ok and "chain head" in report.problems[0]


def test_audit_refuses_free_text_events(store):
    with pytest.raises(ValueError):
        store.audit("name: Бат")
    with pytest.raises(ValueError):
        store.audit("finalized", None, note="x" * 200)


def test_receipt_qr_round_trip_through_a_real_decoder(device):
    import zxingcpp
    from PIL import Image

    text = make_receipt(
        device,
        submission_id="01900000-0000-7000-8000-000000000001",
        envelope_sha256="ab" * 32,
        finalized_at="2026-11-26T10:00:00.000Z",
        demo=True,
    )
    claims = verify_receipt(text, device.public_jwk)
    assert claims["eh"] == "ab" * 8 and claims["demo"] is True
    assert set(claims) == {"v", "id", "eh", "t", "dev", "demo", "n"}  # no personal data
    import io

    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(render_png(text))))
    assert decoded.text == text
    assert render_svg(text).startswith(b"<?xml")
    other = OKPKey.generate_key("Ed25519").as_dict(private=False)
    with pytest.raises(SecurityError):
        verify_receipt(text, other)
    with pytest.raises(SecurityError):
        verify_receipt(text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:], device.public_jwk)


def _fill(kiosk_cli, form_id, *extra):
    return kiosk_cli(
        "fill", form_id, "--answers", str(EXAMPLES / f"{form_id}.answers.json"), *extra
    )


def test_fill_status_receipt_audit_end_to_end(kiosk_cli, tmp_path, isolated_home):
    result = _fill(kiosk_cli, "birth-registration", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["demo"] is True and out["submission_id"]
    plain = _fill(kiosk_cli, "id-card")
    assert plain.returncode == 0 and len(plain.stdout.strip().splitlines()) == 1
    assert "DEMO" in plain.stderr or "ТУРШИЛТ" in plain.stderr

    status = kiosk_cli("status", "--json")
    info = json.loads(status.stdout)
    assert info["counts"]["sealed"] == 2 and info["demo_total"] == 2
    human = kiosk_cli("status", "--lang", "en")
    assert "DEMO" in human.stdout and "Sealed" in human.stdout

    ok = kiosk_cli("receipt", "verify", out["receipt"], "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["local_state"] == "sealed"
    bad = kiosk_cli("receipt", "verify", out["receipt"][:-4] + "AAAA")
    assert bad.returncode == 7 and "Traceback" not in bad.stderr
    # someone else's device: needs --key; with the right key it verifies offline
    other = OKPKey.generate_key("Ed25519")
    from kiosk.device import DeviceIdentity

    other_dev = DeviceIdentity.from_private_jwk(other.as_dict(private=True))
    foreign = make_receipt(
        other_dev,
        submission_id="x",
        envelope_sha256="0" * 64,
        finalized_at="2026-01-01T00:00:00.000Z",
        demo=False,
    )
    refused = kiosk_cli("receipt", "verify", foreign)
    assert refused.returncode == 7 and "--key" in refused.stderr
    key_file = tmp_path / "other.jwk"
    key_file.write_text(json.dumps(other_dev.public_jwk))
    assert kiosk_cli("receipt", "verify", foreign, "--key", str(key_file)).returncode == 0

    svg = tmp_path / "r.svg"
    shown = kiosk_cli("receipt", "show", out["submission_id"], "--svg", str(svg))
    assert shown.returncode == 0 and shown.stdout.strip() == out["receipt"]
    assert svg.read_bytes().startswith(b"<?xml")

    assert kiosk_cli("audit", "verify").returncode == 0
    conn = sqlite3.connect(isolated_home / "kiosk.db")
    conn.execute("UPDATE audit_log SET event = 'sent' WHERE seq = 1")
    conn.commit()
    conn.close()
    broken = kiosk_cli("audit", "verify", "--json")
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["ok"] is False


def test_fill_with_invalid_answers_names_the_question(kiosk_cli, tmp_path):
    data = json.loads((EXAMPLES / "id-card.answers.json").read_text(encoding="utf-8"))
    name = next(
        k
        for k, v in data["answers"].items()
        if isinstance(v, str) and len(v) == 10 and v[:2].isalpha()
    )  # the registry number
    data["answers"][name] = "not a registry number"
    bad = tmp_path / "bad.answers.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    # attachments in the example are relative to its folder
    for f in (EXAMPLES / "files").iterdir():
        (tmp_path / "files").mkdir(exist_ok=True)
        (tmp_path / "files" / f.name).write_bytes(f.read_bytes())
    result = kiosk_cli("fill", "id-card", "--answers", str(bad))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and name in result.stderr
    status = json.loads(kiosk_cli("status", "--json").stdout)
    assert status["total"] == 0


def test_fill_unknown_form_and_missing_file(kiosk_cli, tmp_path):
    assert kiosk_cli("fill", "no-such-form", "--answers", str(tmp_path / "x.json")).returncode == 3
    missing = kiosk_cli("--lang", "en", "fill", "id-card", "--answers", str(tmp_path / "x.json"))
    assert missing.returncode == 3 and "not found" in missing.stderr


def test_fill_without_keyring_is_one_plain_line(kiosk_cli, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    result = _fill(kiosk_cli, "id-card", "--lang", "en")
    assert result.returncode == 4, result.stderr
    assert "no usable keyring" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_status_on_an_empty_home(kiosk_cli, isolated_home):
    # a folder with no kiosk in it: said in one line, and no kiosk is made there (issue 10)
    nothing = kiosk_cli("status", "--json")
    assert nothing.returncode == 3 and nothing.stderr.count("\n") == 1
    assert not (isolated_home / "kiosk.db").exists()
    from kiosk.paths import Home
    from kiosk.store import Store

    Store.open(Home(isolated_home)).close()  # a kiosk with nothing in it yet
    result = kiosk_cli("status", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["total"] == 0
    assert "Sealed" in kiosk_cli("--lang", "en", "status").stdout  # the global --lang counts
    assert "Битүүмжилсэн" in kiosk_cli("status", "--lang", "mn").stdout
