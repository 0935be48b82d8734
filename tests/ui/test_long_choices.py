"""A select over a big CSV (an imported XLSForm's select_one_from_file of 50,000 villages,
8 MB, filtered to 10,000): a search field and a list, through the real window (issue 19).

The same form checks that a CSV's translated label columns are shown in the screen's
language (ODK's external-CSV convention: ``label::Mongolian (mn)`` is the label in mn).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.forms.xlsform_builders import EN, MN, write_xlsform
from tests.ui.driver import osk_type, tap

ROWS, DISTRICTS = 50_000, 5


def village_form(folder: Path) -> Path:
    """``villages.csv`` (50,000 rows, ~8 MB, labels in mn and en) chosen from after a district."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "villages.csv", "w", encoding="utf-8") as fh:
        fh.write(f"name,{MN},{EN},district,note\n")
        for i in range(ROWS):
            fh.write(f"v{i:05d},Тосгон {i:05d},Village {i:05d},d{i % DISTRICTS},{'x' * 120}\n")
    return write_xlsform(
        folder / "villages.xlsx",
        [["type", "name", MN, EN, "choice_filter", "required"],
         ["select_one district", "district", "Дүүрэг", "District", "", "yes"],
         ["select_one_from_file villages.csv", "village", "Тосгон", "Village", "district = ${district}", "yes"]],
        [["list_name", "name", MN, EN],
         *[["district", f"d{i}", f"Дүүрэг {i}", f"District {i}"] for i in range(DISTRICTS)]],
        {"form_title": "Village survey", "form_id": "village_survey"})


@pytest.fixture(scope="module")
def village_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return village_form(tmp_path_factory.mktemp("villages"))


@pytest.fixture
def village_kiosk(qtbot, isolated_home: Path, village_xlsx: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
                  request: pytest.FixtureRequest):
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    agency = getattr(request, "param", "gasr")  # "": the form's own (ODK) destination
    from kiosk.forms.local_catalog import check_source, install, read_source
    from kiosk.paths import Home
    from ui.app import build

    source = read_source(village_xlsx)
    install(isolated_home, source, check_source(source), category="civil-registration", agency=agency)
    k = build(Home(isolated_home), "mn")
    qtbot.addWidget(k.window)
    k.window.show()
    qtbot.waitUntil(k.bridge.is_idle, timeout=20_000)
    yield k
    qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
    k.bridge.shutdown()
    k.services.close()


def _to_villages(qtbot, kiosk):  # noqa: ANN001, ANN202
    window = kiosk.window
    tap(qtbot, window.home.tiles["village-survey"])
    view = window.form
    qtbot.waitUntil(lambda: "district" in view.blocks, timeout=20_000)
    tap(qtbot, view.blocks["district"].widget.buttons["d4"])
    tap(qtbot, view.next)
    qtbot.waitUntil(lambda: "village" in view.blocks, timeout=20_000)
    return view


@pytest.mark.timeout(300)
def test_ten_thousand_choices_are_a_search_and_a_list(qtbot, village_kiosk) -> None:  # noqa: ANN001
    from ui.qt import QListView, QPushButton, Qt
    from ui.widgets.longchoice import LongChoiceWidget

    view = _to_villages(qtbot, village_kiosk)
    widget = view.blocks["village"].widget
    assert isinstance(widget, LongChoiceWidget)
    assert len(view.findChildren(QPushButton)) < 40  # not a button per village
    assert widget.model.rowCount() == ROWS // DISTRICTS
    listing = widget.findChild(QListView, "choiceList")
    assert listing.sizeHintForRow(0) >= 56  # a finger's row
    # Next with no answer: the message is on the screen, not below 10,000 rows.
    tap(qtbot, view.next)
    error = view.blocks["village"].error
    qtbot.waitUntil(error.isVisible)
    top = error.mapTo(view.page.viewport(), error.rect().topLeft()).y()
    assert 0 <= top and top + error.height() <= view.page.viewport().height(), "the message is off screen"
    # The search, typed on the kiosk's own keyboard, in the screen's language (the CSV's mn column).
    tap(qtbot, widget.search)
    osk_type(qtbot, village_kiosk.window, "тосгон 00004")
    qtbot.waitUntil(lambda: widget.model.rowCount() == 1)
    assert widget.model.data(widget.model.index(0)) == "Тосгон 00004"
    rect = listing.visualRect(widget.model.index(0))
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: widget.value() == "v00004")
    assert view.flow.answer(view.blocks["village"].entry) == "v00004"
    assert "Тосгон 00004" in widget.chosen_label.text()
    tap(qtbot, view.next)
    qtbot.waitUntil(village_kiosk.window.review.isVisible, timeout=20_000)  # the last question


def test_search_folds_mongolian_case(qtbot) -> None:  # noqa: ANN001
    from ui.widgets.longchoice import ChoiceModel, fold

    assert fold("ӨНДӨРХААН  ҮҮРЭГ Ёроол") == "өндөрхаан үүрэг ероол"
    model = ChoiceModel([("a", "Өндөрхаан"), ("b", "Үүрэг нуур"), ("c", "Ulaangom")], 56)
    model.search("өНД")
    assert [model.value_at(r) for r in range(model.rowCount())] == ["a"]
    model.search("ULAAN")
    assert [model.value_at(r) for r in range(model.rowCount())] == ["c"]
    model.search("")
    assert model.rowCount() == 3


@pytest.mark.timeout(300)
def test_a_form_in_the_kiosks_languages_follows_the_kiosks_button(qtbot, village_kiosk) -> None:  # noqa: ANN001
    """Languages "Mongolian (mn)" / "English (en)": no second language switch; the kiosk's
    mn/en button turns the form (and the CSV's labels) too. No groups: the title once."""
    view = _to_villages(qtbot, village_kiosk)
    assert view.lang_buttons == {}
    assert view.form_title.text() == "Village survey"
    widget = view.blocks["village"].widget
    assert widget.model.data(widget.model.index(0)) == "Тосгон 00004"
    tap(qtbot, village_kiosk.window.lang_btn)
    qtbot.waitUntil(lambda: view.blocks["village"].widget.model.data(
        view.blocks["village"].widget.model.index(0)) == "Village 00004")
    assert view.blocks["village"].title.text().startswith("Village")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("village_kiosk", [""], indirect=True)
def test_a_receipt_says_the_form_stays_here_when_nothing_will_send_it(qtbot, village_kiosk) -> None:  # noqa: ANN001
    """An imported form for its own ODK server on a kiosk with no ODK connection stays sealed
    on the kiosk: its receipt says so instead of promising a sending."""
    from kiosk.i18n import t

    view = _to_villages(qtbot, village_kiosk)
    widget = view.blocks["village"].widget
    widget.search.setText("00004")
    qtbot.waitUntil(lambda: widget.model.rowCount() == 1)
    widget.list.clicked.emit(widget.model.index(0))
    tap(qtbot, view.next)
    window = village_kiosk.window
    qtbot.waitUntil(window.review.isVisible, timeout=20_000)
    with qtbot.waitSignal(window.submitted, timeout=20_000):
        tap(qtbot, window.review.submit_btn)
    from ui.qt import QLabel

    what_next = window.receipt_view.findChild(QLabel, "receiptWhatNext")
    qtbot.waitUntil(lambda: what_next is not None or window.receipt_view.findChild(QLabel, "receiptWhatNext"))
    what_next = window.receipt_view.findChild(QLabel, "receiptWhatNext")
    assert what_next.text() == t("ui.receipt_kept_here", "mn")
    assert village_kiosk.services.store().counts().get("sealed") == 1
