"""Compiling expression trees into closures, and evaluating paths over nodes.

A tree from kiosk.forms.expr_parse (paths already resolved by
kiosk.forms.expr_paths) is compiled once into a closure ``fn(env) -> value``;
evaluating is then a few Python calls per node, which is what keeps
re-evaluating a form after one answer within a few milliseconds. Values and
conversions live in kiosk.forms.expr_values, functions in
kiosk.forms.expr_funcs; both are re-exported here. Empty-answer semantics
(documented in docs/forms.md):

* an empty answer is the empty string: ``${x} = ''`` is true when x is unanswered;
* as a number it is NaN: arithmetic with it gives NaN, which displays as empty,
  and every ``<``/``<=``/``>``/``>=``/``=`` with NaN is false (``!=`` is true);
* as a boolean it is false; ``count-selected`` of it is 0; ``string-length`` 0;
* comparing a yes/no answer with ``'yes'``/``'no'``/``'true'``/``'false'`` works
  (a computed boolean follows XPath: ``false() = '0'`` is false).

Evaluation never raises on any input value: a bad argument gives empty/NaN.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol

from kiosk.forms import xpath_axes as A
from kiosk.forms import xpath_nodes as X
from kiosk.forms.expr_const import dead_branch
from kiosk.forms.expr_funcs import FUNCTIONS, node_set
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
    names_one,
    walk,
)
from kiosk.forms.expr_values import (
    NAN,
    NodeSet,
    arith,
    compare,
    num_out,
    to_bool,
    to_date,
    to_list,
    to_number,
    to_string,
)

__all__ = ["FUNCTIONS", "NAN", "Compiled", "Env", "NodeSet", "compile_node", "compile_nodes",
           "to_bool", "to_date", "to_list", "to_number", "to_string"]


class Env(Protocol):
    """What an expression can see while it is evaluated (paths over nodes use more, looked
    up with getattr: doc, node, current, root_node, instance, ref_nodes, position, size)."""

    today: date

    def ref(self, name: str) -> Any: ...

    def dot(self) -> Any: ...

    def bare(self, name: str) -> Any: ...


Compiled = Callable[[Env], Any]


def _doc(env: Any) -> Any:
    fn = getattr(env, "doc", None)
    return fn() if fn is not None else None


# ---------------------------------------------------------------- compilation

def compile_node(node: Node) -> Compiled:
    """A closure evaluating ``node``; unknown functions raise ExpressionError here."""
    return _compile(node)


def _compile(node: Node) -> Compiled:
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
        return lambda env: num_out(-to_number(inner(env)))
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
        special = _SPECIAL.get(node.func)
        if special is not None:
            return special(node)
        if node.func == "if":
            c, a, b = _live(node, node.args)
            return lambda env: a(env) if to_bool(c(env)) else b(env)
        args = [compile_node(a) for a in node.args]
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


def _live(parent: Node, children: Sequence[Node]) -> list[Compiled]:
    """``children`` of ``parent`` compiled, the one a constant condition of ``parent``
    never lets run as never evaluated (kiosk.forms.expr_const: it may hold a call that
    would fail). The condition is folded once for all of them."""
    dead = dead_branch(parent)
    return [_unreachable if child is dead else compile_node(child) for child in children]


def _unreachable(env: Env) -> Any:  # pragma: no cover - a constant condition skips it
    return None


def _compile_binop(node: BinOp) -> Compiled:
    (left, right), op = _live(node, (node.left, node.right)), node.op
    if op == "and":
        return lambda env: to_bool(left(env)) and to_bool(right(env))
    if op == "or":
        return lambda env: to_bool(left(env)) or to_bool(right(env))
    if op in ("=", "!="):
        words = _is_answer(node.left) or _is_answer(node.right)
        return lambda env: compare(op, left(env), right(env), words)
    if op in ("<", "<=", ">", ">="):
        return lambda env: compare(op, left(env), right(env))
    return lambda env: arith(op, left(env), right(env))


def _is_answer(node: Node) -> bool:
    """Whether ``node`` reads an answer (whose yes/no compares with 'yes'/'no' words)."""
    return isinstance(node, (Ref, Dot, Name, Path, Filter))


def _compile_indexed_repeat(node: Call) -> Compiled:
    """indexed-repeat(value, repeat1, index1[, repeat2, index2[, repeat3, index3]]): the
    value in the given (1-based) items; other repeats follow the context's item."""
    target = node.args[0]
    reps = node.args[1::2]
    if len(node.args) % 2 == 0 or not isinstance(target, Ref) or not all(
        isinstance(r, Ref) for r in reps
    ):
        raise ExpressionError("indexed-repeat() takes a question, then repeat and index pairs",
                              node.pos)
    name = target.name
    names = [r.name for r in reps if isinstance(r, Ref)]
    indexes = [compile_node(a) for a in node.args[2::2]]

    def run(env: Any) -> Any:
        fn = getattr(env, "indexed", None)
        if fn is None:
            return None
        picks = {}
        for rep, idx in zip(names, indexes, strict=True):
            n = to_number(idx(env))
            if not (n == n and n >= 1 and n < 2**31):
                return None
            picks[rep] = int(n) - 1
        return fn(name, picks)

    return run


def _compile_choice_name(node: Call) -> Compiled:
    value = compile_node(node.args[0])
    target = node.args[1]
    if not isinstance(target, Ref):
        raise ExpressionError("jr:choice-name() needs a select question as its second argument",
                              target.pos)
    name = target.name
    impl = FUNCTIONS["jr:choice-name"][2]
    return lambda env: impl(env, value(env), name)


def _compile_node_args(node: Call) -> Compiled:
    """name(), local-name(), position(): their argument is taken as nodes."""
    impl = FUNCTIONS[node.func][2]
    if not node.args:
        return lambda env: impl(env)
    nodes = compile_nodes(node.args[0])
    return lambda env: impl(env, node_set(env, nodes(env)))


_SPECIAL: dict[str, Callable[[Call], Compiled]] = {
    "indexed-repeat": _compile_indexed_repeat,
    "jr:choice-name": _compile_choice_name,
    "name": _compile_node_args,
    "local-name": _compile_node_args,
    "position": _compile_node_args,
}


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
        return lambda env: A.in_document_order(_doc(env), X.unique([*left(env), *right(env)]))
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
    steps = [(s.axis, s.test, [compile_node(p) for p in s.preds], _lookup(s)) for s in node.steps]
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
        for axis, test, preds, lookup in steps:
            out: list[Any] = []
            for n in nodes:
                if lookup is not None and X.indexable(n):
                    found = lookup(env, n)
                    if found is not None:
                        out += found
                        continue
                # an absolute path is pinned to the context's repeat items, except at
                # steps that choose their own nodes with predicates
                found = A.step(doc, n, axis, test, None if preds else pin)
                if preds:
                    found = _filter(env, found, preds)
                out += reversed(found) if axis in A.REVERSE else found  # document order
            if len(nodes) > 1:  # child, self, parent, attribute: already in order
                out = X.unique(out)
                nodes = out if axis in _KEEPS_ORDER else A.in_document_order(doc, out)
            else:
                nodes = out
            if not nodes:
                break
        return nodes

    return run


# Axes whose nodes, taken from context nodes in document order, come in document order.
_KEEPS_ORDER = frozenset({"child", "self", "parent", "attribute"})


def _independent(node: Node) -> bool:
    """Whether ``node``'s value is the same for every candidate of a predicate."""
    for n in walk(node):
        if isinstance(n, (Name, Dot)) or isinstance(n, Path) and n.base is None and not n.absolute:
            return False
        if isinstance(n, Call) and n.func in ("position", "last", "name", "local-name") and not n.args:
            return False
    return True


def _key_equality(pred: Node) -> tuple[str, Node] | None:
    """(key, value expression) when ``pred`` is ``key = value`` (or an ``and`` of
    conditions with one such) where only ``key`` depends on the candidate, and nothing
    in it asks for the candidate's position."""
    for n in walk(pred):
        if isinstance(n, Call) and n.func in ("position", "last") and not n.args:
            return None
    stack = [pred]
    while stack:
        n = stack.pop()
        if isinstance(n, BinOp) and n.op == "and":
            stack += [n.right, n.left]
        elif isinstance(n, BinOp) and n.op == "=":
            if isinstance(n.left, Name) and _independent(n.right):
                return n.left.name, n.right
            if isinstance(n.right, Name) and _independent(n.left):
                return n.right.name, n.left
    return None


CHOICE_PLANS: weakref.WeakKeyDictionary[Any, tuple[str, Compiled]] = weakref.WeakKeyDictionary()


def plan_choice_index(fn: Compiled, tree: Node) -> None:
    """For a choice filter compiled to ``fn``: remember (choice key, value closure) so a
    session narrows the choices through an index before evaluating the whole filter on
    what is left (kiosk.forms.state)."""
    found = _key_equality(tree)
    if found is not None and found[0] != "label":
        CHOICE_PLANS[fn] = (found[0], compile_node(found[1]))


def _lookup(step: Any) -> Callable[[Any, Any], list[Any] | None] | None:
    """For ``item[key = value]`` over a secondary instance (choice lists, lookups in big
    CSV files): the matching children through an index built once per instance element,
    then the whole predicate on those only, instead of the predicate for every child.
    None when the step is not of that shape; the function returns None when the value is
    not text (numbers compare as numbers, so those take the general way)."""
    if step.axis != "child" or len(step.preds) != 1 or not names_one(step.test):
        return None
    found = _key_equality(step.preds[0])
    if found is None:
        return None
    key, other = found
    whole = compile_node(step.preds[0])
    exact = isinstance(step.preds[0], BinOp) and step.preds[0].op == "="
    value_fn = compile_node(other)
    test = step.test

    def lookup(env: Any, parent: Any) -> list[Any] | None:
        v = value_fn(env)
        if isinstance(v, NodeSet):
            if len(v) != 1:
                return None
            v = v[0]
        if not isinstance(v, str):
            return None
        hits = X.indexed_children(parent, test, key, v)
        if hits is None:
            return None
        return hits if exact else _filter(env, hits, [whole])

    return lookup


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

