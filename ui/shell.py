"""What the window's parts may use of the window: a typed interface, not the window.

The parts (``ui.screens``, ``ui.drafts``, ``ui.submission``, ``ui.session_end``,
``ui.idle``, the staff screen) are made by ``ui.window.KioskWindow`` and act on it.
They see it as a :class:`Shell` — the attributes and methods listed here — so they
never import the window (no import cycle) and never touch its private fields: the
screen to return to after a pause (settings, idle warning, cancel question) is kept
behind :meth:`Shell.remember_return` / :meth:`Shell.take_return`.

Only names for the type checker are imported here: nothing of the screens is loaded
before they are first shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ui.bridge import Bridge, StatusListener
    from ui.flow import Flow
    from ui.qt import QStackedWidget, QWidget, SignalInstance
    from ui.services import Services
    from ui.speech import Reader
    from ui.state import Prefs
    from ui.views.form import FormView
    from ui.views.home import HomeView
    from ui.views.panels import ConfirmView, IdleView
    from ui.views.receipt import ReceiptInfo, ReceiptView
    from ui.views.review import ReviewView


class Shell(Protocol):
    """The kiosk window as its parts see it (``KioskWindow`` is one)."""

    services: Services
    prefs: Prefs
    reader: Reader
    bridge: Bridge
    listener: StatusListener
    stack: QStackedWidget
    flow: Flow | None
    receipt: ReceiptInfo | None
    print_message: str
    stored_attachments: set[str]

    @property
    def submitted(self) -> SignalInstance: ...

    @property
    def draft_saved(self) -> SignalInstance: ...

    @property
    def wiped(self) -> SignalInstance: ...

    @property
    def home(self) -> HomeView: ...

    @property
    def form(self) -> FormView: ...

    @property
    def review(self) -> ReviewView: ...

    @property
    def receipt_view(self) -> ReceiptView: ...

    @property
    def confirm(self) -> ConfirmView: ...

    @property
    def idle(self) -> IdleView: ...

    def showing(self, name: str) -> bool: ...

    def built_screen(self, name: str) -> QWidget | None: ...

    def show_page(self, page: QWidget) -> None: ...

    def show_home(self) -> None: ...

    def refresh_current(self) -> None: ...

    def remember_return(self) -> None: ...

    def take_return(self) -> QWidget | None: ...

    def announce(self, text: str) -> None: ...

    def hide_keyboard(self) -> None: ...

    def stop_idle_countdown(self) -> None: ...

    def open_form(self, form_id: str, answers: dict[str, Any] | None = None,
                  draft_id: str | None = None, position: str | None = None,
                  kept: dict[str, Any] | None = None) -> Flow | None: ...

    def draft_job(self, flow: Flow) -> Callable[[], tuple[str, set[str]]]: ...

    def save_draft(self, flow: Flow) -> None: ...

    def show_review(self) -> None: ...

    def back_to_form(self) -> None: ...

    def change_answer(self, screen_key: str, entry_key: str) -> None: ...

    def submit(self) -> None: ...

    def finish(self) -> None: ...

    def print_receipt(self, paper: str, pdf: Any = None) -> bool: ...

    def close_settings(self) -> None: ...

    def ask_cancel(self) -> None: ...

    def keyboard_follows_page(self) -> None: ...

    def cancel_answered(self, yes: bool) -> None: ...

    def keep_session(self) -> None: ...

    def wipe(self, discard: bool = True, reason: str = "discarded") -> None: ...

    def quit_kiosk(self) -> None: ...
