"""What an expression sees while a session evaluates it, and how results become values.

``_Env`` is the environment of kiosk.forms.expr_eval for one question at one
repeat item (``${}`` references, ``.``, choice keys in a choice filter, and the
nodes paths walk: kiosk.forms.xpath_nodes); ``_PageEnv`` the one of a page's
relevance. The helpers turn expression results into the question's type
(``_coerce``) and into the document's JSON (``_to_json``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from kiosk.forms import xpath_nodes as X
from kiosk.forms.expr_eval import NodeSet, to_bool, to_date, to_list, to_number, to_string
from kiosk.forms.expr_values import answer_moment, stored_text
from kiosk.forms.model import Choice, FormDef, Question
from kiosk.forms.table_choices import ChoiceIndex, TableChoices, choice_label
from kiosk.i18n import pick

Item = tuple[int, ...]


class EnvSession(X.PrimaryDoc, Protocol):
    """What an expression's environment needs of the session (``AnswerState`` has
    it): a Protocol, so the session imports this module and not the reverse."""

    form: FormDef
    lang: str
    today: date

    def _ref(self, name: str, here: tuple[str, ...], item: Item) -> Any: ...

    def _ref_nodes(self, name: str, here: tuple[str, ...], item: Item) -> list[Any]: ...

    def _indexed(self, name: str, picks: dict[str, int], here: tuple[str, ...],
                 item: Item) -> Any: ...

    def _once_value(self, name: str, item: Item, value: Any) -> Any: ...

    def _own_value(self, q: Question, item: Item) -> Any: ...

    def _dot_value(self, q: Question, item: Item) -> Any: ...


class _Env:
    __slots__ = ("s", "q", "item", "choice", "today", "position", "size")

    def __init__(self, s: EnvSession, q: Question, item: Item, choice: Choice | None = None) -> None:
        self.s, self.q, self.item, self.choice, self.today = s, q, item, choice, s.today
        self.position = self.size = 1

    def ref(self, name: str) -> Any:
        return self.s._ref(name, self.q.repeat_path, self.item)

    # ---- what paths evaluated over nodes need (kiosk.forms.xpath_nodes)
    def doc(self) -> EnvSession:
        return self.s

    def node(self) -> Any:
        if self.choice is not None:
            return X.ChoiceNode(self.choice, self.choice.text(self.s.lang))
        return X.PNode(self.q.path, self.item, self.q)

    def current(self) -> Any:
        return X.PNode(self.q.path, self.item, self.q)

    def root_node(self) -> Any:
        return X.PNode("", (), None)

    def instance(self, instance_id: str) -> Any:
        root = self.s.form.instances.get(instance_id)
        return None if root is None else X.instance_node(root)

    def ref_nodes(self, name: str) -> list[Any]:
        return self.s._ref_nodes(name, self.q.repeat_path, self.item)

    # ---- what some ODK functions need
    def indexed(self, name: str, picks: dict[str, int]) -> Any:
        return self.s._indexed(name, picks, self.q.repeat_path, self.item)

    def choice_label(self, name: str, value: str) -> str:
        target = self.s.form.questions.get(name)
        if target is None:
            return ""
        return choice_label(target.choice_list, value, self.s.lang) or ""

    def once(self, value: Any) -> Any:
        return self.s._once_value(self.q.name, self.item, value)

    def form_version(self) -> str:
        return self.s.form.version

    def language(self) -> str:
        return self.s.lang

    def itext(self, text_id: str) -> str:
        """jr:itext(id): the form's text ``id`` in the session's language ('' if none)."""
        odk = self.s.form.odk
        return pick(odk.texts.get(text_id), self.s.lang) if odk is not None else ""

    def dot(self) -> Any:
        return self.s._dot_value(self.q, self.item)

    def bare(self, name: str) -> Any:
        c = self.choice
        if c is None:
            return True if name == "true" else (False if name == "false" else None)
        if name == "value":
            return c.value
        if name == "label":
            return c.text(self.s.lang)
        if name in c.extra:
            return c.extra[name]
        return True if name == "true" else (False if name == "false" else None)



class _PageEnv(_Env):
    """A page's relevance: its context node is the instance's root element (the page
    has no node of its own), as the compiler resolved its relative paths."""

    __slots__ = ()

    def node(self) -> Any:
        root = self.s.form.by_path and next(iter(self.s.form.by_path)).split("/")[1]
        return X.PNode("/" + root if root else "", (), None)

    def current(self) -> Any:
        return self.node()


def _index_choices(choices: Sequence[Choice], key: str) -> dict[str, list[Choice]] | ChoiceIndex | None:
    """Choices by the text of ``key`` (None when a value is not text: numbers compare as
    numbers, so the whole list is filtered then). Choices over a Table instance are found
    through the table's own order of that column, never all made."""
    if isinstance(choices, TableChoices):
        found = choices.index_by(key)
        if found is not None:
            return found
    out: dict[str, list[Choice]] = {}
    for c in choices:
        v = c.value if key == "value" else c.extra.get(key)
        if v is None:
            v = ""
        if not isinstance(v, str):
            return None
        out.setdefault(v, []).append(c)
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal results (NaN equals NaN here: nothing changed)."""
    if a == b:
        return type(a) is type(b) or not (isinstance(a, bool) or isinstance(b, bool))
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


def _coerce(qtype: str, v: Any) -> Any:
    """A calculation's result as the question's type (expression-level value)."""
    if isinstance(v, NodeSet):
        v = v[0] if v else None
    if qtype in ("integer", "decimal"):
        n = to_number(v)
        if math.isinf(n) and qtype == "decimal":
            return n  # 1 div 0: Infinity, as ODK stores it
        if not math.isfinite(n):
            return None
        return int(n) if qtype == "integer" else (int(n) if n == int(n) else n)
    if qtype == "date":
        return to_date(v)
    if qtype in ("yes_no", "consent"):
        return to_bool(v) if v is not None else None
    if qtype == "select_multiple":
        return to_list(v) or None
    text = stored_text(v)
    if qtype == "datetime" and text:
        return answer_moment(text)  # an instant in expressions, stored as this text
    return text if text != "" else None


def _to_json(qtype: str, v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, date):
        return stored_text(v)
    if qtype == "aimag_soum" and isinstance(v, list):
        return {"aimag": v[0], "soum": v[1]}
    if isinstance(v, float) and not math.isfinite(v):
        return to_string(v) if math.isinf(v) else None
    return v


