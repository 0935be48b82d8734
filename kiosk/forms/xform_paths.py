"""XForm node paths: normalising them, and turning label outputs into ``${name}``.

Expressions (relevant, constraint, calculate, choice filters …) stay XPath: the
engine's compiler resolves their paths (kiosk.forms.expr_paths). Labels are
not expressions: an ``<output value="/data/x"/>`` in a label becomes the
``${x}`` the screens fill in, and a path to nothing in the form is refused
naming the element (never a silent empty text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from kiosk.forms.model import FormLoadError

_STEP = r"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?"
# One path: absolute (/a/b), relative from the context (../a, ./a, current()/../a), or
# only parent steps (..). Division in XPath is "div", so "/" only ever starts a step.
_PATH = re.compile(
    rf"""
    (?P<lit>'[^']*'|"[^"]*")
  | (?P<path>
        (?:current\(\)\s*/\s*)?(?:\.\.?)(?:\s*/\s*(?:\.\.|{_STEP}))+  # ../x, ./x, ../..
      | (?<![\w)\]\.])/\s*{_STEP}(?:\s*/\s*(?:\.\.|{_STEP}))*    # /data/x
      | current\(\)(?!\s*/)                                          # current()
      | \.\.(?![\w/])                                              # ..
    )
    """,
    re.VERBOSE,
)

Resolver = Callable[[str], str | None]  # absolute path -> question name, or None


def normalise_path(path: str, context: str) -> str:
    """The absolute path of ``path`` (absolute, or relative to the node ``context``)."""
    path = re.sub(r"\s+", "", path)
    if path.startswith("current()"):
        path = path[len("current()"):].lstrip("/") or "."
    if path.startswith("/"):
        parts: list[str] = []
        steps = path.strip("/").split("/")
    else:
        parts = [p for p in context.strip("/").split("/") if p]
        steps = path.split("/")
    for step in steps:
        if step in ("", "."):
            continue
        if step == "..":
            if parts:
                parts.pop()
        else:
            parts.append(step.split(":")[-1] if step.startswith(("jr:", "orx:")) else step)
    return "/" + "/".join(parts)


def rewrite(expr: str | None, context: str, resolve: Resolver, where: str,
            dot_is_self: bool = True) -> str | None:
    """``expr`` with every node path turned into ``${name}``.

    ``context`` is the absolute path the expression is evaluated at (its own node);
    a lone ``.`` stays the engine's own-answer ``.`` when ``dot_is_self``.
    ``where`` names the element and attribute for errors.
    """
    if expr is None:
        return None
    text = expr.strip()
    if not text:
        return None

    def repl(m: re.Match[str]) -> str:
        if m.group("lit") is not None:
            return m.group("lit")
        raw = m.group("path")
        target = normalise_path(raw, context)
        if dot_is_self and target == normalise_path(".", context) and raw.strip() in (".", "current()"):
            return "."
        name = resolve(target)
        if name is None:
            raise FormLoadError(where, key="formload.path_not_question",
                                params={"path": repr(raw.strip()), "target": target})
        return "${" + name + "}"

    return _PATH.sub(repl, text)


def split_itemset(nodeset: str, where: str) -> tuple[str, tuple[str, ...], tuple[str | None, ...]]:
    """``instance('id')/root/a[p]/item[filter]`` -> ("id", ("root", "a", "item"),
    (None, "p", "filter")): any element names (the first is the instance's root), each
    step with at most one predicate (a filter in the middle of the path included)."""
    m = re.fullmatch(r"\s*instance\(\s*['\"]([^'\"]+)['\"]\s*\)\s*(/.*)", nodeset, re.DOTALL)
    parts = _steps_with_predicates(m.group(2)) if m else None
    if m is None or not parts:
        raise FormLoadError(where, key="formload.itemset_shape", params={"nodeset": repr(nodeset)})
    return m.group(1), tuple(name for name, _p in parts), tuple(p for _n, p in parts)


_SLASH_STEP = re.compile(rf"\s*/\s*({_STEP})\s*")


def _steps_with_predicates(text: str) -> list[tuple[str, str | None]] | None:
    """``/a[p]/b`` -> [("a", "p"), ("b", None)]; None for another shape. Brackets and
    quotes inside a predicate are skipped over."""
    out: list[tuple[str, str | None]] = []
    i, n = 0, len(text)
    while i < n:
        m = _SLASH_STEP.match(text, i)
        if m is None:
            return None
        i, pred = m.end(), None
        if i < n and text[i] == "[":
            close = _closing_bracket(text, i)
            if close < 0:
                return None
            pred, i = text[i + 1:close].strip() or None, close + 1
            i += len(text[i:]) - len(text[i:].lstrip())
        out.append((m.group(1), pred))
    return out


def _closing_bracket(text: str, at: int) -> int:
    """Where the ``]`` closing the ``[`` at ``at`` is (-1: none)."""
    depth, quote = 0, ""
    for i in range(at, len(text)):
        ch = text[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
    return -1


def split_randomize(nodeset: str) -> tuple[str, str | None, bool]:
    """``randomize(path[, seed])`` -> (path, seed expression or None, True); any other
    nodeset -> (nodeset, None, False). The seed is the last top-level argument."""
    text = nodeset.strip()
    if not (text.startswith("randomize(") and text.endswith(")")):
        return nodeset, None, False
    inner, depth, quote, cut = text[len("randomize("):-1], 0, "", -1
    for i, ch in enumerate(inner):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            cut = i
    if cut < 0:
        return inner.strip(), None, True
    return inner[:cut].strip(), inner[cut + 1:].strip() or None, True


def local(tag: str) -> str:
    """An XML tag without its ``{namespace}``."""
    return tag.split("}", 1)[-1]


def anchor(expr: str | None, context: str, here: str | None = None) -> str | None:
    """``expr`` with its context-relative paths (``../a``, ``.``, ``current()/x``, a bare
    name), written for the node ``context``, rewritten to mean the same from ``here``
    (relative to it), or from the root when ``here`` is None.

    A group's relevance is ANDed into each child's condition and compiled from the
    child's path; anchored first, its ``../a`` still means what it meant at the group
    (javarosa evaluates it from the group's node). Paths inside predicates keep their
    own context (the filtered node) and are left as written."""
    text = (expr or "").strip()
    if not text or context == "":
        return text or None
    for start, end, target, gap in _anchor_spans(text, context):
        new = target if here is None else _relative_to(target, here)
        text = text[:start - 1] + new + gap + text[end - 1:]
    return text


@lru_cache(maxsize=1024)
def _anchor_spans(text: str, context: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end column, absolute target, whitespace after) of each context-relative
    path of ``text``, last first; parsed once per group (anchor runs per child)."""
    from kiosk.forms.expr_parse import ExpressionError, parse, tokenize

    try:
        tokens, tree = tokenize(text), parse(text)
    except ExpressionError:
        return ()  # the compiler names the error with its column
    by_pos = {tok.pos: i for i, tok in enumerate(tokens)}
    out = []
    for start in sorted(_relative_starts(tree, False), reverse=True):
        i = by_pos.get(start)
        end = _path_end(tokens, i) if i is not None else None
        if end is not None:
            raw = text[start - 1:end - 1]
            out.append((start, end, normalise_path(raw, context), raw[len(raw.rstrip()):]))
    return tuple(out)


def _relative_to(target: str, here: str) -> str:
    """The relative path from the node ``here`` to ``target``."""
    a, b = target.strip("/").split("/"), here.strip("/").split("/")
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    parts = [".."] * (len(b) - n) + a[n:]
    return "/".join(parts) or "."


def _relative_starts(node: object, in_pred: bool) -> list[int]:
    """Columns where a path relative to the context node starts (outside predicates)."""
    from kiosk.forms.expr_parse import Call, Dot, Filter, Name, Path, Step, children

    out: list[int] = []
    if isinstance(node, Path):
        base = node.base
        current = isinstance(base, Call) and base.func == "current" and not base.args
        if not in_pred and base is None and not node.absolute or current:
            out.append(node.pos)
        if base is not None and not current:
            out += _relative_starts(base, in_pred)
        for step in node.steps:
            out += [p for pred in step.preds for p in _relative_starts(pred, True)]
        return out
    if isinstance(node, (Dot, Name)) and not in_pred:
        return [node.pos]
    if isinstance(node, Filter):
        out += _relative_starts(node.base, in_pred)
        return out + [p for pred in node.preds for p in _relative_starts(pred, True)]
    if isinstance(node, Step):
        return out
    for child in children(node):  # type: ignore[arg-type]
        out += _relative_starts(child, in_pred)
    return out


def _path_end(tokens: list, i: int) -> int | None:  # type: ignore[type-arg]
    """The column just after the plain path starting at token ``i`` (names, ``.``, ``..``,
    ``/``; ``current()`` first), or None when it holds anything else (axes, predicates)."""
    if tokens[i].text == "current" and [t.text for t in tokens[i + 1:i + 3]] == ["(", ")"]:
        i += 3
        if tokens[i].text != "/":
            return tokens[i].pos
        i += 1
    want_step = True
    while True:
        tok = tokens[i]
        if want_step and (tok.kind == "name" or tok.text in (".", "..")):
            want_step = False
        elif not want_step and tok.text == "/":
            want_step = True
        else:
            break
        i += 1
    if want_step or tokens[i].text in ("[", "(", "::", "@", "//"):
        return None
    return tokens[i].pos
