"""Qt's console messages without the known-harmless noise.

On a desktop the kiosk window makes Qt print "This plugin does not support
propagateSizeHints()" for every top-level resize, and QtMultimedia lists every
optional library it could not find (pipewire, VA-API) and its FFmpeg version —
hundreds of lines in a technician's terminal that hide the one that matters.
Those exact messages are dropped; every other message, and every critical or
fatal one whatever it says, still reaches stderr in Qt's own format. The user's
``QT_LOGGING_RULES`` still wins over the rules set here (Qt applies it last).
"""

from __future__ import annotations

import sys
from typing import Any

from ui.qt import QtCore

#: Logging-category rules: optional multimedia back-ends that are absent, and FFmpeg's banner.
RULES = "\n".join([
    "qt.multimedia.symbolsresolver.warning=false",
    "qt.multimedia.ffmpeg.info=false",
])
#: Exact warning texts that say nothing actionable.
HARMLESS = ("This plugin does not support propagateSizeHints()",)

_installed = False


def is_harmless(kind: Any, category: str | None, message: str) -> bool:
    if kind in (QtCore.QtMsgType.QtCriticalMsg, QtCore.QtMsgType.QtFatalMsg):
        return False
    return message.strip() in HARMLESS


def _handler(kind: Any, context: Any, message: str) -> None:
    category = getattr(context, "category", None) or None
    if is_harmless(kind, category, message):
        return
    prefix = f"{category}: " if category and category != "default" else ""
    try:
        sys.stderr.write(f"{prefix}{message}\n")
    except (OSError, ValueError):  # stderr closed (a detached kiosk session)
        pass


def install() -> None:
    """Filter Qt's console output for this process (the real kiosk, the demo, screenshots)."""
    global _installed
    if _installed:
        return
    _installed = True
    QtCore.QLoggingCategory.setFilterRules(RULES)
    QtCore.qInstallMessageHandler(_handler)
