"""Printing the receipt with QPrinter: 80 mm roll printers and A4 (PDF in tests).

The slip carries the same things as the screen: service, number, time, QR and
the DEMO mark when it applies — no answers, no names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.errors import KioskError
from kiosk.i18n import pick, t
from ui.qt import (
    QFont,
    QMarginsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QRectF,
    QSizeF,
    Qt,
    print_support,
)
from ui.theme import font_family
from ui.views.receipt import ReceiptInfo, qr_image, when_text

PAPERS = ("80mm", "a4")


def _printer(paper: str, pdf: Path | None, lang: str) -> Any:
    ps = print_support()
    QPrinter = ps.QPrinter  # noqa: N806 - the Qt class, loaded lazily
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if pdf is not None:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(pdf))
    else:
        default = ps.QPrinterInfo.defaultPrinter()
        if default.isNull():
            raise KioskError(t("widgets.print_no_printer", lang))
        printer.setPrinterName(default.printerName())
    if paper == "80mm":
        size = QPageSize(QSizeF(80, 160), QPageSize.Unit.Millimeter, "Receipt 80 mm")
        margins = QMarginsF(4, 4, 4, 4)
    else:
        size = QPageSize(QPageSize.PageSizeId.A4)
        margins = QMarginsF(20, 20, 20, 20)
    printer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, margins, QPageLayout.Unit.Millimeter))
    return printer


def print_receipt(info: ReceiptInfo, lang: str, paper: str = "80mm", pdf: Path | None = None) -> None:
    """Print one slip; ``pdf`` writes a PDF file instead (tests, screenshots).

    A failure is a KioskError whose message is already in ``lang``: it is shown to
    the resident after "Could not print:", so it must be their language, not ours.
    """
    if paper not in PAPERS:
        raise KioskError(t("widgets.print_bad_paper", lang, paper=paper))
    printer = _printer(paper, pdf, lang)
    painter = QPainter()
    if not painter.begin(printer):
        raise KioskError(t("widgets.print_cannot_start", lang))
    try:
        _draw(painter, printer, info, lang, paper)
    finally:
        painter.end()


def _draw(painter: QPainter, printer: Any, info: ReceiptInfo, lang: str, paper: str) -> None:
    page = printer.pageLayout().paintRectPixels(printer.resolution())
    width = float(page.width())
    dpi = printer.resolution()
    mm = dpi / 25.4
    y = 0.0
    family = font_family()

    def text(s: str, pt: float, bold: bool = False, center: bool = False) -> None:
        nonlocal y
        font = QFont(family)
        font.setPointSizeF(pt)
        font.setBold(bold)
        painter.setFont(font)
        flags = int(Qt.TextFlag.TextWordWrap) | int(
            Qt.AlignmentFlag.AlignHCenter if center else Qt.AlignmentFlag.AlignLeft
        )
        box = painter.boundingRect(QRectF(0, y, width, 10_000), flags, s)
        painter.drawText(QRectF(0, y, width, box.height()), flags, s)
        y += box.height() + 2 * mm

    small = paper == "80mm"
    text(t("ui.app_title", lang), 9 if small else 14, bold=True, center=True)
    text(t("ui.receipt_form", lang, title=pick(info.form_title, lang)), 8 if small else 12, center=True)
    if info.demo:
        text(t("ui.receipt_demo", lang), 8 if small else 12, bold=True, center=True)
    text(t("ui.receipt_number", lang), 8 if small else 12, center=True)
    text(info.number, 14 if small else 28, bold=True, center=True)
    text(t("ui.receipt_when", lang, when=when_text(info.finalized_at)), 8 if small else 12, center=True)
    side = min(width, (50 if small else 90) * mm)
    image = qr_image(info.qr_text)
    painter.drawImage(QRectF((width - side) / 2, y, side, side), image)
    y += side + 3 * mm
    text(t("ui.receipt_keep", lang), 8 if small else 12, center=True)
