"""Mongolian validators: registry number tables, phone, postal code, admin units."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.admin_units import admin_units
from kiosk.i18n import t
from kiosk.validators import (
    check_phone,
    check_postal_code,
    check_registry_number,
    parse_registry_number,
)

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    "raw, value, born, sex",
    [
        ("УБ99112233", "УБ99112233", date(1999, 11, 22), "male"),
        ("уб99112243", "УБ99112243", date(1999, 11, 22), "female"),
        ("УБ05311223", "УБ05311223", date(2005, 11, 12), "female"),  # 2000s: month + 20
        ("ЧЮ20220101", "ЧЮ20220101", date(2020, 2, 1), "female"),
        ("ӨҮ85010155", "ӨҮ85010155", date(1985, 1, 1), "male"),  # Ө and Ү lie outside А–Я
        ("өү 85 01 01 55", "ӨҮ85010155", date(1985, 1, 1), "male"),
        ("YB99112233", "УВ99112233", date(1999, 11, 22), "male"),  # Latin look-alikes
        ("ak-99112233", "АК99112233", date(1999, 11, 22), "male"),
        ("MH99112233", "МН99112233", date(1999, 11, 22), "male"),
        ("OP99112233", "ОР99112233", date(1999, 11, 22), "male"),
        ("CT99112233", "СТ99112233", date(1999, 11, 22), "male"),
        ("XE99112233", "ХЕ99112233", date(1999, 11, 22), "male"),
        ("ЁЯ00222910", "ЁЯ00222910", date(2000, 2, 29), "male"),  # leap day 2000
        ("УБ99112230", "УБ99112230", date(1999, 11, 22), "male"),  # any check digit
        ("УБ99112239", "УБ99112239", date(1999, 11, 22), "male"),
    ],
)
def test_registry_number_valid(raw: str, value: str, born: date, sex: str) -> None:
    info = parse_registry_number(raw, TODAY)
    assert not isinstance(info, str), info
    assert (info.value, info.birth_date, info.sex) == (value, born, sex)
    assert check_registry_number(raw, TODAY).value == value


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "rd_format"),
        ("УБ9911223", "rd_format"),  # 7 digits
        ("УБ991122334", "rd_format"),
        ("У99112233", "rd_format"),
        ("QW99112233", "rd_format"),  # Latin letters with no Cyrillic twin
        ("1299112233", "rd_format"),
        ("УБ99132233", "rd_date"),  # month 13
        ("УБ99023033", "rd_date"),  # 30 February
        ("УБ01222933", "rd_date"),  # 29 February 2001
        ("УБ99000133", "rd_date"),  # month 0
        ("УБ99114033", "rd_date"),  # day 40
        ("УБ30310133", "rd_future"),  # 2030
        (None, "rd_format"),
        (12345678, "rd_format"),
    ],
)
def test_registry_number_invalid(raw: object, reason: str) -> None:
    assert parse_registry_number(raw, TODAY) == reason
    checked = check_registry_number(raw, TODAY)
    assert not checked.ok and checked.error == reason


@pytest.mark.parametrize("digit", "0123456789")
def test_check_digit_never_rejects(digit: str) -> None:
    assert check_registry_number(f"УБ9911223{digit}", TODAY).ok


@pytest.mark.parametrize(
    "raw, value",
    [("99112233", "99112233"), ("+976 9911 2233", "99112233"), ("9911-2233", "99112233"),
     ("97699112233", "99112233"), ("00976 88112233", "88112233"), (99112233, "99112233"),
     ("(7011) 2233", "70112233")],
)
def test_phone_ok(raw: object, value: str) -> None:
    assert check_phone(raw).value == value


@pytest.mark.parametrize("raw", ["9911223", "991122334", "+975 99112233", "abcdefgh", "", None,
                                 "٩٩١١٢٢٣٣"])
def test_phone_bad(raw: object) -> None:
    assert check_phone(raw).error == "phone_format"


def test_postal_code() -> None:
    assert check_postal_code("21 100").value == "21100"
    assert check_postal_code(14200).value == "14200"
    assert check_postal_code("1420").error == "postal_format"
    assert check_postal_code("1420a").error == "postal_format"


def test_messages_in_both_languages() -> None:
    for key in ("rd_format", "rd_date", "rd_future", "phone_format", "postal_format",
                "aimag_unknown", "soum_unknown", "soum_not_in_aimag"):
        mn, en = t(f"validators.{key}", "mn"), t(f"validators.{key}", "en")
        assert mn != en and not mn.startswith("validators.")


def test_admin_units() -> None:
    units = admin_units()
    assert len(units.aimags) == 22
    assert sum(len(units.soums(a.code)) for a in units.aimags) == 339
    assert units.aimag("MN11").name("en") == "Ulaanbaatar"
    assert [u.name("mn") for u in units.soums("MN11")][:2] == ["Багануур", "Багахангай"]
    assert units.check_pair("MN21", "MN2101") is None
    assert units.check_pair("MN11", "MN2101") == "soum_not_in_aimag"
    assert units.check_pair("MN99", "MN2101") == "aimag_unknown"
    assert units.check_pair("MN21", "MN9999") == "soum_unknown"
    assert units.check_pair("MN21", "MN21") == "soum_unknown"
    assert units.display("MN21", "MN2101", "mn") == "Дорнод, Хэрлэн"
    assert units.display("MN21", "MN2101", "en") == "Dornod, Kherlen"
