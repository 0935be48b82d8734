"""JSON from an untrusted peer, parsed with limits: size, nesting depth, item count,
integer digits; no NaN/Infinity.

Python's ``json.loads`` has none of these: deep nesting raises ``RecursionError``
(a 500 and a traceback if nobody catches it), a 5,000-digit integer raises a
``ValueError`` whose message talks about CPython internals, and a body of a few
megabytes of ``[[[[`` or ``{}`` makes millions of objects. Every body the
central server reads, and every bundle line, goes through :func:`loads`, which
turns all of that into one :class:`JsonLimitError` with a plain reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class JsonLimitError(ValueError):
    """The text is not JSON, or is JSON beyond the limits; the message says which."""


@dataclass(frozen=True)
class JsonLimits:
    max_bytes: int = 2_000_000
    max_depth: int = 32
    max_items: int = 200_000  # values of any kind (objects, arrays, strings, numbers…)
    max_int_digits: int = 20


DEFAULT = JsonLimits()


def _parse_int(limits: JsonLimits) -> Any:
    def parse(text: str) -> int:
        if len(text.lstrip("-")) > limits.max_int_digits:
            raise JsonLimitError(f"an integer has more than {limits.max_int_digits} digits")
        return int(text)

    return parse


def _parse_float(text: str) -> float:
    if len(text) > 40:
        raise JsonLimitError("a number has more than 40 characters")
    return float(text)


def _no_constant(text: str) -> Any:
    raise JsonLimitError(f"{text} is not allowed in JSON")


def _measure(value: Any, limits: JsonLimits) -> None:
    """Depth and item count, iteratively (no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    items = 0
    while stack:
        node, depth = stack.pop()
        items += 1
        if items > limits.max_items:
            raise JsonLimitError(f"more than {limits.max_items} JSON values")
        if isinstance(node, dict | list):
            if depth > limits.max_depth:
                raise JsonLimitError(f"nested deeper than {limits.max_depth} levels")
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)


def loads(data: bytes | str, limits: JsonLimits = DEFAULT) -> Any:
    """Parse ``data`` or raise :class:`JsonLimitError` (never RecursionError / other)."""
    if len(data) > limits.max_bytes:
        raise JsonLimitError(f"JSON text over {limits.max_bytes} bytes")
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise JsonLimitError("JSON text is not UTF-8") from None
    else:
        text = data
    try:
        value = json.loads(text, parse_int=_parse_int(limits), parse_float=_parse_float,
                           parse_constant=_no_constant)
    except JsonLimitError:
        raise
    except RecursionError:
        raise JsonLimitError(f"nested deeper than {limits.max_depth} levels") from None
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(
            exc, json.JSONDecodeError) else ""
        raise JsonLimitError(f"not valid JSON{where}") from None
    _measure(value, limits)
    return value

