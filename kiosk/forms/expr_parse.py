"""Tokenizer and recursive-descent parser for form expressions: XPath 1.0 with ODK sugar.

Expressions are parsed once, when a form is loaded, into the small tree of
node classes below; kiosk.forms.expr_check resolves paths against the form and
kiosk.forms.expr_eval turns a tree into a Python closure. Nothing here
evaluates text as code. Any malformed input raises ExpressionError carrying the
1-based column, never another exception type.

Grammar (lowest precedence first)::

    or   := and ('or' and)*                        (parsed by precedence
    and  := eq ('and' eq)*                          climbing: one function,
    eq   := rel (('=' | '!=') rel)*                 same tree)
    rel  := add (('<' | '<=' | '>' | '>=') add)*
    add  := mul (('+' | '-') mul)*
    mul  := unary (('*' | 'div' | 'mod') unary)*
    unary:= '-' unary | union
    union:= path ('|' path)*
    path := '/' rel? | '//' rel | rel | filter (('/' | '//') rel)?
    rel  := step (('/' | '//') step)*
    step := '.' | '..' | (axis '::' | '@')? (NAME | '*' | 'node()' | 'text()') pred*
    filter := primary pred*
    primary := NUMBER | STRING | ${name} | '(' or ')' | NAME '(' args ')'

``${name}`` is sugar for the named question's path (kiosk.forms.expr_check turns
paths into references to questions). Like XPath, ``*`` and the words ``and``,
``or``, ``div``, ``mod`` are operators only after a value; elsewhere they are
name tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

MAX_LENGTH = 4000  # a form author's expression; longer is surely a mistake
MAX_DEPTH = 60  # nesting; keeps the recursive parser far from Python's limit


class ExpressionError(ValueError):
    """A malformed expression; ``column`` is 1-based (0 when it concerns the whole)."""

    def __init__(self, reason: str, column: int) -> None:
        super().__init__(f"column {column}: {reason}")
        self.reason = reason
        self.column = column


@dataclass(frozen=True)
class Node:
    pos: int  # 1-based column of the node's first character


@dataclass(frozen=True)
class Num(Node):
    value: float | int


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Ref(Node):
    """``${name}`` (or a path that names one question): that question's value."""

    name: str


@dataclass(frozen=True)
class Dot(Node):
    """``.``: the context node (this question's own answer)."""


@dataclass(frozen=True)
class Name(Node):
    """A bare name: a child of the context node (a key of the choice being filtered)."""

    name: str


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...] = field(default=())


@dataclass(frozen=True)
class BinOp(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


AXES = frozenset({
    "child", "attribute", "self", "parent", "descendant", "descendant-or-self",
    "ancestor", "ancestor-or-self", "following-sibling", "preceding-sibling",
    "following", "preceding",
})
NODE_TYPES = frozenset({"node", "text", "comment", "processing-instruction"})


def names_one(test: str) -> bool:
    """Whether a step's ``test`` names elements (neither ``*`` nor a node-type test)."""
    return test != "*" and not test.endswith(")")


@dataclass(frozen=True)
class Step(Node):
    """One location step: ``axis::test[pred]...``; ``test`` is a name, ``*``, or a
    node-type test (``node()``, ``text()``, ``comment()``, ``processing-instruction()``)."""

    axis: str
    test: str
    preds: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Path(Node):
    """A location path. ``base`` is the filter expression it starts from
    (``instance('id')``, ``current()``, ``${x}``, ``(…)``), or None: the root when
    ``absolute``, else the context node."""

    base: Node | None
    absolute: bool
    steps: tuple[Step, ...]

    def text(self) -> str:
        """The path as written without predicates (for messages)."""
        out = []
        for s in self.steps:
            if s.axis == "parent" and s.test == "node()":
                out.append("..")
            elif s.axis == "self" and s.test == "node()":
                out.append(".")
            elif s.axis == "descendant-or-self" and s.test == "node()":
                out.append("")
            elif s.axis == "attribute":
                out.append("@" + s.test)
            elif s.axis == "child":
                out.append(s.test)
            else:
                out.append(f"{s.axis}::{s.test}")
        joined = "/".join(out)
        return "/" + joined if self.absolute else joined


@dataclass(frozen=True)
class Filter(Node):
    """``primary[pred]...``: a value (a node-set) filtered by predicates."""

    base: Node
    preds: tuple[Node, ...]


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
  | (?P<ref>\$\{\s*(?P<refname>[A-Za-z_][A-Za-z0-9_.\-]*)\s*\})
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op><=|>=|!=|//|\.\.|::|[=<>+\-*(),./\[\]|@])
  | (?P<name>[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*|:\*)?)
    """,
    re.VERBOSE,
)
_OP_WORDS = frozenset({"or", "and", "div", "mod"})


class Token(NamedTuple):
    kind: str  # num, str, ref, op, name, end
    text: str
    pos: int


_VALUE_END_OPS = frozenset({")", "]", ".", "..", "*name"})


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", 0)
    tokens: list[Token] = []
    append = tokens.append
    match = _TOKEN_RE.match
    i, n = 0, len(text)
    ends_value = False  # whether the previous token can end an operand
    while i < n:
        m = match(text, i)
        if m is None:
            ch = text[i]
            if ch in "'\"":
                raise ExpressionError("text literal is not closed", i + 1)
            if text.startswith("${", i):
                raise ExpressionError("malformed reference: write ${name}", i + 1)
            raise ExpressionError(f"unexpected character {ch!r}", i + 1)
        kind = m.lastgroup
        i = m.end()
        if kind == "ws":
            continue
        if kind in ("ref", "refname"):
            tok = Token("ref", m.group("refname"), m.start() + 1)
        else:
            word = m.group()
            if kind == "op" and word == "*" and not ends_value:
                word = "*name"  # a name test, not multiplication
            elif kind == "name" and ends_value:
                # after a value a name can only be an operator: ``1div1`` is 1 div 1
                op = next((w for w in _OP_WORDS if word.startswith(w)), None)
                if op is not None:
                    kind, word, i = "op", op, m.start() + len(op)
            tok = Token(kind, word, m.start() + 1)  # type: ignore[arg-type]
        append(tok)
        ends_value = tok.kind in ("num", "str", "ref", "name") or (
            tok.kind == "op" and tok.text in _VALUE_END_OPS)
    append(Token("end", "", n + 1))
    return tokens


# Binary operators by precedence (higher binds tighter); all left-associative.
_PREC = {"or": 1, "and": 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
         "+": 5, "-": 5, "*": 6, "div": 6, "mod": 6}
_SELF = ("self", "node()")
_PARENT = ("parent", "node()")
_DESC = ("descendant-or-self", "node()")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> Token:
        if ahead:
            return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.text in ops

    def expect(self, op: str) -> Token:
        tok = self.peek()
        if not (tok.kind == "op" and tok.text == op):
            found = "end of expression" if tok.kind == "end" else repr(tok.text)
            raise ExpressionError(f"expected {op!r}, found {found}", tok.pos)
        return self.take()

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError("empty expression", 1)
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise ExpressionError(f"unexpected {_shown(tok)!r}", tok.pos)
        return node

    def nest(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("expression nested too deeply", pos)

    def or_(self) -> Node:
        """A full expression (precedence climbing over the binary operators)."""
        self.nest(self.peek().pos)
        node = self.binary(1)
        self.depth -= 1
        return node

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        tokens = self.tokens
        while True:
            tok = tokens[self.i]
            prec = _PREC.get(tok.text, 0) if tok.kind == "op" else 0
            if prec < min_prec:
                return left
            self.i += 1
            right = self.binary(prec + 1)
            left = BinOp(tok.pos, tok.text, left, right)

    def unary(self) -> Node:
        tok = self.tokens[self.i]
        if tok.kind == "op" and tok.text == "-":
            tok = self.take()
            self.nest(tok.pos)
            operand = self.unary()
            self.depth -= 1
            return Neg(tok.pos, operand)
        return self.union()

    def union(self) -> Node:
        left = self.path()
        tok = self.tokens[self.i]
        while tok.kind == "op" and tok.text == "|":
            self.i += 1
            left = BinOp(tok.pos, "|", left, self.path())
            tok = self.tokens[self.i]
        return left

    # ------------------------------------------------------------ paths
    def starts_step(self) -> bool:
        tok = self.peek()
        if tok.kind == "op":
            return tok.text in (".", "..", "@", "*name")
        if tok.kind != "name":
            return False
        nxt = self.peek(1)
        if nxt.kind == "op" and nxt.text == "(":
            return tok.text in NODE_TYPES
        return True

    def path(self) -> Node:
        tok = self.tokens[self.i]
        kind = tok.kind
        if kind == "num" or kind == "str" or kind == "ref":  # the common case, fast
            nxt = self.tokens[self.i + 1]
            if nxt.kind != "op" or nxt.text not in ("[", "/", "//"):
                return self.primary()
        if kind == "op" and tok.text in ("/", "//"):
            self.take()
            steps: list[Step] = []
            if tok.text == "//":
                steps.append(Step(tok.pos, *_DESC))
                steps += self.rel_steps()
            elif self.starts_step():
                steps += self.rel_steps()
            return Path(tok.pos, None, True, tuple(steps))
        if self.starts_step():
            after = self.tokens[self.i + 1]
            explicit = after.kind == "op" and after.text == "::"  # self::node(), child::x: nodes
            steps = self.rel_steps()
            if len(steps) == 1 and not steps[0].preds and not explicit:
                only = steps[0]
                if (only.axis, only.test) == _SELF:
                    return Dot(only.pos)
                if only.axis == "child" and names_one(only.test) and ":" not in only.test:
                    if only.test in _OP_WORDS:
                        raise ExpressionError(f"operator {only.test!r} needs a value before it",
                                              only.pos)
                    return Name(only.pos, only.test)
            return Path(tok.pos, None, False, tuple(steps))
        base = self.primary()
        preds = self.preds()
        node: Node = Filter(base.pos, base, preds) if preds else base
        if self.is_op("/", "//"):
            sep = self.take()
            steps = [Step(sep.pos, *_DESC)] if sep.text == "//" else []
            steps += self.rel_steps()
            return Path(node.pos, node, False, tuple(steps))
        return node

    def rel_steps(self) -> list[Step]:
        steps = [self.step()]
        while self.is_op("/", "//"):
            sep = self.take()
            if sep.text == "//":
                steps.append(Step(sep.pos, *_DESC))
            steps.append(self.step())
        return steps

    def step(self) -> Step:
        tok = self.take()
        if tok.kind == "op" and tok.text == ".":
            return Step(tok.pos, *_SELF)
        if tok.kind == "op" and tok.text == "..":
            return Step(tok.pos, *_PARENT)
        axis = "child"
        if tok.kind == "op" and tok.text == "@":
            axis = "attribute"
            tok = self.take()
        elif tok.kind == "name" and self.is_op("::"):
            if tok.text not in AXES:
                raise ExpressionError(f"unknown axis {tok.text!r}", tok.pos)
            axis = tok.text
            self.take()
            tok = self.take()
        if tok.kind == "op" and tok.text == "*name":
            test = "*"
        elif tok.kind == "name":
            test = tok.text
            if test in NODE_TYPES and self.is_op("("):
                self.take()
                target = ""
                if test == "processing-instruction" and self.peek().kind == "str":
                    target = self.take().text
                self.expect(")")
                test += f"({target})"
        elif tok.kind == "end":
            raise ExpressionError("path ends too early", tok.pos)
        else:
            raise ExpressionError(f"expected a name in the path, found {_shown(tok)!r}", tok.pos)
        return Step(tok.pos, axis, test, self.preds())

    def preds(self) -> tuple[Node, ...]:
        tok = self.tokens[self.i]
        if tok.kind != "op" or tok.text != "[":
            return ()
        out: list[Node] = []
        while self.is_op("["):
            self.take()
            out.append(self.or_())
            self.expect("]")
        return tuple(out)

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            text = tok.text
            value: float | int = float(text) if "." in text else int(text)
            return Num(tok.pos, value)
        if tok.kind == "str":
            return Str(tok.pos, tok.text[1:-1])
        if tok.kind == "ref":
            return Ref(tok.pos, tok.text)
        if tok.kind == "op" and tok.text == "(":
            node = self.or_()
            self.expect(")")
            return node
        if tok.kind == "name" and self.is_op("("):
            self.take()
            args: list[Node] = []
            if not self.is_op(")"):
                args.append(self.or_())
                while self.is_op(","):
                    self.take()
                    args.append(self.or_())
            self.expect(")")
            return Call(tok.pos, tok.text, tuple(args))
        if tok.kind == "op" and tok.text in _OP_WORDS:
            raise ExpressionError(f"operator {tok.text!r} needs a value before it", tok.pos)
        if tok.kind == "end":
            raise ExpressionError("expression ends too early", tok.pos)
        raise ExpressionError(f"unexpected {_shown(tok)!r}", tok.pos)


def _shown(tok: Token) -> str:
    return "*" if tok.text == "*name" else tok.text


def parse(text: str) -> Node:
    """Parse ``text`` into a tree; raises ExpressionError with the column. Trees are
    immutable, so the same text (common across a form's questions) is parsed once."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be text", 0)
    return _parse(text)


@lru_cache(maxsize=8192)
def _parse(text: str) -> Node:
    return _Parser(text).parse()


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node`` (predicates included)."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, Filter):
        return (node.base, *node.preds)
    if isinstance(node, Path):
        out: list[Node] = [node.base] if node.base is not None else []
        for s in node.steps:
            out += s.preds
        return tuple(out)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents first."""
    yield node
    for child in children(node):
        yield from walk(child)


def refs(node: Node) -> set[str]:
    """Names referenced with ``${...}``."""
    return {n.name for n in walk(node) if isinstance(n, Ref)}
