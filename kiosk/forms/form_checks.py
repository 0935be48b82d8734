"""Whole-form checks made once every expression is compiled: each default is a valid
answer of its question, and no value or relevance depends on itself.

Apart from the per-expression checker (expr_check) because they read the form as a
whole: the dependency walk follows javarosa's triggers (what an expression reads to
the node it sets), so a page's condition may read a question of the page.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from kiosk.forms.model import FormDef, FormLoadError, Question


def ref_pos(text: str, name: str) -> int:
    m = re.search(r"\$\{\s*" + re.escape(name) + r"\s*\}", text)
    return m.start() + 1 if m else 0


def check_defaults(form: FormDef) -> None:
    """A default must be a valid answer of its question's type."""
    from kiosk.forms.values import normalise

    for q in form.questions.values():
        if q.default is None:
            continue
        if not q.has_value or q.calculate:
            raise FormLoadError(f"{q.json_path}.default",
                                f"form {form.id}, question {q.name}: a {q.type} question takes no default"
                                if not q.has_value else
                                f"form {form.id}, question {q.name}: a calculation takes no default")
        _value, error = normalise(q, q.default, date.today())
        if error and form.odk is not None:  # javarosa sets it anyway; the kiosk starts it empty
            form.odk.warnings.append(f"{q.json_path}: the default {q.default!r} is not a valid "
                                     f"{q.type}; the question starts empty")
            q.default = None
        elif error:
            raise FormLoadError(f"{q.json_path}.default",
                                f"form {form.id}, question {q.name}: {q.default!r} is not a valid {q.type}")


def _value_deps(form: FormDef, q: Question) -> list[tuple[str, str, str]]:
    """(referenced name, field, json path) pairs q's value or own relevance depends on.

    The conditions of its page and enclosing repeats are not followed: javarosa's
    dependencies go from what an expression reads to the node it sets (the group), not
    to the questions inside, and its forms rely on that (eIMCI: a page's condition reads
    a calculation that reads a question of the page). The session reads such a question
    as answered while deciding its own relevance (AnswerState._compute_value)."""
    return [(r, f, f"{q.json_path}.{f}") for f in ("calculate", "relevant")
            for r in _hard(q.refs.get(f, ()))]


def _hard(names: Any) -> Any:
    soft = getattr(names, "soft", ())
    return [n for n in names if n not in soft] if soft else names


def check_cycles(form: FormDef) -> None:
    deps = {name: _value_deps(form, q) for name, q in form.questions.items()}
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for ref, field, path in deps[name]:
            if state.get(ref) == 1:
                cycle = [*trail[trail.index(ref):], name, ref] if ref in trail else [name, ref]
                q = form.questions[name]
                expr = (q.calculate if field == "calculate" else q.relevant) or ""
                raise FormLoadError(
                    path,
                    f"form {form.id}, question {name}, {field}, column {ref_pos(expr, ref)}: "
                    f"circular dependency {' -> '.join(cycle)}",
                )
            if state.get(ref) is None and ref in deps:
                visit(ref, [*trail, name])
        state[name] = 2

    for name in form.questions:
        if name not in state:
            visit(name, [])
