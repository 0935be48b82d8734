"""Choosing: one of many, several of many, big yes/no, consent, aimag → soum."""

from __future__ import annotations

from typing import Any

from kiosk.forms.model import QuestionType
from kiosk.i18n import t
from ui import a11y
from ui.qt import QGridLayout, QHBoxLayout, Qt, QWidget
from ui.widgets.base import Context, QuestionWidget
from ui.widgets.chooser import TouchCombo
from ui.widgets.common import WrapButton, button, text_label


def exclusive(buttons: Any, chosen: Any) -> None:
    """One choice at a time, without QButtonGroup: a group is ONE Tab stop in Qt,
    and a switch user (Tab/Space) must be able to reach every choice."""
    for b in buttons:
        if b is not chosen and b.isChecked():
            b.blockSignals(True)
            b.setChecked(False)
            b.blockSignals(False)
            b._on_toggled(False)


def keep_chosen(btn: Any, on: bool) -> bool:
    """A tap on the chosen one of a single choice (a pre-set default, a double tap) keeps
    it chosen: only "Clear answer" empties the question. False when the tap was undone."""
    if on:
        return True
    btn.blockSignals(True)
    btn.setChecked(True)
    btn.blockSignals(False)
    btn._on_toggled(True)
    return False


class Clearable:
    """An optional single choice's "Clear answer" button, under its choices (a tap on
    a chosen one never empties it; this does, on purpose)."""

    buttons: Any
    box: Any
    ctx: Context
    _emit: Any

    def add_clear(self) -> None:
        self.clear_btn = None
        if self.ctx.required or self.ctx.read_only:
            return
        self.clear_btn = button(t("flow.choice_clear", self.ctx.lang), t("flow.choice_clear_desc", self.ctx.lang),
                                name="choice-clear")
        self.clear_btn.clicked.connect(self.clear)
        self.box.addWidget(self.clear_btn, 0, Qt.AlignmentFlag.AlignLeft)

    def clear(self) -> None:
        for b in self.buttons.values():
            if b.isChecked():
                b.blockSignals(True)
                b.setChecked(False)
                b.blockSignals(False)
                b._on_toggled(False)
        self.sync_clear()
        self._emit()

    def sync_clear(self) -> None:
        if self.clear_btn is not None:
            self.clear_btn.setEnabled(any(b.isChecked() for b in self.buttons.values()))

    def clear_focus(self) -> list[QWidget]:
        return [self.clear_btn] if self.clear_btn is not None else []


def _choice_text(choice: Any, lang: str) -> str:
    if hasattr(choice, "text"):
        return str(choice.text(lang))
    from kiosk.i18n import pick

    return pick(choice.get("label"), lang) or str(choice.get("value"))


def _choice_value(choice: Any) -> str:
    return str(choice.value if hasattr(choice, "value") else choice.get("value"))


class ChoiceWidget(Clearable, QuestionWidget):
    """select_one (exclusive) and select_multiple: one big button per choice."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.multiple = question.type == QuestionType.SELECT_MULTIPLE
        key = "ui.choose_many_hint" if self.multiple else "ui.choose_one_hint"
        self.box.addWidget(text_label(t(key, ctx.lang), "hint"))
        self.buttons: dict[str, WrapButton] = {}
        choices = ctx.choices if ctx.choices else list(getattr(question, "choice_list", []))
        two_columns = ctx.scale <= 100 and len(choices) > 4
        host = QWidget()
        grid = QGridLayout(host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        for i, choice in enumerate(choices):
            text = _choice_text(choice, ctx.lang)
            btn = WrapButton(text, t("ui.choice_desc", ctx.lang, label=text), "choice", checkable=True)
            btn.setObjectName(f"choice-{_choice_value(choice)}")
            btn.setEnabled(not ctx.read_only)
            btn.toggled.connect(lambda on, b=btn: self._toggled(b, on))
            if two_columns:
                grid.addWidget(btn, i // 2, i % 2)
            else:
                grid.addWidget(btn, i, 0)
            self.buttons[_choice_value(choice)] = btn
        self.box.addWidget(host)
        self.clear_btn = None
        if not self.multiple:
            self.add_clear()

    def _toggled(self, btn: WrapButton, on: bool) -> None:
        if self._loading:
            return
        if not self.multiple and not keep_chosen(btn, on):
            return
        if on and not self.multiple:
            exclusive(self.buttons.values(), btn)
        self.sync_clear()
        self._emit()

    def value(self) -> Any:
        chosen = [v for v, b in self.buttons.items() if b.isChecked()]
        if self.multiple:
            return chosen or None
        return chosen[0] if chosen else None

    def _show(self, value: Any) -> None:
        wanted = set(value or []) if self.multiple else {value}
        for v, b in self.buttons.items():
            b.setChecked(v in wanted)
        self.sync_clear()

    def focus_widgets(self) -> list[QWidget]:
        return [*self.buttons.values(), *self.clear_focus()]

    def speakable(self) -> str:
        return ". ".join(b.text_value() for b in self.buttons.values())


class YesNoWidget(Clearable, QuestionWidget):
    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(24)
        self.buttons: dict[bool, WrapButton] = {}
        for val, key in ((True, "ui.yes"), (False, "ui.no")):
            text = t(key, ctx.lang)
            btn = WrapButton(text, f"{ctx.label}: {text}", "choice", checkable=True)
            btn.setObjectName("yes" if val else "no")
            btn.setMinimumHeight(int(96 * max(ctx.scale, 100) / 100))
            btn.setEnabled(not ctx.read_only)
            btn.toggled.connect(lambda on, b=btn: self._toggled(b, on))
            row.addWidget(btn, 1)
            self.buttons[val] = btn
        self.box.addWidget(host)
        self.add_clear()

    def value(self) -> Any:
        for val, b in self.buttons.items():
            if b.isChecked():
                return val
        return None

    def _toggled(self, btn: WrapButton, on: bool) -> None:
        if self._loading or not keep_chosen(btn, on):
            return
        exclusive(self.buttons.values(), btn)
        self.sync_clear()
        self._emit()

    def _show(self, value: Any) -> None:
        for val, b in self.buttons.items():
            b.setChecked(value is val)
        self.sync_clear()

    def focus_widgets(self) -> list[QWidget]:
        return [*self.buttons.values(), *self.clear_focus()]

    def speakable(self) -> str:
        return f"{t('ui.yes', self.lang)}. {t('ui.no', self.lang)}"


class ConsentWidget(QuestionWidget):
    """The statement is the question's label/hint; one big "I agree" toggle."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        text = t("ui.consent_agree", ctx.lang)
        self.agree = WrapButton(text, t("ui.consent_agree_desc", ctx.lang), "choice", checkable=True)
        self.agree.setObjectName("consent-agree")
        self.agree.setEnabled(not ctx.read_only)
        self.agree.toggled.connect(lambda _on=False: self._emit())
        self.box.addWidget(self.agree)

    def value(self) -> Any:
        return True if self.agree.isChecked() else None

    def _show(self, value: Any) -> None:
        self.agree.setChecked(value is True)

    def focus_widgets(self) -> list[QWidget]:
        return [self.agree]


class AimagSoumWidget(QuestionWidget):
    """Aimag first; the soum list follows it. Stores codes, shows names."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        from kiosk.admin_units import admin_units

        self.units = admin_units()
        self.aimag = TouchCombo(ctx.lang, ctx.scale)  # a full-screen chooser for a finger
        self.soum = TouchCombo(ctx.lang, ctx.scale)
        for combo, key, desc in (
            (self.aimag, "ui.aimag", "ui.aimag_desc"),
            (self.soum, "ui.soum", "ui.soum_desc"),
        ):
            caption = text_label(t(key, ctx.lang), "hint")
            caption.setBuddy(combo)
            a11y.label(combo, f"{ctx.label}: {t(key, ctx.lang)}", t(desc, ctx.lang))
            a11y.pickable(combo)
            combo.setEnabled(not ctx.read_only)
            combo.setMaxVisibleItems(8)
            self.box.addWidget(caption)
            self.box.addWidget(combo)
        self.aimag.addItem(t("ui.choose_placeholder", ctx.lang), "")
        for unit in self.units.aimags:
            self.aimag.addItem(unit.name(ctx.lang), unit.code)
        self._fill_soums("")
        self.aimag.currentIndexChanged.connect(self._aimag_changed)
        self.soum.currentIndexChanged.connect(lambda _i: self._emit())

    def _fill_soums(self, aimag_code: str, keep: str = "") -> None:
        self.soum.blockSignals(True)
        self.soum.clear()
        self.soum.addItem(t("ui.choose_placeholder", self.lang), "")
        for unit in self.units.soums(aimag_code) if aimag_code else ():
            self.soum.addItem(unit.name(self.lang), unit.code)
        index = self.soum.findData(keep) if keep else 0
        self.soum.setCurrentIndex(max(index, 0))
        self.soum.setEnabled(bool(aimag_code) and not self.ctx.read_only)
        self.soum.blockSignals(False)

    def _aimag_changed(self, _index: int) -> None:
        self._fill_soums(str(self.aimag.currentData() or ""))
        self._emit()

    def value(self) -> Any:
        aimag = str(self.aimag.currentData() or "")
        soum = str(self.soum.currentData() or "")
        if not aimag:
            return None
        return {"aimag": aimag, "soum": soum} if soum else {"aimag": aimag}

    def _show(self, value: Any) -> None:
        value = value or {}
        aimag = str(value.get("aimag", "")) if isinstance(value, dict) else ""
        soum = str(value.get("soum", "")) if isinstance(value, dict) else ""
        self.aimag.blockSignals(True)
        self.aimag.setCurrentIndex(max(self.aimag.findData(aimag), 0))
        self.aimag.blockSignals(False)
        self._fill_soums(aimag, soum)

    def focus_widgets(self) -> list[QWidget]:
        return [self.aimag, self.soum]
