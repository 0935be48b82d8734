"""A kiosk form (JSON v1) as an XLSForm spreadsheet, so an agency can publish it on its own
ODK server (``kiosk forms export-xlsform FORM_ID --out FILE``).

The spreadsheet converts with pyxform and reads back into the kiosk (tests do both).
Pages become groups (``field-list`` for group pages), types map to their ODK
equivalents, and the kiosk's own types become what an ODK client can fill:

- ``yes_no`` -> ``select_one yes_no`` (``yes``/``no``); a bare ``${x}`` used as a
  condition becomes ``(${x} = 'yes')`` so it still means "answered yes";
- ``consent`` -> ``acknowledge`` (``OK``); ``signature`` -> image with ``signature``;
- ``registry_number``/``phone``/``postal_code`` -> text with a format constraint;
- ``aimag_soum`` -> ``select_one aimag`` (``NAME_aimag``) then ``select_one soum``
  (``NAME``, filtered by the aimag; the soum code alone, which names its aimag too);
- ``attachment`` -> ``image`` when only images are accepted, else ``file``.

Left as they are: the kiosk's extension functions (``age``, ``registry-birth-date`` …),
which only the kiosk evaluates; ``max_size_kb`` and ``min_count``/``max_count`` that
differ (XLSForm has only ``repeat_count``) are reported as warnings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kiosk.forms.load_error import FormWarning, Place, PlaceKind
from kiosk.forms.model import FormDef, Question

MN, EN = "Mongolian (mn)", "English (en)"
SURVEY_COLUMNS = [
    "type", "name", f"label::{MN}", f"label::{EN}", f"hint::{MN}", f"hint::{EN}", "required",
    "relevant", "constraint", f"constraint_message::{MN}", f"constraint_message::{EN}",
    "calculation", "default", "read_only", "appearance", "choice_filter", "repeat_count",
]
RD_RE = "^[А-ЯӨҮ]{2}[0-9]{8}$"
FORMAT = {"registry_number": RD_RE, "phone": "^[0-9]{8}$", "postal_code": "^[0-9]{5}$"}


def _and(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"({a}) and ({b})"
    return a or b


class _Exporter:
    def __init__(self, form: FormDef) -> None:
        self.form = form
        self.survey: list[dict[str, Any]] = []
        self.choices: list[dict[str, Any]] = []
        self.lists: dict[int, str] = {}  # id(choice list) -> list name
        self.list_names: set[str] = set()
        self.extra_columns: list[str] = []
        self.warnings: list[str] = []
        self.kinds = {q.name: q.type for q in form.questions.values()}
        self.used = set(form.questions)

    # -- expressions ------------------------------------------------------------------
    def expr(self, text: Any, field: str = "") -> str:
        if text is None or text is False:
            return ""
        if text is True:
            return "yes"
        out = str(text)

        def boolean(m: re.Match[str]) -> str:
            name = m.group(1)
            kind = self.kinds.get(name)
            rest = out[m.end():]
            if kind in ("yes_no", "consent") and not re.match(r"\s*(!=|=)", rest) and not \
                    out[:m.start()].rstrip().endswith(("=",)):
                return f"(${{{name}}} = '{'yes' if kind == 'yes_no' else 'OK'}')"
            return m.group(0)

        out = re.sub(r"\$\{(\w+)\}", boolean, out)
        if field == "choice_filter":
            out = re.sub(r"(?<![\w$.{'\"-])value(?![\w(-])", "name", out)
        return out

    # -- choices ----------------------------------------------------------------------
    def list_for(self, q: Question) -> str:
        key = id(q.choice_list)
        if key in self.lists:
            return self.lists[key]
        name = q.name
        while name in self.list_names:
            name += "_list"
        self.lists[key] = name
        self.list_names.add(name)
        for c in q.choice_list:
            row = {"list_name": name, "name": c.value, f"label::{MN}": c.label.get("mn", c.value),
                   f"label::{EN}": c.label.get("en", "")}
            for k, v in c.extra.items():
                if k not in self.extra_columns:
                    self.extra_columns.append(k)
                row[k] = v
            self.choices.append(row)
        return name

    def fixed_list(self, name: str, rows: list[tuple[str, str, str, dict[str, str]]]) -> str:
        if name in self.list_names:
            return name
        self.list_names.add(name)
        for value, mn, en, extra in rows:
            self.choices.append({"list_name": name, "name": value, f"label::{MN}": mn,
                                 f"label::{EN}": en, **extra})
            for k in extra:
                if k not in self.extra_columns:
                    self.extra_columns.append(k)
        return name

    # -- survey -----------------------------------------------------------------------
    def texts(self, row: dict[str, Any], column: str, texts: dict[str, str] | None) -> None:
        if texts:
            row[f"{column}::{MN}"] = texts.get("mn", "")
            row[f"{column}::{EN}"] = texts.get("en", "")

    def question(self, q: Question) -> None:
        from kiosk.i18n import t

        row: dict[str, Any] = {"name": q.name}
        self.texts(row, "label", q.label_texts)
        self.texts(row, "hint", q.hint_texts)
        self.texts(row, "constraint_message", q.constraint_message)
        row["required"] = self.expr(q.required_spec)
        row["relevant"] = self.expr(q.relevant)
        row["constraint"] = self.expr(q.constraint)
        row["read_only"] = self.expr(q.read_only_spec)
        row["appearance"] = q.appearance or ""
        row["choice_filter"] = self.expr(q.choice_filter, "choice_filter")
        if q.default is not None:
            row["default"] = {True: "yes", False: "no"}.get(q.default, q.default) \
                if q.type == "yes_no" else q.default
        if q.calculate:
            row["calculation"] = self.expr(q.calculate)
        kind = q.type
        if q.calculate and not q.label_texts:
            row["type"] = "calculate"
        elif kind in ("text", "integer", "decimal", "date", "note"):
            row["type"] = str(kind)
        elif kind in ("select_one", "select_multiple"):
            row["type"] = f"{kind} {self.list_for(q)}"
        elif kind == "yes_no":
            lst = self.fixed_list("yes_no", [("yes", t("forms.yes", "mn"), t("forms.yes", "en"), {}),
                                             ("no", t("forms.no", "mn"), t("forms.no", "en"), {})])
            row["type"] = f"select_one {lst}"
        elif kind == "consent":
            row["type"] = "acknowledge"
        elif kind == "signature":
            row["type"], row["appearance"] = "image", "signature"
        elif kind == "attachment":
            row["type"] = "image" if q.accept and all(a.startswith("image/") for a in q.accept) else "file"
            if q.max_size_kb:
                self.warnings.append(FormWarning(Place(PlaceKind.QUESTION, text=q.name),
                                                 "formload.export_max_size", {"size": q.max_size_kb}))
        elif kind in FORMAT:
            row["type"] = "text"
            row["appearance"] = "numbers" if kind != "registry_number" else row["appearance"]
            row["constraint"] = _and(f"regex(., '{FORMAT[kind]}')", row["constraint"] or None) or ""
        elif kind == "aimag_soum":
            self.aimag_soum(q, row)
            return
        else:
            row["type"] = kind  # time, datetime, geopoint, range, rank, acknowledge: same names
            if kind == "datetime":
                row["type"] = "dateTime"
        self.survey.append(row)

    def aimag_soum(self, q: Question, row: dict[str, Any]) -> None:
        from kiosk.admin_units import admin_units

        units = admin_units()
        aimags = self.fixed_list("aimag", [(a.code, a.name_mn, a.name_en, {}) for a in units.aimags])
        soums = self.fixed_list("soum", [(s.code, s.name_mn, s.name_en, {"aimag": a.code})
                                         for a in units.aimags for s in units.soums(a.code)])
        helper = f"{q.name}_aimag"
        while helper in self.used:
            helper += "_"
        self.used.add(helper)
        first = {"type": f"select_one {aimags}", "name": helper, "required": row["required"],
                 "relevant": row["relevant"], "read_only": row["read_only"]}
        self.texts(first, "label", q.label_texts)
        self.survey.append(first)
        row["type"] = f"select_one {soums}"
        row["choice_filter"] = f"aimag = ${{{helper}}}"
        self.survey.append(row)

    def questions(self, questions: list[Question]) -> None:
        for q in questions:
            if not q.is_repeat:
                self.question(q)
                continue
            row: dict[str, Any] = {"type": "begin repeat", "name": q.name, "relevant": self.expr(q.relevant)}
            self.texts(row, "label", q.label_texts)
            if q.min_count is not None and q.min_count == q.max_count:
                row["repeat_count"] = self.expr(q.min_count) if isinstance(q.min_count, str) else q.min_count
            elif q.min_count is not None or q.max_count is not None:
                self.warnings.append(FormWarning(Place(PlaceKind.QUESTION, text=q.name),
                                                 "formload.export_counts",
                                                 {"min": q.min_count, "max": q.max_count}))
            self.survey.append(row)
            self.questions(q.children)
            self.survey.append({"type": "end repeat", "name": q.name})

    def run(self) -> None:
        for page in self.form.pages:
            name = page.name
            while name in self.used:
                name += "_page"
            self.used.add(name)
            row: dict[str, Any] = {"type": "begin group", "name": name, "relevant": self.expr(page.relevant),
                                   "appearance": "field-list" if page.layout == "group" else ""}
            self.texts(row, "label", page.title)
            self.survey.append(row)
            self.questions(page.questions)
            self.survey.append({"type": "end group", "name": name})


def export_xlsform(form: FormDef, out: Path) -> list[str]:
    """Write ``form`` as an XLSForm workbook at ``out``; warnings for what has no column."""
    import openpyxl

    ex = _Exporter(form)
    ex.run()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(SURVEY_COLUMNS)
    for row in ex.survey:
        ws.append([_cell(row.get(c, "")) for c in SURVEY_COLUMNS])
    cs = wb.create_sheet("choices")
    columns = ["list_name", "name", f"label::{MN}", f"label::{EN}", *ex.extra_columns]
    cs.append(columns)
    for row in ex.choices:
        cs.append([_cell(row.get(c, "")) for c in columns])
    ss = wb.create_sheet("settings")
    settings = {"form_title": form.title.get("mn") or form.id, "form_id": form.id.replace("-", "_"),
                "version": form.version, "default_language": MN}
    ss.append(list(settings))
    ss.append(list(settings.values()))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    wb.save(tmp)
    tmp.replace(out)
    return ex.warnings


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
