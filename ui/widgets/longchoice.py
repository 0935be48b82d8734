"""A choice among many: a search field over one scrolling list whose rows are painted
only when seen (an imported form's select over a CSV of thousands of villages).

One big button per choice suits a handful. For 10,000 choices (a select_one_from_file
over 50,000 rows, filtered) it made 10,000 widgets (over 500 MB), a page scrolled without
end, and a "needs an answer" message below the last button. From :func:`long_from`
choices on (fewer at large text, where each button takes more of the screen) the question
shows instead: what is chosen, a search field (the on-screen keyboard types into it) and
a list view over a model, finger-sized rows (>= 56 px), a few rows high, so the message
and Next stay near. Searching ignores case in Cyrillic and Latin alike (Ө/ө, Ү/ү) and
takes ё for е.
"""

from __future__ import annotations

from typing import Any

from kiosk.forms.model import QuestionType
from kiosk.i18n import t
from ui import a11y, theme
from ui.qt import (
    QAbstractItemView,
    QAbstractListModel,
    QLineEdit,
    QListView,
    QModelIndex,
    QSize,
    Qt,
    QWidget,
)
from ui.widgets.base import Context, QuestionWidget
from ui.widgets.choices import Clearable
from ui.widgets.common import text_label

# From this many choices on, a question gets the search and list (by text size).
LONG_FROM = {100: 30, 150: 20, 200: 12}
VISIBLE_ROWS = {100: 5, 150: 4, 200: 3}  # the list's height in rows: the message stays near


def long_from(scale: int) -> int:
    return LONG_FROM.get(scale, 12 if scale > 150 else 30)


def is_long(question: Any, ctx: Context) -> bool:
    kinds = (QuestionType.SELECT_ONE, QuestionType.SELECT_MULTIPLE)
    return getattr(question, "type", None) in kinds and len(ctx.choices) >= long_from(ctx.scale)


def fold(text: str) -> str:
    """``text`` as searched: case-folded (Cyrillic with Ө, Ү and Latin), ё as е, one space."""
    return " ".join(text.casefold().replace("ё", "е").split())


class ChoiceModel(QAbstractListModel):
    """The choices (value, label) shown by a list view; ``rows`` are those matching the search."""

    def __init__(self, items: list[tuple[str, str]], row_px: int) -> None:
        super().__init__()
        self.values = [v for v, _ in items]
        self.labels = [label for _, label in items]
        self.row_px = row_px
        self.chosen: set[str] = set()
        self.rows: list[int] = list(range(len(items)))
        self._folded: list[str] | None = None  # made on the first search

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # a (persistent) index
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        i = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.labels[i]
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if self.values[i] in self.chosen else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(0, self.row_px)
        return None

    def search(self, text: str) -> None:
        needle = fold(text)
        if self._folded is None and needle:
            self._folded = [fold(label) for label in self.labels]
        self.beginResetModel()
        folded = self._folded or []
        self.rows = [i for i, f in enumerate(folded) if needle in f] if needle else list(range(len(self.values)))
        self.endResetModel()

    def value_at(self, row: int) -> str:
        return self.values[self.rows[row]]

    def label_of(self, value: str) -> str:
        return self.labels[self.values.index(value)] if value in self.values else value

    def set_chosen(self, chosen: set[str]) -> None:
        self.chosen = chosen
        if self.rows:
            self.dataChanged.emit(self.index(0), self.index(len(self.rows) - 1), [Qt.ItemDataRole.CheckStateRole])


class LongChoiceWidget(Clearable, QuestionWidget):
    """select_one / select_multiple with many choices: chosen line, search field, list."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.multiple = question.type == QuestionType.SELECT_MULTIPLE
        self.buttons: dict[str, Any] = {}  # (Clearable's; this widget has a list instead)
        items = [(str(c.value), str(c.text(ctx.lang))) for c in ctx.choices]
        self.model = ChoiceModel(items, theme.sizes(ctx.scale)["target"])
        key = "ui.choose_many_hint" if self.multiple else "ui.choose_one_hint"
        self.box.addWidget(text_label(t(key, ctx.lang), "hint"))
        self.chosen_label = text_label("", "ok")
        self.chosen_label.setObjectName("choice-chosen")
        self.box.addWidget(self.chosen_label)
        self.search = self._search_field(ctx)
        self.box.addWidget(self.search)
        self.count = text_label("", "hint")
        self.count.setObjectName("choice-count")
        self.box.addWidget(self.count)
        self.list = self._list_view(ctx)
        self.box.addWidget(self.list)
        self.clear_btn = None
        if not self.multiple:
            self.add_clear()
        self._update()

    def _search_field(self, ctx: Context) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName("choice-search")
        edit.setPlaceholderText(t("ui.long_choice_search", ctx.lang))
        a11y.label(edit, f"{ctx.label}: {t('ui.long_choice_search', ctx.lang)}",
                   t("ui.long_choice_search_desc", ctx.lang))
        edit.textChanged.connect(self._searched)
        return edit

    def _list_view(self, ctx: Context) -> QListView:
        view = QListView()
        view.setObjectName("choiceList")
        view.setModel(self.model)
        view.setUniformItemSizes(True)  # 10,000 rows laid out from one row's height
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        view.setEnabled(not ctx.read_only)
        a11y.label(view, ctx.label, t("ui.long_choice_list_desc", ctx.lang))
        view.setFixedHeight(VISIBLE_ROWS.get(ctx.scale, 3) * self.model.row_px + 2 * view.frameWidth())
        view.clicked.connect(self._tapped)
        view.activated.connect(self._tapped)  # Enter on a keyboard
        return view

    def _searched(self, text: str) -> None:
        self.model.search(text)
        self.list.scrollToTop()
        self._update()

    def _tapped(self, index: QModelIndex) -> None:
        if not index.isValid() or self.ctx.read_only:
            return
        value = self.model.value_at(index.row())
        chosen = set(self.model.chosen)
        if not self.multiple:
            chosen = {value}  # a tap chooses; it never takes a single choice away
        elif value in chosen:
            chosen.discard(value)
        else:
            chosen.add(value)
        self.model.set_chosen(chosen)
        self._update()
        self._emit()

    def _update(self) -> None:
        m = self.model
        names = [m.label_of(v) for v in m.values if v in m.chosen]
        self.chosen_label.setText(t("ui.long_choice_chosen", self.lang, chosen=", ".join(names)) if names else "")
        self.chosen_label.setVisible(bool(names))
        self.count.setText(t("ui.long_choice_count", self.lang, shown=len(m.rows), total=len(m.values))
                           if m.rows else t("ui.long_choice_none", self.lang))
        self.sync_clear()

    def clear(self) -> None:
        self.model.set_chosen(set())
        self._update()
        self._emit()

    def sync_clear(self) -> None:
        if self.clear_btn is not None:
            self.clear_btn.setEnabled(bool(self.model.chosen))

    def value(self) -> Any:
        chosen = [v for v in self.model.values if v in self.model.chosen]
        if self.multiple:
            return chosen or None
        return chosen[0] if chosen else None

    def _show(self, value: Any) -> None:
        wanted = set(value or []) if self.multiple else ({str(value)} if value not in (None, "") else set())
        self.model.set_chosen(wanted)
        self._update()

    def focus_widgets(self) -> list[QWidget]:
        return [self.search, self.list, *self.clear_focus()]

    def speakable(self) -> str:
        return self.count.text()
