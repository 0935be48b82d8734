"""Load-time checks of every expression in a form, and its dependency graph.

Each expression is parsed once, checked statically (unknown references,
unknown functions and wrong arity, type errors that can be detected
reliably, calculate/relevance cycles) and compiled. Every error is a
FormLoadError naming the form id, the question, the field and the column.

The dependency graph ("affects") lets a FormSession re-evaluate only what one
answer can change.
"""

from __future__ import annotations

import gc
import math
from functools import lru_cache
from typing import Any

from kiosk.forms.deps import build_graph, set_graph
from kiosk.forms.expr_const import ARITH_OPS, dead_call_warnings, dead_calls
from kiosk.forms.expr_eval import FUNCTIONS, compile_node, plan_choice_index
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
    children,
    parse,
    refs,
)
from kiosk.forms.expr_paths import PathResolver, dynamic_deps
from kiosk.forms.expr_values import parse_date_text, to_number
from kiosk.forms.form_checks import check_cycles, check_defaults
from kiosk.forms.model import FormDef, FormLoadError, Question
from kiosk.forms.table_choices import choice_keys, has_choice_value

_NOT_NUMERIC = ("list", "opaque", "repeat")
_NOT_SELECT = ("number", "date", "bool", "opaque", "repeat")
_NOT_DATE = ("number", "bool", "list", "opaque", "repeat")
_DOT_FIELDS = ("constraint", "required", "read_only", "relevant")


class _Checker:
    def __init__(self, form: FormDef, q: Question | None, field: str, path: str,
                 page: str = "", text: str = "") -> None:
        self.form, self.q, self.field, self.path, self.page = form, q, field, path, page
        self.text = text  # the whole expression, for warnings

    def fail(self, pos: int, reason: str) -> FormLoadError:
        who = f"question {self.q.name}" if self.q else f"page {self.page}"
        return FormLoadError(
            self.path, f"form {self.form.id}, {who}, {self.field}, column {pos}: {reason}"
        )

    def ref_question(self, node: Ref) -> Question:
        target = self.form.questions.get(node.name)
        if target is None:
            raise self.fail(node.pos, f"unknown question ${{{node.name}}}")
        return target

    def kind(self, node: Node) -> str:
        """The static kind of ``node``: number/string/date/bool/list/opaque/repeat/any."""
        if isinstance(node, Num):
            return "number"
        if isinstance(node, Str):
            return "string"
        if isinstance(node, Ref):
            target = self.ref_question(node)
            if target.is_repeat and not self._counting:
                raise self.fail(node.pos, f"${{{node.name}}} is a repeat: use count(${{{node.name}}})")
            return target.kind
        if isinstance(node, Dot):
            if self._in_pred:
                return "any"
            odk_calc = self.field == "calculate" and self.form.odk is not None  # its previous value
            if self.field not in _DOT_FIELDS and not odk_calc or self.q is None:
                raise self.fail(node.pos, f"'.' (this answer) cannot be used in {self.field}")
            return self.q.kind
        if isinstance(node, Name):
            return self.bare(node)
        if isinstance(node, Neg):
            self.numeric(node.operand, "-")
            return "number"
        if isinstance(node, BinOp):
            return self.binop(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, (Path, Filter)):
            return self.nodes(node)
        return "any"

    _counting = False
    _in_pred = 0

    def nodes(self, node: Path | Filter) -> str:
        """A path evaluated over nodes: check what it contains; its value is a node-set."""
        base = node.base
        if isinstance(base, Call) and base.func == "instance":
            self.call(base)
        elif isinstance(base, Ref):
            self.ref_question(base)
        elif base is not None:
            self.kind(base)
        preds = node.preds if isinstance(node, Filter) else [p for s in node.steps for p in s.preds]
        self._in_pred += 1
        try:
            for p in preds:
                self.kind(p)
        finally:
            self._in_pred -= 1
        return "any"

    def bare(self, node: Name) -> str:
        if self._in_pred:
            return "any"
        if node.name in ("true", "false"):
            return "bool"
        if self.field != "choice_filter" or self.q is None:
            if self.odk_note(node.pos, f"{node.name!r} is a child of the context node, which has "
                                       "none here: it reads empty (as in ODK)"):
                return "any"
            raise self.fail(node.pos, f"bare name {node.name!r}: write ${{{node.name}}}")
        keys = {"value", "label", *choice_keys(self.q.choice_list)}
        if node.name not in keys and not self.odk_note(node.pos, self._no_key(node.name)):
            raise self.fail(node.pos, f"choices have no key {node.name!r}")
        return "any"

    def _no_key(self, key: str) -> str:
        """The warning for a filter on a column no choice has: javarosa reads it as an
        empty node-set, so its comparisons are false and the filter offers no choice."""
        assert self.q is not None
        text = (f"choices have no column {key!r}: it reads empty, so this filter may offer no "
                "choice (as in ODK; a text is written in quotes)")
        if self.q.required_spec is True:
            text += f"; then the required question {self.q.name} cannot be answered"
        elif self.q.required_spec:
            text += f"; then the question {self.q.name} cannot be answered when it is required"
        return text

    def numeric(self, node: Node, op: str) -> None:
        kind = self.kind(node)
        if isinstance(node, Str) and math.isnan(to_number(node.value)) and not self.odk_note(
                node.pos, f"text {node.value!r} used in arithmetic ({op}) gives NaN (as in ODK)"):
            raise self.fail(node.pos, f"text {node.value!r} used in arithmetic ({op})")
        if kind in _NOT_NUMERIC or kind == "bool" and isinstance(node, Ref):
            raise self.fail(node.pos, f"a {kind} value cannot be used in arithmetic ({op})")

    def binop(self, node: BinOp) -> str:
        if node.op in ("and", "or"):
            dead = self.skip_dead(node)
            self.kind(node.left)
            if node.right is not dead:
                self.kind(node.right)
            return "bool"
        if node.op in ARITH_OPS:
            self.numeric(node.left, node.op)
            self.numeric(node.right, node.op)
            return "number"
        lk, rk = self.kind(node.left), self.kind(node.right)
        self.literal_vs(node.left, node.right, lk)
        self.literal_vs(node.right, node.left, rk)
        return "bool"

    def literal_vs(self, other: Node, lit: Node, other_kind: str) -> None:
        """A text literal compared with a typed answer must make sense for that type."""
        if not isinstance(lit, Str) or lit.value == "":
            return
        text = lit.value
        if other_kind == "number":
            try:
                float(text)
            except ValueError:
                if not self.odk_note(lit.pos, f"{text!r} is compared with a number: never "
                                     "equal (as in ODK)"):
                    raise self.fail(lit.pos, f"{text!r} is compared with a number") from None
        elif other_kind == "date" and _bad_date(text) and not self.odk_note(
                lit.pos, f"{text!r} is compared with a date but is not one (as in ODK)"):
            raise self.fail(lit.pos, f"{text!r} is not a date (YYYY-MM-DD)")
        elif isinstance(other, (Ref, Dot)):
            self.check_choice_value(other, lit)

    def target_of(self, node: Node) -> Question | None:
        if isinstance(node, Ref):
            return self.form.questions.get(node.name)
        if isinstance(node, Dot):
            return self.q
        return None

    def check_choice_value(self, ref: Node, lit: Str) -> None:
        target = self.target_of(ref)
        if target is None or target.type not in ("select_one", "select_multiple"):
            return
        values = has_choice_value(target.choice_list)
        if lit.value not in values and not self.odk_note(
                lit.pos, f"{lit.value!r} is not a choice of {target.name}; the comparison is never true"):
            raise self.fail(lit.pos, f"{lit.value!r} is not a choice of {target.name}")

    def odk_note(self, pos: int, text: str) -> bool:
        """For an ODK form (javarosa evaluates what this checker doubts): a warning shown at
        import instead of a refusal; False for a kiosk form (refused)."""
        odk = self.form.odk
        if odk is None:
            return False
        who = f"question {self.q.name}" if self.q else f"page {self.page}"
        note = f"{self.path}: {who}, {self.field}, column {pos}: {text}"
        if note not in odk.warnings:
            odk.warnings.append(note)
        return True

    def skip_dead(self, node: Node) -> Node | None:
        """The branch of ``node`` a constant condition never lets run if it holds a call that
        would fail, in an ODK form: not checked, warned about (a kiosk form: None, refused)."""
        dead, bad = dead_calls(node)
        odk = self.form.odk
        if dead is None or odk is None:
            return None
        odk.warnings.extend(w for w in dead_call_warnings(self.path, self.field, self.text, bad)
                            if w not in odk.warnings)
        return dead

    def call(self, node: Call) -> str:
        spec = FUNCTIONS.get(node.func)
        if spec is None:
            raise self.fail(node.pos, f"unknown function {node.func}()")
        lo, hi, _impl, result = spec
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = str(lo) if lo == hi else f"{lo} to {hi if hi is not None else 'any'}"
            raise self.fail(node.pos, f"{node.func}() takes {want} argument(s), not {n}")
        f, args = node.func, node.args
        if f in ("instance", "pulldata") and isinstance(args[0], Str) and (
            args[0].value not in self.form.instances
        ):
            raise self.fail(args[0].pos, f"unknown instance {args[0].value!r}")
        if f in ("indexed-repeat", "position", "randomize", "count-non-empty", "name", "local-name",
                 "namespace-uri"):
            self._counting = True  # these take repeats (and repeated questions) as they are
            try:
                kinds = [self.kind(a) for a in args]
            finally:
                self._counting = False
            if f in _NODE_ARG and args and isinstance(args[0], (Num, Str, Neg)):
                raise self.fail(args[0].pos, f"{f}() needs nodes (a path or a question), not a value")
            return result if result != "nodes" else "any"
        if f == "count":
            self._counting = True
            try:
                self.kind(args[0])
            finally:
                self._counting = False
            if not self.is_multi(args[0]):
                raise self.fail(args[0].pos, "count() needs a repeat or a question inside one")
            return result
        dead = self.skip_dead(node) if f == "if" else None
        kinds = [self.kind(a) if a is not dead else "any" for a in args]
        if f in ("selected", "selected-at", "count-selected") and kinds[0] in _NOT_SELECT:
            raise self.fail(args[0].pos, f"{f}() needs a select question, not a {kinds[0]} value")
        if f == "selected" and isinstance(args[1], Str):
            self.check_choice_value(args[0], args[1])
        if f in ("age", "age-on"):
            for a, k in zip(args, kinds, strict=False):
                if k in _NOT_DATE or (isinstance(a, Str) and _bad_date(a.value)):
                    raise self.fail(a.pos, f"{f}() needs a date")
        if f in ("date", "date-time", "decimal-date-time") and isinstance(args[0], Str) and (
            args[0].value != "" and _bad_date(args[0].value)
        ):  # '' is the empty date (javarosa)
            raise self.fail(args[0].pos, f"{args[0].value!r} is not a date (YYYY-MM-DD)")
        if f in ("date", "date-time") and kinds[0] == "bool":
            raise self.fail(args[0].pos, f"{f}() of a true/false value")
        if f == "regex" and isinstance(args[1], Str):
            from kiosk.forms.regex_safe import RegexRefused, compile_regex

            try:
                compile_regex(args[1].value)
            except RegexRefused as exc:
                raise self.fail(args[1].pos, f"bad regular expression: {exc.reason} (the "
                                "kiosk runs patterns without backreferences or lookaround)"
                                ) from None
        if f == "sum":
            if not self.is_multi(args[0]):
                raise self.fail(args[0].pos, "sum() needs a question inside a repeat")
            if kinds[0] in _NOT_NUMERIC:
                raise self.fail(args[0].pos, f"sum() of a {kinds[0]} value")
        if f in ("registry-birth-date", "registry-sex") and kinds[0] not in ("string", "any"):
            raise self.fail(args[0].pos, f"{f}() needs a registry number")
        if f in ("if", "coalesce"):
            rest = kinds[1:] if f == "if" else kinds
            return rest[0] if len(set(rest)) == 1 else "any"
        return result if result != "nodes" else "any"

    def is_multi(self, node: Node) -> bool:
        """A reference that yields several values here (a repeat, or a question in one)."""
        if isinstance(node, (Path, Filter)) or isinstance(node, BinOp) and node.op == "|":
            return True
        if isinstance(node, Call):
            spec = FUNCTIONS.get(node.func)
            return spec is not None and spec[3] == "nodes"
        if not isinstance(node, Ref):
            return False
        target = self.form.questions[node.name]
        here = self.q.repeat_path if self.q else ()
        if target.is_repeat:
            return True
        return len(target.repeat_path) > len(here) or target.repeat_path[: len(here)] != here[
            : len(target.repeat_path)
        ]


_NODE_ARG = frozenset({"position", "count-non-empty", "name", "local-name", "namespace-uri"})


def _bad_date(text: str) -> bool:
    """Not a date or date-time text (unpadded ``2012-1-1`` and ``…T10:00:00+08:00`` are)."""
    return parse_date_text(text) is None


@lru_cache(maxsize=8192)
def _analysed(text: str) -> tuple[Node, bool, frozenset[str]]:
    """(tree, whether it has no paths to resolve, its ${} references), once per text:
    the same expression text recurs across a form's questions."""
    tree = parse(text)
    static, names, stack = True, set(), [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, Ref):
            names.add(n.name)
        elif isinstance(n, (Path, Filter)) or isinstance(n, Call) and n.func == "jr:choice-name":
            static = False
        stack.extend(children(n))
    return tree, static, frozenset(names)


@lru_cache(maxsize=8192)
def _compiled_text(text: str) -> Any:
    return compile_node(_analysed(text)[0])


def _compile(form: FormDef, q: Question | None, field: str, text: str, path: str,
             page: str = "") -> tuple[Any, frozenset[str]]:
    checker = _Checker(form, q, field, path, page, text)
    try:
        tree, static, names = _analysed(text)
    except ExpressionError as exc:
        raise checker.fail(exc.column, exc.reason) from None
    if static:  # nothing to resolve: shared tree and closure
        checker.kind(tree)
        try:
            fn = _compiled_text(text)
        except ExpressionError as exc:  # pragma: no cover - the checker saw it first
            raise checker.fail(exc.column, exc.reason) from None
        if field == "choice_filter":
            plan_choice_index(fn, tree)
        return fn, names
    try:
        tree = PathResolver(form, q, field, checker.odk_note).resolve(tree)
    except ExpressionError as exc:
        raise checker.fail(exc.column, exc.reason) from None
    checker.kind(tree)
    try:
        fn = compile_node(tree)
    except ExpressionError as exc:  # pragma: no cover - the checker saw it first
        raise checker.fail(exc.column, exc.reason) from None
    if field == "choice_filter":
        plan_choice_index(fn, tree)
    soft: set[str] = set()
    hard = refs(tree)
    found = Refs(hard | dynamic_deps(form, q, field, tree, soft))
    found.soft = frozenset(soft - hard)
    return fn, found


class Refs(frozenset[str]):
    """The questions an expression reads; ``soft``: those read only through the text of
    an enclosing group (no dependency cycle, see expr_paths.dynamic_deps)."""

    soft: frozenset[str] = frozenset()


def compile_form(form: FormDef) -> None:
    """Check and compile every expression of ``form``; fill ``form.affects``.

    The cyclic garbage collector is paused meanwhile: compiling allocates tens of
    thousands of trees and closures that all live as long as the form, and the
    collections they would trigger cost a quarter of the time (kiosk bench
    ``compile_3000q_*``)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        _compile_all(form)
    finally:
        if paused:
            gc.enable()


def _compile_all(form: FormDef) -> None:
    for page in form.pages:
        if page.relevant:
            page.compiled_relevant, page.refs = _compile(
                form, None, "relevant", page.relevant, f"{page.json_path}.relevant", page.name
            )
    for q in form.questions.values():
        specs: dict[str, Any] = {
            "relevant": q.relevant, "constraint": q.constraint, "calculate": q.calculate,
            "choice_filter": q.choice_filter,
            "required": q.required_spec if isinstance(q.required_spec, str) else None,
            "read_only": q.read_only_spec if isinstance(q.read_only_spec, str) else None,
            "min_count": q.min_count if isinstance(q.min_count, str) else None,
            "max_count": q.max_count if isinstance(q.max_count, str) else None,
        }
        for field, text in specs.items():
            if text:
                q.compiled[field], q.refs[field] = _compile(
                    form, q, field, text, f"{q.json_path}.{field}"
                )
    check_defaults(form)
    check_cycles(form)
    graph = build_graph(form)
    set_graph(form, graph)
    form.affects = {
        name: frozenset((*graph.values.get(name, ()), *graph.others.get(name, ())))
        for name in form.questions
    }
