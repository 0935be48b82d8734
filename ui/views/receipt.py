"""Receipt: QR code, the submission number in large digits, Print, Finish."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import t
from ui import a11y
from ui.qt import (
    QFont,
    QFontMetrics,
    QHBoxLayout,
    QImage,
    QLabel,
    QPixmap,
    QSizePolicy,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.widgets.common import Page, button, button_bar, show_status, text_label


class NumberLabel(QLabel):
    """The receipt number on one line, as large as the theme sets it unless the room left
    beside the QR is narrower: then its letters shrink to fit (at 200 % the number alone was
    wider than the page and pushed the QR off its side, and a QR cut at a side is no QR)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setProperty("role", "big-number")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self._theme_px = 0  # the theme's size for the number
        self._px = 0  # the size it has now

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if not self._theme_px:  # read once, before this label sets a size of its own
            self._theme_px = self.font().pixelSize()
        font = QFont(self.font())
        font.setPixelSize(self._theme_px)
        wide = QFontMetrics(font).horizontalAdvance(self.text()) + 8
        fits = wide <= self.width() or self.width() <= 0
        px = self._theme_px if fits else max(12, self._theme_px * self.width() // wide)
        if px != self._px:
            self._px = px
            self.setStyleSheet(f"font-size: {px}px;")


@dataclass
class ReceiptInfo:
    """What the resident takes away; nothing personal (the QR holds no answers)."""

    submission_id: str
    qr_text: str
    finalized_at: str
    form_title: dict[str, str]
    demo: bool
    kept: bool = False  # no destination is set up for it: it stays on this kiosk for staff

    @property
    def number(self) -> str:
        """The number a resident reads out: Crockford base32, grouped by 4 (kiosk.receipt)."""
        from kiosk.receipt import receipt_number

        return receipt_number(self.submission_id)


def qr_image(text: str) -> QImage:
    """The QR as an image, rendered by the core (kiosk.receipt) or the qrcode package."""
    try:
        from kiosk.receipt import render_png

        data = render_png(text, box_size=8)
    except ImportError:
        import io

        import qrcode

        buf = io.BytesIO()
        qrcode.make(text, box_size=8, border=4).save(buf, format="PNG")
        data = buf.getvalue()
    image = QImage()
    image.loadFromData(data)
    return image


def when_text(finalized_at: str) -> str:
    """UTC ISO time as 2026.11.26 14:03 (Mongolian order, local to the kiosk)."""
    from datetime import datetime

    try:
        dt = datetime.fromisoformat(finalized_at.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return finalized_at
    return f"{dt.year:04d}.{dt.month:02d}.{dt.day:02d} {dt.hour:02d}:{dt.minute:02d}"


class ReceiptView(QWidget):
    print_receipt = Signal(str)  # "80mm" or "a4"
    finish = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("screen")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.page = Page()
        outer.addWidget(self.page, 1)
        # Print results sit just above the buttons, outside the scrolling page: at 200 %
        # the end of the page is far below the fold, and "could not print" must be seen.
        self.status_host = QWidget()
        status_box = QVBoxLayout(self.status_host)
        status_box.setContentsMargins(32, 8, 32, 8)
        self.status = text_label("", "hint")
        self.status.setObjectName("receiptStatus")
        status_box.addWidget(self.status)
        self.status_host.hide()
        outer.addWidget(self.status_host)
        self.print80 = button("", "", name="print-80mm")
        self.printa4 = button("", "", name="print-a4")
        self.finish_btn = button("", "", "primary", name="finish")
        self.print80.clicked.connect(lambda: self.print_receipt.emit("80mm"))
        self.printa4.clicked.connect(lambda: self.print_receipt.emit("a4"))
        self.finish_btn.clicked.connect(self.finish.emit)
        button_bar(outer, [self.print80, self.printa4], [self.finish_btn])
        self.demo: QLabel | None = None
        self.number_label = QLabel()
        self.qr = QLabel()
        self.info: ReceiptInfo | None = None

    def present(self, info: ReceiptInfo, lang: str, scale: int) -> None:
        self.info = info
        self.page.clear()
        col = self.page.column
        large = scale >= 150
        # At large text the thank-you line is set a size smaller than a page title, and the
        # number, the DEMO notice and the QR share the first screen: the words on the left,
        # the QR beside them (under them, at 200 % on a 768-px screen it was below the fold).
        col.addWidget(text_label(t("ui.receipt_title", lang), "question" if large else "title"))
        from kiosk.i18n import pick

        self.number_label = NumberLabel(info.number)
        self.number_label.setObjectName("receiptNumber")
        self.number_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        a11y.label(self.number_label, t("ui.receipt_number_desc", lang, number=info.number))
        caption = text_label(t("ui.receipt_number", lang), "hint")
        self.demo = None
        if info.demo:
            self.demo = text_label(t("ui.receipt_demo", lang))
            self.demo.setObjectName("demoBanner")
            a11y.label(self.demo, self.demo.text())
        form_line = text_label(t("ui.receipt_form", lang, title=pick(info.form_title, lang)), "hint")
        texts = QVBoxLayout()
        texts.setSpacing(8)
        if large:  # the number first, what it is worth (DEMO) right under it
            for w in (caption, self.number_label, self.demo, form_line):
                if w is not None:
                    texts.addWidget(w)
        else:
            for w in (form_line, self.demo):
                if w is not None:
                    col.addWidget(w)
            texts.addWidget(caption)
            texts.addWidget(self.number_label)
        body = QHBoxLayout()
        body.setSpacing(32)
        self.qr = QLabel()
        self.qr.setObjectName("receiptQr")
        side = 240 if large else 300  # scanned, not read: it need not grow with the text
        self.qr.setPixmap(QPixmap.fromImage(qr_image(info.qr_text)).scaled(
            side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
        self.qr.setFixedSize(side, side)
        a11y.label(self.qr, t("ui.receipt_qr_desc", lang))
        texts.addWidget(text_label(t("ui.receipt_when", lang, when=when_text(info.finalized_at))))
        later = text_label(t("ui.receipt_kept_here" if info.kept else "ui.receipt_sent_later", lang), "hint")
        later.setObjectName("receiptWhatNext")
        texts.addWidget(later)
        texts.addWidget(text_label(t("ui.receipt_keep", lang), "hint"))
        texts.addStretch(1)
        if large:
            body.addLayout(texts, 1)
            body.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        else:
            body.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
            body.addLayout(texts, 1)
        col.addLayout(body)
        col.addStretch(1)
        self.show_status("")
        # Number, DEMO notice and QR take the keyboard focus (Tab), and the page scrolls to
        # each: at 200 % they are below the fold, and a keyboard user cannot swipe.
        self.readable = [w for w in (self.number_label, self.demo, self.qr) if w is not None]
        for w in self.readable:
            w.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self.page.reveal_on_focus(w)
        self.page.show_all()
        for b, key in ((self.print80, "receipt_print_80"), (self.printa4, "receipt_print_a4"),
                       (self.finish_btn, "receipt_finish")):
            b.setText(t(f"ui.{key}", lang))
            a11y.label(b, b.text(), t(f"ui.{key}_desc", lang))
        a11y.chain_focus([*self.readable, self.print80, self.printa4, self.finish_btn])
        self.finish_btn.setFocus()

    def show_status(self, text: str, role: str = "hint") -> None:
        show_status(self.status, text, role)
        self.status_host.setVisible(bool(text))

    def focus_order(self) -> list[QWidget]:
        return [*getattr(self, "readable", []), self.print80, self.printa4, self.finish_btn]
