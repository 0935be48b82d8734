"""Camera capture for document photos (QtMultimedia, shipped in PySide6-Addons).

Only offered when a camera is present. The photo is returned as JPEG bytes in
memory: a document photo is personal data and never touches a temp file.

The camera screen covers the kiosk window (frameless, like the document picker),
says what to do in the resident's language, and has a Cancel button: a touch-only
resident must be able to leave it without Esc.
"""

from __future__ import annotations

from kiosk.i18n import t
from ui.qt import (
    QBuffer,
    QByteArray,
    QDialog,
    QImage,
    QIODevice,
    Qt,
    QVBoxLayout,
    multimedia,
    multimedia_widgets,
)
from ui.widgets.common import button, button_bar, text_label


def capture_photo(parent, lang: str) -> bytes | None:  # noqa: ANN001 - any QWidget
    mm, mmw = multimedia(), multimedia_widgets()
    if mm is None or mmw is None or not mm.QMediaDevices.videoInputs():
        return None
    dialog = QDialog(parent)
    dialog.setObjectName("cameraScreen")
    dialog.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
    dialog.setWindowTitle(t("ui.attachment_camera", lang))
    top = parent.window() if parent is not None else None
    if top is not None:
        dialog.setGeometry(top.geometry())
    box = QVBoxLayout(dialog)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(0)
    head = QVBoxLayout()
    head.setContentsMargins(32, 16, 32, 8)
    head.addWidget(text_label(t("widgets.camera_title", lang), "title"))
    head.addWidget(text_label(t("widgets.camera_hint", lang), "hint"))
    box.addLayout(head)
    view = mmw.QVideoWidget()
    view.setMinimumSize(640, 360)
    box.addWidget(view, 1)
    cancel = button(t("widgets.picker_cancel", lang), t("widgets.camera_cancel_desc", lang), name="camera-cancel")
    shoot = button(t("ui.attachment_camera", lang), t("ui.attachment_camera_desc", lang), "primary",
                   name="camera-shoot")
    button_bar(box, [cancel], [shoot])
    session = mm.QMediaCaptureSession()
    camera = mm.QCamera(mm.QMediaDevices.defaultVideoInput())
    capture = mm.QImageCapture()
    session.setCamera(camera)
    session.setImageCapture(capture)
    session.setVideoOutput(view)
    result: dict[str, bytes] = {}

    def captured(_id: int, image: QImage) -> None:
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "JPG", 85)  # type: ignore[call-overload]  # PySide6 wants str; its stub says bytes
        result["jpeg"] = bytes(data.data())
        dialog.accept()

    capture.imageCaptured.connect(captured)
    shoot.clicked.connect(lambda: capture.capture())
    cancel.clicked.connect(dialog.reject)
    camera.start()
    shoot.setFocus(Qt.FocusReason.OtherFocusReason)
    dialog.exec()
    camera.stop()
    dialog.deleteLater()
    return result.get("jpeg")
