"""Imported XLSForms filled through the real window (keyboard only and touch only), with the
XForm widgets; the submission is sealed like any other form's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.forms.xlsform_builders import (
    household_answers,
    household_form,
    odk_types_answers,
    odk_types_form,
)
from tests.ui.driver import running_kiosk
from tests.ui.odk_driver import fill_with, tap

LOCATION = "47.9185 106.9176 1350 10"


def _import(home: Path, xlsx: Path, category: str = "civil-registration") -> str:
    from kiosk.forms.local_catalog import check_source, install, read_source

    source = read_source(xlsx)
    form = check_source(source)
    install(home, source, form, category=category, agency="gasr")
    return form.id


@pytest.fixture
def odk_kiosk(qtbot, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    (isolated_home / "config.toml").write_text(f'location = "{LOCATION}"\n', "utf-8")
    ids = [_import(isolated_home, household_form(tmp_path / "household.xlsx")),
           _import(isolated_home, odk_types_form(tmp_path / "types.xlsx"))]
    with running_kiosk(qtbot, isolated_home) as k:
        k.imported = ids
        yield k


def _reference(kiosk, form_id: str, answers: dict):  # noqa: ANN001
    from kiosk.forms import answers_from_file

    file = Path(kiosk.services.home.root) / "ref.json"
    file.write_text(json.dumps(answers, ensure_ascii=False), "utf-8")
    session = kiosk.services.new_session(form_id, "mn")
    session.restore(answers_from_file(session.form, file))
    assert session.is_complete(), session.errors()
    return session


def _submit(qtbot, kiosk) -> dict:  # noqa: ANN001
    window = kiosk.window
    with qtbot.waitSignal(window.submitted, timeout=20_000):
        tap(qtbot, window.review.submit_btn)
    qtbot.waitUntil(kiosk.bridge.is_idle)
    store = kiosk.services.store()
    assert store.counts().get("sealed", 0) + store.counts().get("queued", 0) >= 1
    return store.counts()


@pytest.mark.parametrize("mode", ["touch", "keyboard"])
def test_imported_household_form_through_the_window(qtbot, odk_kiosk, mode: str) -> None:  # noqa: ANN001
    window = odk_kiosk.window
    assert "household-survey" in window.home.tiles
    ref = _reference(odk_kiosk, "household-survey", household_answers())
    tap(qtbot, window.home.tiles["household-survey"])
    fill_with(qtbot, odk_kiosk, ref, mode)
    session = window.flow.s
    assert session.document()["answers"]["member"][1]["member_name"] == "Сараа"
    _submit(qtbot, odk_kiosk)


@pytest.mark.parametrize("mode", ["touch", "keyboard"])
def test_xform_types_through_the_window(qtbot, odk_kiosk, mode: str) -> None:  # noqa: ANN001
    window = odk_kiosk.window
    ref = _reference(odk_kiosk, "odk-types", odk_types_answers(LOCATION))
    tap(qtbot, window.home.tiles["odk-types"])
    fill_with(qtbot, odk_kiosk, ref, mode)
    answers = window.flow.s.document()["answers"]
    assert answers == {**odk_types_answers(LOCATION)["answers"], "visit_time": "09:45:00"}
    _submit(qtbot, odk_kiosk)


@pytest.fixture
def media_kiosk(qtbot, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    from tests.forms.xlsform_builders import media_form

    _import(isolated_home, media_form(tmp_path / "src" / "media.xlsx"))
    with running_kiosk(qtbot, isolated_home) as k:
        yield k


def test_read_aloud_plays_the_recorded_prompt_before_the_synthetic_voice(qtbot, media_kiosk) -> None:  # noqa: ANN001
    window, reader = media_kiosk.window, media_kiosk.reader
    media_kiosk.prefs.set_read_aloud(True)
    reader.history.clear()
    with qtbot.waitSignal(reader.played, timeout=5_000) as played:
        tap(qtbot, window.home.tiles["media-form"])
    assert played.args == ["name-mn.wav"]
    # the synthetic voice follows the recording, without the label the recording said
    with qtbot.waitSignal(reader.spoken, timeout=10_000) as spoken:
        pass
    assert spoken.args[0] == "Овог, нэрээ бичнэ үү"  # the hint; the label was the recording
    assert reader.history == ["[recording] name-mn.wav", spoken.args[0]]
    # a question without a recording is read by the synthetic voice alone
    from tests.ui.odk_driver import enter

    view = window.form
    enter(qtbot, window, next(iter(view.blocks.values())).widget, "Бат", "touch")
    reader.history.clear()
    with qtbot.waitSignal(reader.spoken, timeout=5_000) as spoken:
        tap(qtbot, view.next)
    assert "Мал" in spoken.args[0] and reader.history == [spoken.args[0]]
    # the question's own image is shown under its label
    from PySide6.QtWidgets import QLabel

    block = next(iter(window.form.blocks.values()))
    assert block.image is not None and isinstance(block.image, QLabel) and not block.image.pixmap().isNull()


def test_staff_change_the_kiosk_location(qtbot, odk_kiosk, isolated_home: Path) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

    window = odk_kiosk.window
    odk_kiosk.prefs.set_lang("en")
    window.open_staff()
    window.staff.unlocked = True
    window.staff.present()
    edit = window.staff.findChild(QLineEdit, "staff-location")
    assert edit is not None and edit.text() == LOCATION
    status = window.staff.findChild(QLabel, "staff-location-status")
    edit.setText("91 106")
    tap(qtbot, window.staff.findChild(QPushButton, "staff-location-save"))
    assert "latitude must be -90 to 90" in status.text() and odk_kiosk.services.config.location == LOCATION
    edit.setText("46.1  100.25")
    tap(qtbot, window.staff.findChild(QPushButton, "staff-location-save"))
    assert status.text() == "The location is saved." and odk_kiosk.services.config.location == "46.1 100.25"
    assert 'location = "46.1 100.25"' in (isolated_home / "config.toml").read_text("utf-8")


def test_the_resident_picks_a_form_language_the_kiosk_lacks(qtbot, isolated_home: Path, tmp_path: Path,  # noqa: ANN001
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22: a form in Mongolian and Kazakh shows a button per language; Kazakh shows
    the form's texts in Kazakh while the kiosk's own buttons stay Mongolian."""
    from tests.forms.xlsform_builders import write_xlsform

    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    xlsx = write_xlsform(tmp_path / "kk.xlsx",
                         [["type", "name", "label::Mongolian (mn)", "label::Kazakh (kk)"],
                          ["text", "name", "Таны нэр", "Сіздің атыңыз"]],
                         None, {"form_title": "Kk", "form_id": "kk_form"})
    _import(isolated_home, xlsx)
    with running_kiosk(qtbot, isolated_home) as k:
        window = k.window
        tap(qtbot, window.home.tiles["kk-form"])
        view = window.form
        qtbot.waitUntil(lambda: "name" in view.blocks)
        assert set(view.lang_buttons) == {"mn", "kk"}
        assert view.blocks["name"].title.text() == "Таны нэр"
        back_text = view.back.text()
        tap(qtbot, view.lang_buttons["kk"])
        qtbot.waitUntil(lambda: view.blocks["name"].title.text() == "Сіздің атыңыз")
        assert view.back.text() == back_text  # the kiosk's words stay


def test_the_review_and_read_aloud_follow_the_form_language_the_resident_chose(
        qtbot, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Issue 19: on a Mongolian kiosk, a resident who picks English for a form in three
    languages (one the kiosk lacks, so the form offers its own switch) hears its questions
    with the English voice (the test engine has English only) and reviews the English labels
    and choice names; the kiosk's buttons stay Mongolian."""
    from PySide6.QtWidgets import QLabel

    from kiosk.i18n import t
    from tests.forms.xlsform_builders import write_xlsform

    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    xlsx = write_xlsform(tmp_path / "mnen.xlsx",
                         [["type", "name", "label::Mongolian (mn)", "label::English (en)",
                           "label::Қазақша (kk)"],
                          ["text", "name", "Таны нэр", "Your name", "Атыңыз"],
                          ["select_one herd", "herd", "Мал", "Livestock", "Мал"]],
                         [["list_name", "name", "label::Mongolian (mn)", "label::English (en)",
                           "label::Қазақша (kk)"],
                          ["herd", "horse", "Морь", "Horse", "Жылқы"],
                          ["herd", "camel", "Тэмээ", "Camel", "Түйе"]],
                         {"form_title": "Mnen", "form_id": "mnen_form", "default_language": "Mongolian (mn)"})
    _import(isolated_home, xlsx)
    with running_kiosk(qtbot, isolated_home) as k:
        window, reader = k.window, k.reader
        k.prefs.set_read_aloud(True)
        tap(qtbot, window.home.tiles["mnen-form"])
        view = window.form
        qtbot.waitUntil(lambda: "name" in view.blocks)
        assert set(view.lang_buttons) == {"mn", "en", "kk"}
        assert not view.read.isEnabled()  # no Mongolian voice: said plainly
        with qtbot.waitSignal(reader.state_changed, timeout=5_000, check_params_cb=lambda s: s == "speaking"):
            tap(qtbot, view.lang_buttons["en"])
        assert view.blocks["name"].title.text() == "Your name" and view.read.isEnabled()
        assert reader.history[-1].startswith("Your name")
        from tests.ui.odk_driver import enter

        view.blocks["name"].widget.edit.setText("Бат")  # as typed (typing is tested elsewhere)
        tap(qtbot, view.next)
        qtbot.waitUntil(lambda: "herd" in view.blocks)
        enter(qtbot, window, view.blocks["herd"].widget, "camel", "touch")
        tap(qtbot, view.next)
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.review)
        shown = [w.text() for w in window.review.findChildren(QLabel)]
        assert {"Your name", "Бат", "Livestock", "Camel", "Mnen"} <= set(shown), shown
        assert not {"Таны нэр", "Мал", "Тэмээ"} & set(shown), shown
        assert window.review.submit_btn.text() == t("ui.review_submit", "mn")  # the kiosk's words stay
