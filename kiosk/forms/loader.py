"""Loading a catalog folder: catalog.json, then every forms/*.json.

Each file is validated against its JSON Schema (Draft 2020-12, shipped in
kiosk/schemas/), then built and its expressions checked and compiled. A
broken form never stops the kiosk: it is skipped, logged (file name and
reason only: no answers or personal data exist here) and reported in
``Catalog.problems``; every other form still loads. Compiled forms are
cached by content hash, so reloading an unchanged catalog costs a hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kiosk.forms.expr_check import compile_form
from kiosk.forms.load_error import expressions_placed
from kiosk.forms.model import FormDef, FormLoadError, build_form
from kiosk.i18n import pick

log = logging.getLogger("kiosk.forms")
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


@dataclass(frozen=True)
class LoadProblem:
    """A file (or part of one) that could not be used: where, and why (English); ``error``
    words both in the kiosk's language (kiosk.forms.load_error)."""

    file: str
    json_path: str
    message: str
    error: FormLoadError | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.file}: {self.json_path}: {self.message}"

    def line(self, lang: str) -> str:
        """The problem in ``lang``: file, place (none for the whole file), reason."""
        if self.error is None:
            return str(self)
        return f"{self.file}: {self.error.line(lang)}"

    @classmethod
    def of(cls, file: str, error: FormLoadError) -> LoadProblem:
        return cls(file, error.json_path, error.message, error)


def _problem(file: str, json_path: str, key: str, **params: object) -> LoadProblem:
    return LoadProblem.of(file, FormLoadError(json_path, key=key, params=params))


@dataclass(frozen=True)
class Agency:
    id: str
    name: dict[str, str]
    keys: list[dict[str, Any]]
    demo: bool = False

@dataclass(frozen=True)
class Category:
    id: str
    title: dict[str, str]
    icon: str = ""

    def title_text(self, lang: str = "mn") -> str:
        return pick(self.title, lang)


@dataclass
class Catalog:
    folder: Path
    forms: dict[str, FormDef] = field(default_factory=dict)
    categories: list[Category] = field(default_factory=list)
    agencies: dict[str, Agency] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)

    def form(self, form_id: str) -> FormDef:
        """The form with the kiosk id ``form_id``, or else with that ODK id (xmlFormId)."""
        from kiosk.errors import NotFoundError

        found = self.forms.get(form_id) or next(
            (f for f in self.forms.values() if f.odk is not None and f.odk.xml_form_id == form_id), None)
        if found is None:
            raise NotFoundError(key="errors.no_form",
                                params={"form_id": form_id, "folder": self.folder})
        return found


@lru_cache(maxsize=4)
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@lru_cache(maxsize=4)
def _fast_validator(name: str) -> Any:
    """jsonschema-rs, when installed: ~400x faster; only a clean/not-clean verdict is taken
    from it. Problems are always described by the reference jsonschema implementation."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a build without the wheel still works
        return None
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return jsonschema_rs.Draft202012Validator(schema)


def _json_path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def schema_problems(data: Any, schema: str, file: str) -> list[LoadProblem]:
    """Every schema violation, deepest first within each branch, sorted by path."""
    fast = _fast_validator(schema)
    if fast is not None and fast.is_valid(data):
        return []  # the common case never imports jsonschema (~40-100 ms in a fresh process)
    from jsonschema.exceptions import best_match

    errors = list(_validator(schema).iter_errors(data))
    out: list[LoadProblem] = []
    for err in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        chosen = best_match([err]) if err.context else err
        while chosen.context:
            chosen = best_match(chosen.context)
        out.append(LoadProblem.of(file, FormLoadError(
            _json_path(chosen.absolute_path), chosen.message, key="formload.schema_refused",
            params={"detail": chosen.message})))
    return out


def _read_json(path: Path, shown: str) -> tuple[Any, LoadProblem | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, _problem(shown, "$", "formload.cannot_read", reason=exc.__class__.__name__)
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, _problem(shown, "$", "formload.json_invalid", detail=exc.msg, line=exc.lineno,
                              column=exc.colno)


_compiled: dict[str, FormDef] = {}


def load_form_file(path: Path, shown: str | None = None) -> tuple[FormDef | None, list[LoadProblem]]:
    """One form file: (FormDef, []) or (None, problems)."""
    shown = shown or path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [_problem(shown, "$", "formload.cannot_read", reason=exc.__class__.__name__)]
    digest = hashlib.sha256(raw).hexdigest()
    cached = _compiled.get(digest)
    if cached is not None:
        return cached, []
    data, problem = _read_json(path, shown)
    if problem:
        return None, [problem]
    problems = schema_problems(data, "form-v1.schema.json", shown)
    if problems:
        return None, problems
    try:
        form = build_form(data, path)
        with expressions_placed():
            compile_form(form)
    except FormLoadError as exc:
        return None, [LoadProblem.of(shown, exc)]
    form.content_hash = digest
    if len(_compiled) > 256:
        _compiled.clear()
    _compiled[digest] = form
    return form, []


def load_catalog(folder: Path | str, local: Path | str | None = None) -> Catalog:
    """Load a catalog folder, and the imported forms of ``local`` (kiosk.forms.local_catalog)
    beside its forms; problems are collected, never raised (see module doc)."""
    folder = Path(folder)
    catalog = Catalog(folder=folder)
    data, problem = _read_json(folder / "catalog.json", "catalog.json")
    if problem:
        catalog.problems.append(problem)
        data = None
    elif data is not None:
        probs = schema_problems(data, "catalog-v1.schema.json", "catalog.json")
        catalog.problems += probs
        if probs:
            data = None
    if isinstance(data, dict):
        catalog.categories = [
            Category(c["id"], c["title"], c.get("icon", "")) for c in data["categories"]
        ]
        catalog.agencies = {
            aid: Agency(aid, a["name"], a["keys"], bool(a.get("demo", False)))
            for aid, a in data["agencies"].items()
        }
    own = {c.id for c in catalog.categories}
    if isinstance(data, dict) and IMPORTED_CATEGORY not in own:
        catalog.categories.append(_imported_category())
    loaded: list[FormDef] = []
    for shown, form, probs, stem in _form_files(folder, local):
        if form is not None and isinstance(data, dict):
            probs = _catalog_links(form, catalog, shown)
            if stem is not None and form.id != stem:
                probs.append(_problem(shown, "$.id", "formload.id_not_file_name", form_id=repr(form.id)))
        if form is not None and not probs and form.id in {f.id for f in loaded}:
            probs = [_problem(shown, "$.id", "formload.id_used_twice", form_id=repr(form.id))]
        if probs or form is None:
            for p in probs:
                log.warning("form skipped: %s: %s: %s", p.file, p.json_path, p.message)
            catalog.problems += probs
            continue
        loaded.append(form)
    if IMPORTED_CATEGORY not in own and not any(f.category == IMPORTED_CATEGORY for f in loaded):
        catalog.categories = [c for c in catalog.categories if c.id != IMPORTED_CATEGORY]
    if not isinstance(data, dict) and loaded:
        catalog.problems.append(_problem("catalog.json", "$", "formload.no_catalog_json"))
        loaded = []
    order = {c.id: i for i, c in enumerate(catalog.categories)}
    loaded.sort(key=lambda f: (order.get(f.category, len(order)), f.title_text("mn")))
    catalog.forms = {f.id: f for f in loaded}
    return catalog


IMPORTED_CATEGORY = "imported"  # where ``kiosk forms import`` puts a form given no --category


def _imported_category() -> Category:
    """The kiosk's own category for imported forms (offered only while one uses it)."""
    from kiosk.i18n import t

    return Category(IMPORTED_CATEGORY, {lang: t("forms.imported_category", lang) for lang in ("mn", "en")})


def _form_files(folder: Path, local: Path | str | None
                ) -> Iterator[tuple[str, FormDef | None, list[LoadProblem], str | None]]:
    """(shown name, form or None, problems, the id its file name says) for the catalog's
    forms, then the imported ones (their folder name is checked where they are read)."""
    for path in sorted((folder / "forms").glob("*.json")):
        shown = f"forms/{path.name}"
        form, probs = load_form_file(path, shown)
        yield shown, form, probs, path.stem
    if local is not None:
        from kiosk.forms.local_catalog import iter_local_forms

        for shown, xform, exc in iter_local_forms(Path(local)):
            yield shown, xform, [LoadProblem.of(shown, exc)] if exc else [], None


def load_active_catalog(home: Any, config: Any) -> Catalog:
    """The catalog a kiosk offers: the active catalog folder and the imported forms."""
    from kiosk.forms.local_catalog import local_dir

    return load_catalog(active_catalog_dir(home, config), local_dir(Path(home.root)))


def _catalog_links(form: FormDef, catalog: Catalog, shown: str) -> list[LoadProblem]:
    out = []
    if form.category not in {c.id for c in catalog.categories}:
        out.append(_problem(shown, "$.category", "formload.unknown_category", name=repr(form.category)))
    # a form from an ODK server delivers to that server, not to a kiosk-central agency
    if form.agency not in catalog.agencies and not (form.odk is not None and not form.agency):
        out.append(_problem(shown, "$.agency", "formload.unknown_agency", name=repr(form.agency)))
    return out


def active_catalog_dir(home: Any, config: Any) -> Path:
    """config.catalog_dir if set; else the downloaded catalog (home.catalog) if it holds a
    catalog.json; else the bundled sample."""
    from kiosk.paths import bundled_catalog_dir

    configured = getattr(config, "catalog_dir", "") if config is not None else ""
    if configured:
        return Path(configured).expanduser()
    downloaded = Path(home.catalog)
    if (downloaded / "catalog.json").is_file():
        return downloaded
    return bundled_catalog_dir()
