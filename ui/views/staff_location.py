"""The staff screen's "Kiosk location" section: where this kiosk stands, for ODK location
questions (config ``location``). Staff see it and change it here (behind the PIN);
technicians also have ``kiosk location set``."""

from __future__ import annotations

from typing import Any

from kiosk.i18n import t
from ui import a11y
from ui.qt import QLineEdit
from ui.widgets.common import button, show_status, text_label


def render_location(view: Any, lang: str) -> None:
    """Add the section to the staff dashboard ``view`` (ui.views.staff.StaffView)."""
    services = view.win.services
    box = view._section(t("xform.staff_location", lang))
    box.addWidget(text_label(t("xform.staff_location_hint", lang), "hint"))
    edit = QLineEdit(services.config.location)
    edit.setObjectName("staff-location")
    a11y.label(edit, t("xform.staff_location", lang), t("xform.staff_location_hint", lang))
    box.addWidget(edit)
    status = text_label("", "hint")
    status.setObjectName("staff-location-status")
    box.addWidget(status)

    def save() -> None:
        from kiosk.config import LocationProblem, location_problem_kind
        from kiosk.config_edit import set_location
        from kiosk.errors import ConfigError

        value = " ".join(edit.text().split())
        kind = location_problem_kind(value) if value else None
        if kind is not None:  # in the screen's language, never the CLI's English
            reason = t({LocationProblem.NOT_NUMBERS: "flow.location_not_numbers",
                        LocationProblem.PARTS: "flow.location_parts",
                        LocationProblem.RANGE: "flow.location_range"}[kind], lang)
            show_status(status, t("xform.staff_location_bad", lang, reason=reason), "error")
            return
        try:
            config = set_location(services.home.config_file, value)
        except ConfigError:
            show_status(status, t("flow.location_config_unreadable", lang), "error")
            return
        services.config.location = config.location
        edit.setText(config.location)
        show_status(status, t("xform.staff_location_saved", lang), "ok")

    save_btn = button(t("xform.staff_location_save", lang), t("xform.staff_location_save_desc", lang),
                      name="staff-location-save")
    save_btn.clicked.connect(save)
    box.addWidget(save_btn)
    view.controls += [edit, save_btn]
