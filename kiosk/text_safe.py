"""Text from strangers (a server's error message, a form's name) made safe to print.

Why: a hostile server's reply text reaches ``kiosk status`` and ``kiosk sync`` through
the stored error of a round or an item; an ESC there is a terminal escape sequence
(move the cursor, rewrite the screen, set the window title). Control characters and the
bidirectional overrides are shown as ``\\xNN``/``\\uNNNN`` instead; letters of any script
(Mongolian Cyrillic, Latin) pass unchanged.
"""

from __future__ import annotations

import unicodedata

_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _shown(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with every control character (C0, DEL, C1) and bidi override escaped."""
    s = str(text)
    return "".join(_shown(ch) if ord(ch) in _BIDI or unicodedata.category(ch) == "Cc" else ch
                   for ch in s)
