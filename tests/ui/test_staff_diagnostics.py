"""Staff > Diagnostics tells the truth: each doctor check as pass / warn / fail with its
own word, colour and icon, every text in the screen's language."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QFrame, QLabel

CYRILLIC = re.compile(r"[А-Яа-яЁёӨөҮү]")


def _open_diagnostics(qtbot, kiosk, lang: str):  # noqa: ANN001, ANN202
    window = kiosk.window
    kiosk.prefs.set_lang(lang)
    window.open_staff()
    window.staff.unlocked = True
    window.staff.present()
    window.staff.run_diagnostics()
    qtbot.waitUntil(lambda: bool(window.staff.checks) and kiosk.bridge.is_idle(), timeout=60_000)
    return window.staff


def _rows(staff) -> list[QFrame]:  # noqa: ANN001
    return [f for f in staff.findChildren(QFrame) if f.property("role") == "check" and f.isVisible()]


def _head(row: QFrame) -> QLabel:
    return next(lab for lab in row.findChildren(QLabel) if str(lab.property("role")).startswith("check-"))


def test_each_check_is_shown_with_its_own_status(qtbot, kiosk):
    staff = _open_diagnostics(qtbot, kiosk, "en")
    rows = {r.objectName(): r for r in _rows(staff)}
    for check in staff.checks:
        row = rows[f"check-{check.name}"]
        assert row.property("status") == check.status, (check.name, check.status)
        head = _head(row)
        word = {"pass": "OK", "warn": "WARNING", "fail": "FAILED"}[check.status]
        assert head.text() == f"{word} — {check.title}"
        assert head.property("role") == f"check-{check.status}"
        icon = row.findChild(QLabel, "checkIcon")
        assert icon is not None and not icon.pixmap().isNull(), check.name
    passed = [c for c in staff.checks if c.status == "pass"]
    assert passed, "a fresh kiosk passes some checks (version, data folder, database …)"
    assert not any(_head(rows[f"check-{c.name}"]).text().startswith("FAILED") for c in passed)


def test_status_colours_and_icons_differ(qtbot, kiosk):
    from PySide6.QtGui import QColor

    from ui.views.diagnostics import status_icon

    kiosk.prefs.set_lang("en")
    images = {s: status_icon(s, QColor("#000000"), 32).toImage() for s in ("pass", "warn", "fail")}
    assert images["pass"] != images["warn"] and images["warn"] != images["fail"]
    assert images["pass"] != images["fail"]
    staff = _open_diagnostics(qtbot, kiosk, "en")
    colours = {}
    for row in _rows(staff):
        head = _head(row)
        colours.setdefault(row.property("status"), head.palette().color(head.foregroundRole()).name())
    assert len(set(colours.values())) == len(colours), colours


@pytest.mark.parametrize("lang", ["en", "mn"])
def test_diagnostics_speak_the_screen_language(qtbot, kiosk, lang):
    staff = _open_diagnostics(qtbot, kiosk, "mn" if lang == "en" else "en")
    kiosk.prefs.set_lang(lang)  # switched on the staff screen: the checks are reworded
    qtbot.waitUntil(lambda: staff.checks_lang == lang and kiosk.bridge.is_idle(), timeout=60_000)
    texts = [lab.text() for row in _rows(staff) for lab in row.findChildren(QLabel) if lab.text()]
    texts += [row.accessibleName() for row in _rows(staff)]
    assert texts
    for text in texts:
        plain = text.replace(str(kiosk.services.home.root), "")
        if lang == "en":
            assert not CYRILLIC.search(plain), f"Mongolian on the English screen: {text!r}"
        else:
            assert not re.search(r"\b(FAILED|WARNING|How to fix|sealed|Database)\b", plain), text


def test_queue_states_are_words_of_the_reader_language(monkeypatch, isolated_home):
    from app import doctor
    from kiosk.config import Config
    from kiosk.paths import Home

    monkeypatch.setattr(doctor.probes, "queue_info", lambda home: {
        "counts": {"sealed": 1, "acknowledged": 2}, "unsent": 1, "oldest_unsent_hours": 1.0})
    by_lang = {lang: doctor.check_queue(doctor._Ctx(Home(isolated_home), Config(), 1.0, lang)).message
               for lang in ("mn", "en")}
    assert "битүүмжилсэн 1" in by_lang["mn"] and "sealed" not in by_lang["mn"], by_lang
    assert "sealed 1" in by_lang["en"] and not CYRILLIC.search(by_lang["en"]), by_lang


@pytest.mark.parametrize("lang", ["mn", "en"])
def test_no_check_shows_a_catalog_key(isolated_home, lang):
    """A key missing from the catalog comes back as the key itself: the staff would read it."""
    from app.doctor import run_checks
    from kiosk.config import Config
    from kiosk.paths import Home

    raw = re.compile(r"^[a-z_]+\.[a-z_.]+$")
    for check in run_checks(Home(isolated_home).ensure(), Config(), server_timeout=1.0, lang=lang):
        for text in (check.title, check.message, check.fix):
            assert not raw.match(text or ""), f"{check.name}: {text!r}"
