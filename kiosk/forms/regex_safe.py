"""Regular expressions of forms (XPath ``regex()``), run in linear time.

Why not Python's ``re``: a backtracking engine takes exponential time on patterns such as
``(a+)+$`` (30 characters took a minute), and a form's pattern comes from whoever wrote
the form. RE2 (google-re2) matches in time linear in the answer's length whatever the
pattern; it has no backreferences or lookaround — a pattern that needs them cannot be run
safely and is refused when the form is imported (kiosk.forms.expr_check), and matches
nothing if it still reaches the engine.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

MAX_PATTERN_CHARS = 2000  # a constraint, not a program


class RegexRefused(ValueError):
    """A pattern the kiosk will not run; ``reason`` says why (RE2's words)."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(reason)
        self.pattern = pattern
        self.reason = reason


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is our error to report, not RE2's log line
    return options


@lru_cache(maxsize=256)
def compile_regex(pattern: str) -> Any:
    """The compiled pattern; RegexRefused when it is too long or RE2 cannot run it."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise RegexRefused(pattern, f"longer than {MAX_PATTERN_CHARS} characters")
    try:
        return re2.compile(pattern, options=_options())
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        reason = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        raise RegexRefused(pattern, reason or "not a pattern the kiosk can run") from None


def matches(pattern: str, value: str) -> bool:
    """regex(value, pattern): False for a pattern the kiosk cannot run."""
    try:
        return compile_regex(pattern).search(value) is not None
    except RegexRefused:
        return False
