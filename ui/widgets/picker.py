"""The kiosk's own document picker: USB sticks and the scans folder, as big thumbnails.

Qt's file dialog shows the whole disk, in English, with Rename/Delete/New
Folder on its context menu; a resident must never see it. This picker shows
only what ui/widgets/filesource.py allows (removable media, the configured
scans folder; images and PDF; never above a root, symlinks checked), in the
resident's language and at touch size, and it can only *choose*: there is no
rename, delete or new folder anywhere in it.

It covers the kiosk window as a modal, frameless dialog and is opened with
``open()`` (not ``exec()``), so the event loop — idle timer included — keeps
running; the attachment widget closes it when its screen goes away.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from kiosk.i18n import t
from ui import a11y
from ui.qt import (
    QColor,
    QDialog,
    QFont,
    QGridLayout,
    QImageReader,
    QLabel,
    QPainter,
    QPen,
    QPixmap,
    QRect,
    QSize,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.widgets import filesource
from ui.widgets.common import Page, WrapButton, button, button_bar, text_label

THUMBS_PER_FOLDER = 60  # more images than this get the plain picture icon (speed on slow disks)


class FilePicker(QDialog):
    """Emits ``chosen(Path)`` with the resolved file; closes itself afterwards."""

    chosen = Signal(object)

    def __init__(self, parent: QWidget, lang: str, scale: int, scans_folder: str = "",
                 max_kb: int = 4096, bases: Iterable[Path] | None = None,
                 is_mount: Callable[[str], bool] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filePicker")
        self.setModal(True)
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.lang = lang
        self.scale = scale
        self.scans_folder = scans_folder
        self.max_kb = max_kb
        self.bases = tuple(bases) if bases is not None else None
        self.is_mount = is_mount  # None: os.path.ismount, looked up when used
        self.root: filesource.Root | None = None
        self.folder: Path | None = None
        self.items: dict[str, WrapButton] = {}  # visible name -> its button (tests, a11y)
        a11y.label(self, t("widgets.picker_title", lang), t("widgets.picker_desc", lang))
        self.setWindowTitle(t("widgets.picker_title", lang))

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        head = QWidget()
        head_box = QVBoxLayout(head)
        head_box.setContentsMargins(32, 16, 32, 8)
        self.title = text_label(t("widgets.picker_title", lang), "title")
        self.where = text_label("", "hint")
        self.where.setObjectName("pickerWhere")
        head_box.addWidget(self.title)
        head_box.addWidget(self.where)
        outer.addWidget(head)
        self.page = Page()
        outer.addWidget(self.page, 1)
        self.up = button(t("widgets.picker_up", lang), t("widgets.picker_up_desc", lang), name="picker-up")
        self.refresh = button(t("widgets.picker_refresh", lang), t("widgets.picker_refresh_desc", lang),
                              name="picker-refresh")
        self.cancel = button(t("widgets.picker_cancel", lang), t("widgets.picker_cancel_desc", lang),
                             name="picker-cancel")
        self.up.clicked.connect(self.go_up)
        self.refresh.clicked.connect(self.reload)
        self.cancel.clicked.connect(self.reject)
        button_bar(outer, [self.up, self.refresh], [self.cancel])
        self.show_roots()

    # -- geometry -----------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        parent = self.parentWidget()
        top = parent.window() if parent is not None else None
        if top is not None and top is not self:
            self.setGeometry(top.geometry())  # over the whole kiosk window, nothing behind shows
        super().showEvent(event)

    # -- places -------------------------------------------------------------------------
    def places(self) -> list[filesource.Root]:
        return filesource.roots(self.scans_folder, self.bases or filesource.MEDIA_BASES,
                               self.is_mount or os.path.ismount)

    def reload(self) -> None:
        if self.root is not None and self.folder is not None and filesource.inside(self.root, self.folder):
            self.open_folder(self.root, self.folder)
        else:
            self.show_roots()

    def show_roots(self) -> None:
        self.root, self.folder = None, None
        places = self.places()
        self.where.setText(t("widgets.picker_where_roots", self.lang))
        self.up.setEnabled(False)
        grid = self._fresh_grid()
        if not places:
            self.page.column.insertWidget(0, text_label(t("widgets.picker_nothing", self.lang), "hint"))
        for i, root in enumerate(places):
            text = self.root_name(root)
            b = self._item(text, t("widgets.picker_open_desc", self.lang, name=text), _folder_icon(self._side()))
            b.setObjectName(f"picker-root-{i + 1}")
            b.clicked.connect(lambda _=False, r=root: self.open_folder(r, r.path))
            self._place(grid, b, i)
        self._finish()

    def root_name(self, root: filesource.Root) -> str:
        key = "widgets.picker_scans" if root.kind == "scans" else "widgets.picker_usb"
        return t(key, self.lang, name=root.label)

    def open_folder(self, root: filesource.Root, folder: Path) -> None:
        here = filesource.inside(root, folder)
        if here is None or not here.is_dir():
            self.show_roots()
            return
        self.root, self.folder = root, here
        rel = here.relative_to(root.path)
        name = self.root_name(root)
        shown = name if not rel.parts else f"{name} › " + " › ".join(rel.parts)
        self.where.setText(t("widgets.picker_where", self.lang, place=shown))
        self.up.setEnabled(True)
        entries = filesource.list_folder(root, here)
        grid = self._fresh_grid()
        if not entries:
            self.page.column.insertWidget(0, text_label(t("widgets.picker_empty", self.lang), "hint"))
        side = self._side()
        thumbs = 0
        for i, entry in enumerate(entries):
            if entry.is_dir:
                icon = _folder_icon(side)
                desc = t("widgets.picker_open_desc", self.lang, name=entry.name)
            else:
                thumb = None
                if not entry.name.lower().endswith(".pdf") and thumbs < THUMBS_PER_FOLDER:
                    thumbs += 1
                    thumb = _thumbnail(entry.path, side)
                icon = thumb or _document_icon(side, "PDF" if entry.name.lower().endswith(".pdf") else "")
                desc = t("widgets.picker_file_desc", self.lang, name=entry.name, size=_kb(entry.size))
            b = self._item(entry.name, desc, icon)
            b.setObjectName(f"picker-item-{i + 1}")
            b.clicked.connect(lambda _=False, e=entry: self.pick(e))
            self._place(grid, b, i)
        self._finish()

    def go_up(self) -> None:
        if self.root is None or self.folder is None:
            return
        parent = filesource.parent_within(self.root, self.folder)
        if parent is None:
            self.show_roots()
        else:
            self.open_folder(self.root, parent)

    def pick(self, entry: filesource.Entry) -> None:
        if entry.is_dir:
            if self.root is not None:
                self.open_folder(self.root, entry.path)
            return
        real = filesource.open_checked(self.root, entry.path) if self.root is not None else None
        if real is None:  # gone, or a link that now points elsewhere: look again
            self.reload()
            return
        self.chosen.emit(real)
        self.accept()

    # -- building -----------------------------------------------------------------------
    def _side(self) -> int:
        return int(96 * max(self.scale, 100) / 100)

    def _fresh_grid(self) -> QGridLayout:
        self.page.clear()
        self.items = {}
        host = QWidget()
        grid = QGridLayout(host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(16)
        self._columns = 3 if self.scale <= 100 else (2 if self.scale <= 150 else 1)
        for c in range(self._columns):
            grid.setColumnStretch(c, 1)
        self.page.column.addWidget(host)
        self.page.column.addStretch(1)
        return grid

    def _place(self, grid: QGridLayout, b: WrapButton, i: int) -> None:
        grid.addWidget(b, i // self._columns, i % self._columns)

    def _item(self, text: str, description: str, icon: QPixmap) -> WrapButton:
        b = WrapButton(text, description, "choice")
        picture = QLabel()
        picture.setPixmap(icon)
        picture.setFixedSize(icon.size())
        picture.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        b.row.insertWidget(0, picture, 0, Qt.AlignmentFlag.AlignVCenter)
        b.setMinimumHeight(icon.height() + 24)
        self.items[text] = b
        return b

    def _finish(self) -> None:
        self.page.show_all()
        order: list[QWidget] = [*self.items.values(), self.up, self.refresh, self.cancel]
        a11y.chain_focus(order)
        first = next(iter(self.items.values()), None)
        (first or self.cancel).setFocus(Qt.FocusReason.OtherFocusReason)


def _kb(size: int) -> int:
    return max(1, (size + 1023) // 1024)


def _thumbnail(path: Path, side: int) -> QPixmap | None:
    """Decoded at thumbnail size (QImageReader scales while reading: a 20 MP photo stays cheap)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if not size.isValid() or size.width() <= 0 or size.height() <= 0:
        return None
    size.scale(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio)
    reader.setScaledSize(size)
    image = reader.read()
    if image.isNull():
        return None
    canvas = QPixmap(side, side)
    canvas.fill(Qt.GlobalColor.transparent)
    p = QPainter(canvas)
    p.drawImage((side - image.width()) // 2, (side - image.height()) // 2, image)
    p.end()
    return canvas


def _pen_color() -> QColor:
    from ui.qt import QApplication

    app = QApplication.instance()
    return app.palette().color(app.palette().ColorRole.Text) if app is not None else QColor("black")  # type: ignore[attr-defined]


def _folder_icon(side: int) -> QPixmap:
    canvas = QPixmap(side, side)
    canvas.fill(Qt.GlobalColor.transparent)
    p = QPainter(canvas)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(_pen_color(), max(3, side // 24)))
    m = side // 8
    p.drawRoundedRect(QRect(m, side // 3, side - 2 * m, side // 2), 6, 6)
    p.drawLine(m, side // 3, m + side // 6, side // 4)
    p.drawLine(m + side // 6, side // 4, m + side // 3, side // 4)
    p.drawLine(m + side // 3, side // 4, m + side // 3 + side // 12, side // 3)
    p.end()
    return canvas


def _document_icon(side: int, caption: str) -> QPixmap:
    canvas = QPixmap(side, side)
    canvas.fill(Qt.GlobalColor.transparent)
    p = QPainter(canvas)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = _pen_color()
    p.setPen(QPen(color, max(3, side // 24)))
    page = QRect(side // 4, side // 10, side // 2, side * 8 // 10)
    p.drawRect(page)
    if caption:
        font = QFont()
        font.setPixelSize(max(12, side // 6))
        font.setBold(True)
        p.setFont(font)
        p.drawText(page, int(Qt.AlignmentFlag.AlignCenter), caption)
    p.end()
    return canvas
