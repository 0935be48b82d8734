"""The choices of XForm select questions: inline items, itemsets, choices from a repeat.

A part of reading an XForm (kiosk.forms.xform_questions.FormBuilder takes it in):
the choices are the biggest data a form brings (a choices CSV of 290,000 rows), so
they are read here, apart from the questions. An itemset over a Table instance (a
CSV, or any instance of rows: kiosk.forms.instance_table) becomes a TableChoices,
whose choices are made when read (kiosk.forms.table_choices); an itemset of another
shape is read into a list of Choices.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.forms.instance_table import Instance, Table
from kiosk.forms.load_error import FormWarning
from kiosk.forms.model import Choice, FormLoadError, Question
from kiosk.forms.table_choices import Labels, TableChoices
from kiosk.forms.xform_body import Control
from kiosk.forms.xform_itext import language_code
from kiosk.forms.xform_paths import local, normalise_path, split_itemset, split_randomize
from kiosk.forms.xform_texts import MEDIA_FORMS, Texts, TextsReader
from kiosk.forms.xpath_nodes import XNode, children

XF = "{http://www.w3.org/2002/xforms}"
_NAME = re.compile(r"[A-Za-z_][\w.\-]*")


@dataclass(frozen=True)
class NestedChoice(Choice):
    """A choice of an itemset filtered above its items: ``parent`` is the XPath node of
    its item's parent, where the choice filter climbs (kiosk.forms.xpath_nodes.parent)."""

    parent: Any = field(default=None, compare=False, repr=False)


class ChoicesReader(TextsReader):
    """The choice-reading part of FormBuilder: what it uses of the builder is declared here."""

    instances: dict[str, Instance]
    names: dict[str, str]
    repeats: list[str]
    _choice_cache: dict[tuple[str, str, str, str, bool], Sequence[Choice]]

    def _rw(self, expr: str | None, context: str, where: str) -> str | None:
        raise NotImplementedError

    def _choices(self, q: Question, ctl: Control) -> None:
        itemset = ctl.element.find(XF + "itemset")
        if itemset is None:
            q.choice_list = self._inline_items(ctl)
        else:
            nodeset, seed, shuffle = split_randomize((itemset.get("nodeset") or "").strip())
            if shuffle:  # shuffled once per session (kiosk.forms.state.AnswerState._shuffled)
                q.params["randomize"] = seed or ""
            value_el = itemset.find(XF + "value")
            value_ref = (value_el.get("ref") if value_el is not None else None) or "name"
            label_el = itemset.find(XF + "label")
            label_ref = (label_el.get("ref") if label_el is not None else None) or "label"
            if not nodeset.startswith("instance("):
                self._repeat_choices(q, ctl, nodeset, value_ref, label_ref)
                return
            iid, steps, preds = split_itemset(nodeset, f"{ctl.where}/<itemset>")
            flt = _with_ancestors(steps, preds)
            q.choice_list = self._itemset(iid, steps, value_ref, label_ref, ctl.where,
                                          nested=any(preds[:-1]))
            if flt:
                q.choice_filter = self._rw(flt, ctl.path, f"{ctl.where}/<itemset>[…]")
        if not q.choice_list:  # javarosa takes it; nothing to pick (not a refusal)
            self.odk.warnings.append(FormWarning(ctl.where, "formload.warn_no_choices",
                                                 {"name": repr(q.name)}))

    def _repeat_choices(self, q: Question, ctl: Control, nodeset: str, value_ref: str,
                        label_ref: str) -> None:
        """Choices from the answers of a repeat (XLSForm ``select_one ${name}``): the items'
        ``value_ref`` answers, shown with their ``label_ref`` answers (FormSession reads them
        when the question is shown). Only the "not empty" filter pyxform writes is taken;
        another filter is refused rather than ignored."""
        where = f"{ctl.where}/<itemset>"
        m = re.fullmatch(r"(.+?)\s*(?:\[(.*)\])?", nodeset, re.DOTALL)
        path = normalise_path(m.group(1), ctl.path) if m else ""
        repeat = self.names.get(path) if path in self.repeats else None
        if repeat is None:
            raise FormLoadError(where, key="formload.itemset_source", params={"nodeset": repr(nodeset)})
        value_q = self.names.get(normalise_path(value_ref, path))
        label_q = self.names.get(normalise_path(label_ref, path))
        if value_q is None or label_q is None:
            raise FormLoadError(where, key="formload.itemset_repeat_refs",
                                params={"value": repr(value_ref), "label": repr(label_ref),
                                        "repeat": repr(repeat)})
        flt = re.sub(r"\s+", "", (m.group(2) or "") if m else "")
        if flt and flt not in (f"./{value_ref}!=''", f"{value_ref}!=''", f'./{value_ref}!=""'):
            raise FormLoadError(where, key="formload.itemset_repeat_filter",
                                params={"filter": repr(m.group(2) if m else "")})
        q.params["choices_from"] = {"repeat": repeat, "value": value_q, "label": label_q}

    def _inline_items(self, ctl: Control) -> list[Choice]:
        out: list[Choice] = []
        seen: set[str] = set()
        for item in ctl.element.findall(XF + "item"):
            value = (item.findtext(XF + "value") or "").strip()
            if not value:
                raise FormLoadError(f"{ctl.where}/<item>", key="formload.choice_no_value")
            if value in seen:
                raise FormLoadError(f"{ctl.where}/<item>", key="formload.choice_twice",
                                    params={"value": repr(value)})
            seen.add(value)
            label, media = self._texts(item.find(XF + "label"), ctl.path)
            out.append(Choice(value=value, label=label, media=media))
        return out

    def _itemset(self, iid: str, steps: tuple[str, ...], value_ref: str, label_ref: str,
                 where: str, nested: bool = False) -> Sequence[Choice]:
        """The choices of every item at ``steps``; ``nested``: a step above the items is
        filtered, so each choice keeps its item's parent (the filter climbs to it)."""
        key = (iid, "/".join(steps), value_ref, label_ref, nested)
        if key in self._choice_cache:
            return self._choice_cache[key]
        root = self.instances.get(iid)
        if root is None:
            raise FormLoadError(f"{where}/<itemset>", key="formload.no_instance", params={"id": repr(iid)})
        m = re.fullmatch(r"\s*jr:itext\(\s*([A-Za-z_][\w.\-]*)\s*\)\s*", label_ref)
        if isinstance(root, Table) and not nested:
            made = self._table_itemset(root, iid, steps, value_ref, m.group(1) if m else None, label_ref)
            if made is not None:
                self._choice_cache[key] = made
                return made
        tree = root.to_element() if isinstance(root, Table) else root  # a shape a table cannot answer
        out: list[Choice] = []
        seen: set[str] = set()
        for item, up in _items(tree, steps, nested):
            value = (item.findtext(value_ref) or "").strip()
            if not value:
                continue
            if value in seen:
                # ODK allows it (allow_choice_duplicates, or one name under two filters)
                self._dup_warn(iid, value)
            seen.add(value)
            media: dict[str, dict[str, str]] = {}
            if m:
                entry = self.itext.get((item.findtext(m.group(1)) or "").strip())
                label = dict(entry.text) if entry else {}
                if entry:
                    media = {MEDIA_FORMS[f]: dict(v) for f, v in entry.media.items() if f in MEDIA_FORMS}
                    for uris in media.values():
                        self.media_uris += uris.values()
            else:
                label = {}
                # A column of the language (label::Mongolian (mn)) before the plain one
                # (ODK's only label), which speaks for the languages without their own.
                for child in sorted(item.findall(label_ref), key=lambda c: c.get("lang") is None):
                    text = (child.text or "").strip()
                    code = language_code(child.get("lang") or "") if child.get("lang") else self.lang
                    if text and code and code not in label:
                        label[code] = text
            extra = {child.tag: (child.text or "").strip() for child in item
                     if child.tag not in ("itextId",) and "lang" not in child.attrib}
            if up is None:
                out.append(Choice(value=value, label=label, extra=extra, media=media))
            else:
                out.append(NestedChoice(value=value, label=label, extra=extra, media=media, parent=up))
        self._choice_cache[key] = out
        return out

    def _dup_warn(self, iid: str, value: str) -> None:
        text = FormWarning(f"<instance id={iid!r}>", "formload.warn_choice_repeated",
                           {"value": repr(value)})
        if text not in self.odk.warnings:
            self.odk.warnings.append(text)

    def _table_itemset(self, table: Table, iid: str, steps: tuple[str, ...], value_ref: str,
                       itext_ref: str | None, label_ref: str) -> Sequence[Choice] | None:
        """The itemset over ``table``'s rows as TableChoices; None for a shape the table
        cannot answer as the tree would (a deeper path, a name used by two columns)."""
        if len(steps) != 2 or not _NAME.fullmatch(value_ref):
            return None
        if steps[1] not in (table.row_tag, "*"):
            return [] if _NAME.fullmatch(steps[1]) else None
        value_cols = table.columns_named(value_ref)
        if len(value_cols) != 1:
            return [] if not value_cols else None
        labels = self._table_labels(table, itext_ref, label_ref)
        if labels is None:
            return None
        rows = array("I", (r for r in range(table.rows) if (table.cell(r, value_cols[0]) or "").strip()))
        choices = TableChoices(table, rows, value_cols[0], labels, [
            (name, col) for col, (name, lang) in enumerate(zip(table.names, table.langs, strict=True))
            if name != "itextId" and lang is None])
        for value in table.duplicates(value_cols[0], rows):
            self._dup_warn(iid, value)
        if itext_ref is not None:
            for row in rows:
                for uris in labels(row)[1].values():
                    self.media_uris += uris.values()
        return choices

    def _table_labels(self, table: Table, itext_ref: str | None, label_ref: str) -> Labels | None:
        """row -> (label, media) of the choice made from it; None: not a table's shape."""
        if itext_ref is not None:
            cols = table.columns_named(itext_ref)
            if len(cols) > 1:
                return None
            itext = self.itext  # (the choices keep this, never the whole builder)

            def by_itext(row: int) -> Texts:
                entry = itext.get((table.cell(row, cols[0]) or "").strip()) if cols else None
                if entry is None:
                    return {}, {}
                media = {MEDIA_FORMS[f]: dict(v) for f, v in entry.media.items() if f in MEDIA_FORMS}
                return dict(entry.text), media
            return by_itext
        if not _NAME.fullmatch(label_ref):
            return None
        cols = sorted(table.columns_named(label_ref), key=lambda c: table.langs[c] is None)  # as above
        coded = [(col, language_code(lang) if lang else self.lang) for col, lang in ((c, table.langs[c]) for c in cols)]

        def by_columns(row: int) -> Texts:
            label: dict[str, str] = {}
            for col, code in coded:
                text = (table.cell(row, col) or "").strip()
                if text and code and code not in label:
                    label[code] = text
            return label, {}
        return by_columns


def _items(root: ET.Element, steps: tuple[str, ...], nested: bool) -> Iterator[tuple[ET.Element, XNode | None]]:
    """The elements at ``steps`` (the first names the root) with, when ``nested``, the
    node of each one's parent (its ancestors linked up to the instance's document)."""
    if not nested:
        yield from ((item, None) for item in (root.findall("/".join(steps[1:])) if len(steps) > 1
                                                 else [root]))
        return
    nodes = [XNode(root, XNode(None, None, 0, root))] if local(root.tag) == steps[0] else []
    for name in steps[1:]:
        nodes = [child for node in nodes for child in children(None, node, name)]
    for node in nodes:
        if node.el is not None:
            yield node.el, node.parent


def _with_ancestors(steps: tuple[str, ...], preds: tuple[str | None, ...]) -> str | None:
    """The choice filter of an itemset whose path is filtered above its items too
    (``…/state[value = /d/state]/counties/county``): each such predicate is asked of that
    ancestor of the choice (``parent::*/parent::state[value = /d/state]``), as javarosa
    walks the path, and joined to the items' own filter with ``and``."""
    last = len(steps) - 1
    if not any(preds[:-1]):
        return preds[last]
    parts = [f"({preds[last]})"] if preds[last] else []
    for i, pred in enumerate(preds[:-1]):
        if pred:
            climb = ["parent::*"] * (last - i - 1) + [f"parent::{steps[i]}"]
            parts.append(f"{'/'.join(climb)}[{pred}]")
    return " and ".join(parts) or None
