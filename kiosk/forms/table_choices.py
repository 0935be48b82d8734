"""The choices of an itemset over a Table instance, made when they are read.

A ``Choice`` per row of a 290,000-row CSV was 33 bytes of memory per byte of file
(issue 21). ``TableChoices`` is the question's ``choice_list`` as a sequence that
keeps only which rows are choices (4 bytes each) and makes a ``Choice`` when one is
read; a filter ``key = value`` (kiosk.forms.state_env._index_choices) and a look-up
by value go through an order of the rows by that column (kiosk.forms.instance_table),
so a list costs what is shown of it.

The helpers below (values, labels, keys of any choice list) ask a ``TableChoices``
its own way and a plain list the plain way, so callers never build every choice.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Container, Iterator, Sequence
from typing import Any, overload

from kiosk.forms.instance_table import Table
from kiosk.forms.model import Choice

Labels = Callable[[int], tuple[dict[str, str], dict[str, dict[str, str]]]]  # row -> label, media


class TableChoices(Sequence[Choice]):
    """Rows ``rows`` (ascending) of ``table`` as choices: the value is the stripped cell of
    ``value_col``, ``labels(row)`` gives the label and media, ``extra`` the (name, column)
    of the other keys."""

    def __init__(self, table: Table, rows: array[int], value_col: int, labels: Labels,
                 extra: list[tuple[str, int]]) -> None:
        self.table, self.rows, self.value_col = table, rows, value_col
        self.labels, self.extra = labels, extra

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> Choice: ...

    @overload
    def __getitem__(self, i: slice) -> list[Choice]: ...

    def __getitem__(self, i: int | slice) -> Choice | list[Choice]:
        if isinstance(i, slice):
            return [self._make(row) for row in self.rows[i]]
        return self._make(self.rows[i])

    def __iter__(self) -> Iterator[Choice]:
        for row in self.rows:
            yield self._make(row)

    def _make(self, row: int) -> Choice:
        label, media = self.labels(row)
        extra: dict[str, Any] = {}
        for name, col in self.extra:
            text = self.table.cell(row, col)
            if text is not None:
                extra[name] = text.strip()
        return Choice(value=self.value(row), label=label, extra=extra, media=media)

    def value(self, row: int) -> str:
        return (self.table.cell(row, self.value_col) or "").strip()

    def values(self) -> Iterator[str]:
        return (self.value(row) for row in self.rows)

    def keys(self) -> set[str]:
        """The extra keys some choice has."""
        gone = self.table.absent
        return {name for name, col in self.extra if len(gone.get(col, ())) < self.table.rows}

    def where(self, col: int, value: str) -> list[Choice]:
        """The choices (in order) whose stripped cell of ``col`` is ``value``."""
        out = []
        for row in self.table.rows_where(col, value, strip=True):
            i = bisect.bisect_left(self.rows, row)
            if i < len(self.rows) and self.rows[i] == row:
                out.append(self._make(row))
        return out

    def index_by(self, key: str) -> ChoiceIndex | None:
        """Choices by their ``key`` (``value`` or an extra key) for a filter; None when
        the key is not one column (then the caller indexes the choices themselves)."""
        if key == "value":
            return ChoiceIndex(self, self.value_col)
        cols = [col for name, col in self.extra if name == key]
        if len(cols) != 1 or self.table.absent.get(cols[0]):
            return None
        return ChoiceIndex(self, cols[0])


class ChoiceIndex:
    """``get(value, default)`` as the dict a session indexes choices with."""

    def __init__(self, choices: TableChoices, col: int) -> None:
        self.choices, self.col = choices, col

    def get(self, value: str, default: list[Choice]) -> list[Choice]:
        return self.choices.where(self.col, value) or default


def has_choice_value(choices: Sequence[Choice]) -> Container[str]:
    """The values of ``choices``, for ``in``."""
    if isinstance(choices, TableChoices):
        return _TableValues(choices)
    return {c.value for c in choices}


class _TableValues:
    def __init__(self, choices: TableChoices) -> None:
        self.choices = choices

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and bool(self.choices.where(self.choices.value_col, value))


def choice_values(choices: Sequence[Choice]) -> Iterator[str]:
    """The values of ``choices`` in order."""
    if isinstance(choices, TableChoices):
        return choices.values()
    return (c.value for c in choices)


def choice_label(choices: Sequence[Choice], value: str, lang: str) -> str | None:
    """The label (in ``lang``) of the first choice whose value is ``value``; None if none."""
    if isinstance(choices, TableChoices):
        found = choices.where(choices.value_col, value)
        return found[0].text(lang) if found else None
    for c in choices:
        if c.value == value:
            return c.text(lang)
    return None


def choice_keys(choices: Sequence[Choice]) -> set[str]:
    """The extra keys some choice has."""
    if isinstance(choices, TableChoices):
        return choices.keys()
    return {k for c in choices for k in c.extra}


def choice_labels(choices: Sequence[Choice], lang: str) -> _TableLabels | dict[str, str]:
    """value -> label in ``lang`` (``.get``), the last choice of a value winning."""
    if isinstance(choices, TableChoices):
        return _TableLabels(choices, lang)
    return {c.value: c.text(lang) for c in choices}


class _TableLabels:
    def __init__(self, choices: TableChoices, lang: str) -> None:
        self.choices, self.lang = choices, lang

    def get(self, value: Any, default: str) -> str:
        found = self.choices.where(self.choices.value_col, value) if isinstance(value, str) else []
        return found[-1].text(self.lang) if found else default
