"""How deep a form's XML may nest, checked without recursion.

Why: the readers that walk a form (and the XPath engine) recurse per level, so an element
5,000 levels deep ended in a RecursionError and an exit 70 instead of one line naming the
file. Real forms nest a few dozen levels; MAX_DEPTH leaves ample room.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from kiosk.forms.model import FormLoadError

MAX_DEPTH = 100


def depth_of(root: ET.Element, stop_at: int = MAX_DEPTH + 1) -> int:
    """The deepest level under ``root`` (root = 1), counted up to ``stop_at``."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        el, level = stack.pop()
        deepest = max(deepest, level)
        if deepest >= stop_at:
            return deepest
        stack.extend((child, level + 1) for child in el)
    return deepest


def check_depth(root: ET.Element, where: str) -> ET.Element:
    """``root`` itself, or FormLoadError when it nests deeper than MAX_DEPTH."""
    if depth_of(root) > MAX_DEPTH:
        raise FormLoadError(where, key="formload.xml_too_deep", params={"levels": MAX_DEPTH})
    return root
