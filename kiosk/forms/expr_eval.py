"""Evaluating expression trees: value rules, functions, and compilation to closures.

A tree from kiosk.forms.expr_parse is compiled once into a closure
``fn(env) -> value``; evaluating is then a few Python calls per node, which is
what keeps re-evaluating a 300-question form after one answer under 2 ms.

Values inside expressions: None (an empty answer), str, int/float, bool,
datetime.date, list[str] (select_multiple and aimag_soum), NodeSet (a
question inside a repeat seen from outside it). Empty-answer semantics
(documented in docs/forms.md):

* an empty answer is the empty string: ``${x} = ''`` is true when x is unanswered;
* as a number it is NaN: arithmetic with it gives NaN, which displays as empty,
  and every ``<``/``<=``/``>``/``>=``/``=`` with NaN is false (``!=`` is true);
* as a boolean it is false; ``count-selected`` of it is 0; ``string-length`` 0;
* comparing a yes/no answer with ``'yes'``/``'no'``/``'true'``/``'false'`` works.

Evaluation never raises on any input value: a bad argument gives empty/NaN.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

from kiosk.forms import xpath_nodes as X
from kiosk.forms.expr_parse import (
    BinOp,
    Call,
    Dot,
    ExpressionError,
    Filter,
    Name,
    Neg,
    Node,
    Num,
    Path,
    Ref,
    Str,
)
from kiosk.validators import parse_registry_number

NAN = float("nan")
EPOCH = date(1970, 1, 1)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class NodeSet(list):  # type: ignore[type-arg]
    """Values of a node-set: one question across repeat items (what ``count``/``sum``
    take), or what a path selected (then ``nodes`` holds the nodes themselves)."""

    nodes: list[Any] | None = None


def node_set(env: Any, nodes: list[Any]) -> NodeSet:
    doc = _doc(env)
    out = NodeSet([X.node_value(doc, n) for n in nodes])
    out.nodes = nodes
    return out


def _doc(env: Any) -> Any:
    fn = getattr(env, "doc", None)
    return fn() if fn is not None else None


class Env(Protocol):
    """What an expression can see while it is evaluated."""

    today: date

    def ref(self, name: str) -> Any: ...

    def dot(self) -> Any: ...

    def bare(self, name: str) -> Any: ...


Compiled = Callable[[Env], Any]


# ---------------------------------------------------------------- conversions

def _first(v: Any) -> Any:
    if isinstance(v, NodeSet):
        return v[0] if v else None
    return v


def to_number(v: Any) -> float:
    v = _first(v)
    if v is None:
        return NAN
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, date):
        return float((v - EPOCH).days)
    if isinstance(v, list):
        v = " ".join(str(x) for x in v)
    text = str(v).strip()
    if not text:
        return NAN
    try:
        return float(text)
    except ValueError:
        return NAN


def _num_out(x: float) -> float | int:
    """Integral results print as integers (``2`` not ``2.0``)."""
    if math.isfinite(x) and x == int(x) and abs(x) < 2**53:
        return int(x)
    return x


def to_string(v: Any) -> str:
    v = _first(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        out = _num_out(v)
        return str(out) if isinstance(out, int) else repr(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list):
        return " ".join(to_string(x) for x in v)
    return str(v)


_TRUE_WORDS = {"yes", "true", "1"}
_FALSE_WORDS = {"no", "false", "0", ""}


def to_bool(v: Any) -> bool:
    if isinstance(v, NodeSet):
        return len(v) > 0 and any(to_bool(x) for x in v)
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return not (v == 0 or (isinstance(v, float) and math.isnan(v)))
    if isinstance(v, list):
        return len(v) > 0
    if isinstance(v, str):
        return len(v) > 0
    return True


def _word_bool(v: Any) -> bool:
    """A value compared with a yes/no answer: 'no'/'false'/'0' count as false."""
    if isinstance(v, str) and v.strip().lower() in _FALSE_WORDS:
        return False
    return to_bool(v)


def to_date(v: Any) -> date | None:
    v = _first(v)
    if isinstance(v, date):
        return v
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        try:
            return EPOCH + timedelta(days=int(v))
        except OverflowError:
            return None
    if isinstance(v, str):
        text = v.strip()[:10]
        if _DATE_RE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                return None
    return None


def to_list(v: Any) -> list[str]:
    v = _first(v)
    if v is None:
        return []
    if isinstance(v, list):
        return [to_string(x) for x in v]
    return to_string(v).split()


# ---------------------------------------------------------------- operators

def compare(op: str, a: Any, b: Any) -> bool:
    a, b = _first(a), _first(b)
    if op in ("=", "!="):
        if isinstance(a, bool) or isinstance(b, bool):
            equal = _word_bool(a) == _word_bool(b)
        elif _is_number(a) or _is_number(b):
            x, y = to_number(a), to_number(b)
            if math.isnan(x) or math.isnan(y):
                return op == "!="
            equal = x == y
        elif isinstance(a, date) or isinstance(b, date):
            da, db = to_date(a), to_date(b)
            equal = da == db if da and db else to_string(a) == to_string(b)
        else:
            equal = to_string(a) == to_string(b)
        return equal if op == "=" else not equal
    if isinstance(a, date) or isinstance(b, date):
        da, db = to_date(a), to_date(b)
        if da is None or db is None:
            return False
        x, y = float((da - EPOCH).days), float((db - EPOCH).days)
    else:
        x, y = to_number(a), to_number(b)
    if math.isnan(x) or math.isnan(y):
        return False
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def arith(op: str, a: Any, b: Any) -> float | int:
    x, y = to_number(a), to_number(b)
    if math.isnan(x) or math.isnan(y):
        return NAN
    try:
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op == "div":
            r = x / y if y != 0 else (NAN if x == 0 else math.copysign(math.inf, x) * math.copysign(1, y))
        else:  # mod: XPath keeps the sign of the dividend
            r = math.fmod(x, y) if y != 0 else NAN
    except OverflowError:
        return NAN
    return _num_out(r)


# ---------------------------------------------------------------- functions

def _age_on(born: Any, on: Any) -> float | int:
    b, d = to_date(born), to_date(on)
    if b is None or d is None:
        return NAN
    years = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
    return years


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _fn_regex(env: Env, value: Any, pattern: Any) -> bool:
    rx = _regex(to_string(pattern))
    return bool(rx and rx.search(to_string(value)))


def _fn_int(env: Env, v: Any) -> float | int:
    x = to_number(v)
    return int(x) if math.isfinite(x) else NAN


def _fn_round(env: Env, v: Any, digits: Any = 0) -> float | int:
    x, d = to_number(v), to_number(digits)
    if not math.isfinite(x) or not math.isfinite(d):
        return NAN
    q = 10 ** int(d)
    return _num_out(math.floor(x * q + 0.5) / q)


def _fn_sum(env: Env, v: Any) -> float | int:
    items = v if isinstance(v, list) else [v]
    total = 0.0
    for x in items:
        n = to_number(x)
        if not math.isnan(n):
            total += n
    return _num_out(total)


def _fn_count(env: Env, v: Any) -> int:
    if isinstance(v, NodeSet):
        return len(v)
    return 0 if v is None else 1


def _fn_rd_date(env: Env, v: Any) -> date | None:
    info = parse_registry_number(to_string(v), env.today)
    return None if isinstance(info, str) else info.birth_date


def _fn_rd_sex(env: Env, v: Any) -> str:
    info = parse_registry_number(to_string(v), env.today)
    return "" if isinstance(info, str) else info.sex


def _fn_substr(env: Env, s: Any, start: Any, end: Any = None) -> str:
    text = to_string(s)
    a = to_number(start)
    if math.isnan(a):
        return ""
    b = len(text) if end is None else to_number(end)
    if math.isnan(b):
        return ""
    return text[max(0, int(a)) : max(0, int(b))]


def _fn_selected_at(env: Env, v: Any, n: Any) -> str:
    items, i = to_list(v), to_number(n)
    if math.isnan(i) or not 0 <= int(i) < len(items):
        return ""
    return items[int(i)]


def _minmax(pick: Callable[..., float]) -> Callable[..., float | int]:
    def fn(env: Env, *args: Any) -> float | int:
        nums: list[float] = []
        for a in args:
            for x in a if isinstance(a, list) else [a]:
                nums.append(to_number(x))
        if not nums or any(math.isnan(x) for x in nums):
            return NAN
        return _num_out(pick(nums))

    return fn


def _fn_position(env: Env, nodes: Any = None) -> int:
    if nodes is None:
        return int(getattr(env, "position", 1))
    found = _nodes_of(nodes)
    return X.position_of(found[0]) if found else 0


def _fn_name(env: Env, nodes: Any = None) -> str:
    found = _nodes_of(nodes) if nodes is not None else _one(_call(env, "node", None))
    return X.node_name(found[0]) if found else ""


def _fn_current(env: Env) -> NodeSet:
    return node_set(env, _one(_call(env, "current", None)))


def _fn_instance(env: Env, instance_id: Any) -> NodeSet:
    return node_set(env, _one(_call(env, "instance", None, to_string(instance_id))))


# name -> (min args, max args or None, implementation(env, *args), result kind)
FUNCTIONS: dict[str, tuple[int, int | None, Callable[..., Any], str]] = {
    "not": (1, 1, lambda env, v: not to_bool(v), "bool"),
    "true": (0, 0, lambda env: True, "bool"),
    "false": (0, 0, lambda env: False, "bool"),
    "boolean": (1, 1, lambda env, v: to_bool(v), "bool"),
    "selected": (2, 2, lambda env, v, c: to_string(c) in to_list(v), "bool"),
    "selected-at": (2, 2, _fn_selected_at, "string"),
    "count-selected": (1, 1, lambda env, v: len(to_list(v)), "number"),
    "string-length": (1, 1, lambda env, v: len(to_string(v)), "number"),
    "regex": (2, 2, _fn_regex, "bool"),
    "today": (0, 0, lambda env: env.today, "date"),
    "if": (3, 3, lambda env, c, a, b: a if to_bool(c) else b, "any"),
    "concat": (0, None, lambda env, *a: "".join(to_string(x) for x in a), "string"),
    "string": (1, 1, lambda env, v: to_string(v), "string"),
    "int": (1, 1, _fn_int, "number"),
    "number": (1, 1, lambda env, v: _num_out(to_number(v)), "number"),
    "round": (1, 2, _fn_round, "number"),
    "date": (1, 1, lambda env, v: to_date(v), "date"),
    "age": (1, 1, lambda env, v: _age_on(v, env.today), "number"),
    "age-on": (2, 2, lambda env, v, d: _age_on(v, d), "number"),
    "count": (1, 1, _fn_count, "number"),
    "sum": (1, 1, _fn_sum, "number"),
    "min": (1, None, _minmax(min), "number"),
    "max": (1, None, _minmax(max), "number"),
    "coalesce": (2, 2, lambda env, a, b: a if to_string(a) != "" else b, "any"),
    "contains": (2, 2, lambda env, a, b: to_string(b) in to_string(a), "bool"),
    "starts-with": (2, 2, lambda env, a, b: to_string(a).startswith(to_string(b)), "bool"),
    "ends-with": (2, 2, lambda env, a, b: to_string(a).endswith(to_string(b)), "bool"),
    "substr": (2, 3, _fn_substr, "string"),
    "normalize-space": (1, 1, lambda env, v: " ".join(to_string(v).split()), "string"),
    "registry-birth-date": (1, 1, _fn_rd_date, "date"),
    "registry-sex": (1, 1, _fn_rd_sex, "string"),
    "position": (0, 1, _fn_position, "number"),
    "last": (0, 0, lambda env: int(getattr(env, "size", 1)), "number"),
    "name": (0, 1, _fn_name, "string"),
    "local-name": (0, 1, _fn_name, "string"),
    "current": (0, 0, _fn_current, "nodes"),
    "instance": (1, 1, _fn_instance, "nodes"),
}


# ---------------------------------------------------------------- compilation

def compile_node(node: Node) -> Compiled:
    """A closure evaluating ``node``; unknown functions raise ExpressionError here."""
    if isinstance(node, Num):
        num = node.value
        return lambda env: num
    if isinstance(node, Str):
        text = node.value
        return lambda env: text
    if isinstance(node, Ref):
        name = node.name
        return lambda env: env.ref(name)
    if isinstance(node, Dot):
        return lambda env: env.dot()
    if isinstance(node, Name):
        bare = node.name
        return lambda env: env.bare(bare)
    if isinstance(node, Neg):
        inner = compile_node(node.operand)
        return lambda env: _num_out(-to_number(inner(env)))
    if isinstance(node, BinOp) and node.op == "|" or isinstance(node, (Path, Filter)):
        nodes = compile_nodes(node)
        return lambda env: node_set(env, nodes(env))
    if isinstance(node, BinOp):
        return _compile_binop(node)
    if isinstance(node, Call):
        spec = FUNCTIONS.get(node.func)
        if spec is None:
            raise ExpressionError(f"unknown function {node.func}()", node.pos)
        lo, hi, impl, _kind = spec
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = str(lo) if lo == hi else f"{lo}..{hi if hi is not None else 'n'}"
            raise ExpressionError(
                f"{node.func}() takes {want} argument(s), not {n}", node.pos
            )
        args = [compile_node(a) for a in node.args]
        if node.func == "if":
            c, a, b = args
            return lambda env: a(env) if to_bool(c(env)) else b(env)
        if n == 0:
            return lambda env: impl(env)
        if n == 1:
            a0 = args[0]
            return lambda env: impl(env, a0(env))
        if n == 2:
            a0, a1 = args
            return lambda env: impl(env, a0(env), a1(env))
        return lambda env: impl(env, *[a(env) for a in args])
    raise ExpressionError("unsupported expression", node.pos)


def _compile_binop(node: BinOp) -> Compiled:
    left, right, op = compile_node(node.left), compile_node(node.right), node.op
    if op == "and":
        return lambda env: to_bool(left(env)) and to_bool(right(env))
    if op == "or":
        return lambda env: to_bool(left(env)) or to_bool(right(env))
    if op in ("=", "!=", "<", "<=", ">", ">="):
        return lambda env: compare(op, left(env), right(env))
    return lambda env: arith(op, left(env), right(env))


# ---------------------------------------------------------------- node-sets

NodesFn = Callable[[Any], list[Any]]


def compile_nodes(node: Node) -> NodesFn:
    """A closure giving the nodes ``node`` selects (for paths, unions, predicates)."""
    if isinstance(node, Path):
        return _compile_path(node)
    if isinstance(node, Filter):
        base = compile_nodes(node.base)
        preds = [compile_node(p) for p in node.preds]
        return lambda env: _filter(env, base(env), preds)
    if isinstance(node, BinOp) and node.op == "|":
        left, right = compile_nodes(node.left), compile_nodes(node.right)
        return lambda env: X.unique([*left(env), *right(env)])
    if isinstance(node, Ref):
        name = node.name
        return lambda env: _call(env, "ref_nodes", [], name)
    if isinstance(node, Dot):
        return lambda env: _one(_call(env, "node", None))
    if isinstance(node, Name):
        test = node.name
        return lambda env: X.children(_doc(env), _call(env, "node", None), test)
    if isinstance(node, Call) and node.func == "current" and not node.args:
        return lambda env: _one(_call(env, "current", None))
    if isinstance(node, Call) and node.func == "instance" and len(node.args) == 1:
        arg = compile_node(node.args[0])
        return lambda env: _one(_call(env, "instance", None, to_string(arg(env))))
    value = compile_node(node)
    return lambda env: _nodes_of(value(env))


def _call(env: Any, method: str, default: Any, *args: Any) -> Any:
    fn = getattr(env, method, None)
    return default if fn is None else fn(*args)


def _one(node: Any) -> list[Any]:
    return [] if node is None else [node]


def _nodes_of(v: Any) -> list[Any]:
    return list(v.nodes) if isinstance(v, NodeSet) and v.nodes is not None else []


def _compile_path(node: Path) -> NodesFn:
    steps = [(s.axis, s.test, [compile_node(p) for p in s.preds]) for s in node.steps]
    absolute = node.absolute and node.base is None
    base = compile_nodes(node.base) if node.base is not None else None

    def run(env: Any) -> list[Any]:
        doc = _doc(env)
        ctx = _call(env, "node", None)
        if absolute:
            root = _call(env, "root_node", None)
            nodes = _one(root)
        elif base is not None:
            nodes = base(env)
        else:
            nodes = _one(ctx)
        pin = ctx if absolute else None
        for axis, test, preds in steps:
            out: list[Any] = []
            for n in nodes:
                found = X.step(doc, n, axis, test, pin)
                if preds:
                    found = _filter(env, found, preds)
                out += found
            nodes = X.unique(out) if len(nodes) > 1 else out
            if not nodes:
                break
        return nodes

    return run


def _filter(env: Any, nodes: list[Any], preds: list[Compiled]) -> list[Any]:
    for pred in preds:
        size = len(nodes)
        kept = []
        for i, n in enumerate(nodes):
            v = pred(SubEnv(env, n, i + 1, size))
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if v == i + 1:
                    kept.append(n)
            elif to_bool(v):
                kept.append(n)
        nodes = kept
    return nodes


class SubEnv:
    """The environment inside a predicate: the candidate node is the context node."""

    __slots__ = ("outer", "n", "position", "size", "today")

    def __init__(self, outer: Any, node: Any, position: int, size: int) -> None:
        self.outer, self.n, self.position, self.size = outer, node, position, size
        self.today = outer.today

    def __getattr__(self, name: str) -> Any:
        return getattr(self.outer, name)

    def node(self) -> Any:
        return self.n

    def dot(self) -> Any:
        return X.node_value(_doc(self.outer), self.n)

    def bare(self, name: str) -> Any:
        return node_set(self.outer, X.children(_doc(self.outer), self.n, name))

