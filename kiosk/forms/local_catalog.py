"""The kiosk's own catalog of imported forms (XLSForm/XForm), in the data folder.

Bundled and downloaded catalogs are JSON v1; forms a technician imports
(``kiosk forms import``) or that come from an ODK server are XForms. Each lives
in ``<home>/local-forms/<form-id>/``: ``form.xml`` (the XForm as converted or
received), ``meta.json`` (category, agency, where it came from) and ``media/``
(CSV/XML choice lists, recorded prompts, images). They are loaded beside the
active catalog's forms and appear on the home screen in their category. A form
is replaced whole (a new folder renamed into place), so a half-written import
never shows. Form definitions hold no personal data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.forms.load_error import Place, PlaceKind
from kiosk.forms.model import FormDef, FormLoadError

LOCAL_DIR = "local-forms"  # = kiosk.paths.Home.local_forms
XFORM_SUFFIXES = (".xml",)


def local_dir(home_root: Path) -> Path:
    return Path(home_root) / LOCAL_DIR


@dataclass
class Source:
    """A form file read for import: its XForm XML, converter warnings, its media folder."""

    path: Path
    xml: bytes
    warnings: list[str] = field(default_factory=list)

    @property
    def media_dir(self) -> Path:
        """Media sit beside the file, or in ``<stem>-media/`` (ODK Central's layout)."""
        beside = self.path.parent / f"{self.path.stem}-media"
        return beside if beside.is_dir() else self.path.parent


def read_source(path: Path) -> Source:
    """An .xml/.xlsx/.xls file as XForm XML; FormLoadError naming the file's place if refused."""
    from kiosk.forms.xlsform import SUFFIXES, convert_with_warnings

    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        xml, warnings = convert_with_warnings(path)
        return Source(path, xml, warnings)
    if suffix in XFORM_SUFFIXES:
        try:
            return Source(path, path.read_bytes())
        except OSError as exc:
            raise FormLoadError("$", key="formload.cannot_read",
                                params={"reason": exc.__class__.__name__}) from None
    raise FormLoadError("$", key="formload.not_a_form_file")


def check_source(source: Source) -> FormDef:
    """The FormDef the kiosk would use; FormLoadError if it cannot."""
    from kiosk.forms.xform_read import read_xform
    from kiosk.forms.xlsform import SUFFIXES, place_reader_error, place_warnings

    spreadsheet = source.path.suffix.lower() in SUFFIXES
    try:
        form = read_xform(source.xml, source=source.path.name, media_dir=source.media_dir)
    except FormLoadError as exc:
        if spreadsheet:
            raise place_reader_error(source.path, exc) from None
        raise
    if spreadsheet and form.odk is not None and form.odk.warnings:
        form.odk.warnings[:] = place_warnings(source.path, form.odk.warnings)
    return form


def media_names(form: FormDef) -> list[str]:
    """Media files of ``form`` the kiosk has (they are copied along on import)."""
    return [m.name for m in (form.odk.media if form.odk else []) if m.local]


def install(home_root: Path, source: Source, form: FormDef, *, category: str, agency: str,
            origin: str = "import", extra_media: dict[str, bytes] | None = None) -> Path:
    """Write ``form`` (read from ``source``) into the local catalog, replacing any older one."""
    base = local_dir(home_root)
    base.mkdir(parents=True, exist_ok=True)
    final = base / form.id
    old_meta = read_meta(final) if final.is_dir() else None
    xml_form_id = form.odk.xml_form_id if form.odk else form.id
    if old_meta and old_meta.get("xml_form_id") not in (None, xml_form_id):
        # "Household_Survey" and "household-survey" are one kiosk id: never replace silently
        raise FormLoadError("$", key="formload.id_used_by_import",
                            params={"form_id": repr(form.id),
                                    "other": repr(old_meta.get("xml_form_id"))})
    tmp = Path(tempfile.mkdtemp(prefix=f".{form.id}.", dir=base))
    try:
        (tmp / "media").mkdir()
        (tmp / "form.xml").write_bytes(source.xml)
        for name in media_names(form):
            target = tmp / "media" / name
            if not target.resolve().is_relative_to((tmp / "media").resolve()):
                raise FormLoadError(f"media {name!r}", key="formload.media_leaves_folder",
                                    place=Place(PlaceKind.MEDIA, text=repr(name)))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source.media_dir / name, target)
        for name, data in (extra_media or {}).items():
            target = tmp / "media" / name
            if not target.resolve().is_relative_to((tmp / "media").resolve()):
                raise FormLoadError(f"media {name!r}", key="formload.media_leaves_folder",
                                    place=Place(PlaceKind.MEDIA, text=repr(name)))
            target.write_bytes(data)
        meta = {
            "format": 1, "id": form.id, "xml_form_id": form.odk.xml_form_id if form.odk else form.id,
            "version": form.version, "title": form.title, "category": category, "agency": agency,
            "icon": "", "origin": origin, "source": source.path.name,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
        old = None
        if final.exists():
            old = base / f".{form.id}.old"
            if old.exists():
                shutil.rmtree(old)
            os.replace(final, old)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def find_local(home_root: Path, form_id: str) -> Path | None:
    """The folder of the imported form with the kiosk id or the ODK id ``form_id``."""
    base = local_dir(home_root)
    folder = base / form_id
    if "/" not in form_id and form_id not in ("", ".", "..") and (folder / "meta.json").is_file():
        return folder
    if not base.is_dir():
        return None
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        meta = read_meta(folder)
        if meta is not None and meta.get("xml_form_id") == form_id:
            return folder
    return None


def remove(home_root: Path, form_id: str) -> str | None:
    """Remove the imported form named by its kiosk or ODK id; its kiosk id, or None."""
    folder = find_local(home_root, form_id)
    if folder is None:
        return None
    shutil.rmtree(folder)
    return folder.name


_cache: dict[str, FormDef] = {}


def read_meta(folder: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _media_state(folder: Path) -> list[tuple[str, int, int]]:
    """(name, size, mtime) of every media file: a changed or missing file means a new load."""
    if not folder.is_dir():
        return []
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*") if p.is_file())


def iter_local_forms(base: Path) -> Iterator[tuple[str, FormDef | None, FormLoadError | None]]:
    """(shown name, form or None, why not) for every form folder of the local catalog."""
    from kiosk.forms.xform_read import read_xform

    if not base.is_dir():
        return
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        shown = f"{LOCAL_DIR}/{folder.name}/form.xml"
        meta = read_meta(folder)
        if meta is None:
            yield shown, None, FormLoadError("meta.json", key="formload.meta_unreadable")
            continue
        try:
            xml = (folder / "form.xml").read_bytes()
        except OSError as exc:
            yield shown, None, FormLoadError("$", key="formload.cannot_read",
                                             params={"reason": exc.__class__.__name__})
            continue
        key = hashlib.sha256(xml + json.dumps([meta, str(folder), _media_state(folder / "media")],
                                              sort_keys=True).encode()).hexdigest()
        form = _cache.get(key)
        if form is None:
            try:
                form = read_xform(xml, source=shown, media_dir=folder / "media")
            except FormLoadError as exc:
                yield shown, None, exc
                continue
            form.category = str(meta.get("category", ""))
            form.agency = str(meta.get("agency", ""))
            form.icon = str(meta.get("icon", ""))
            form.file = folder / "form.xml"
            if len(_cache) > 256:
                _cache.clear()
            _cache[key] = form
        if form.id != folder.name:
            yield shown, None, FormLoadError("$", key="formload.id_not_folder",
                                             params={"form_id": repr(form.id)})
            continue
        yield shown, form, None
