"""The one place the kiosk imports PySide6.

Every other module in ``ui/`` takes its Qt names from here, so the binding is
swappable in one file and the import-linter contract has one thing to watch.
Optional Qt modules (text-to-speech, camera) are loaded lazily through small
functions that return ``None`` when the module or its system libraries are
missing: read-aloud and camera capture are then reported unavailable instead
of crashing the kiosk.
"""

from __future__ import annotations

import ctypes
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets

# Qt names are looked up on first use (module ``__getattr__``), not all at import: PySide6
# creates each wrapped type lazily, so resolving only the ones the first screen needs keeps
# start-up short. Type checkers see plain imports.
_WHERE: dict[str, ModuleType] = {}
for _module, _names in (
    (QtCore, (
        "QAbstractListModel", "QBuffer", "QByteArray", "QCoreApplication", "QEvent", "QIODevice", "QLocale",
        "QMarginsF", "QModelIndex",
        "QObject", "QPoint", "QPointF", "QRect", "QRectF", "QSize", "QSizeF", "Qt", "QTimer", "Signal",
        "SignalInstance", "Slot",
    )),
    (QtGui, (
        "QAccessible", "QAccessibleAnnouncementEvent", "QAccessibleEvent", "QColor", "QFont",
        "QFontDatabase", "QFontMetrics", "QGuiApplication", "QIcon", "QImage", "QImageReader",
        "QKeyEvent", "QKeySequence", "QMouseEvent", "QPageLayout", "QPageSize", "QPainter",
        "QPainterPath", "QPalette", "QPen", "QPixmap", "QShortcut", "QTextDocument",
    )),
    (QtWidgets, (
        "QAbstractButton", "QAbstractItemView", "QAbstractScrollArea", "QAbstractSpinBox",
        "QApplication", "QButtonGroup", "QCheckBox", "QComboBox", "QDialog", "QScroller",
        "QScrollerProperties", "QTextEdit", "QFileDialog", "QFrame", "QGridLayout", "QHBoxLayout", "QLabel", "QLayout", "QLineEdit",
        "QListView", "QListWidget", "QListWidgetItem", "QMainWindow", "QMessageBox", "QPlainTextEdit",
        "QPushButton", "QRadioButton", "QScrollArea", "QScrollBar", "QSizePolicy", "QSpacerItem",
        "QStackedWidget",
        "QToolButton", "QVBoxLayout", "QWidget",
    )),
):
    _WHERE.update(dict.fromkeys(_names, _module))

if TYPE_CHECKING:
    from PySide6.QtCore import (
        QAbstractListModel,
        QBuffer,
        QByteArray,
        QCoreApplication,
        QEvent,
        QIODevice,
        QLocale,
        QMarginsF,
        QModelIndex,
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
        SignalInstance,
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
        QImageReader,
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
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractScrollArea,
        QAbstractSpinBox,
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
        QListView,
        QListWidget,
        QListWidgetItem,
        QMainWindow,
        QMessageBox,
        QPlainTextEdit,
        QPushButton,
        QRadioButton,
        QScrollArea,
        QScrollBar,
        QScroller,
        QScrollerProperties,
        QSizePolicy,
        QSpacerItem,
        QStackedWidget,
        QTextEdit,
        QToolButton,
        QVBoxLayout,
        QWidget,
    )


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


__all__ = [
    "QtCore", "QtGui", "QtWidgets",
    "QAbstractListModel", "QBuffer", "QByteArray", "QCoreApplication", "QEvent", "QIODevice", "QLocale",
    "QMarginsF", "QModelIndex", "QObject", "QPoint", "QPointF", "QRect", "QRectF", "QSize", "QSizeF",
    "Qt", "QTimer", "Signal", "SignalInstance", "Slot",
    "QAccessible", "QAccessibleAnnouncementEvent", "QAccessibleEvent", "QColor", "QFont",
    "QFontDatabase", "QFontMetrics", "QGuiApplication", "QIcon", "QImage", "QImageReader", "QKeyEvent",
    "QKeySequence", "QMouseEvent", "QPageLayout", "QPageSize", "QPainter", "QPainterPath",
    "QPalette", "QPen", "QPixmap", "QShortcut", "QTextDocument",
    "QAbstractButton", "QAbstractItemView", "QAbstractScrollArea", "QAbstractSpinBox",
    "QApplication", "QButtonGroup", "QCheckBox", "QComboBox", "QDialog", "QScroller",
    "QScrollerProperties", "QTextEdit", "QFileDialog", "QFrame", "QGridLayout", "QHBoxLayout", "QLabel", "QLayout", "QLineEdit",
    "QListView", "QListWidget", "QListWidgetItem", "QMainWindow", "QMessageBox", "QPlainTextEdit",
    "QPushButton", "QRadioButton", "QScrollArea", "QScrollBar", "QSizePolicy", "QSpacerItem",
    "QStackedWidget", "QToolButton", "QVBoxLayout", "QWidget",
    "text_to_speech", "multimedia", "multimedia_widgets", "print_support", "is_valid",
]  # fmt: skip

_optional: dict[str, ModuleType | None] = {}


def is_valid(obj: Any) -> bool:
    """False once the C++ object behind ``obj`` was deleted (a closed window's widgets)."""
    import shiboken6

    return bool(shiboken6.isValid(obj))


def _immortal_none() -> None:
    """Work around a PySide6 6.12 binding bug on CPython 3.11.

    Every call of a C++ method returning ``void`` (setText, setFocus, …) drops
    one reference to ``None`` without having taken it; after a few thousand
    calls CPython aborts with "deallocating None". CPython 3.12 made None
    immortal, which hides the bug there; here the same is done by giving None
    a reference count no kiosk can use up (a billion references: None is never
    deallocated anyway). Measured, not assumed: nothing is done on a binding
    without the bug.
    """
    if sys.version_info >= (3, 12):
        return
    probe = QtCore.QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")  # a void method
    if before - sys.getrefcount(None) >= 32:
        # The same binding also loses references to True and False somewhere in
        # object teardown ("deallocating True or False" seen at exit): all three
        # singletons get the same treatment. They are never freed legitimately.
        for singleton in (None, True, False):
            ctypes.c_ssize_t.from_address(id(singleton)).value += 1_000_000_000


_immortal_none()


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


def print_support() -> Any:
    """QtPrintSupport, loaded on the first print (it is not needed to start the kiosk)."""
    from PySide6 import QtPrintSupport

    return QtPrintSupport


def multimedia() -> ModuleType | None:
    """QtMultimedia (camera), shipped in PySide6-Addons beside QtTextToSpeech."""
    return _load("QtMultimedia")


def multimedia_widgets() -> ModuleType | None:
    return _load("QtMultimediaWidgets")
