"""The kiosk as ``kiosk`` starts it (app.start.run), locked down as in full-screen kiosk
mode, with a form open and an answer typed but its draft not yet saved; prints
``typed`` then waits for the test's signal (tests/ui/test_hand_ending.py)."""

from __future__ import annotations

import argparse
import sys

from app.start import run
from ui.app import application
from ui.qt import QApplication, QTimer
from ui.window import KioskWindow


def _type_when_ready() -> None:
    wins = [w for w in QApplication.topLevelWidgets() if isinstance(w, KioskWindow)]
    if not wins or not wins[0].isVisible():
        QTimer.singleShot(20, _type_when_ready)
        return
    win = wins[0]
    win.open_form("livestock-census")
    block = next(iter(win.form.blocks.values()))
    block.widget.edit.setText("ЖЭ78030519")  # the draft save is queued, not done
    print("typed", flush=True)


if __name__ == "__main__":
    KioskWindow.locked = True  # what app.start does for the full-screen kiosk
    application()
    QTimer.singleShot(0, _type_when_ready)
    sys.exit(run(argparse.Namespace(home=sys.argv[1], lang="mn")))
