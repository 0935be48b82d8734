"""The one place the kiosk imports PySide6.

Every other module in ``ui/`` takes its Qt names from here, so the binding is
swappable in one file and the import-linter contract has one thing to watch.
Optional Qt modules (text-to-speech, camera) are loaded lazily through small
functions that return ``None`` when the module or its system libraries are
missing: read-aloud and camera capture are then reported unavailable instead
of crashing the kiosk.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from PySide6 import QtCore, QtGui, QtPrintSupport, QtSvg, QtWidgets
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QEvent,
    QIODevice,
    QLocale,
    QMarginsF,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    QSizeF,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAccessible,
    QAccessibleAnnouncementEvent,
    QAccessibleEvent,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QIcon,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QShortcut,
    QTextDocument,
)
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSpacerItem,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "QtCore", "QtGui", "QtPrintSupport", "QtSvg", "QtWidgets",
    "QBuffer", "QByteArray", "QCoreApplication", "QEvent", "QIODevice", "QLocale",
    "QMarginsF", "QObject", "QPoint", "QPointF", "QRect", "QRectF", "QSize", "QSizeF",
    "Qt", "QTimer", "Signal", "Slot",
    "QAccessible", "QAccessibleAnnouncementEvent", "QAccessibleEvent", "QColor", "QFont",
    "QFontDatabase", "QFontMetrics", "QGuiApplication", "QIcon", "QImage", "QKeyEvent",
    "QKeySequence", "QMouseEvent", "QPageLayout", "QPageSize", "QPainter", "QPainterPath",
    "QPalette", "QPen", "QPixmap", "QShortcut", "QTextDocument",
    "QPrinter", "QSvgRenderer",
    "QAbstractButton", "QApplication", "QButtonGroup", "QCheckBox", "QComboBox", "QDialog",
    "QFileDialog", "QFrame", "QGridLayout", "QHBoxLayout", "QLabel", "QLayout", "QLineEdit",
    "QListWidget", "QListWidgetItem", "QMainWindow", "QMessageBox", "QPlainTextEdit",
    "QPushButton", "QRadioButton", "QScrollArea", "QSizePolicy", "QSpacerItem",
    "QStackedWidget", "QToolButton", "QVBoxLayout", "QWidget",
    "text_to_speech", "multimedia", "multimedia_widgets",
]  # fmt: skip

_optional: dict[str, ModuleType | None] = {}


def _load(name: str) -> ModuleType | None:
    if name not in _optional:
        try:
            import importlib

            _optional[name] = importlib.import_module(f"PySide6.{name}")
        except Exception:  # noqa: BLE001 - missing wheel or system library (libpulse0)
            _optional[name] = None
    return _optional[name]


def text_to_speech() -> Any | None:
    """``QTextToSpeech`` class, or None when the module cannot load here."""
    module = _load("QtTextToSpeech")
    return getattr(module, "QTextToSpeech", None) if module else None


def multimedia() -> ModuleType | None:
    """QtMultimedia (camera), shipped in PySide6-Addons beside QtTextToSpeech."""
    return _load("QtMultimedia")


def multimedia_widgets() -> ModuleType | None:
    return _load("QtMultimediaWidgets")
