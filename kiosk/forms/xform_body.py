"""The <h:body> of an XForm as a tree of controls, before they become Questions.

Walking the body first (and rewriting expressions only once every node path
is known) lets a label, a relevance or a choice filter name a question that
comes later in the form. Groups stay in the tree: the reader decides which
become pages (``field-list`` and top-level groups) and which only add their
relevance to what they hold.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from kiosk.forms.model import FormLoadError
from kiosk.forms.xform_paths import normalise_path

XF = "{http://www.w3.org/2002/xforms}"
ODK = "{http://www.opendatakit.org/xforms}"
CONTROLS = {
    XF + "input": "input", XF + "select1": "select1", XF + "select": "select",
    XF + "upload": "upload", XF + "trigger": "trigger", XF + "range": "range",
    ODK + "rank": "rank", XF + "rank": "rank", XF + "secret": "input",
    "{http://www.opendatakit.org/xforms/}rank": "rank",  # the namespace with a slash (javarosa: local names)
}
# Body elements that are not questions and carry nothing the kiosk must show.
_SKIP = {XF + "label", XF + "hint", XF + "help", XF + "setvalue", ODK + "setgeopoint",
         "{http://www.w3.org/1999/xhtml}br"}


@dataclass
class Control:
    """One body element: a control (``kind`` input/select1/…), a group or a repeat."""

    kind: str  # input, select1, select, upload, trigger, range, rank, group, repeat
    path: str
    element: ET.Element
    appearance: str = ""
    children: list[Control] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"<{self.element.tag.split('}')[-1]} ref={self.path!r}>"


def _ref(el: ET.Element, context: str) -> str | None:
    ref = el.get("ref") or el.get("nodeset") or el.get("bind")
    return normalise_path(ref, context) if ref else None


def walk_body(body: ET.Element, root_path: str) -> list[Control]:
    """The controls of ``body`` in order (groups and repeats with their children)."""
    return _walk(body, root_path)


def _walk(parent: ET.Element, context: str) -> list[Control]:
    out: list[Control] = []
    for el in parent:
        if el.tag in _SKIP or not isinstance(el.tag, str):
            continue
        if el.tag in CONTROLS:
            path = _ref(el, context)
            if path is None:
                raise FormLoadError(f"<{el.tag.split('}')[-1]}>", key="formload.control_no_ref")
            out.append(Control(CONTROLS[el.tag], path, el, el.get("appearance", "").strip()))
        elif el.tag in (XF + "group", XF + "repeat"):
            kind = "group" if el.tag == XF + "group" else "repeat"
            path = _ref(el, context)
            inner_context = path or context
            ctl = Control(kind, path or "", el, el.get("appearance", "").strip(),
                          _walk(el, inner_context))
            if kind == "repeat" and not path:
                raise FormLoadError("<repeat>", key="formload.repeat_no_nodeset")
            out.append(ctl)
        else:
            tag = el.tag.split("}")[-1]
            raise FormLoadError(f"<{tag}>", key="formload.body_element", params={"tag": f"<{tag}>"})
    return out
