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
            raise FormLoadError(where, f"{raw.strip()!r} refers to {target}, which is not a question of this form")
        return "${" + name + "}"

    return _PATH.sub(repl, text)


def split_itemset(nodeset: str, where: str) -> tuple[str, str | None]:
    """``instance('id')/root/item[filter]`` -> ("id", "filter" or None)."""
    m = re.fullmatch(
        r"\s*instance\(\s*['\"]([^'\"]+)['\"]\s*\)\s*/\s*root\s*/\s*item\s*(?:\[(.*)\])?\s*",
        nodeset, re.DOTALL,
    )
    if not m:
        raise FormLoadError(where, f"itemset nodeset {nodeset!r} is not instance('…')/root/item[…]; "
                                   "choices from a repeat or another shape are not supported")
    flt = m.group(2)
    return m.group(1), (flt.strip() or None) if flt is not None else None


def local(tag: str) -> str:
    """An XML tag without its ``{namespace}``."""
    return tag.split("}", 1)[-1]
