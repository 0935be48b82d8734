"""Typed entries: text, numbers, phone, postal code, registry number, date."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from kiosk.i18n import t
from kiosk.validators import parse_registry_number
from ui import a11y
from ui.qt import QHBoxLayout, QLineEdit, QPlainTextEdit, QtGui, QWidget
from ui.widgets.base import Context, QuestionWidget
from ui.widgets.common import button, restyle, text_label


def format_date(value: str | date | None, lang: str) -> str:
    """Mongolian y.MM.dd (2020.05.17); English 17 May 2020 style is avoided for one format."""
    if not value:
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(str(value))
    if lang == "mn":
        return f"{d.year}.{d.month:02d}.{d.day:02d}"
    return d.strftime("%d %b %Y").lstrip("0")


def line_edit(description: str, name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setClearButtonEnabled(False)
    a11y.label(edit, name, description)
    return edit


LONG_TEXT = 200  # an answer allowed longer than this gets a field of several lines
_MAX_LENGTH = re.compile(r"string-length\(\s*\.\s*\)\s*(<=?)\s*(\d+)")
_MIN_LENGTH = re.compile(r"string-length\(\s*\.\s*\)\s*>=?\s*(\d+)")


def long_answer(question: Any) -> bool:
    """Multi-line: asked for (appearance), allowed over LONG_TEXT characters by the
    constraint, or a description with a least length and no most (a petition's body)."""
    if (getattr(question, "appearance", None) or "") == "multiline":
        return True
    constraint = str(getattr(question, "constraint", None) or "")
    most = _MAX_LENGTH.search(constraint)
    if most is not None:
        return int(most.group(2)) - (most.group(1) == "<") > LONG_TEXT
    least = _MIN_LENGTH.search(constraint)
    return least is not None and int(least.group(1)) >= 10


class TextWidget(QuestionWidget):
    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        desc = t("ui.text_input_desc", ctx.lang)
        self.multiline = long_answer(question)
        self.edit: QLineEdit | QPlainTextEdit
        if self.multiline:
            self.edit = QPlainTextEdit()
            self.edit.setTabChangesFocus(True)
            a11y.label(self.edit, ctx.label, desc)
            self.edit.textChanged.connect(self._emit)
        else:
            self.edit = line_edit(desc, ctx.label)
            self.edit.textChanged.connect(self._emit)
        self.edit.setReadOnly(ctx.read_only)
        self.box.addWidget(self.edit)

    def value(self) -> Any:
        text = self.edit.toPlainText() if isinstance(self.edit, QPlainTextEdit) else self.edit.text()
        return text.strip() or None

    def _show(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if isinstance(self.edit, QPlainTextEdit):
            self.edit.setPlainText(text)
        else:
            self.edit.setText(text)

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit]


# A constraint that holds the number at or above a non-negative bound (". >= 0 and ...").
_NOT_NEGATIVE = re.compile(r"^\s*\.\s*>=?\s*\d+(\.\d+)?\s*(\band\b|$)")


def pad_keys(question: Any) -> str:
    """The number pad's keys for a question: digits; "-" unless its constraint keeps the
    number at or above zero (no " or " to escape it); "." for a decimal; "+" for a phone."""
    kind = question.type
    if kind in ("phone",):
        return "0123456789+"
    if kind not in ("integer", "decimal"):
        return "0123456789"
    constraint = str(getattr(question, "constraint", None) or "")
    negative = not (_NOT_NEGATIVE.search(constraint) and " or " not in constraint)
    return "0123456789" + ("-" if negative else "") + ("." if kind == "decimal" else "")


class NumberWidget(QuestionWidget):
    """Integer, decimal, phone and postal code: digits, with the numeric keypad."""

    PATTERNS = {
        "integer": r"-?[0-9]{0,12}",
        "decimal": r"-?[0-9]{0,12}([.,][0-9]{0,6})?",
        "phone": r"[+0-9 \-]{0,16}",
        "postal_code": r"[0-9]{0,5}",
    }

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        kind = question.type
        desc = {
            "phone": t("ui.phone_hint", ctx.lang),
            "postal_code": t("ui.postal_hint", ctx.lang),
        }.get(kind, t("ui.number_input_desc", ctx.lang))
        self.edit = line_edit(desc, ctx.label)
        self.edit.setValidator(_regex_validator(self.PATTERNS[kind], self.edit))
        self.edit.setProperty("keypad", "numeric")
        self.edit.setProperty("keypadKeys", pad_keys(question))
        self.edit.setReadOnly(ctx.read_only)
        self.edit.textChanged.connect(self._emit)
        if kind in ("phone", "postal_code"):
            self.box.addWidget(text_label(desc, "hint"))
        self.box.addWidget(self.edit)

    def value(self) -> Any:
        text = self.edit.text().strip()
        if not text:
            return None
        kind = self.question.type
        try:
            if kind == "integer":
                return int(text)
            if kind == "decimal":
                return float(text.replace(",", "."))
        except ValueError:
            return text  # the engine reports it in plain words
        return text

    def _show(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit]

def _regex_validator(pattern: str, parent: QWidget) -> QtGui.QValidator:
    from ui.qt import QtCore

    return QtGui.QRegularExpressionValidator(QtCore.QRegularExpression(pattern), parent)


class RegistryWidget(QuestionWidget):
    """РД with a format hint, feedback as it is typed, and derived birth date/sex."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        hint = t("ui.registry_hint", ctx.lang)
        self.box.addWidget(text_label(hint, "hint"))
        self.edit = line_edit(hint, ctx.label)
        self.edit.setMaxLength(14)
        self.edit.setProperty("keypad", "registry")  # on-screen keys: 2 letters, then digits
        self.edit.setReadOnly(ctx.read_only)
        self.edit.textChanged.connect(self._edited)
        self.feedback = text_label("", "hint")
        self.feedback.setObjectName("registryFeedback")
        self.box.addWidget(self.edit)
        self.box.addWidget(self.feedback)

    def _edited(self, _text: str = "") -> None:
        self._refresh()
        self._emit()

    def _refresh(self) -> None:
        raw = self.edit.text()
        compact = re.sub(r"[\s\-]", "", raw)
        if not compact:
            text, role = "", "hint"
        else:
            info = parse_registry_number(raw)
            if isinstance(info, str):
                if len(compact) < 10 and info == "rd_format":
                    text = t("ui.registry_incomplete", self.lang, count=len(compact))
                    role = "hint"
                else:
                    text = t(f"validators.{info}", self.lang)
                    if text == f"validators.{info}":
                        text = t("ui.registry_bad", self.lang)
                    role = "error"
            else:
                sex = t(f"ui.sex_{info.sex}", self.lang)
                text = t("ui.registry_ok", self.lang, date=format_date(info.birth_date, self.lang), sex=sex)
                role = "ok"
        self.feedback.setText(text)
        restyle(self.feedback, "role", role)
        self.error_shown(getattr(self, "_error_shown", False))
        self.edit.setAccessibleDescription(
            f"{t('ui.registry_hint', self.lang)} {self.feedback.text()}".strip()
        )

    def value(self) -> Any:
        text = self.edit.text().strip()
        return text or None

    def error_shown(self, on: bool) -> None:
        # Never a green "correct" beside a red error, nor the same problem said twice.
        self._error_shown = on
        self.feedback.setVisible(not (on and self.feedback.property("role") in ("ok", "error")))

    def _show(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))
        self._refresh()

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit]

    def speakable(self) -> str:
        return self.feedback.text()


class DateWidget(QuestionWidget):
    """Year, month and day as big fields with − and + buttons (touch, keyboard or keypad)."""

    PARTS = (("year", 4), ("month", 2), ("day", 2))

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.box.addWidget(text_label(t("ui.date_hint", ctx.lang), "hint"))
        self.fields: dict[str, QLineEdit] = {}
        self._focus: list[QWidget] = []
        for part, width in self.PARTS:
            part_name = t(f"ui.date_{part}", ctx.lang)
            row_host = QWidget()
            row = QHBoxLayout(row_host)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(12)
            caption = text_label(part_name, "", wrap=False)
            caption.setMinimumWidth(int(ctx.scale / 100 * 90))
            minus = button("−", f"{part_name} −1", name=f"date-{part}-minus")
            plus = button("+", f"{part_name} +1", name=f"date-{part}-plus")
            edit = line_edit(t("ui.date_part_desc", ctx.lang, part=part_name), f"{ctx.label}: {part_name}")
            edit.setObjectName(f"date-{part}")
            edit.setMaxLength(width)
            edit.setValidator(_regex_validator(rf"[0-9]{{0,{width}}}", edit))
            edit.setProperty("keypad", "numeric")
            edit.setFixedWidth(int((width * 26 + 60) * ctx.scale / 100))
            edit.setReadOnly(ctx.read_only)
            edit.textChanged.connect(self._edited)
            minus.clicked.connect(lambda _=False, p=part: self._step(p, -1))
            plus.clicked.connect(lambda _=False, p=part: self._step(p, +1))
            caption.setBuddy(edit)
            row.addWidget(caption)
            row.addWidget(minus)
            row.addWidget(edit)
            row.addWidget(plus)
            row.addStretch(1)
            self.box.addWidget(row_host)
            self.fields[part] = edit
            self._focus += [minus, edit, plus]
        self.shown = text_label("", "hint")
        self.box.addWidget(self.shown)

    def _step(self, part: str, delta: int) -> None:
        today = date.today()
        defaults = {"year": today.year, "month": today.month, "day": today.day}
        text = self.fields[part].text()
        current = int(text) if text.isdigit() else defaults[part]
        limits = {"year": (1900, today.year + 20), "month": (1, 12), "day": (1, 31)}
        lo, hi = limits[part]
        new = current + delta
        if new < lo:
            new = hi if part != "year" else lo
        elif new > hi:
            new = lo if part != "year" else hi
        width = 4 if part == "year" else 2
        self.fields[part].setText(f"{new:0{width}d}")
        self._edited()

    def _parts(self) -> tuple[str, str, str]:
        return tuple(self.fields[p].text().strip() for p, _ in self.PARTS)  # type: ignore[return-value]

    def _edited(self, _text: str = "") -> None:
        self._refresh()
        self._emit()

    def _refresh(self) -> None:
        y, m, d = self._parts()
        iso = self._iso()
        if iso:
            self.shown.setText(t("ui.date_shown", self.lang, date=format_date(iso, self.lang)))
            self.local_error.emit("")
        elif y and m and d and len(y) == 4:
            self.shown.setText("")
            self.local_error.emit(t("ui.date_invalid", self.lang))
        else:
            self.shown.setText("")
            self.local_error.emit("")

    def _iso(self) -> str | None:
        y, m, d = self._parts()
        if not (len(y) == 4 and m and d):
            return None
        try:
            return date(int(y), int(m), int(d)).isoformat()
        except ValueError:
            return None

    def value(self) -> Any:
        return self._iso()

    def _show(self, value: Any) -> None:
        if value:
            d = date.fromisoformat(str(value))
            self.fields["year"].setText(f"{d.year:04d}")
            self.fields["month"].setText(f"{d.month:02d}")
            self.fields["day"].setText(f"{d.day:02d}")
        else:
            for edit in self.fields.values():
                edit.setText("")
        self._refresh()

    def focus_widgets(self) -> list[QWidget]:
        return list(self._focus)
