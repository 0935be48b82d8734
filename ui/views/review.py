"""Review: every answer with a "change" link, then Submit.

The form's texts (title, labels, chosen names) are in the form's language the resident
picked, as on its screens; the kiosk's own words stay in the kiosk's language."""

from __future__ import annotations

from kiosk.i18n import t
from ui import a11y
from ui.flow import Flow
from ui.qt import QFrame, QGridLayout, QPushButton, Qt, QVBoxLayout, QWidget, Signal
from ui.widgets.common import Page, button, button_bar, show_status, text_label


class ReviewView(QWidget):
    change = Signal(str, str)  # screen key, entry key
    submit = Signal()
    back = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("screen")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.page = Page()
        outer.addWidget(self.page, 1)
        self.back_btn = button("", "", name="review-back")
        self.submit_btn = button("", "", "primary", name="submit")
        self.back_btn.clicked.connect(self.back.emit)
        self.submit_btn.clicked.connect(self.submit.emit)
        button_bar(outer, [self.back_btn], [self.submit_btn])
        self.links: list[QPushButton] = []
        self.status = text_label("", "hint")

    def present(self, flow: Flow, lang: str,
               errors: dict[str, str] | None = None) -> None:
        self.page.clear()
        self.links = []
        col = self.page.column
        tl = flow.text_lang(lang)  # the form's texts in the language the resident chose for it
        col.addWidget(text_label(flow.title(tl), "hint"))
        col.addWidget(text_label(t("ui.review_title", lang), "title"))
        col.addWidget(text_label(t("ui.review_intro", lang), "hint"))
        errors = errors if errors is not None else {}
        if errors:
            col.addWidget(text_label(t("ui.review_incomplete", lang), "error"))
        card = QFrame()
        card.setProperty("role", "card")
        grid = QGridLayout(card)
        grid.setContentsMargins(20, 16, 20, 16)
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(14)
        for r, (entry_key, label, shown, screen_key) in enumerate(flow.review_rows(tl)):
            name = text_label(label, "hint")
            value = text_label(shown or t("ui.review_empty", lang))
            value.setObjectName(f"review-value-{entry_key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            link = button(t("ui.review_change", lang), t("ui.review_change_desc", lang, label=label), "link",
                          name=f"change-{entry_key}")
            link.clicked.connect(lambda _=False, s=screen_key, e=entry_key: self.change.emit(s, e))
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addWidget(name)
            cell.addWidget(value)
            if entry_key in errors:
                cell.addWidget(text_label(errors[entry_key], "error"))
            grid.addLayout(cell, r, 0)
            grid.addWidget(link, r, 1, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight)
            self.links.append(link)
        grid.setColumnStretch(0, 1)
        col.addWidget(card)
        self.status = text_label("", "hint")
        self.status.hide()
        col.addWidget(self.status)
        col.addStretch(1)
        self.page.show_all()
        self.back_btn.setText(t("ui.form_back", lang))
        a11y.label(self.back_btn, self.back_btn.text(), t("ui.form_back_desc", lang))
        self.submit_btn.setText(t("ui.review_submit", lang))
        a11y.label(self.submit_btn, self.submit_btn.text(), t("ui.review_submit_desc", lang))
        self.submit_btn.setEnabled(True)
        a11y.chain_focus([*self.links, self.back_btn, self.submit_btn])
        self.submit_btn.setFocus()

    def show_status(self, text: str, role: str = "hint") -> None:
        show_status(self.status, text, role)

    def focus_order(self) -> list[QWidget]:
        return [*self.links, self.back_btn, self.submit_btn]
