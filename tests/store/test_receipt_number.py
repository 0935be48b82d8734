"""Receipt numbers: Crockford base32 (no I, L, O, U), the same in the QR and on paper;
receipts stored before the number was in the QR still verify and get the same number."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.device import DeviceIdentity
from kiosk.receipt import CROCKFORD, make_receipt, normalize_number, receipt_number, verify_receipt
from tests.store.fixtures.make_fixtures import SEALED_ID
from tests.store.test_migrations import KEYS

FIXTURES = Path(__file__).parent / "fixtures"


def _decode(number: str) -> int:
    value = 0
    for ch in number.replace(" ", ""):
        value = value * 32 + CROCKFORD.index(ch)
    return value


@pytest.mark.parametrize("sid", ["01900000-0000-7000-8000-000000000001", "019a4c3e-d00d-7bad-8f0e-0dd0b0d0ff1e",
                                 "ffffffff-ffff-7fff-bfff-ffffffffffff"])
def test_number_is_the_ids_random_tail_in_three_groups_of_four(sid: str) -> None:
    number = receipt_number(sid)
    assert len(number) == 14 and [len(g) for g in number.split(" ")] == [4, 4, 4]
    assert not set(number) & set("ILOU") and set(number.replace(" ", "")) <= set(CROCKFORD)
    assert _decode(number) == int(sid.replace("-", ""), 16) & ((1 << 60) - 1)


def test_a_number_as_written_by_hand_reads_back() -> None:
    number = receipt_number("019a4c3e-d00d-7bad-8f0e-0dd0b0d0ff1e")
    typed = number.lower().replace("0", "o").replace("1", "l").replace(" ", "-")
    assert normalize_number(typed) == number


def test_the_qr_carries_the_printed_number_and_a_wrong_one_is_refused() -> None:
    device = DeviceIdentity.from_private_jwk(KEYS["device"])
    sid = "019a4c3e-d00d-7bad-8f0e-0dd0b0d0ff1e"
    text = make_receipt(device, submission_id=sid, envelope_sha256="ab" * 32,
                        finalized_at="2026-11-26T10:00:00.000Z", demo=True)
    assert verify_receipt(text, device.public_jwk)["n"] == receipt_number(sid)


@pytest.mark.parametrize("version", [2, 3, 4])
def test_receipts_stored_before_the_number_still_verify(version: int) -> None:
    device = DeviceIdentity.from_private_jwk(KEYS["device"])
    conn = sqlite3.connect(FIXTURES / f"kiosk-schema{version}.db")
    try:
        rows = conn.execute("SELECT submission_id, qr FROM receipts").fetchall()
    finally:
        conn.close()
    assert rows and SEALED_ID in {sid for sid, _ in rows}
    for sid, qr in rows:
        claims = verify_receipt(qr, device.public_jwk)
        assert "n" not in claims and claims["id"] == sid
        assert receipt_number(claims["id"]) == receipt_number(sid)
