"""Document photo/scan (file or camera, with preview and a size limit) and the signature pad."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

from kiosk.i18n import t
from ui import a11y
from ui.qt import (
    QDialog,
    QHBoxLayout,
    QImage,
    QLabel,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPointF,
    QSize,
    QSizePolicy,
    Qt,
    QWidget,
    Signal,
    multimedia,
)
from ui.widgets.base import Context, QuestionWidget
from ui.widgets.common import button, text_label
from ui.widgets.picker import FilePicker

MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))


DOCUMENT_TYPES = frozenset(media_type for _magic, media_type in MAGIC)


def sniff_media_type(head: bytes, name: str) -> str:
    for magic, media_type in MAGIC:
        if head.startswith(magic):
            return media_type
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def camera_available() -> bool:
    mm = multimedia()
    if mm is None:
        return False
    try:
        return bool(mm.QMediaDevices.videoInputs())
    except Exception:  # noqa: BLE001 - a broken multimedia backend means "no camera"
        return False


class AttachmentWidget(QuestionWidget):
    """Value: ``{"file", "name", "size", "media_type", "sha256"}`` of the chosen file."""

    local_blocks = False  # a refused file is said, never a reason to stay on the screen

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self._value: dict[str, Any] | None = None
        self.picker: FilePicker | None = None  # open while the resident is choosing
        limit = getattr(question, "max_size_kb", None) or ctx.max_attachment_kb
        self.limit_kb = int(min(limit, ctx.max_attachment_kb) if limit else ctx.max_attachment_kb)
        self.accept = tuple(getattr(question, "accept", ()) or ())
        row_host = QWidget()
        row = QHBoxLayout(row_host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(16)
        self.pick = button(t("widgets.attachment_pick", ctx.lang), t("widgets.attachment_pick_desc", ctx.lang), "primary", name="attach-file")
        self.pick.clicked.connect(self.choose_file)
        row.addWidget(self.pick)
        self.camera: QWidget | None = None
        if camera_available():
            self.camera = button(t("ui.attachment_camera", ctx.lang), t("ui.attachment_camera_desc", ctx.lang), name="attach-camera")
            self.camera.clicked.connect(self.take_photo)
            row.addWidget(self.camera)
        self.remove = button(t("ui.attachment_remove", ctx.lang), t("ui.attachment_remove_desc", ctx.lang), name="attach-remove")
        self.remove.clicked.connect(self.clear)
        row.addWidget(self.remove)
        row.addStretch(1)
        self.box.addWidget(row_host)
        self.status = text_label(t("ui.attachment_none", ctx.lang), "hint")
        self.box.addWidget(self.status)
        self.preview = QLabel()
        self.preview.setObjectName("attachmentPreview")
        a11y.label(self.preview, t("ui.attachment_preview_desc", ctx.lang))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.preview.hide()
        self.box.addWidget(self.preview)
        for b in (self.pick, self.remove):
            b.setEnabled(not ctx.read_only)
        self.remove.setEnabled(False)

    # -- choosing ---------------------------------------------------------------------
    def choose_file(self) -> None:
        """The kiosk's own picker (USB sticks, the scans folder): never Qt's file dialog,
        which would show the whole disk with rename and delete."""
        if self.picker is not None:
            return
        self.picker = FilePicker(self, self.lang, self.ctx.scale, self.ctx.scans_folder, self.limit_kb)
        self.picker.chosen.connect(self._picked)
        self.picker.finished.connect(self._picker_closed)
        self.picker.open()

    def _picked(self, path: Path) -> None:
        # Only what the picker itself accepts by name is read; the content must agree. The
        # bytes are kept in memory (as a camera photo): the USB stick may be pulled out
        # before the draft is saved, and a path to a gone file would lose the document.
        self.load_file(path, documents_only=True, keep_bytes=True)

    def _picker_closed(self, _result: int = 0) -> None:
        picker, self.picker = self.picker, None
        if picker is not None:
            picker.deleteLater()
        if self.isVisible():
            self.pick.setFocus(Qt.FocusReason.OtherFocusReason)

    def hideEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        # The screen went away under the picker or the camera (idle warning, wipe): close them.
        if self.picker is not None:
            self.picker.reject()
        for camera in self.findChildren(QDialog, "cameraScreen"):
            camera.reject()
        super().hideEvent(event)

    def load_file(self, path: Path, documents_only: bool = False, keep_bytes: bool = False) -> bool:
        """Check and take ``path``; a refusal is shown in plain words, nothing is kept."""
        try:
            size = path.stat().st_size
            if size > self.limit_kb * 1024:
                self._refuse(t("ui.attachment_too_big", self.lang, size=_kb(size), limit=self.limit_kb))
                return False
            data = path.read_bytes()
        except OSError:
            self._refuse(t("ui.attachment_unreadable", self.lang))
            return False
        if documents_only and sniff_media_type(data[:16], "") not in DOCUMENT_TYPES:
            self._refuse(t("ui.attachment_bad_type", self.lang))
            return False
        return self.load_bytes(data, path.name, "" if keep_bytes else str(path))

    def load_bytes(self, data: bytes, name: str, file: str = "") -> bool:
        if len(data) > self.limit_kb * 1024:
            self._refuse(t("ui.attachment_too_big", self.lang, size=_kb(len(data)), limit=self.limit_kb))
            return False
        media_type = sniff_media_type(data[:16], name)
        if self.accept and media_type not in self.accept:
            self._refuse(t("ui.attachment_bad_type", self.lang))
            return False
        self._value = {
            "name": name,
            "size": len(data),
            "media_type": media_type,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        if file:
            self._value["file"] = file
        else:
            # A camera photo stays in memory until the store encrypts it: never a temp file.
            self._value["data"] = data
        self._render(data)
        self.local_error.emit("")
        self._emit()
        return True

    def take_photo(self) -> None:
        from ui.views.camera import capture_photo

        captured = capture_photo(self, self.lang)
        if captured is not None:
            self.load_bytes(captured, "camera.jpg")

    def _refuse(self, message: str) -> None:
        self.local_error.emit(message)

    def clear(self) -> None:
        self._value = None
        self._render(None)
        self._emit()

    def _render(self, data: bytes | None) -> None:
        v = self._value
        if v is None:
            self.status.setText(t("ui.attachment_none", self.lang))
            self.preview.clear()
            self.preview.hide()
            self.remove.setEnabled(False)
            return
        self.status.setText(t("ui.attachment_chosen", self.lang, name=v["name"], size=_kb(v["size"])))
        self.remove.setEnabled(not self.ctx.read_only)
        image = QImage()
        if data is not None and v["media_type"].startswith("image/") and image.loadFromData(data):
            side = int(260 * max(self.ctx.scale, 100) / 100)
            self.preview.setPixmap(
                QPixmap.fromImage(image).scaled(
                    QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.preview.setText("PDF" if v["media_type"] == "application/pdf" else v["name"])
        self.preview.show()

    def value(self) -> Any:
        return dict(self._value) if self._value else None

    def _show(self, value: Any) -> None:
        self._value = dict(value) if isinstance(value, dict) and value.get("name") else None
        data = self._value.get("data") if self._value else None
        if self._value and self._value.get("file"):
            try:
                data = Path(self._value["file"]).read_bytes()
            except OSError:
                data = None
        self._render(data)

    def focus_widgets(self) -> list[QWidget]:
        return [w for w in (self.pick, self.camera, self.remove) if w is not None]


def _kb(size: int) -> int:
    return max(1, (size + 1023) // 1024)


class SignaturePad(QWidget):
    """Draw with a finger or a mouse — or with the keyboard, as the hint under the pad says.

    Keyboard and switch users get a pen of their own instead of a fixed mark:
    Space or Enter puts the pen down (or lifts it), the arrow keys move it and
    draw while it is down (Shift: longer steps). What they draw is recorded
    exactly like a drawn signature.
    """

    edited = Signal()
    START = (0.1, 0.6)
    STEP = 0.02
    BIG_STEP = 0.08
    PEN_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
    MOVES = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}

    def __init__(self, name: str, description: str) -> None:
        super().__init__()
        self.setProperty("role", "pad")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        a11y.label(self, name, description)
        self.strokes: list[list[tuple[float, float]]] = []
        self._drawing = False
        self.pen: tuple[float, float] = self.START  # the keyboard pen
        self.pen_down = False

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(700, 240)

    def _norm(self, pos: QPointF) -> tuple[float, float]:
        w, h = max(self.width(), 1), max(self.height(), 1)
        return (round(min(max(pos.x() / w, 0.0), 1.0), 4), round(min(max(pos.y() / h, 0.0), 1.0), 4))

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        self._drawing = True
        self.pen_down = False
        self.strokes.append([self._norm(event.position())])
        self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802, ANN001
        if self._drawing and self.strokes:
            self.strokes[-1].append(self._norm(event.position()))
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802, ANN001
        if self._drawing:
            self._drawing = False
            self.edited.emit()

    def keyPressEvent(self, event) -> None:  # noqa: N802, ANN001
        key = event.key()
        if key in self.PEN_KEYS:
            if not event.isAutoRepeat():
                self.pen_down = not self.pen_down
                if self.pen_down:
                    self.strokes.append([self.pen])
                self.update()
                self.edited.emit()
            return
        if key in self.MOVES:
            dx, dy = self.MOVES[key]
            step = self.BIG_STEP if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else self.STEP
            x = round(min(max(self.pen[0] + dx * step, 0.0), 1.0), 4)
            y = round(min(max(self.pen[1] + dy * step, 0.0), 1.0), 4)
            self.pen = (x, y)
            if self.pen_down and self.strokes:
                self.strokes[-1].append(self.pen)
                self.edited.emit()
            self.update()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        self.pen_down = False  # leaving the pad lifts the pen
        self.update()
        super().focusOutEvent(event)

    def clear(self) -> None:
        self.strokes = []
        self.pen, self.pen_down = self.START, False
        self.update()
        self.edited.emit()

    def paintEvent(self, event) -> None:  # noqa: N802, ANN001
        super().paintEvent(event)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = self.palette().color(self.foregroundRole())
        baseline = QPen(color, 1, Qt.PenStyle.DashLine)
        painter.setPen(baseline)
        y = int(self.height() * 0.78)
        painter.drawLine(24, y, self.width() - 24, y)
        painter.setPen(QPen(color, 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        for stroke in self.strokes:
            path = QPainterPath()
            for i, (x, y0) in enumerate(stroke):
                point = QPointF(x * self.width(), y0 * self.height())
                if i == 0:
                    path.moveTo(point)
                else:
                    path.lineTo(point)
            if len(stroke) == 1:
                painter.drawPoint(path.currentPosition())
            painter.drawPath(path)
        if self.hasFocus():  # where the keyboard pen is: a ring, filled while it draws
            centre = QPointF(self.pen[0] * self.width(), self.pen[1] * self.height())
            painter.setPen(QPen(color, 3))
            if self.pen_down:
                painter.setBrush(color)
            painter.drawEllipse(centre, 9, 9)
        painter.end()


class SignatureWidget(QuestionWidget):
    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.box.addWidget(text_label(t("ui.signature_hint", ctx.lang), "hint"))
        keys = text_label(t("widgets.signature_keys", ctx.lang), "hint")
        keys.setObjectName("signatureKeys")
        self.box.addWidget(keys)
        self.pad = SignaturePad(ctx.label or t("ui.signature_hint", ctx.lang), t("widgets.signature_pad_desc", ctx.lang))
        self.pad.setEnabled(not ctx.read_only)
        self.pad.edited.connect(self._emit)
        self.box.addWidget(self.pad)
        self.clear_btn = button(t("ui.signature_clear", ctx.lang), t("ui.signature_clear_desc", ctx.lang), name="signature-clear")
        self.clear_btn.clicked.connect(self.pad.clear)
        self.box.addWidget(self.clear_btn, 0, Qt.AlignmentFlag.AlignLeft)

    def value(self) -> Any:
        strokes = [[list(p) for p in s] for s in self.pad.strokes if s]
        return {"strokes": strokes} if strokes else None

    def _show(self, value: Any) -> None:
        strokes = value.get("strokes", []) if isinstance(value, dict) else []
        self.pad.strokes = [[(float(p[0]), float(p[1])) for p in s] for s in strokes]
        self.pad.update()

    def focus_widgets(self) -> list[QWidget]:
        return [self.pad, self.clear_btn]
