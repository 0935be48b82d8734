"""The kiosk-safe attachment source: only USB sticks and the scans folder, never Qt's file dialog.

Real folders (tmp_path) stand in for mount points: ``is_mount`` is the one thing
injected, because a test cannot mount a USB stick.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QApplication, QFileDialog

from tests.ui.driver import tap

REPO = Path(__file__).resolve().parents[2]


def _png(path: Path, color: int = 0x336699) -> Path:
    img = QImage(40, 30, QImage.Format.Format_RGB32)
    img.fill(color)
    assert img.save(str(path))
    return path


@pytest.fixture
def places(tmp_path: Path):
    """/media/<user>/STICK (a mount point), a scans folder, and a secret beside them."""
    media = tmp_path / "media"
    stick = media / "resident" / "STICK"
    (stick / "docs").mkdir(parents=True)
    (media / "resident" / "not-mounted").mkdir()
    scans = tmp_path / "scans"
    scans.mkdir()
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd.png").write_bytes(b"\x89PNG\r\n\x1a\n-secret-")
    _png(stick / "docs" / "id-card.png")
    (stick / "docs" / "notes.txt").write_text("not a document")
    (stick / ".hidden.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    os.symlink(secret, stick / "escape")  # a folder link out of the stick
    os.symlink(secret / "passwd.png", stick / "photo.png")  # a file link out of the stick
    _png(scans / "scan-001.png", 0x993333)
    mounts = {str(stick)}
    return {"media": media, "stick": stick, "scans": scans, "secret": secret,
            "is_mount": lambda p: p in mounts}


def test_roots_are_mounted_media_and_the_scans_folder_only(places):
    from ui.widgets import filesource

    roots = filesource.roots(str(places["scans"]), [places["media"]], places["is_mount"])
    assert [(r.kind, r.path) for r in roots] == [("scans", places["scans"].resolve()),
                                                ("media", places["stick"].resolve())]
    assert filesource.roots("", [places["media"]], lambda _p: False) == []
    assert filesource.roots(str(places["scans"] / "missing"), [], places["is_mount"]) == []


def test_listing_never_leaves_the_root(places):
    from ui.widgets import filesource

    stick = filesource.roots("", [places["media"]], places["is_mount"])[0]
    top = filesource.list_folder(stick, stick.path)
    assert [(e.name, e.is_dir) for e in top] == [("docs", True)]  # no link out, no hidden, no .txt
    docs = filesource.list_folder(stick, stick.path / "docs")
    assert [e.name for e in docs] == ["id-card.png"]
    assert filesource.list_folder(stick, stick.path / "escape") == []
    assert filesource.list_folder(stick, stick.path / "..") == []
    assert filesource.open_checked(stick, stick.path / "photo.png") is None
    assert filesource.open_checked(stick, places["secret"] / "passwd.png") is None
    assert filesource.parent_within(stick, stick.path) is None
    assert filesource.parent_within(stick, stick.path / "docs") == stick.path


def _attachment_widget(qtbot, places, lang: str = "en"):  # noqa: ANN001
    from ui.widgets import Context
    from ui.widgets.media import AttachmentWidget

    class Q:
        name, type, max_size_kb, accept = "doc", "attachment", None, ()

    from ui import theme

    theme.apply(QApplication.instance(), "default", 100)  # as the kiosk runs: the real sizes
    w = AttachmentWidget(Q(), Context(lang=lang, scans_folder=str(places["scans"])))
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def no_file_dialog(monkeypatch):
    """Any QFileDialog, made or asked for statically, fails the test."""
    made: list[str] = []

    def refuse(*_a, **_k):
        made.append("QFileDialog")
        raise AssertionError("a QFileDialog was created where a resident can reach it")

    monkeypatch.setattr(QFileDialog, "__init__", refuse)
    for name in ("getOpenFileName", "getOpenFileNames", "getOpenFileUrl", "getExistingDirectory",
                 "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(refuse))
    yield made
    assert made == []
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog)]


def test_choose_file_opens_the_kiosk_picker_and_takes_a_scan(qtbot, places, monkeypatch, no_file_dialog):
    from ui.widgets import filesource
    from ui.widgets.picker import FilePicker

    monkeypatch.setattr(filesource, "MEDIA_BASES", (places["media"],))
    monkeypatch.setattr(os.path, "ismount", places["is_mount"])
    w = _attachment_widget(qtbot, places)
    tap(qtbot, w.pick)
    picker = w.picker
    assert isinstance(picker, FilePicker)
    qtbot.waitUntil(picker.isVisible)
    assert picker.where.text() == "Where is your document?"
    assert list(picker.items) == ["Scanned documents", "USB stick: STICK"]
    for b in picker.findChildren(QAbstractButton):
        if b.isVisible():
            assert b.height() >= 44 and b.width() >= 44, b.objectName()
        assert not {"rename", "delete", "new folder"} & set(b.text().lower().split("\n"))
    assert not picker.up.isEnabled()
    tap(qtbot, picker.items["Scanned documents"])
    assert list(picker.items) == ["scan-001.png"]
    item = picker.items["scan-001.png"]
    thumb = item.layout().itemAt(0).widget()
    assert not thumb.pixmap().isNull()  # a real thumbnail of the scan
    with qtbot.waitSignal(w.changed):
        tap(qtbot, item)
    qtbot.waitUntil(lambda: not picker.isVisible())
    value = w.value()
    assert value["name"] == "scan-001.png" and value["media_type"] == "image/png"
    assert value["data"] == (places["scans"] / "scan-001.png").read_bytes()  # read at the choice
    assert w.picker is None


def test_the_picker_goes_up_only_to_its_roots_and_refuses_links_out(qtbot, places, monkeypatch,
                                                                    no_file_dialog):
    from ui.widgets import filesource

    monkeypatch.setattr(filesource, "MEDIA_BASES", (places["media"],))
    monkeypatch.setattr(os.path, "ismount", places["is_mount"])
    w = _attachment_widget(qtbot, places, "mn")
    tap(qtbot, w.pick)
    picker = w.picker
    qtbot.waitUntil(picker.isVisible)
    stick = next(k for k in picker.items if "STICK" in k)
    assert stick.startswith("USB диск")  # in the resident's language
    tap(qtbot, picker.items[stick])
    assert list(picker.items) == ["docs"]  # the link to /secret and the link to passwd.png are not shown
    tap(qtbot, picker.items["docs"])
    assert list(picker.items) == ["id-card.png"]
    assert "USB диск: STICK › docs" in picker.where.text()
    tap(qtbot, picker.up)
    tap(qtbot, picker.up)
    assert picker.root is None and len(picker.items) == 2  # the list of places, never the disk
    # A file that became a link out between listing and choosing is refused at the choice.
    tap(qtbot, picker.items[stick])
    tap(qtbot, picker.items["docs"])
    target = places["stick"] / "docs" / "id-card.png"
    target.unlink()
    os.symlink(places["secret"] / "passwd.png", target)
    tap(qtbot, picker.items["id-card.png"])
    assert picker.isVisible() and w.value() is None
    assert "id-card.png" not in picker.items
    tap(qtbot, picker.cancel)
    qtbot.waitUntil(lambda: w.picker is None)
    assert w.value() is None


def test_with_nothing_plugged_in_the_picker_says_what_to_do(qtbot, places, monkeypatch, no_file_dialog):
    from ui.widgets import filesource

    monkeypatch.setattr(filesource, "MEDIA_BASES", (places["media"],))
    monkeypatch.setattr(os.path, "ismount", lambda _p: False)
    places["scans"] = places["scans"] / "missing"
    w = _attachment_widget(qtbot, places)
    tap(qtbot, w.pick)
    picker = w.picker
    qtbot.waitUntil(picker.isVisible)
    assert picker.items == {}
    texts = " ".join(label.text() for label in picker.page.body.findChildren(type(picker.where)))
    assert "No USB stick found" in texts
    monkeypatch.setattr(os.path, "ismount", places["is_mount"])  # the resident plugs one in
    tap(qtbot, picker.refresh)
    assert list(picker.items) == ["USB stick: STICK"]


def test_no_file_dialog_on_any_screen_of_any_form(qtbot, kiosk, places, monkeypatch, no_file_dialog):
    """Every screen of every bundled form, every button of its questions pressed: no QFileDialog."""
    from ui.examples import open_example
    from ui.widgets import filesource
    from ui.widgets.media import AttachmentWidget

    monkeypatch.setattr(filesource, "MEDIA_BASES", (places["media"],))
    monkeypatch.setattr(os.path, "ismount", places["is_mount"])
    window = kiosk.window
    pickers = 0
    for form_id in kiosk.services.catalog.forms:
        flow = open_example(window, form_id) or window.open_form(form_id)
        assert flow is not None, form_id
        keys = [s.key for s in flow.s.screens()]
        for key in keys:
            window.form.go_to(key)
            for block in list(window.form.blocks.values()):
                widget = block.widget
                if widget is None:
                    continue
                for b in [x for x in widget.focus_widgets() if isinstance(x, QAbstractButton)]:
                    if not (b.isVisible() and b.isEnabled()):
                        continue
                    b.click()
                    if isinstance(widget, AttachmentWidget) and widget.picker is not None:
                        pickers += 1
                        widget.picker.reject()
                    assert not [w for w in QApplication.topLevelWidgets()
                                if isinstance(w, QFileDialog)], (form_id, key)
        window.wipe(discard=True)
        qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)
    assert pickers >= 1  # the attachment questions were really reached


def test_the_picker_closes_with_its_screen_on_the_idle_warning(qtbot, kiosk, places, monkeypatch,
                                                               no_file_dialog):
    """A resident who walks away from the open picker: the idle warning is not hidden behind it."""
    from ui.examples import open_example
    from ui.screenshots import type_examples
    from ui.widgets import filesource
    from ui.widgets.media import AttachmentWidget

    monkeypatch.setattr(filesource, "MEDIA_BASES", (places["media"],))
    window = kiosk.window
    form_id, key = type_examples(kiosk)["attachment"]
    open_example(window, form_id)
    window.form.go_to(key)
    widget = next(b.widget for b in window.form.blocks.values() if isinstance(b.widget, AttachmentWidget))
    tap(qtbot, widget.pick)
    picker = widget.picker
    qtbot.waitUntil(picker.isVisible)
    assert picker.geometry() == window.geometry()  # covers the kiosk window, nothing else shows
    window.idle_warning()
    qtbot.waitUntil(lambda: widget.picker is None)
    assert window.stack.currentWidget() is window.idle
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is picker]
    window.keep_session()
    window.wipe(discard=True)
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)


@pytest.mark.parametrize(("lang", "theme_name", "scale"),
                         [("mn", "default", 100), ("en", "high-contrast", 200), ("mn", "default", 150)])
def test_the_picker_passes_the_screen_lint(qtbot, kiosk, places, monkeypatch, no_file_dialog,
                                           lang, theme_name, scale):
    """The same lint as every screenshot screen (text fits, nothing under the bar, the screen's
    language only, contrast, focus ring, 44 px targets), over the picker's places and files."""
    from tests.ui import screen_lint
    from ui.examples import open_example
    from ui.screenshots import settle, type_examples, use
    from ui.widgets import filesource
    from ui.widgets.media import AttachmentWidget

    monkeypatch.setattr(filesource, "MEDIA_BASES", (places["media"],))
    monkeypatch.setattr(os.path, "ismount", places["is_mount"])
    use(kiosk, lang, theme_name, scale)
    window = kiosk.window
    form_id, key = type_examples(kiosk)["attachment"]
    open_example(window, form_id)
    window.form.go_to(key)
    widget = next(b.widget for b in window.form.blocks.values() if isinstance(b.widget, AttachmentWidget))
    widget.ctx.scans_folder = str(places["scans"])
    widget.choose_file()
    picker = widget.picker
    qtbot.waitUntil(picker.isVisible)
    settle()
    names = ["STICK", "docs", "id-card.png"]  # the stick's own names: the resident's, not the screen's
    problems = screen_lint.lint(picker, lang, theme_name, "picker-places", data=names)
    picker.open_folder(picker.places()[1], picker.places()[1].path / "docs")  # the stick's docs
    settle()
    problems += screen_lint.lint(picker, lang, theme_name, "picker-files", data=names)
    assert not problems, "\n".join(problems)
    picker.reject()
    window.wipe(discard=True)
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)


class _FakeSignal:
    def __init__(self) -> None:
        self.slots = []

    def connect(self, slot) -> None:  # noqa: ANN001
        self.slots.append(slot)

    def emit(self, *args) -> None:  # noqa: ANN002
        for slot in self.slots:
            slot(*args)


class _FakeMultimedia:
    """Stands in for QtMultimedia only: no camera exists on a test machine. Everything on
    screen (dialog, buttons, the video area as a plain widget) is real Qt."""

    class QMediaDevices:
        @staticmethod
        def videoInputs():  # noqa: ANN205
            return ["fake camera"]

        @staticmethod
        def defaultVideoInput():  # noqa: ANN205
            return "fake camera"

    class QCamera:
        def __init__(self, _device) -> None:  # noqa: ANN001
            self.running = False

        def start(self) -> None:
            self.running = True

        def stop(self) -> None:
            self.running = False

    class QImageCapture:
        def __init__(self) -> None:
            self.imageCaptured = _FakeSignal()

        def capture(self) -> None:
            image = QImage(64, 48, QImage.Format.Format_RGB32)
            image.fill(0x445566)
            self.imageCaptured.emit(1, image)

    class QMediaCaptureSession:
        def setCamera(self, _c) -> None:  # noqa: N802, ANN001
            pass

        def setImageCapture(self, _c) -> None:  # noqa: N802, ANN001
            pass

        def setVideoOutput(self, _v) -> None:  # noqa: N802, ANN001
            pass


class _FakeMultimediaWidgets:
    from PySide6.QtWidgets import QWidget as QVideoWidget


@pytest.mark.parametrize("press", ["camera-cancel", "camera-shoot"])
def test_the_camera_screen_covers_the_kiosk_and_can_be_left_by_touch(qtbot, kiosk, monkeypatch, press):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog

    from ui.examples import open_example
    from ui.screenshots import type_examples
    from ui.views import camera
    from ui.widgets import media

    monkeypatch.setattr(media, "multimedia", lambda: _FakeMultimedia)
    monkeypatch.setattr(camera, "multimedia", lambda: _FakeMultimedia)
    monkeypatch.setattr(camera, "multimedia_widgets", lambda: _FakeMultimediaWidgets)
    window = kiosk.window
    form_id, key = type_examples(kiosk)["attachment"]
    open_example(window, form_id)
    window.form.go_to(key)
    widget = next(b.widget for b in window.form.blocks.values() if isinstance(b.widget, media.AttachmentWidget))
    assert widget.camera is not None and widget.camera.isVisible()
    seen: dict[str, object] = {}

    tries = [0]

    def on_screen() -> None:
        dialog = widget.findChild(QDialog, "cameraScreen")
        if dialog is None or not dialog.isVisible():
            tries[0] += 1
            if tries[0] > 200:  # not the kiosk's camera screen: end whatever dialog is open
                for w in QApplication.topLevelWidgets():
                    if isinstance(w, QDialog) and w.isVisible():
                        w.reject()
                return
            QTimer.singleShot(10, on_screen)
            return
        seen["geometry"] = dialog.geometry() == window.geometry()
        seen["texts"] = [b.text() for b in dialog.findChildren(QAbstractButton)]
        dialog.findChild(QAbstractButton, press).click()

    QTimer.singleShot(0, on_screen)
    before = widget.value()
    widget.take_photo()  # the dialog's own event loop runs until a button ends it
    assert seen.get("geometry") is True
    assert seen.get("texts") == ["Болих", "Камераар авах"]  # translated, a way out without Esc
    if press == "camera-cancel":
        assert widget.value() == before
    else:
        value = widget.value()
        assert value["name"] == "camera.jpg" and value["media_type"] == "image/jpeg" and "data" in value
    window.form.flush()
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)
    window.wipe(discard=True)
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)


def test_a_document_taken_from_a_stick_survives_the_stick_being_pulled_out(qtbot, kiosk, places,
                                                                             monkeypatch, no_file_dialog):
    """The bytes are read at the choice: the draft saved after the stick is gone still has them."""
    from ui.examples import open_example
    from ui.screenshots import type_examples
    from ui.widgets import filesource
    from ui.widgets.media import AttachmentWidget

    monkeypatch.setattr(filesource, "MEDIA_BASES", (places["media"],))
    monkeypatch.setattr(os.path, "ismount", places["is_mount"])
    window = kiosk.window
    form_id, key = type_examples(kiosk)["attachment"]
    open_example(window, form_id)
    window.form.go_to(key)
    widget = next(b.widget for b in window.form.blocks.values() if isinstance(b.widget, AttachmentWidget))
    tap(qtbot, widget.pick)
    picker = widget.picker
    qtbot.waitUntil(picker.isVisible)
    tap(qtbot, next(b for name, b in picker.items.items() if "STICK" in name))
    tap(qtbot, picker.items["docs"])
    document = places["stick"] / "docs" / "id-card.png"
    expected = document.read_bytes()
    with qtbot.waitSignal(widget.changed):
        tap(qtbot, picker.items["id-card.png"])
    document.unlink()  # the resident pulls the stick out
    with qtbot.waitSignal(window.draft_saved, timeout=10_000):
        window.form.flush()
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)
    value = widget.value()
    assert "file" not in value and value["data"] == expected
    store = kiosk.services.store()
    draft_id = window.flow.draft_id
    import hashlib

    assert store.draft_attachment(draft_id, hashlib.sha256(expected).hexdigest()) == expected
    window.wipe(discard=True)
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)
