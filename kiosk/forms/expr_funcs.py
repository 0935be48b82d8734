"""The function library of form expressions: XPath 1.0, the ODK XForms functions, and
the kiosk's own extensions (registry numbers, ages, phone numbers).

Each entry of FUNCTIONS is ``name -> (min args, max args or None, implementation,
result kind)``; an implementation takes the evaluation environment first and the
argument values after it, and never raises: a bad argument gives an empty/NaN/false
result. The result kind feeds the load-time type checks (kiosk.forms.expr_check).
What the environment may offer beyond ``today`` (``version()``, ``once()``,
``indexed-repeat()``, choice labels) is looked up with getattr so a bare test
environment still evaluates everything else.
"""

from __future__ import annotations

import math
import secrets
import string
import uuid
from collections.abc import Callable
from typing import Any

from kiosk.forms import expr_funcs_odk as O
from kiosk.forms import expr_funcs_text as T
from kiosk.forms import xpath_nodes as X
from kiosk.forms.expr_funcs_dates import DATE_FUNCTIONS
from kiosk.forms.expr_values import (
    NAN,
    NodeSet,
    first,
    num_out,
    to_bool,
    to_list,
    to_number,
    to_string,
    values,
)
from kiosk.validators import check_phone, parse_registry_number

Env = Any
Spec = tuple[int, int | None, Callable[..., Any], str]


def _opt(env: Env, method: str, default: Any, *args: Any) -> Any:
    fn = getattr(env, method, None)
    return default if fn is None else fn(*args)


_NOARG: Any = T.NOARG  # an argument left out (None is an empty answer)


def _context_value(env: Env) -> Any:
    """The context node's value for ``string()``, ``string-length()`` … with no argument.
    A calculation's own node reads the value it had before this computation (empty when
    the form opens; the session's ``dot()``), as javarosa does, instead of recursing."""
    if not hasattr(env, "dot"):
        return None
    node = _opt(env, "node", None)
    with X.computing(_opt(env, "doc", None), node) as free:
        return env.dot() if free else None


def _arg(env: Env, v: Any) -> Any:
    """The argument, or the context node's value when it was left out."""
    return _context_value(env) if v is _NOARG else v


# ---------------------------------------------------------------- strings

def _concat(env: Env, *args: Any) -> str:
    return "".join(to_string(v) for a in args for v in (values(a) if isinstance(a, NodeSet) else [a]))


def _join(env: Env, sep: Any, *args: Any) -> str:
    return to_string(sep).join(to_string(v) for a in args for v in values(a))


def _regex(env: Env, value: Any, pattern: Any) -> bool:
    from kiosk.forms.regex_safe import matches  # linear time (RE2), see its module doc

    return matches(to_string(pattern), to_string(value))


def _uuid(env: Env, length: Any = _NOARG) -> str:
    if length is _NOARG:
        return str(uuid.uuid4())
    n = to_number(length)
    if not math.isfinite(n) or n < 0:
        return ""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(min(int(n), 10_000)))


# ---------------------------------------------------------------- selects

def _selected(env: Env, v: Any, choice: Any) -> bool:
    needle = to_string(choice).strip()
    if needle:
        return needle in to_list(v)
    # javarosa looks for " choice " in " value ": an empty choice is selected where two
    # spaces meet, so in an empty (or unanswered) value, never in "a b"
    value = first(v)
    text = " ".join(to_list(value)) if isinstance(value, list) else to_string(value)
    return "  " in f" {text} "


def _selected_at(env: Env, v: Any, n: Any) -> str:
    items, i = to_list(v), to_number(n)
    if math.isnan(i) or not 0 <= int(i) < len(items):
        return ""
    return items[int(i)]


def _choice_name(env: Env, value: Any, question: Any) -> str:
    name = question if isinstance(question, str) else ""
    return to_string(_opt(env, "choice_label", "", name, to_string(value)))


# ---------------------------------------------------------------- numbers

def _number(env: Env, v: Any = _NOARG) -> float | int:
    return num_out(to_number(_arg(env, v)))


def _int(env: Env, v: Any) -> float | int:
    x = to_number(v)
    return int(x) if math.isfinite(x) else x


def _math1(fn: Callable[[float], float]) -> Callable[..., float | int]:
    def call(env: Env, v: Any) -> float | int:
        x = to_number(v)
        if math.isnan(x):
            return NAN
        try:
            return num_out(fn(x))
        except (ValueError, OverflowError):
            return _domain(fn, x)

    return call


def _domain(fn: Callable[[float], float], x: float) -> float:
    """What XPath 3.0 math gives where Python raises: log(0) = -INF, exp(big) = INF, else NaN."""
    if fn in (math.log, math.log10) and x == 0:
        return -math.inf
    if fn in (math.exp, _exp10) and x > 0:
        return math.inf
    return NAN


def _exp10(x: float) -> float:
    return 10.0 ** x


def _pow(env: Env, a: Any, b: Any) -> float | int:
    x, y = to_number(a), to_number(b)
    try:
        return num_out(math.pow(x, y))
    except ValueError:
        return NAN
    except OverflowError:
        return -math.inf if x < 0 and y == int(y) and int(y) % 2 else math.inf


def _atan2(env: Env, a: Any, b: Any) -> float | int:
    return num_out(math.atan2(to_number(a), to_number(b)))


def _sum(env: Env, v: Any) -> float | int:
    """Empty values are skipped (a repeat's unanswered items, the kiosk's rule); any other
    value that is not a number makes the sum NaN (as in the peers)."""
    total = 0.0
    for x in values(v) if isinstance(v, NodeSet) else ([v] if not isinstance(v, list) else v):
        if x is None or to_string(x) == "":
            continue
        total += to_number(x)
    return num_out(total)


def _count(env: Env, v: Any) -> int:
    if isinstance(v, NodeSet):
        return len(v)
    return 0 if v is None else 1


def _count_non_empty(env: Env, v: Any) -> int:
    """Nodes with a non-empty value; a node holding other elements counts (javarosa)."""
    vals = values(v)
    nodes = v.nodes if isinstance(v, NodeSet) and v.nodes is not None else None
    if nodes is None or len(nodes) != len(vals):
        return sum(1 for x in vals if to_string(x) != "")
    doc = _opt(env, "doc", None)
    return sum(1 for n, x in zip(nodes, vals, strict=True)
               if to_string(x) != "" or X.children(doc, n, "*"))


def _minmax(pick: Callable[..., float]) -> Callable[..., float | int]:
    def fn(env: Env, *args: Any) -> float | int:
        nums: list[float] = []
        for a in args:
            for x in a if isinstance(a, list) else [a]:
                nums.append(to_number(x))
        if not nums or any(math.isnan(x) for x in nums):
            return NAN
        return num_out(pick(nums))

    return fn


def _checklist(env: Env, lo: Any, hi: Any, *factors: Any) -> bool:
    mn, mx = to_number(lo), to_number(hi)
    count = sum(1 for f in factors for v in _flat(f) if to_bool(v))
    return (not mn >= 0 or count >= _whole(mn)) and (not mx >= 0 or count <= _whole(mx))


def _whole(x: float) -> float:
    """A bound cut to a whole number as javarosa casts it; infinity stays infinite."""
    return float(int(x)) if math.isfinite(x) else x


def _weighted(env: Env, lo: Any, hi: Any, *pairs: Any) -> bool:
    """Value/weight pairs; or two node-sets of values and weights, paired in order (ODK)."""
    if len(pairs) == 2 and all(isinstance(p, NodeSet) for p in pairs):
        if len(pairs[0]) != len(pairs[1]):
            return False
        pairs = tuple(x for pair in zip(pairs[0], pairs[1], strict=True) for x in pair)
    if len(pairs) % 2:
        return False
    total = 0.0
    for flag, weight in zip(pairs[::2], pairs[1::2], strict=False):
        if to_bool(flag):
            total += to_number(weight)
    mn, mx = to_number(lo), to_number(hi)  # a negative bound is no bound (as checklist)
    return (not mn >= 0 or total >= mn) and (not mx >= 0 or total <= mx)


def _flat(v: Any) -> list[Any]:
    return list(v) if isinstance(v, NodeSet) else [v]


def _random(env: Env) -> float:
    import random

    return random.random()


# ---------------------------------------------------------------- nodes and instances

def _position(env: Env, nodes: Any = _NOARG) -> int:
    if nodes is _NOARG:
        return int(getattr(env, "position", 1))
    found = nodes.nodes if isinstance(nodes, NodeSet) and nodes.nodes else []
    return X.position_of(found[0]) if found else 0


def _name(env: Env, nodes: Any = _NOARG) -> str:
    if nodes is _NOARG:
        node = _opt(env, "node", None)
        return X.node_name(node) if node is not None else ""
    found = nodes.nodes if isinstance(nodes, NodeSet) and nodes.nodes else []
    return X.node_name(found[0]) if found else ""


def _lang(env: Env, wanted: Any) -> bool:
    """XPath 1.0 lang(): the context node's xml:lang (or its nearest ancestor's) is the
    language or a sub-language of it; form instance nodes carry none."""
    mine = to_string(_opt(env, "node_lang", ""))
    want = to_string(wanted).lower()
    return bool(mine) and (mine.lower() == want or mine.lower().startswith(want + "-"))


def _itext(env: Env, text_id: Any) -> str:
    """jr:itext(id): the form's translated text ``id`` in the session's language."""
    return to_string(_opt(env, "itext", "", to_string(text_id)))


def node_set(env: Env, nodes: list[Any]) -> NodeSet:
    doc = _opt(env, "doc", None)
    out = NodeSet([X.node_value(doc, n) for n in nodes])
    out.nodes = nodes
    return out


def _current(env: Env) -> NodeSet:
    node = _opt(env, "current", None)
    return node_set(env, [] if node is None else [node])


def _instance(env: Env, instance_id: Any) -> NodeSet:
    node = _opt(env, "instance", None, to_string(instance_id))
    return node_set(env, [] if node is None else [node])


def _pulldata(env: Env, instance_id: Any, wanted: Any, key_field: Any, key: Any) -> str:
    """``instance(id)/root/item[key_field = key]/wanted`` (first match; indexed)."""
    doc = _opt(env, "instance", None, to_string(instance_id))
    return X.pull(doc, to_string(wanted), to_string(key_field), to_string(key))


def _once(env: Env, v: Any) -> Any:
    return _opt(env, "once", v, v)


# ---------------------------------------------------------------- kiosk extensions

def _rd_date(env: Env, v: Any) -> Any:
    info = parse_registry_number(to_string(v), env.today)
    return None if isinstance(info, str) else info.birth_date


def _rd_sex(env: Env, v: Any) -> str:
    info = parse_registry_number(to_string(v), env.today)
    return "" if isinstance(info, str) else info.sex


def _valid_rd(env: Env, v: Any) -> bool:
    return not isinstance(parse_registry_number(to_string(v), env.today), str)


def _valid_phone(env: Env, v: Any) -> bool:
    return check_phone(to_string(v)).error is None


def _unit_name(env: Env, code: Any) -> str:
    """The name of an aimag or soum code in the session's language ('' if unknown)."""
    from kiosk.admin_units import admin_units

    units = admin_units()
    text = to_string(code).strip()
    unit = units.aimag(text) or units.soum(text)
    return unit.name(_opt(env, "language", "mn")) if unit is not None else ""


def _valid_aimag_soum(env: Env, aimag: Any, soum: Any) -> bool:
    from kiosk.admin_units import admin_units

    return admin_units().check_pair(to_string(aimag).strip(), to_string(soum).strip()) is None


def _bool_from_string(env: Env, v: Any) -> bool:
    text = to_string(v).strip()
    return text.lower() == "true" or text == "1"


FUNCTIONS: dict[str, Spec] = {
    # booleans
    "not": (1, 1, lambda env, v: not to_bool(v), "bool"),
    "true": (0, 0, lambda env: True, "bool"),
    "false": (0, 0, lambda env: False, "bool"),
    "boolean": (1, 1, lambda env, v: to_bool(v), "bool"),
    "boolean-from-string": (1, 1, _bool_from_string, "bool"),
    "if": (3, 3, lambda env, c, a, b: a if to_bool(c) else b, "any"),
    "coalesce": (2, None, lambda env, *a: next((x for x in a if to_string(x) != ""), ""), "any"),
    "once": (1, 1, _once, "any"),
    "checklist": (2, None, _checklist, "bool"),
    "weighted-checklist": (2, None, _weighted, "bool"),
    "regex": (2, 2, _regex, "bool"),
    # selects
    "selected": (2, 2, _selected, "bool"),
    "selected-at": (2, 2, _selected_at, "string"),
    "count-selected": (1, 1, lambda env, v: len(to_list(v)), "number"),
    "jr:choice-name": (2, 2, _choice_name, "string"),
    # strings
    "string": (0, 1, lambda env, v=_NOARG: to_string(_arg(env, v)), "string"),
    "concat": (0, None, _concat, "string"),
    "join": (1, None, _join, "string"),
    "string-length": (0, 1, lambda env, v=_NOARG: len(to_string(_arg(env, v))), "number"),
    "normalize-space": (0, 1, lambda env, v=_NOARG: T.normalize_space(to_string(_arg(env, v))),
                        "string"),
    "contains": (2, 2, lambda env, a, b: to_string(b) in to_string(a), "bool"),
    "starts-with": (2, 2, lambda env, a, b: to_string(a).startswith(to_string(b)), "bool"),
    "ends-with": (2, 2, lambda env, a, b: to_string(a).endswith(to_string(b)), "bool"),
    "substr": (2, 3, T.substr, "string"),
    "substring": (2, 3, T.substring, "string"),
    "substring-before": (2, 2, T.before, "string"),
    "substring-after": (2, 2, T.after, "string"),
    "translate": (3, 3, T.translate, "string"),
    "uuid": (0, 1, _uuid, "string"),
    "digest": (2, 3, lambda env, *a: O.digest(*a), "string"),
    "base64-decode": (1, 1, lambda env, v: O.base64_decode(v), "string"),
    # numbers
    "number": (0, 1, _number, "number"),
    "int": (1, 1, _int, "number"),
    "round": (1, 2, T.round_decimal, "number"),
    "abs": (1, 1, _math1(abs), "number"),
    "floor": (1, 1, _math1(lambda x: float(math.floor(x)) if math.isfinite(x) else x), "number"),
    "ceiling": (1, 1, _math1(lambda x: float(math.ceil(x)) if math.isfinite(x) else x), "number"),
    "sqrt": (1, 1, _math1(math.sqrt), "number"),
    "exp": (1, 1, _math1(math.exp), "number"),
    "exp10": (1, 1, _math1(_exp10), "number"),
    "log": (1, 1, _math1(math.log), "number"),
    "log10": (1, 1, _math1(math.log10), "number"),
    "sin": (1, 1, _math1(math.sin), "number"),
    "cos": (1, 1, _math1(math.cos), "number"),
    "tan": (1, 1, _math1(math.tan), "number"),
    "asin": (1, 1, _math1(math.asin), "number"),
    "acos": (1, 1, _math1(math.acos), "number"),
    "atan": (1, 1, _math1(math.atan), "number"),
    "atan2": (2, 2, _atan2, "number"),
    "pow": (2, 2, _pow, "number"),
    "pi": (0, 0, lambda env: math.pi, "number"),
    "random": (0, 0, _random, "number"),
    "sum": (1, 1, _sum, "number"),
    "count": (1, 1, _count, "number"),
    "count-non-empty": (1, 1, _count_non_empty, "number"),
    "min": (1, None, _minmax(min), "number"),
    "max": (1, None, _minmax(max), "number"),
    **DATE_FUNCTIONS,
    # geography
    "distance": (1, None, lambda env, *a: num_out(O.distance(*a)), "number"),
    "area": (1, 1, lambda env, v: num_out(O.area(v)), "number"),
    "enclosed-area": (1, 1, lambda env, v: num_out(O.area(v)), "number"),
    "geofence": (2, 2, lambda env, p, s: O.geofence(p, s), "bool"),
    # node-sets and instances
    "position": (0, 1, _position, "number"),
    "last": (0, 0, lambda env: int(getattr(env, "size", 1)), "number"),
    "name": (0, 1, _name, "string"),
    "local-name": (0, 1, _name, "string"),
    "namespace-uri": (0, 1, lambda env, nodes=_NOARG: "", "string"),  # instance nodes have none
    "lang": (1, 1, _lang, "bool"),
    # XPath 1.0 id(): the elements whose ID-typed attribute (declared by a DTD) is one of
    # the ids; no instance has a DTD (javarosa reads none), so it selects nothing
    "id": (1, 1, lambda env, ids: node_set(env, []), "nodes"),
    "jr:itext": (1, 1, _itext, "string"),
    "current": (0, 0, _current, "nodes"),
    "instance": (1, 1, _instance, "nodes"),
    "randomize": (1, 2, lambda env, v, s=_NOARG: O.randomize(v, s, seeded=s is not _NOARG),
                  "nodes"),
    "pulldata": (4, 4, _pulldata, "string"),
    "indexed-repeat": (3, 7, lambda env, *a: first(a[0]), "any"),  # compiled specially
    "version": (0, 0, lambda env: to_string(_opt(env, "form_version", "")), "string"),
    # the kiosk's extensions
    "registry-birth-date": (1, 1, _rd_date, "date"),
    "registry-sex": (1, 1, _rd_sex, "string"),
    "valid-registry-number": (1, 1, _valid_rd, "bool"),
    "valid-phone": (1, 1, _valid_phone, "bool"),
    "aimag-name": (1, 1, _unit_name, "string"),
    "soum-name": (1, 1, _unit_name, "string"),
    "valid-aimag-soum": (2, 2, _valid_aimag_soum, "bool"),
}
