"""XPath's sideways and upward axes in a real form session (issue 22).

``following::``, ``preceding::`` and the sibling axes select nodes outside the
subtree they start from, so a calculate inside a repeat reading the items before its
own (``sum(../preceding::v)``) depends on those, not on itself: it loads (no false
"circular dependency"), computes per item, and follows a change to an earlier item.
A real cycle through such an axis is still refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.forms import FormSession
from kiosk.forms.model import FormLoadError
from tests.forms.helpers import build


def _q(name: str, qtype: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": qtype, "label": {"mn": name, "en": name}, **extra}


def _calc(name: str, expr: str) -> dict[str, Any]:
    return {"name": name, "type": "integer", "calculate": expr}


def _session(*calcs: dict[str, Any], outer: tuple[dict[str, Any], ...] = ()) -> FormSession:
    form = build([_q("r", "repeat", questions=[_q("v", "integer"), *calcs]), *outer],
                 form_id="axes", version="1")
    s = FormSession(form, "en")
    for value in (5, 7, 9):
        item = s.add_item("r")
        assert item is not None
        s.set_answer("v", value, item)
    return s


@pytest.mark.parametrize("expr, want", [
    ("sum(../preceding::v)", [0, 5, 12]),
    ("count(../preceding-sibling::r)", [0, 1, 2]),
    ("count(../following-sibling::r)", [2, 1, 0]),
    ("sum(../following::v)", [16, 9, 0]),
    ("count(preceding::n)", [0, 1, 2]),
    ("count(ancestor::r)", [1, 1, 1]),
])
def test_a_calculate_in_a_repeat_reads_the_other_items(expr: str, want: list[int]) -> None:
    s = _session(_calc("n", expr))
    assert [s.value("n", (i,)) for i in range(3)] == want


def test_a_change_to_an_earlier_item_reaches_the_later_ones() -> None:
    s = _session(_calc("n", "sum(../preceding::v)"),
                 outer=(_calc("t", "sum(/axes/r/v/following::n)"),))
    assert s.value("t") == 17
    s.set_answer("v", 100, (0,))
    assert [s.value("n", (i,)) for i in range(3)] == [0, 100, 107]
    assert s.value("t") == 207


def test_a_real_cycle_through_an_axis_is_still_refused() -> None:
    with pytest.raises(FormLoadError) as err:
        build([_q("x"), _calc("a", "count(/axes/x/following::b)"), _calc("b", "${a} + 1")],
              form_id="axes", version="1")
    assert "circular dependency" in err.value.message
