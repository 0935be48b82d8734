"""Instance XML: the kiosk's answer document written as the form's primary instance.

Why a template: an ODK server files each value by its node path, so the submission
must have exactly the shape of the primary instance the form declared (root tag, its
``id``/``version`` attributes, groups, repeats, ``meta``). We copy that template,
fill the answered leaves from each question's ``path`` and emit one copy of a repeat
node per repeat item. ``meta/instanceID`` is ``uuid:<submission id>``; an edit adds
``meta/deprecatedID`` with the replaced instance's ID (one logical submission).

Elements in the XForms default namespace are written without a namespace, as
JavaRosa (Collect) writes them; other namespaces (``orx:meta``, ``jr:``) are kept.
The output is deterministic for the same answers: the bytes are fixed at finalize.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, Protocol
from xml.etree import ElementTree as ET

XFORMS_NS = "http://www.w3.org/2002/xforms"
JR_NS = "http://openrosa.org/javarosa"
OPENROSA_NS = "http://openrosa.org/xforms"
_JR_TEMPLATE = "{" + JR_NS + "}template"


class QuestionLike(Protocol):
    name: str
    type: str
    children: list[Any]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def format_value(qtype: str, value: Any) -> str:
    """One answer as XForms text (space-separated lists, true/false, file names)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):  # attachment/signature: the file name is the value
        return str(value.get("name") or "")
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if isinstance(value, float) and value == int(value) and qtype == "integer":
        return str(int(value))
    return str(value)


def question_path(q: Any, root: str, parents: tuple[str, ...]) -> str:
    """Question.path when the model has it (issue contract), else /root/repeat…/name."""
    path = getattr(q, "path", None)
    if path:
        return str(path)
    return "/" + "/".join((root, *parents, q.name))


def _child_path(parent: ET.Element, steps: list[str], create: bool) -> ET.Element | None:
    node = parent
    for step in steps:
        found = next((c for c in node if _local(c.tag) == step), None)
        if found is None:
            if not create:
                return None
            found = ET.SubElement(node, _clark(_ns(node.tag), step))
        node = found
    return node


def _clark(ns: str, local: str) -> str:
    return "{" + ns + "}" + local if ns else local


class _Writer:
    def __init__(self, root: ET.Element) -> None:
        self.root = root
        self.attachments: list[str] = []

    def fill(self, node: ET.Element, node_path: str, questions: Iterable[Any],
             answers: Mapping[str, Any], parents: tuple[str, ...]) -> None:
        root_name = _local(self.root.tag)
        for q in questions:
            path = question_path(q, root_name, parents)
            rel = path.strip("/").split("/")
            base = node_path.strip("/").split("/")
            if rel[: len(base)] != base:
                continue  # a path outside this node: the model is inconsistent; skip it
            steps = rel[len(base):]
            if getattr(q, "type", "") == "repeat":
                self._repeat(node, steps, q, answers.get(q.name) or [], path,
                             (*parents, q.name))
                continue
            if q.type == "note" and getattr(q, "calculate", None) is None:
                continue
            target = _child_path(node, steps, create=True)
            assert target is not None
            value = answers.get(q.name)
            target.text = format_value(q.type, value)
            if isinstance(value, dict) and value.get("name"):
                self.attachments.append(str(value["name"]))

    def _repeat(self, node: ET.Element, steps: list[str], q: Any, items: list[Any],
                path: str, parents: tuple[str, ...]) -> None:
        parent = _child_path(node, steps[:-1], create=True)
        assert parent is not None
        existing = [c for c in parent if _local(c.tag) == steps[-1]]
        if existing:
            pattern = next((c for c in existing if _JR_TEMPLATE in c.attrib), existing[0])
            index = list(parent).index(existing[0])
            for c in existing:
                parent.remove(c)
        else:
            pattern = ET.Element(_clark(_ns(parent.tag), steps[-1]))
            index = len(parent)
        for i, item in enumerate(items):
            copy_ = copy.deepcopy(pattern)
            copy_.attrib.pop(_JR_TEMPLATE, None)
            for leaf in copy_.iter():
                if len(leaf) == 0:
                    leaf.text = None if leaf is not copy_ else leaf.text
            self.fill(copy_, path, q.children, item or {}, parents)
            parent.insert(index + i, copy_)


def _strip_xforms_ns(root: ET.Element) -> None:
    for el in root.iter():
        if _ns(el.tag) == XFORMS_NS:
            el.tag = _local(el.tag)


def _set_meta(root: ET.Element, instance_id: str, deprecated_id: str | None) -> None:
    meta = next((c for c in root if _local(c.tag) == "meta"), None)
    if meta is None:
        meta = ET.SubElement(root, "{" + OPENROSA_NS + "}meta")
    ns = _ns(meta.tag)
    iid = next((c for c in meta if _local(c.tag) == "instanceID"), None)
    if iid is None:
        iid = ET.SubElement(meta, _clark(ns, "instanceID"))
    iid.text = instance_id
    old = next((c for c in meta if _local(c.tag) == "deprecatedID"), None)
    if deprecated_id:
        if old is None:
            old = ET.Element(_clark(ns, "deprecatedID"))
            meta.insert(list(meta).index(iid) + 1, old)
        old.text = deprecated_id
    elif old is not None:
        meta.remove(old)


def build_instance(
    template: ET.Element,
    questions: Iterable[Any],
    answers: Mapping[str, Any],
    *,
    instance_id: str,
    deprecated_id: str | None = None,
    fixed: Mapping[str, str] | None = None,
) -> tuple[bytes, list[str]]:
    """(instance XML bytes, attachment file names in document order).

    ``template`` is the primary instance's root element (not modified); ``questions``
    the form's top-level questions (repeats carry ``children``); ``answers`` the
    document's nested answers (a repeat is a list of dicts); ``fixed``: leaf name -> text
    for nodes the kiosk fills itself: an absolute path, or the first leaf of that name (the
    signature file).
    """
    root = copy.deepcopy(template)
    for leaf in root.iter():
        if len(leaf) == 0 and leaf is not root:
            leaf.text = None
    writer = _Writer(root)
    writer.fill(root, "/" + _local(root.tag), questions, answers, ())
    for name, text in (fixed or {}).items():
        if name.startswith("/"):  # an absolute node path (meta nodes the kiosk fills)
            node = _child_path(root, name.strip("/").split("/")[1:], create=False)
            if node is not None and len(node) == 0:
                node.text = text
            continue
        for el in root.iter():
            if _local(el.tag) == name and len(el) == 0:
                el.text = text
                break
    _strip_xforms_ns(root)
    _set_meta(root, instance_id, deprecated_id)
    for el in root.iter():
        el.tail = None
        if len(el) and el.text is not None and not el.text.strip():
            el.text = None
    ET.register_namespace("orx", OPENROSA_NS)
    ET.register_namespace("jr", JR_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False), writer.attachments
