"""The doctor's checks on the staff screen: one row per check, pass / warn / fail.

Each status has its own word, colour *and* shape (a tick in a circle, an
exclamation mark in a triangle, a cross in a circle), so the state is never
carried by colour alone. Every text comes from the catalog in the screen's
language: the check's own title, message and fix are produced by
``kiosk.doctor`` in that language (``Services.doctor(lang)``).
"""

from __future__ import annotations

from typing import Any

from kiosk.i18n import t
from ui import a11y
from ui.qt import (
    QColor,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QVBoxLayout,
    QWidget,
)
from ui.widgets.common import text_label

# The doctor says pass / warn / fail; older builds said ok / warning. Anything else
# (an unknown word from a newer doctor) is shown as a failure, never as a pass.
STATUS = {"pass": "pass", "ok": "pass", "warn": "warn", "warning": "warn", "fail": "fail"}
# The catalog's words for each status (ui.staff_status_*).
_WORD = {"pass": "ok", "warn": "warn", "fail": "fail"}


def status_of(check: Any) -> str:
    return STATUS.get(str(getattr(check, "status", "")), "fail")


def status_icon(status: str, color: QColor, size: int) -> QPixmap:
    """A shape per status, drawn in ``color`` (the status text's colour)."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(color, max(2.0, size / 10))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    m = size * 0.1
    box = QRectF(m, m, size - 2 * m, size - 2 * m)
    s = box.width()
    x, y = box.x(), box.y()
    if status == "warn":
        tri = QPainterPath()
        tri.moveTo(QPointF(x + s / 2, y))
        tri.lineTo(QPointF(x + s, y + s))
        tri.lineTo(QPointF(x, y + s))
        tri.closeSubpath()
        p.drawPath(tri)
        p.drawLine(QPointF(x + s / 2, y + s * 0.35), QPointF(x + s / 2, y + s * 0.65))
        p.drawPoint(QPointF(x + s / 2, y + s * 0.83))
    else:
        p.drawEllipse(box)
        if status == "pass":
            p.drawLine(QPointF(x + s * 0.27, y + s * 0.52), QPointF(x + s * 0.44, y + s * 0.7))
            p.drawLine(QPointF(x + s * 0.44, y + s * 0.7), QPointF(x + s * 0.74, y + s * 0.32))
        else:
            p.drawLine(QPointF(x + s * 0.32, y + s * 0.32), QPointF(x + s * 0.68, y + s * 0.68))
            p.drawLine(QPointF(x + s * 0.68, y + s * 0.32), QPointF(x + s * 0.32, y + s * 0.68))
    p.end()
    return pm


def check_row(check: Any, lang: str) -> QWidget:
    """One check: icon, "OK — Database", what the doctor saw, and (unless passed) how to fix."""
    status = status_of(check)
    row = QFrame()
    row.setProperty("role", "check")
    row.setProperty("status", status)
    row.setObjectName(f"check-{getattr(check, 'name', '')}")
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 4, 0, 4)
    line.setSpacing(12)
    word = t(f"ui.staff_status_{_WORD[status]}", lang)
    title = getattr(check, "title", "") or str(getattr(check, "name", ""))
    head = text_label(t("ui.staff_check_head", lang, status=word, name=title), f"check-{status}")
    head.ensurePolished()  # the stylesheet's colour for this status, for the icon
    size = head.fontMetrics().height()
    icon = QLabel()
    icon.setObjectName("checkIcon")
    icon.setFixedSize(QSize(size, size))
    icon.setPixmap(status_icon(status, head.palette().color(QPalette.ColorRole.WindowText), size))
    line.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
    texts = QVBoxLayout()
    texts.setSpacing(2)
    texts.addWidget(head)
    message = str(getattr(check, "message", ""))
    if message:
        texts.addWidget(text_label(message))
    fix = str(getattr(check, "fix", "") or "")
    if fix and status != "pass":
        texts.addWidget(text_label(t("ui.staff_check_fix", lang, fix=fix), "hint"))
    line.addLayout(texts, 1)
    spoken = t("ui.staff_check_line", lang, status=word, name=title, message=message)
    a11y.label(row, spoken, fix if status != "pass" else "")
    return row


def summary_line(checks: list[Any], lang: str) -> str:
    """"9 passed, 2 warnings, 0 failed" above the rows."""
    counts = {"pass": 0, "warn": 0, "fail": 0}
    for c in checks:
        counts[status_of(c)] += 1
    return t("ui.staff_checks_summary", lang, passed=counts["pass"], warned=counts["warn"],
             failed=counts["fail"])
