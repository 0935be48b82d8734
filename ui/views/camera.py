"""Camera capture for document photos (QtMultimedia, shipped in PySide6-Addons).

Only offered when a camera is present. The photo is returned as JPEG bytes in
memory: a document photo is personal data and never touches a temp file.
"""

from __future__ import annotations

from kiosk.i18n import t
from ui.qt import (
    QBuffer,
    QByteArray,
    QDialog,
    QImage,
    QIODevice,
    QVBoxLayout,
    multimedia,
    multimedia_widgets,
)
from ui.widgets.common import button


def capture_photo(parent, lang: str) -> bytes | None:  # noqa: ANN001 - any QWidget
    mm, mmw = multimedia(), multimedia_widgets()
    if mm is None or mmw is None or not mm.QMediaDevices.videoInputs():
        return None
    dialog = QDialog(parent)
    dialog.setWindowTitle(t("ui.attachment_camera", lang))
    box = QVBoxLayout(dialog)
    view = mmw.QVideoWidget()
    view.setMinimumSize(640, 480)
    box.addWidget(view)
    shoot = button(t("ui.attachment_camera", lang), t("ui.attachment_camera_desc", lang), "primary")
    box.addWidget(shoot)
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
        image.save(buffer, "JPG", 85)
        result["jpeg"] = bytes(data.data())
        dialog.accept()

    capture.imageCaptured.connect(captured)
    shoot.clicked.connect(lambda: capture.capture())
    camera.start()
    dialog.exec()
    camera.stop()
    return result.get("jpeg")
