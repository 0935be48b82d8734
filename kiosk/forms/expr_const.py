"""Constant conditions, and the branches they make unreachable (issue 22).

XPath's ``and``, ``or`` and ODK's ``if()`` evaluate lazily: javarosa and enketo
fail on an unknown function or a wrong argument count only when the call is
reached. A branch that a *constant* operand makes unreachable (``false() and
x()``, ``true() or x()``, ``if(true(), a, x())``) is never reached, whatever the
answers, so the static checker (kiosk.forms.expr_check) does not refuse a bad
call there: it warns, and the compiler (kiosk.forms.expr_eval) never evaluates
it. A constant is built only from literals, ``true()``/``false()``, numbers and
``and``/``or``/``not()``/arithmetic/comparisons of constants: never a path, an
answer or another function, whose value depends on the instance.
"""

from __future__ import annotations

from typing import Any, Final

from kiosk.forms.expr_funcs import FUNCTIONS
from kiosk.forms.expr_parse import BinOp, Call, Neg, Node, Num, Str, walk
from kiosk.forms.expr_values import arith, compare, num_out, to_bool, to_number
from kiosk.forms.load_error import FormWarning


class _Unknown:
    """The value of an expression that is not constant."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
ARITH_OPS = frozenset({"+", "-", "*", "div", "mod"})
COMPARE_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})


def constant(node: Node) -> Any:
    """The value of ``node`` when it is the same for every form and answer, else UNKNOWN."""
    if isinstance(node, (Num, Str)):
        return node.value
    if isinstance(node, Call):
        return _constant_call(node)
    if isinstance(node, Neg):
        inner = constant(node.operand)
        return UNKNOWN if inner is UNKNOWN else num_out(-to_number(inner))
    if isinstance(node, BinOp):
        return _constant_binop(node)
    return UNKNOWN


def _constant_call(node: Call) -> Any:
    if node.func in ("true", "false") and not node.args:
        return node.func == "true"
    if node.func == "not" and len(node.args) == 1:
        inner = constant(node.args[0])
        return UNKNOWN if inner is UNKNOWN else not to_bool(inner)
    return UNKNOWN


def _constant_binop(node: BinOp) -> Any:
    left = constant(node.left)
    if left is UNKNOWN:
        return UNKNOWN
    if node.op in ("and", "or"):
        decided = to_bool(left)
        if decided == (node.op == "or"):  # false and …, true or …: the right never runs
            return decided
        right = constant(node.right)
        return UNKNOWN if right is UNKNOWN else to_bool(right)
    right = constant(node.right)
    if right is UNKNOWN:
        return UNKNOWN
    if node.op in ARITH_OPS:
        return arith(node.op, left, right)
    if node.op in COMPARE_OPS:
        return compare(node.op, left, right)
    return UNKNOWN


def dead_branch(node: Node) -> Node | None:
    """The operand of ``node`` that its constant condition never lets run, if any."""
    if isinstance(node, BinOp) and node.op in ("and", "or"):
        left = constant(node.left)
        if left is not UNKNOWN and to_bool(left) == (node.op == "or"):
            return node.right
        return None
    if isinstance(node, Call) and node.func == "if" and len(node.args) == 3:
        cond = constant(node.args[0])
        if cond is not UNKNOWN:
            return node.args[2] if to_bool(cond) else node.args[1]
    return None


def bad_calls(node: Node) -> list[Call]:
    """The calls in ``node`` that would fail: unknown functions, wrong argument counts."""
    return [n for n in walk(node) if isinstance(n, Call) and _bad(n)]


def _bad(call: Call) -> bool:
    spec = FUNCTIONS.get(call.func)
    if spec is None:
        return True
    lo, hi = spec[0], spec[1]
    return len(call.args) < lo or hi is not None and len(call.args) > hi


def dead_calls(node: Node) -> tuple[Node | None, list[Call]]:
    """(the dead branch of ``node``, its calls that would fail) when it has such calls;
    (None, []) otherwise."""
    dead = dead_branch(node)
    bad = bad_calls(dead) if dead is not None else []
    return (dead, bad) if bad else (None, [])


def dead_call_warnings(path: str, field: str, text: str, calls: list[Call]) -> list[FormWarning]:
    """The import warning for each call of an ODK form's expression ``text`` (``field`` at
    ``path``) that a constant condition never lets run."""
    return [FormWarning(path, "formload.warn_dead_call", {
        "call": f"{c.func}()", "column": c.pos, "field": field, "expression": text or "…"})
        for c in calls]
