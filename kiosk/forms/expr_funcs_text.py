"""XPath 1.0's text and rounding functions with their exact edge rules (1-based
``substring`` with rounded bounds, javarosa's ``substr``, ``round`` on the decimal
text): kept apart from kiosk.forms.expr_funcs so that registry stays readable.
Like every implementation there, these take the environment first and never raise.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Context, Decimal
from typing import Any

from kiosk.forms.expr_values import NAN, num_out, to_number, to_string

Env = Any
NOARG: Any = object()  # an argument left out (None is an empty answer)


_XPATH_SPACE = " \t\r\n"


def normalize_space(text: str) -> str:
    """XPath 1.0: runs of space, tab, CR and LF become one space, ends trimmed (other
    characters, form feed included, are kept)."""
    out: list[str] = []
    word: list[str] = []
    for ch in text:
        if ch in _XPATH_SPACE:
            if word:
                out.append("".join(word))
                word = []
        else:
            word.append(ch)
    if word:
        out.append("".join(word))
    return " ".join(out)


def substr(env: Env, s: Any, start: Any, end: Any = None) -> str:
    """0-based; a negative start or end counts from the end (javarosa)."""
    text = to_string(s)
    a = to_number(start)
    b = float(len(text)) if end is None else to_number(end)
    if math.isnan(a) or math.isnan(b):
        return ""
    n = len(text)
    i, j = _clamp(a, n), _clamp(b, n)
    return text[i:j] if i <= j else ""


def _clamp(x: float, n: int) -> int:
    if math.isinf(x):
        return n if x > 0 else 0
    k = int(x)
    if k < 0:
        k += n
    return min(max(0, k), n)


def before(env: Env, s: Any, sub: Any) -> str:
    text, part = to_string(s), to_string(sub)
    i = text.find(part)
    return text[:i] if i >= 0 else ""


def after(env: Env, s: Any, sub: Any) -> str:
    text, part = to_string(s), to_string(sub)
    i = text.find(part)
    return text[i + len(part):] if i >= 0 else ""


def translate(env: Env, s: Any, src: Any, dst: Any) -> str:
    frm, to = to_string(src), to_string(dst)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(frm):
        if ord(ch) not in table:
            table[ord(ch)] = ord(to[i]) if i < len(to) else None
    return to_string(s).translate(table)


def round_decimal(env: Env, v: Any, digits: Any = 0) -> float | int:
    """On the decimal text of the number (2.15 -> 2.2), halves up for positive numbers and
    towards zero for negative ones (-2.5 -> -2), as javarosa; a comma may be the decimal
    point; more than 30 digits either way is NaN."""
    x = to_number(v)
    if math.isnan(x) and isinstance(v, str):
        x = to_number(v.replace(",", "."))
    d = to_number(digits)
    if not math.isfinite(x) or not math.isfinite(d):
        return x if math.isinf(x) else NAN
    if abs(int(d)) > 30:
        return NAN
    mode = ROUND_HALF_DOWN if x < 0 else ROUND_HALF_UP
    place = Decimal(1).scaleb(-int(d))
    return num_out(float(Decimal(repr(x)).quantize(place, rounding=mode, context=_ROUNDING)))


# Room for every digit of a double (10**308) down to 30 places: the default 28 digits
# made round(pow(10, 300), 5) raise instead of giving the number back.
_ROUNDING = Context(prec=340)


def substring(env: Env, s: Any, start: Any, length: Any = NOARG) -> str:
    """XPath 1.0: 1-based; the characters at positions p with round(start) <= p <
    round(start) + round(length) (round halves up, so substring('12345', 1.5, 2.6) = '234')."""
    text = to_string(s)
    a = _round_half_up(to_number(start))
    b = math.inf if length is NOARG else a + _round_half_up(to_number(length))
    if math.isnan(a) or math.isnan(b):
        return ""
    lo = 1 if a < 1 else (int(a) if math.isfinite(a) else len(text) + 1)
    hi = len(text) + 1 if b > len(text) else (int(b) if math.isfinite(b) else 1)
    return text[lo - 1:hi - 1] if hi > lo else ""


def _round_half_up(x: float) -> float:
    return math.floor(x + 0.5) if math.isfinite(x) else x
