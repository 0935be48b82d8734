"""Tokenizer and recursive-descent parser for form expressions (XLSForm syntax).

Expressions are parsed once, when a form is loaded, into the small tree of
node classes below; kiosk.forms.expr_eval turns a tree into a Python closure.
Nothing here evaluates text as code. Any malformed input raises
ExpressionError carrying the 1-based column, never another exception type.

Grammar (lowest precedence first)::

    or   := and ('or' and)*                        (parsed by precedence
    and  := eq ('and' eq)*                          climbing: one function,
    eq   := rel (('=' | '!=') rel)*                 same tree)
    rel  := add (('<' | '<=' | '>' | '>=') add)*
    add  := mul (('+' | '-') mul)*
    mul  := unary (('*' | 'div' | 'mod') unary)*
    unary:= '-' unary | primary
    primary := NUMBER | STRING | ${name} | '.' | '(' or ')' | NAME '(' args ')' | NAME
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
    """``${name}``: another question's value."""

    name: str


@dataclass(frozen=True)
class Dot(Node):
    """``.``: this question's own answer."""


@dataclass(frozen=True)
class Name(Node):
    """A bare name: a key of the choice being filtered (choice_filter only)."""

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


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
  | (?P<ref>\$\{\s*(?P<refname>[A-Za-z_][A-Za-z0-9_]*)\s*\})
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op><=|>=|!=|[=<>+\-*(),.])
  | (?P<name>[A-Za-z_][A-Za-z0-9_.:\-]*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # num, str, ref, op, name, end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", 0)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN_RE.match(text, i)
        if m is None:
            ch = text[i]
            if ch in "'\"":
                raise ExpressionError("text literal is not closed", i + 1)
            if text.startswith("${", i):
                raise ExpressionError("malformed reference: write ${name}", i + 1)
            raise ExpressionError(f"unexpected character {ch!r}", i + 1)
        kind = m.lastgroup if m.lastgroup != "refname" else "ref"
        if m.group("ref"):
            tokens.append(Token("ref", m.group("refname"), i + 1))
        elif kind != "ws":
            assert kind is not None
            tokens.append(Token(kind, m.group(0), i + 1))
        i = m.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# Binary operators by precedence (higher binds tighter); all left-associative.
_PREC = {"or": 1, "and": 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
         "+": 5, "-": 5, "*": 6, "div": 6, "mod": 6}
_WORD_OPS = frozenset({"or", "and", "div", "mod"})


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
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
            raise ExpressionError(f"unexpected {tok.text!r}", tok.pos)
        return node

    def or_(self) -> Node:
        """A full expression (precedence climbing over the binary operators)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("expression nested too deeply", self.peek().pos)
        node = self.binary(1)
        self.depth -= 1
        return node

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        tokens = self.tokens
        while True:
            tok = tokens[self.i]
            prec = _PREC.get(tok.text, 0) if tok.kind in ("op", "name") else 0
            if tok.kind == "name" and tok.text not in _WORD_OPS:
                prec = 0
            if prec < min_prec:
                return left
            self.i += 1
            right = self.binary(prec + 1)
            left = BinOp(tok.pos, tok.text, left, right)

    def unary(self) -> Node:
        if self.is_op("-"):
            tok = self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError("expression nested too deeply", tok.pos)
            operand = self.unary()
            self.depth -= 1
            return Neg(tok.pos, operand)
        return self.primary()

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
        if tok.kind == "op" and tok.text == ".":
            return Dot(tok.pos)
        if tok.kind == "op" and tok.text == "(":
            node = self.or_()
            self.expect(")")
            return node
        if tok.kind == "name":
            if self.is_op("("):
                self.take()
                args: list[Node] = []
                if not self.is_op(")"):
                    args.append(self.or_())
                    while self.is_op(","):
                        self.take()
                        args.append(self.or_())
                self.expect(")")
                return Call(tok.pos, tok.text, tuple(args))
            if tok.text in ("and", "or", "div", "mod"):
                raise ExpressionError(f"operator {tok.text!r} needs a value before it", tok.pos)
            return Name(tok.pos, tok.text)
        if tok.kind == "end":
            raise ExpressionError("expression ends too early", tok.pos)
        raise ExpressionError(f"unexpected {tok.text!r}", tok.pos)


def parse(text: str) -> Node:
    """Parse ``text`` into a tree; raises ExpressionError with the column."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be text", 0)
    return _Parser(text).parse()


def walk(node: Node):  # type: ignore[no-untyped-def]
    """Every node of the tree, parents first."""
    yield node
    if isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)
    elif isinstance(node, BinOp):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Neg):
        yield from walk(node.operand)


def refs(node: Node) -> set[str]:
    """Names referenced with ``${...}``."""
    return {n.name for n in walk(node) if isinstance(n, Ref)}
