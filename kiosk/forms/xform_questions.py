"""XForm controls and binds -> the Questions and Pages of a FormDef.

Pages: a top-level group is a page (``field-list`` -> every question on one
screen, else one per screen); questions outside groups share a page titled
with the form. A group inside a page adds its relevance to what it holds.
Nodes with no control (calculations, constants) become hidden calculations,
in their repeat when they are in one. Metadata nodes (instanceID, start, end,
deviceid …) are not questions: the submission side fills them (OdkForm.meta).

Types: the bind's type and the control decide (see TYPE_OF below). What a
desktop kiosk cannot do (barcode, external apps, drawing, traces) becomes a
note saying so; if such a question is required the form is refused, naming it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from kiosk.forms.instance_table import instance_texts
from kiosk.forms.load_error import FormWarning, Words
from kiosk.forms.model import Choice, FormDef, FormLoadError, Page, Question, QuestionType
from kiosk.forms.odk_meta import OdkForm, preload_kind
from kiosk.forms.xform_actions import SetValues, check_events, literal, read_setvalues
from kiosk.forms.xform_body import Control, walk_body
from kiosk.forms.xform_choices import ChoicesReader
from kiosk.forms.xform_instances import secondary_instances
from kiosk.forms.xform_itext import Itext, guess_language, read_itext
from kiosk.forms.xform_paths import (
    anchor,
    normalise_path,
)

XF = "{http://www.w3.org/2002/xforms}"
JR = "{http://openrosa.org/javarosa}"
ODK = "{http://www.opendatakit.org/xforms}"
JR_TEMPLATE = JR + "template"

# (control kind, bind type) -> model type; None for the bind type means "any".
TYPE_OF: dict[tuple[str, str | None], str] = {
    ("input", "string"): "text", ("input", "int"): "integer", ("input", "integer"): "integer",
    ("input", "long"): "integer", ("input", "short"): "integer",
    ("input", "decimal"): "decimal", ("input", "double"): "decimal", ("input", "float"): "decimal",
    ("input", "date"): "date", ("input", "time"): "time", ("input", "dateTime"): "datetime",
    ("input", "boolean"): "yes_no", ("input", "geopoint"): "geopoint",
    ("select1", None): "select_one", ("select", None): "select_multiple", ("rank", None): "rank",
    ("trigger", None): "acknowledge", ("range", None): "range", ("upload", None): "attachment",
}
# What a kiosk cannot offer: bind type or appearance -> i18n reason key (xform.json).
UNAVAILABLE_TYPES = {"barcode": "barcode", "geotrace": "geotrace", "geoshape": "geoshape"}
UNAVAILABLE_APPEARANCES = {"draw": "draw", "annotate": "annotate", "printer": "external_app"}
ACCEPT = {
    "image": ("image/jpeg", "image/png"),
    "audio": ("audio/mpeg", "audio/ogg", "audio/wav", "audio/x-wav", "audio/mp4", "audio/aac"),
    "video": ("video/mp4", "video/webm", "video/quicktime", "video/3gpp"),
}
HIDDEN_TYPE = {"int": "integer", "integer": "integer", "decimal": "decimal", "date": "date",
               "boolean": "yes_no", "dateTime": "datetime", "time": "time", "geopoint": "geopoint"}


def _btype(bind: dict[str, str]) -> str:
    return (bind.get("type") or "string").split(":")[-1]


def _and(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"({a}) and ({b})"
    return a or b


# Enclosing groups' relevance: (expression, the group's path it is written from).
Rel = tuple[tuple[str, str], ...]


def _rel_text(rel: Rel, here: str | None) -> str | None:
    """The groups' conditions ANDed, each meaning from ``here`` (a question's path; None:
    a page, compiled from the root) what it means from its group (xform_paths.anchor)."""
    out: str | None = None
    for expr, context in rel:
        out = _and(out, anchor(expr, context, here))
    return out


class FormBuilder(ChoicesReader):
    """One XForm being read; see the module doc for how it maps (its choices:
    kiosk.forms.xform_choices)."""

    def __init__(self, model: ET.Element, body: ET.Element, data: ET.Element,
                 media_dir: Path | None, odk: OdkForm) -> None:
        self.model, self.body, self.data, self.odk = model, body, data, odk
        self.root_path = "/" + data.tag.split("}")[-1]
        self.binds: dict[str, dict[str, str]] = {}
        for bind in model.iter(XF + "bind"):
            nodeset = bind.get("nodeset") or bind.get("ref")
            if nodeset:
                self.binds[normalise_path(nodeset, self.root_path)] = dict(bind.attrib)
        default_lang = next((tr.get("lang") for tr in model.iter(XF + "translation")
                             if tr.get("default") in ("true()", "true")), None)
        self.itext: Itext = read_itext(model, default_lang)
        odk.texts = {tid: dict(e.text) for tid, e in self.itext.entries.items() if e.text}
        self.instances, csv_used = secondary_instances(model, media_dir)
        self.media_uris: list[str] = [f"jr://file-csv/{n}" if n.lower().endswith(".csv")
                                      else f"jr://file/{n}" for n in csv_used]
        self.nodes: dict[str, ET.Element] = {}  # path -> instance element (template first)
        self.initial: dict[str, int] = {}  # repeat path -> instances in the template
        self._index(data, self.root_path)
        self.controls = walk_body(body, self.root_path)
        self.names: dict[str, str] = {}  # path -> question name
        self._taken: set[str] = set()
        self.questions: dict[str, Question] = {}
        self.lang = self.itext.default if self.itext.languages else guess_language(
            chain(body.itertext(), [odk.title],
                  *(instance_texts(inst, "label") for inst in self.instances.values())))
        self.warnings: list[str] = []
        self._choice_cache: dict[tuple[str, str, str, str, bool], Sequence[Choice]] = {}
        self.actions = SetValues()  # <setvalue>: read in build()

    # -- the instance -------------------------------------------------------------------
    def _index(self, el: ET.Element, path: str) -> None:
        for child in el:
            cpath = f"{path}/{child.tag.split('}')[-1]}"
            is_template = JR_TEMPLATE in child.attrib
            if not is_template:
                self.initial[cpath] = self.initial.get(cpath, 0) + 1
            if cpath not in self.nodes or is_template:
                self.nodes[cpath] = child
            self._index(child, cpath)

    def _is_leaf(self, path: str) -> bool:
        return len(self.nodes[path]) == 0

    # -- names ------------------------------------------------------------------------
    def _name(self, path: str) -> str:
        if path in self.names:
            return self.names[path]
        base = re.sub(r"[^A-Za-z0-9_]", "_", path.rsplit("/", 1)[-1]) or "q"
        if not re.match(r"[A-Za-z_]", base):
            base = "q_" + base
        name, n = base, 2
        while name in self._taken:
            name, n = f"{base}_{n}", n + 1
        self.names[path] = name
        self._taken.add(name)
        return name

    def _resolve(self, path: str) -> str | None:
        return self.names.get(path)

    def _rw(self, expr: str | None, context: str, where: str) -> str | None:
        """An expression as the engine takes it: XPath, paths resolved by its compiler
        against FormDef.by_path and the question's own path (kiosk.forms.expr_paths)."""
        text = (expr or "").strip()
        return text or None

    # -- build ------------------------------------------------------------------------
    def build(self, form_id: str, title: str) -> FormDef:
        control_paths: set[str] = set()
        self.repeats: list[str] = []
        self._collect(self.controls, control_paths)
        hidden: list[str] = []
        for path in self.nodes:
            if path in control_paths or not self._is_leaf(path):
                continue
            bind = self.binds.get(path, {})
            kind = preload_kind(bind, path)
            if kind == "today":
                hidden.append(path)
            elif kind is not None:
                self.odk.meta[path] = kind
                if kind == "instanceName" and bind.get("calculate"):
                    self.odk.instance_name = bind["calculate"]
            elif any(path.startswith(m + "/") for m in [self.root_path + "/meta"]):
                self.odk.meta[path] = path.rsplit("/", 1)[-1]
            else:
                hidden.append(path)
        for path in hidden:
            self._name(path)
        if f"{self.root_path}/meta/entity" in self.nodes:
            self.odk.warnings.append(FormWarning(f"<entity> in {self.root_path}/meta",
                                                 "formload.warn_entities"))
        check_events(self.model, self.body, form_id)
        self.actions = read_setvalues(self.model, self.body, self.root_path, control_paths, self.nodes,
                                      self.odk)

        self.pages: list[Page] = []
        self._emit(self.controls, (), {self.lang: title}, "")
        self._hidden(hidden)
        for q in self.questions.values():
            if q.is_repeat and not q.children:
                raise FormLoadError(q.json_path, key="formload.repeat_empty")
        return FormDef(
            id=form_id, version=self.odk.version or "0", title={self.lang: title},
            description={}, category="", icon="", agency="", pages=self.pages,
            questions=self.questions, instances=self.instances,
            languages={c: self.itext.names.get(c, c) for c in self.itext.languages},
        )

    def _collect(self, controls: list[Control], paths: set[str]) -> None:
        """Name every control's node (document order) before any expression is rewritten."""
        for ctl in controls:
            if ctl.kind == "group":
                self._collect(ctl.children, paths)
                continue
            if ctl.path not in self.nodes:
                raise FormLoadError(ctl.where, key="formload.not_a_node", params={"path": ctl.path})
            if ctl.kind == "repeat":
                self.repeats.append(ctl.path)
                paths.add(ctl.path)
                self._name(ctl.path)
                self._collect(ctl.children, paths)
            else:
                paths.add(ctl.path)
                self._name(ctl.path)

    def _is_wrapper(self, ctl: Control) -> bool:
        """pyxform's <group ref=X><label/><repeat nodeset=X/></group>."""
        return (ctl.kind == "group" and len(ctl.children) == 1 and ctl.children[0].kind == "repeat"
                and ctl.children[0].path == ctl.path)

    def _group_rel(self, ctl: Control) -> Rel:
        text = self._rw(self.binds.get(ctl.path, {}).get("relevant"), ctl.path, f"{ctl.where}@relevant")
        return ((text, ctl.path),) if text and ctl.path else ()

    def _emit(self, controls: list[Control], rel: Rel, title: dict[str, str], prefix: str) -> None:
        """Pages for ``controls`` (top level, or a plain group's children)."""
        cur: Page | None = None
        for ctl in controls:
            if ctl.kind == "group" and not self._is_wrapper(ctl):
                cur = None
                grel = rel + self._group_rel(ctl)
                gtitle = self._texts(ctl.element.find(XF + "label"), ctl.path or self.root_path)[0] or title
                if "field-list" in ctl.appearance.split():
                    page = self._page(ctl.path or "group", gtitle, "group", _rel_text(grel, None), ctl.where)
                    page.questions += self._flatten(ctl.children, page, (), ())
                else:
                    self._emit(ctl.children, grel, gtitle, ctl.path)
                continue
            if cur is None:
                cur = self._page(prefix or "main", title, "one-per-screen", _rel_text(rel, None), ctl.where)
            cur.questions += self._flatten([ctl], cur, (), ())

    def _page(self, path: str, title: dict[str, str], layout: str, rel: str | None, where: str) -> Page:
        base = re.sub(r"[^A-Za-z0-9_]", "_", path.rsplit("/", 1)[-1]) or "page"
        name, n = base, 2
        while any(p.name == name for p in self.pages):
            name, n = f"{base}_{n}", n + 1
        page = Page(name=name, title=title, layout=layout, json_path=where, relevant=rel)
        self.pages.append(page)
        return page

    def _flatten(self, controls: list[Control], page: Page, repeat_path: tuple[str, ...],
                 rel: Rel) -> list[Question]:
        out: list[Question] = []
        for ctl in controls:
            if ctl.kind == "group" and self._is_wrapper(ctl):
                out.append(self._repeat(ctl.children[0], page, repeat_path, rel, ctl))
            elif ctl.kind == "group":
                out += self._flatten(ctl.children, page, repeat_path, rel + self._group_rel(ctl))
            elif ctl.kind == "repeat":
                out.append(self._repeat(ctl, page, repeat_path, rel, None))
            else:
                out.append(self._question(ctl, page, repeat_path, rel))
        return out

    def _repeat(self, ctl: Control, page: Page, repeat_path: tuple[str, ...], rel: Rel,
                wrapper: Control | None) -> Question:
        name = self._name(ctl.path)
        label_el = (wrapper.element if wrapper is not None else ctl.element).find(XF + "label")
        label, _media = self._texts(label_el, ctl.path)
        bind = self.binds.get(ctl.path, {})
        q = Question(name=name, type=QuestionType.REPEAT, json_path=ctl.where, page=page.name, label_texts=label,
                     relevant=_and(_rel_text(rel, ctl.path),
                                   self._rw(bind.get("relevant"), ctl.path, f"{ctl.where}@relevant")),
                     parent=repeat_path[-1] if repeat_path else None, repeat_path=repeat_path,
                     appearance=ctl.appearance or None, path=ctl.path)
        q.required_spec = self._flag(bind.get("required"), ctl.path, f"{ctl.where}@required")
        count = ctl.element.get(JR + "count")
        if count and count.strip():
            text = count.strip()
            value: int | str | None = int(text) if text.isdigit() else self._rw(
                text, ctl.path, f"{ctl.where}@jr:count")
            q.min_count = q.max_count = value
            q.params["count"] = True  # the session keeps exactly that many items
        elif ctl.element.get(JR + "noAddRemove") in ("true()", "true"):
            q.min_count = q.max_count = self.initial.get(ctl.path, 1)
        self.questions[name] = q
        inner = (*repeat_path, name)
        q.children = self._flatten(ctl.children, page, inner, ())
        return q  # one holding only calculations gets them in _hidden

    def _question(self, ctl: Control, page: Page, repeat_path: tuple[str, ...],
                  rel: Rel) -> Question:
        bind = self.binds.get(ctl.path, {})
        btype = _btype(bind)
        where = ctl.where
        label, media = self._texts(ctl.element.find(XF + "label"), ctl.path)
        hint, _ = self._texts(ctl.element.find(XF + "hint"), ctl.path)
        qtype = TYPE_OF.get((ctl.kind, btype)) or TYPE_OF.get((ctl.kind, None)) or ""
        reason = self._unavailable(ctl, btype)
        readonly = (bind.get("readonly") or "").strip()
        calculate = self._rw(bind.get("calculate"), ctl.path, f"{where}@calculate")
        if not reason and ctl.kind == "input" and readonly == "true()" and not calculate:
            qtype = "note"
        if not reason and not qtype:
            raise FormLoadError(where, key="formload.type_unsupported",
                                params={"control": f"<{ctl.kind}>", "type": repr(btype)})
        q = Question(
            name=self._name(ctl.path), type=QuestionType(qtype or "note"), json_path=where, page=page.name,
            label_texts=label, hint_texts=hint, media=media,
            relevant=_and(_rel_text(rel, ctl.path), self._rw(bind.get("relevant"), ctl.path, f"{where}@relevant")),
            constraint=self._rw(bind.get("constraint"), ctl.path, f"{where}@constraint"),
            constraint_message=self._message(bind.get(JR + "constraintMsg"), ctl.path),
            required_message=self._message(bind.get(JR + "requiredMsg"), ctl.path),
            calculate=calculate, appearance=ctl.appearance or None,
            parent=repeat_path[-1] if repeat_path else None, repeat_path=repeat_path, path=ctl.path,
        )
        q.required_spec = self._flag(bind.get("required"), ctl.path, f"{where}@required")
        q.read_only_spec = self._flag(bind.get("readonly"), ctl.path, f"{where}@readonly")
        if reason:
            self._make_unavailable(q, reason)
        elif qtype in ("select_one", "select_multiple", "rank"):
            self._choices(q, ctl)
        elif qtype == "attachment":
            self._upload(q, ctl)
        elif qtype == "range":
            q.params = {k: _number(ctl.element.get(k), where, k) for k in ("start", "end", "step")
                        if ctl.element.get(k) is not None}
        if qtype not in ("note", "repeat") and not reason:
            q.default = self._default(ctl.path, qtype)
            if ctl.path in self.actions.first_load_expr and not calculate:
                q.params["default_expr"] = self.actions.first_load_expr[ctl.path]
        self.questions[q.name] = q
        return q

    # -- pieces ---------------------------------------------------------------------------
    def _unavailable(self, ctl: Control, btype: str) -> str | None:
        if btype in UNAVAILABLE_TYPES:
            return UNAVAILABLE_TYPES[btype]
        words = ctl.appearance.split()
        if any(w.startswith("ex:") for w in words):
            return "external_app"
        for w in words:
            if w in UNAVAILABLE_APPEARANCES:
                return UNAVAILABLE_APPEARANCES[w]
        mediatype = (ctl.element.get("mediatype") or "").strip()
        if ctl.kind == "upload" and mediatype.startswith("osm"):
            return "external_app"
        if ctl.kind == "upload" and mediatype.split("/")[0] in ("audio", "video"):
            return mediatype.split("/")[0]  # no microphone or video camera to record with
        return None

    def _make_unavailable(self, q: Question, reason: str) -> None:
        from kiosk.i18n import t

        if q.required_spec is not False:
            raise FormLoadError(q.json_path, key="formload.required_unavailable",
                                params={"name": repr(q.name), "reason": Words("xform.unavailable_" + reason)})
        q.type, q.calculate, q.constraint = QuestionType.NOTE, None, None
        q.params = {"unavailable": reason}
        q.hint_texts = {lang: t("xform.unavailable_" + reason, lang) for lang in ("mn", "en")}

    def _upload(self, q: Question, ctl: Control) -> None:
        mediatype = (ctl.element.get("mediatype") or "").strip()
        words = ctl.appearance.split()
        if mediatype.startswith("image") and "signature" in words:
            q.type = QuestionType.SIGNATURE
            return
        q.accept = ACCEPT.get(mediatype.split("/")[0], ())

    def _flag(self, value: str | None, context: str, where: str) -> bool | str:
        text = (value or "").strip()
        if text in ("", "false()", "false"):
            return False
        if text in ("true()", "true"):
            return True
        return self._rw(text, context, where) or False

    def _default(self, path: str, qtype: str) -> Any:
        el = self.nodes.get(path)
        text = (el.text or "").strip() if el is not None else ""
        text = self.actions.first_load.get(path, text)
        if not text:
            return None
        if qtype == "integer":
            return int(text) if re.fullmatch(r"[+-]?\d+", text) else text
        if qtype in ("decimal", "range"):
            try:
                return float(text) if "." in text else int(text)
            except ValueError:
                return text
        if qtype in ("select_multiple", "rank"):
            return text.split()
        if qtype == "date" and re.match(r"\d{4}-\d{2}-\d{2}[T ]", text):
            return text[:10]  # a spreadsheet date cell carries a time of 00:00
        if qtype == "yes_no":
            return text in ("true", "1", "yes")
        return text

    def _hidden(self, paths: list[str]) -> None:
        """Calculations and constants: hidden questions, in their repeat if they are in one."""
        if not paths:
            return
        repeats = {q.path: q for q in self.questions.values() if q.is_repeat}
        page: Page | None = None
        for path in paths:
            owner = max((r for r in repeats if path.startswith(r + "/")), key=len, default=None)
            bind = self.binds.get(path, {})
            where = f"<bind nodeset={path!r}>" if bind else f"<{path.rsplit('/', 1)[-1]}> {path}"
            calc = self._rw(bind.get("calculate") or self.actions.setvalue_calc.get(path), path, f"{where}@calculate")
            if calc is None and path in self.actions.first_load:
                calc = literal(self.actions.first_load[path])
            if calc is None:
                kind = bind.get(JR + "preload")
                if kind == "date":  # Collect sets it when the form is opened: a resumed
                    calc = "once(today())"  # draft keeps it (kiosk.forms.kept)
                else:
                    el = self.nodes[path]
                    calc = literal((el.text or "").strip())
            btype = _btype(bind)
            if owner is not None:
                parent = repeats[owner]
                target_page, rpath = parent.page, (*parent.repeat_path, parent.name)
            else:
                if page is None:
                    page = self._page("calculations", {}, "one-per-screen", None, "<model>")
                target_page, rpath = page.name, ()
            q = Question(name=self._name(path), type=QuestionType(HIDDEN_TYPE.get(btype, "text")),
                         json_path=where,
                         page=target_page, calculate=calc,
                         relevant=self._rw(bind.get("relevant"), path, f"{where}@relevant"),
                         parent=rpath[-1] if rpath else None, repeat_path=rpath, path=path)
            self.questions[q.name] = q
            if owner is not None:
                repeats[owner].children.append(q)
            elif page is not None:
                page.questions.append(q)


def _number(text: str | None, where: str, attr: str) -> float | int:
    try:
        value = float(text or "")
    except ValueError:
        raise FormLoadError(f"{where}@{attr}", key="formload.not_a_number", params={"text": repr(text)}) from None
    return int(value) if value == int(value) else value
