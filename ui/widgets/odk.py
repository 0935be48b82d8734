"""Inputs for the question types that come from ODK forms: time, date and time, the kiosk's
location (geopoint), range, rank and acknowledge; and ``appearance=numbers`` text.

Touch first, like the kiosk's own widgets: big buttons, − and + steps, the numeric keypad.
A kiosk does not move, so a geopoint is answered with the location the technician set in
the config (``location``): the resident sees it and confirms it with one press.
"""

from __future__ import annotations

import re
from typing import Any

from kiosk.forms.model import QuestionType
from kiosk.i18n import t
from ui.qt import QHBoxLayout, QLabel, QLineEdit, QWidget
from ui.widgets.base import Context, QuestionWidget
from ui.widgets.common import WrapButton, button, text_label
from ui.widgets.inputs import DateWidget, TextWidget, _regex_validator, line_edit


class NumbersTextWidget(TextWidget):
    """Text of digits (``appearance=numbers``: a code, a door number): the numeric keypad."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        if isinstance(self.edit, QLineEdit):
            self.edit.setValidator(_regex_validator(r"[-+0-9., ]{0,64}", self.edit))
            self.edit.setProperty("keypad", "numeric")

class TimeWidget(QuestionWidget):
    """Hours and minutes as two fields with − and + (the value is HH:MM:SS)."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.box.addWidget(text_label(t("xform.time_hint", ctx.lang), "hint"))
        self.fields: dict[str, QLineEdit] = {}
        self._focus: list[QWidget] = []
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        for part, top in (("hour", 23), ("minute", 59)):
            name = t(f"xform.time_{part}", ctx.lang)
            minus = button("−", f"{name} −1", name=f"time-{part}-minus")
            plus = button("+", f"{name} +1", name=f"time-{part}-plus")
            edit = line_edit(name, f"{ctx.label}: {name}")
            edit.setObjectName(f"time-{part}")
            edit.setMaxLength(2)
            edit.setValidator(_regex_validator(r"[0-9]{0,2}", edit))
            edit.setProperty("keypad", "numeric")
            edit.setFixedWidth(int(110 * ctx.scale / 100))
            edit.setReadOnly(ctx.read_only)
            edit.textChanged.connect(lambda _t: self._emit())
            minus.clicked.connect(lambda _=False, p=part, hi=top: self._step(p, -1, hi))
            plus.clicked.connect(lambda _=False, p=part, hi=top: self._step(p, +1, hi))
            for w in (minus, edit, plus):
                row.addWidget(w)
            if part == "hour":
                row.addWidget(text_label(":", "", wrap=False))
            self.fields[part] = edit
            self._focus += [minus, edit, plus]
        row.addStretch(1)
        self.box.addWidget(host)

    def _step(self, part: str, delta: int, top: int) -> None:
        text = self.fields[part].text()
        current = int(text) if text.isdigit() else 0
        self.fields[part].setText(f"{(current + delta) % (top + 1):02d}")
        self._emit()

    def value(self) -> Any:
        h, m = self.fields["hour"].text().strip(), self.fields["minute"].text().strip()
        if not h and not m:
            return None
        return f"{h or '0'}:{(m or '0').zfill(2)}"

    def _show(self, value: Any) -> None:
        m = re.match(r"(\d{1,2}):(\d{2})", str(value or ""))
        self.fields["hour"].setText(f"{int(m.group(1)):02d}" if m else "")
        self.fields["minute"].setText(m.group(2) if m else "")

    def focus_widgets(self) -> list[QWidget]:
        return list(self._focus)

class DateTimeWidget(QuestionWidget):
    """The date widget, then the time widget (value ``YYYY-MM-DDTHH:MM:SS``)."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.date = DateWidget(question, ctx)
        self.time = TimeWidget(question, ctx)
        for part in (self.date, self.time):
            part.changed.connect(self._emit)
            part.local_error.connect(self.local_error)
            self.box.addWidget(part)

    def value(self) -> Any:
        d, clock = self.date.value(), self.time.value()
        if not d and not clock:
            return None
        if not d or not clock:
            return f"{d or ''} {clock or ''}".strip()  # incomplete: the engine says what is missing
        return f"{d}T{clock}"

    def _show(self, value: Any) -> None:
        text = str(value or "")
        self.date.set_value(text[:10] if len(text) >= 10 else None)
        self.time.set_value(text[11:] if len(text) > 11 else None)

    def focus_widgets(self) -> list[QWidget]:
        return self.date.focus_widgets() + self.time.focus_widgets()

class GeopointWidget(QuestionWidget):
    """"This kiosk is here": the configured location, confirmed with one press."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.location = (ctx.location or "").strip()
        if self.location:
            lat, lon = self.location.split()[:2]
            self.box.addWidget(text_label(t("xform.geopoint_here", ctx.lang, lat=lat, lon=lon), "hint"))
            self.use: WrapButton | None = WrapButton(t("xform.geopoint_use", ctx.lang),
                                                     t("xform.geopoint_use_desc", ctx.lang),
                                  "choice", checkable=True)
            self.use.setObjectName("geopoint-use")
            self.use.setEnabled(not ctx.read_only)
            self.use.toggled.connect(lambda _on: self._emit())
            self.box.addWidget(self.use)
        else:
            self.use = None
            self.box.addWidget(text_label(t("xform.geopoint_unset", ctx.lang), "error"))

    def value(self) -> Any:
        return self.location if self.use is not None and self.use.isChecked() else None

    def _show(self, value: Any) -> None:
        if self.use is not None:
            self.use.setChecked(bool(value))

    def focus_widgets(self) -> list[QWidget]:
        return [self.use] if self.use is not None else []


class RangeWidget(QuestionWidget):
    """A number between start and end, moved by its step with big − and + buttons."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        params = getattr(question, "params", {}) or {}
        self.start = params.get("start", 0)
        self.end = params.get("end", 10)
        self.step = params.get("step", 1) or 1
        self.box.addWidget(text_label(t("xform.range_hint", ctx.lang, start=_fmt(self.start),
                                        end=_fmt(self.end)), "hint"))
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        self.minus = button("−", t("xform.range_less", ctx.lang), name="range-minus")
        self.plus = button("+", t("xform.range_more", ctx.lang), name="range-plus")
        self.shown = text_label("", "question", wrap=False)
        self.shown.setObjectName("range-value")
        self.minus.clicked.connect(lambda: self._move(-1))
        self.plus.clicked.connect(lambda: self._move(+1))
        self.minus.setEnabled(not ctx.read_only)
        self.plus.setEnabled(not ctx.read_only)
        for w in (self.minus, self.shown, self.plus):
            row.addWidget(w)
        row.addStretch(1)
        self.box.addWidget(host)
        self.current: float | None = None

    def _move(self, direction: int) -> None:
        lo, hi = min(self.start, self.end), max(self.start, self.end)
        sign = 1 if self.end >= self.start else -1
        if self.current is None:
            new = self.start
        else:
            new = self.current + direction * sign * self.step
        self.current = min(max(new, lo), hi)
        self.shown.setText(_fmt(self.current))
        self._emit()

    def value(self) -> Any:
        return self.current

    def _show(self, value: Any) -> None:
        self.current = value if isinstance(value, (int, float)) else None
        self.shown.setText("" if self.current is None else _fmt(self.current))

    def focus_widgets(self) -> list[QWidget]:
        return [self.minus, self.plus]


class RankWidget(QuestionWidget):
    """Every choice in order: one row per place, with "up" and "down" buttons that move the
    choice in that place (the rows stay, so the pressed button keeps the focus)."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.box.addWidget(text_label(t("xform.rank_hint", ctx.lang), "hint"))
        choices = ctx.choices if ctx.choices else list(getattr(question, "choice_list", []))
        self.labels = {str(c.value): (c.text(ctx.lang) if hasattr(c, "text") else str(c.label))
                       for c in choices}
        self.order: list[str] = list(self.labels)
        self.touched = False
        self.read_only = ctx.read_only
        self.rows: list[tuple[Any, Any, Any]] = []
        self._focus: list[QWidget] = []
        for i in range(len(self.order)):
            host = QWidget()
            row = QHBoxLayout(host)
            row.setContentsMargins(0, 0, 0, 0)
            label = text_label("", "")
            label.setObjectName(f"rank-label-{i + 1}")
            up = button("▲", "", name=f"rank-up-{i + 1}")
            down = button("▼", "", name=f"rank-down-{i + 1}")
            up.clicked.connect(lambda _=False, k=i: self._swap(k, k - 1))
            down.clicked.connect(lambda _=False, k=i: self._swap(k, k + 1))
            row.addWidget(label, 1)
            row.addWidget(up)
            row.addWidget(down)
            self.box.addWidget(host)
            self.rows.append((label, up, down))
            self._focus += [up, down]
        self._refresh()

    def _refresh(self) -> None:
        from ui import a11y

        last = len(self.order) - 1
        for i, (label, up, down) in enumerate(self.rows):
            text = self.labels[self.order[i]]
            label.setText(f"{i + 1}. {text}")
            up.setEnabled(i > 0 and not self.read_only)
            down.setEnabled(i < last and not self.read_only)
            a11y.label(up, "▲", t("xform.rank_up", self.lang, label=text))
            a11y.label(down, "▼", t("xform.rank_down", self.lang, label=text))

    def position(self, value: str) -> int:
        """1-based place of ``value`` now."""
        return self.order.index(value) + 1

    def _swap(self, a: int, b: int) -> None:
        if not (0 <= a < len(self.order) and 0 <= b < len(self.order)):
            return
        self.order[a], self.order[b] = self.order[b], self.order[a]
        self.touched = True
        self._refresh()
        self._emit()

    def value(self) -> Any:
        return list(self.order) if self.touched else None

    def _show(self, value: Any) -> None:
        if isinstance(value, list) and sorted(value) == sorted(self.labels):
            self.order, self.touched = list(value), True
        else:
            self.order, self.touched = list(self.labels), False
        self._refresh()

    def focus_widgets(self) -> list[QWidget]:
        return list(self._focus)

    def speakable(self) -> str:
        return ", ".join(f"{i + 1}. {self.labels[v]}" for i, v in enumerate(self.order))


class AcknowledgeWidget(QuestionWidget):
    """One big "OK" the resident presses to confirm (value "OK")."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.ok = WrapButton(t("xform.acknowledge", ctx.lang), t("xform.acknowledge_desc", ctx.lang),
                             "choice", checkable=True)
        self.ok.setObjectName("acknowledge")
        self.ok.setEnabled(not ctx.read_only)
        self.ok.toggled.connect(lambda _on: self._emit())
        self.box.addWidget(self.ok)

    def value(self) -> Any:
        return "OK" if self.ok.isChecked() else None

    def _show(self, value: Any) -> None:
        self.ok.setChecked(value == "OK")

    def focus_widgets(self) -> list[QWidget]:
        return [self.ok]


def label_image(question: Any, lang: str, key: str, max_px: int = 480) -> QLabel | None:
    """The question's own image (XLSForm media::image) under its label, scaled to fit;
    None when it has none, or the file is not an image the kiosk can read."""
    path = question.media_file("image", lang) if hasattr(question, "media_file") else None
    if path is None:
        return None
    from ui.qt import QImageReader, QPixmap, Qt

    reader = QImageReader(str(path))
    size = reader.size()
    if not size.isValid() or size.width() * size.height() > 40_000_000:  # no decompression bomb
        return None
    image = reader.read()
    if image.isNull():
        return None
    pixmap = QPixmap.fromImage(image)
    if pixmap.width() > max_px or pixmap.height() > max_px:
        pixmap = pixmap.scaled(max_px, max_px, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
    label = QLabel()
    label.setObjectName(f"image-{key}")
    label.setPixmap(pixmap)
    label.setAccessibleName(question.label(lang) if hasattr(question, "label") else "")
    return label


def _fmt(x: float | int) -> str:
    return str(int(x)) if float(x) == int(x) else f"{x:g}"


ODK_WIDGETS: dict[str, type[QuestionWidget]] = {
    "time": TimeWidget,
    "datetime": DateTimeWidget,
    "geopoint": GeopointWidget,
    "range": RangeWidget,
    "rank": RankWidget,
    "acknowledge": AcknowledgeWidget,
}


def odk_widget_class(question: Any) -> type[QuestionWidget] | None:
    """The widget for an XForm type or appearance, or None to use the kiosk's usual one."""
    cls = ODK_WIDGETS.get(question.type)
    if cls is not None:
        return cls
    appearance = (getattr(question, "appearance", None) or "").split()
    if question.type == QuestionType.TEXT and "numbers" in appearance:
        return NumbersTextWidget
    return None
