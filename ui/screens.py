"""The window's screens, each built the first time it is needed.

Only the home screen is needed for the first paint; the form, review, receipt,
accessibility, confirm, idle and staff screens cost start-up time (widgets,
styles, SVGs) that a resident never waits for if they are built on first use.
Each screen becomes a page of the window's QStackedWidget when it is built, so
``kiosk screenshots`` still renders every one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ui.qt import QWidget

if TYPE_CHECKING:
    from ui.shell import Shell


class Screens:
    def __init__(self, window: Shell) -> None:
        self.win = window
        self._built: dict[str, QWidget] = {}
        self._builders: dict[str, Callable[[], QWidget]] = {
            "home": self._home, "form": self._form, "review": self._review,
            "receipt_view": self._receipt, "settings": self._settings, "confirm": self._confirm,
            "idle": self._idle, "staff": self._staff,
        }

    def get(self, name: str) -> QWidget:
        """The screen, built (and added to the stack) now if it was not yet."""
        page = self._built.get(name)
        if page is None:
            page = self._builders[name]()
            self._built[name] = page
            self.win.stack.addWidget(page)
        return page

    def built(self, name: str) -> QWidget | None:
        """The screen if it exists already; never builds it."""
        return self._built.get(name)

    def name_of(self, page: QWidget | None) -> str | None:
        return next((name for name, built in self._built.items() if built is page), None)

    # -- builders: each makes one screen and wires it to the window ------------------------
    def _home(self) -> QWidget:
        from ui.views.home import HomeView

        return HomeView(self.win.open_form)

    def _form(self) -> QWidget:
        from ui.views.form import FormView

        win = self.win
        view = FormView(win.prefs, win.reader, win.save_draft)
        view.max_attachment_kb = win.services.config.max_attachment_kb
        view.scans_folder = win.services.config.scans_folder
        view.location = win.services.config.location
        view.to_review.connect(win.show_review)
        view.cancelled.connect(win.ask_cancel)
        view.rendered.connect(win.keyboard_follows_page)
        return view

    def _review(self) -> QWidget:
        from ui.views.review import ReviewView

        win = self.win
        view = ReviewView()
        view.change.connect(win.change_answer)
        view.back.connect(win.back_to_form)
        view.submit.connect(win.submit)
        return view

    def _receipt(self) -> QWidget:
        from ui.views.receipt import ReceiptView

        win = self.win
        view = ReceiptView()
        view.finish.connect(win.finish)
        view.print_receipt.connect(win.print_receipt)
        return view

    def _settings(self) -> QWidget:
        from ui.views.panels import AccessibilityView

        view = AccessibilityView(self.win.prefs, self.win.reader)
        view.done.connect(self.win.close_settings)
        return view

    def _confirm(self) -> QWidget:
        from ui.views.panels import ConfirmView

        view = ConfirmView()
        view.answered.connect(self.win.cancel_answered)
        return view

    def _idle(self) -> QWidget:
        from ui.views.panels import IdleView

        view = IdleView()
        view.keep.connect(self.win.keep_session)
        return view

    def _staff(self) -> QWidget:
        from ui.views.staff import StaffView

        return StaffView(self.win)
