"""Resolving XPath location paths against a form, once, at load.

A path that names one question of the primary instance (``/data/grp/age``,
``../age``, ``current()/../age``, ``${age}``) becomes a ``Ref`` to that
question, so it costs a dictionary look-up when evaluated and takes part in
the dependency graph and the static type checks like ``${age}`` always has.
Paths that select by predicate, walk other axes, or read a secondary instance
(``instance('id')/root/item[…]``) stay ``Path`` nodes and are evaluated over
nodes (kiosk.forms.xpath_nodes); what they may read of the primary instance is
reported by :func:`dynamic_deps` so a change still re-evaluates them.

Relative paths are resolved against the question's own path (its context
node); in a ``choice_filter`` the context node is the choice item, so only
``current()/…`` there is resolved against the question. Inside a predicate the
context node is the candidate node, so relative paths there stay dynamic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kiosk.forms.expr_const import dead_calls
from kiosk.forms.expr_parse import (
    BinOp,
    Call,
    ExpressionError,
    Filter,
    Name,
    Neg,
    Node,
    Path,
    Ref,
    Step,
    Str,
    names_one,
    parse,
)
from kiosk.forms.model import FormDef, Question


class PathResolver:
    """Rewrites one expression of ``q`` (or of a page when ``q`` is None)."""

    def __init__(self, form: FormDef, q: Question | None, field: str,
                 odk_note: Callable[[int, str], bool] | None = None) -> None:
        self.form, self.q, self.field = form, q, field
        # an ODK form's relative path to no node is kept with a warning: javarosa reads it
        # as an empty node-set (an absolute one stays refused: a typo the author sees)
        self.odk_note = odk_note
        self.root = "/" + _root_name(form)
        self.here = q.path if q is not None and q.path else self.root

    # ------------------------------------------------------------ entry
    def resolve(self, node: Node, in_pred: bool = False) -> Node:
        if isinstance(node, Path):
            return self.path(node, in_pred)
        if isinstance(node, Filter):
            return replace(node, base=self.resolve(node.base, in_pred),
                           preds=tuple(self.resolve(p, True) for p in node.preds))
        if isinstance(node, BinOp):
            dead = dead_calls(node)[0] if node.op in ("and", "or") else None  # never run
            right = node.right if node.right is dead else self.resolve(node.right, in_pred)
            return replace(node, left=self.resolve(node.left, in_pred), right=right)
        if isinstance(node, Neg):
            return replace(node, operand=self.resolve(node.operand, in_pred))
        if isinstance(node, Call):
            if node.func == "jr:choice-name" and len(node.args) == 2:
                return replace(node, args=(self.resolve(node.args[0], in_pred),
                                           self.choice_target(node.args[1], in_pred)))
            dead = dead_calls(node)[0] if node.func == "if" else None  # may name no node
            return replace(node, args=tuple(a if a is dead else self.resolve(a, in_pred)
                                            for a in node.args))
        return node

    def choice_target(self, arg: Node, in_pred: bool) -> Node:
        """jr:choice-name's second argument is a path, usually written as text."""
        if isinstance(arg, Str):
            text = arg.value.strip()
            if text.startswith("${") and text.endswith("}"):
                return Ref(arg.pos, text[2:-1].strip())
            target = self.form.by_path.get(text) or self._relative_target(text)
            if target is None:
                raise ExpressionError(f"unknown path {text}", arg.pos)
            return Ref(arg.pos, target.name)
        return self.resolve(arg, in_pred)

    def _relative_target(self, text: str) -> Question | None:
        """The question a path written as text names from the context node (pyxform
        writes ``jr:choice-name( ../x ,' ../x ')`` inside repeats)."""
        try:
            tree = parse(text)
        except ExpressionError:
            return None
        if not isinstance(tree, Path) or tree.base is not None:
            return None
        target = _walk("" if tree.absolute else self.here, tree.steps)
        return self.form.by_path.get(target) if target is not None else None

    # ------------------------------------------------------------ paths
    def path(self, node: Path, in_pred: bool) -> Node:
        steps = tuple(replace(s, preds=tuple(self.resolve(p, True) for p in s.preds))
                      for s in node.steps)
        base = node.base
        start: str | None = None
        if base is None and node.absolute:
            start = ""
        elif base is None and not in_pred and self.field != "choice_filter":
            start = self.here
        elif isinstance(base, Call) and base.func == "current" and not base.args:
            start = self.here
        elif isinstance(base, Ref) and base.name in self.form.questions:
            start = self.form.questions[base.name].path
        elif base is not None:
            base = self.resolve(base, in_pred)
        node = replace(node, base=base, steps=steps)
        if start is None:
            return node
        target = _walk(start, steps)
        if target is None:
            return node  # predicates or other axes: evaluated over nodes
        q = self.form.by_path.get(target)
        if q is not None and q.is_repeat and start and self.here.startswith(target + "/"):
            return node  # the repeat item the question is in: walked from the context node
        if q is not None and start == self.here and self._leaves_item(steps, target):
            return node  # ../../r/n from inside r: every item's n (javarosa), not this item's
        if q is not None:
            return Ref(node.pos, q.name)
        if target == "" or target == self.root or self._is_group(target):
            return node
        if not node.absolute and self.odk_note is not None and self.odk_note(
                node.pos, f"{target} is not a node of this form: it reads empty (as in ODK)"):
            return node
        raise ExpressionError(f"unknown path {target}", node.pos)

    def _leaves_item(self, steps: tuple[Step, ...], target: str) -> bool:
        """Whether a relative path climbs out of a repeat item holding the context node
        and comes back down into that repeat (selecting all its items)."""
        depth = lowest = self.here.count("/")
        for s in steps:
            if s.axis == "parent":
                depth -= 1
                lowest = min(lowest, depth)
            elif s.axis == "child":
                depth += 1
        outer = self.q.repeat_path if self.q is not None else ()
        for name in outer:
            rpath = self.form.questions[name].path or ""
            if lowest < rpath.count("/") and target.startswith(rpath + "/"):
                return True
        return False

    def _is_group(self, path: str) -> bool:
        prefix = path + "/"
        return any(p.startswith(prefix) for p in self.form.by_path)


def _root_name(form: FormDef) -> str:
    for path in form.by_path:
        parts = path.split("/")
        if len(parts) > 1 and parts[1]:
            return parts[1]
    return form.id


def _walk(start: str, steps: tuple[Step, ...]) -> str | None:
    """The one path ``steps`` lead to from ``start``, or None when they may select more
    than one kind of node (predicates, wildcards, axes other than child/self/parent)."""
    parts = start.split("/")[1:] if start else []
    for s in steps:
        if s.preds:
            return None
        if s.axis == "self" and s.test == "node()":
            continue
        if s.axis == "parent" and s.test == "node()":
            if not parts:
                return None
            parts.pop()
            continue
        if s.axis != "child" or not names_one(s.test):
            return None
        parts.append(s.test.split(":")[-1] if ":" in s.test else s.test)
    return "/" + "/".join(parts) if parts else ""


def static_prefix(start: str, steps: tuple[Step, ...]) -> str:
    """The longest path every node selected by ``steps`` from ``start`` lies under."""
    parts = start.split("/")[1:] if start else []
    for s in steps:
        if s.axis == "self":
            continue
        if s.axis == "parent":
            if parts:
                parts.pop()
            continue
        if s.axis in _AROUND:
            del parts[len(parts) - 1 if s.axis in _SIBLINGS else 0:]
            break
        if s.axis != "child" or not names_one(s.test):
            break
        parts.append(s.test.split(":")[-1])
        if s.preds:
            break
    return "/" + "/".join(parts) if parts else ""


def dynamic_deps(form: FormDef, q: Question | None, field: str, tree: Node,
                 soft: set[str] | None = None) -> set[str]:
    """Questions a resolved tree may read through the primary-instance paths that stay
    dynamic (conservative: everything under each path's static prefix), all of them
    re-evaluation triggers. ``soft`` collects those that are no dependency in javarosa's
    sense, whose binds depend on the nodes a path selects (not on everything near them):
    the rest of an enclosing group's text (``string(..)``; the evaluator reads ``q``
    itself empty there) and the nodes beside what a predicate path selects
    (``../../r[position() = position(current()/..) - 1]/x`` reads x, not this
    question). The cycle check skips soft names."""
    return _Deps(form, q, field).run(tree, soft)


class _Deps:
    def __init__(self, form: FormDef, q: Question | None, field: str) -> None:
        self.form, self.field = form, field
        self.here = q.path if q is not None and q.path else "/" + _root_name(form)
        self.hard: set[str] = set()
        self.near: set[str] = set()  # triggers only (see dynamic_deps)

    def run(self, tree: Node, soft: set[str] | None) -> set[str]:
        self.visit(tree, False)
        if soft is not None:
            soft.update(self.near - self.hard)
        return self.hard | self.near

    def visit(self, node: Node, in_pred: bool, shallow: bool = False,
              ctx: str | None = None) -> None:
        if isinstance(node, Path):
            self.path(node, in_pred, shallow, ctx)
        elif isinstance(node, Filter):
            if isinstance(node.base, Ref) and node.base.name in self.form.questions:
                self.hard.update(_under(self.form, self.form.questions[node.base.name].path))
            self.visit(node.base, in_pred, ctx=ctx)
            for p in node.preds:
                self.visit(p, True)
        elif isinstance(node, Name) and in_pred:
            if ctx is not None:
                self.hard.update(_under(self.form, f"{ctx}/{node.name}"))
        elif isinstance(node, BinOp):
            self.visit(node.left, in_pred, ctx=ctx)
            self.visit(node.right, in_pred, ctx=ctx)
        elif isinstance(node, Neg):
            self.visit(node.operand, in_pred, ctx=ctx)
        elif isinstance(node, Call):
            for a in node.args:
                self.visit(a, in_pred, node.func in _STRUCTURAL, ctx)

    def start_of(self, node: Path, in_pred: bool, ctx: str | None) -> str | None:
        if node.base is None and node.absolute:
            return ""
        if node.base is None and not in_pred:
            return self.here if self.field != "choice_filter" else None
        if isinstance(node.base, Call) and node.base.func == "current":
            return self.here
        if isinstance(node.base, (Ref, Filter)):
            ref = node.base if isinstance(node.base, Ref) else node.base.base
            if isinstance(ref, Ref) and ref.name in self.form.questions:
                return self.form.questions[ref.name].path
        if node.base is None and in_pred:
            return ctx  # relative to a candidate (None: covered by the outer path's prefix)
        return None

    def path(self, node: Path, in_pred: bool, shallow: bool, ctx: str | None) -> None:
        start = self.start_of(node, in_pred, ctx)
        cands: list[str | None] = [None] * len(node.steps)
        if start is not None and any(st.axis in _AROUND for st in node.steps):
            self.around(start, node.steps)
        elif start is not None:
            exact = _walk(start, node.steps)
            prefix = static_prefix(start, node.steps)
            cands = _candidates(start, node.steps)
            if shallow and exact is not None:
                self.hard.update(_at(self.form, exact))
            elif exact is not None and self.here.startswith(exact + "/"):
                self.near.update(_under(self.form, exact))
            elif exact is None and cands and cands[-1] is not None:
                self.hard.update(_under(self.form, cands[-1]))  # what the predicates narrow
                self.near.update(_under(self.form, prefix))
            else:
                self.hard.update(_under(self.form, prefix))
        if node.base is not None:
            self.visit(node.base, in_pred, ctx=ctx)
        for s, cand in zip(node.steps, cands, strict=True):
            for p in s.preds:
                self.visit(p, True, ctx=cand)


    def around(self, start: str, steps: tuple[Step, ...]) -> None:
        """A path leaving its context's subtree (ancestor, sibling, following, preceding
        axes): what it may select is a trigger; the subtree the axis step is taken from
        (the question itself, its repeat item for ``../preceding-sibling::r``) is never
        among what those axes select, so it is no dependency (no false cycle); the
        rest is."""
        selected = _under(self.form, static_prefix(start, steps))
        step = next(s for s in steps if s.axis in _AROUND)
        if names_one(step.test):  # only nodes of that name (and what they hold)
            name = step.test.split(":")[-1]
            paths = [self.form.questions[n].path or "" for n in selected]
            selected = {n for p in paths if p.rsplit("/", 1)[-1] == name
                        for n in _under(self.form, p)}
        parts = start.split("/")[1:] if start else []
        for s in steps:
            if s.axis == "parent" and parts:
                parts.pop()
            elif s.axis != "self":
                break
        origin = "/" + "/".join(parts) if parts else ""
        own = _under(self.form, origin) if origin and (self.here + "/").startswith(origin + "/") \
            else set()
        own |= _at(self.form, self.here)
        if any(s.axis in ("ancestor", "ancestor-or-self") for s in steps):
            own = selected  # an ancestor's value holds the question's own: as string(..)
        self.hard.update(selected - own)
        self.near.update(selected & own)


# Axes that select nodes outside the subtree of the node they start from.
_SIBLINGS = frozenset({"following-sibling", "preceding-sibling"})
_AROUND = _SIBLINGS | {"following", "preceding", "ancestor", "ancestor-or-self"}


def _candidates(start: str, steps: tuple[Step, ...]) -> list[str | None]:
    """The node path each step selects from ``start`` (predicates aside), None from the
    first step that may select more than one kind of node (wildcards, other axes)."""
    parts = start.split("/")[1:] if start else []
    out: list[str | None] = []
    for s in steps:
        if out and out[-1] is None or not names_one(s.test) and s.axis == "child":
            out.append(None)
        elif s.axis == "self" and s.test == "node()":
            out.append("/" + "/".join(parts) if parts else None)
        elif s.axis == "parent" and s.test == "node()" and parts:
            parts.pop()
            out.append("/" + "/".join(parts) if parts else None)
        elif s.axis == "child":
            parts.append(s.test.split(":")[-1])
            out.append("/" + "/".join(parts))
        else:
            out.append(None)
    return out


# Functions of which nodes a path selects, not of the values under them: a path
# argument with no predicate depends on the node it names only (javarosa's triggers
# are the referenced nodes), so position(..) inside a repeat is no cycle.
_STRUCTURAL = frozenset({"position", "count", "name", "local-name", "namespace-uri", "lang"})


def _at(form: FormDef, path: str) -> set[str]:
    q = form.by_path.get(path)
    return {q.name} if q is not None else set()


def _under(form: FormDef, prefix: str) -> set[str]:
    if prefix in ("", "/"):
        return set(form.questions)
    inner = prefix + "/"
    return {q.name for p, q in form.by_path.items() if p == prefix or p.startswith(inner)}
