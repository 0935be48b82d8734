"""``kiosk forms import SOURCE...``, ``forms check FILE``, ``forms remove FORM_ID``: XLSForm and
XForm files into the kiosk's local catalog (kiosk.forms.local_catalog).

Every file is read the way the kiosk reads it at start (pyxform for spreadsheets,
then the XForm reader and the expression checks), so what imports is what the
resident gets. A refused file is one line: file, sheet/row/column (XLSForm) or
element (XForm), reason; exit 1. Nothing is written unless the whole file passes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.commands._common import add_home, add_json, cli_lang, get_home, print_json
from kiosk.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, KioskError, NotFoundError


class UsageError(KioskError):
    exit_code = EXIT_USAGE


def register(verbs: argparse._SubParsersAction) -> None:
    imp = verbs.add_parser("import", help="import XLSForm (.xlsx/.xls) or XForm (.xml) files")
    imp.add_argument("sources", nargs="+", metavar="SOURCE", help="form files")
    imp.add_argument("--category", metavar="ID",
                     help="home-screen category from catalog.json (default: the imported forms')")
    imp.add_argument("--agency", metavar="ID",
                     help="agency that receives the submissions (default: the form's own destination)")
    add_home(imp)
    add_json(imp)
    imp.set_defaults(func=run_import)

    ex = verbs.add_parser("export-xlsform", help="write a catalog form as an XLSForm spreadsheet")
    ex.add_argument("form_id", metavar="FORM_ID", help="the kiosk's form id or the ODK form id")
    ex.add_argument("--out", required=True, metavar="FILE", help="the .xlsx file to write")
    add_home(ex)
    add_json(ex)
    ex.set_defaults(func=run_export)

    rm = verbs.add_parser("remove", help="remove an imported form (drafts and submissions are kept)")
    rm.add_argument("form_id", metavar="FORM_ID", help="the kiosk's form id or the ODK form id")
    add_home(rm)
    add_json(rm)
    rm.set_defaults(func=run_remove)


def all_warnings(source: Any, form: Any) -> list[str]:
    """pyxform's warnings and the kiosk reader's (kiosk.forms.load_error.FormWarning: English
    text that words itself in the kiosk's language); a plain text one per line."""
    lines = [w if hasattr(w, "key") else ln.strip()
             for w in source.warnings for ln in ([w] if hasattr(w, "key") else str(w).splitlines())
             if ln.strip()]
    return lines + list(form.odk.warnings if form.odk else [])


def problem_line(file: str, exc: Any, lang: str) -> str:
    """A refused file in ``lang``: file, place (none for the whole file), reason."""
    return f"{file}: {exc.line(lang)}"


def check_file(path: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[str]]:
    """(form summary or None, problems, warnings) for one form file; a problem keeps its
    error under "error" (left out of ``--json``) to be worded in the kiosk's language."""
    from kiosk.forms.local_catalog import check_source, read_source
    from kiosk.forms.model import FormLoadError

    try:
        source = read_source(path)
        form = check_source(source)
    except FormLoadError as exc:
        return None, [{"file": path.name, "json_path": exc.json_path, "message": exc.message,
                       "error": exc}], []
    summary = {"id": form.id, "version": form.version, "title": form.title,
               "questions": len(form.questions),
               "xml_form_id": form.odk.xml_form_id if form.odk else form.id}
    return summary, [], all_warnings(source, form)


def run_check_file(args: argparse.Namespace, path: Path) -> int:
    from kiosk.forms.load_error import warning_text

    summary, problems, warnings = check_file(path)
    if args.json:
        print_json({"file": str(path), "ok": not problems, "form": summary,
                    "problems": [_plain(p) for p in problems], "warnings": warnings})
    else:
        from kiosk.i18n import t

        lang = cli_lang(args, get_home(args))
        for w in warnings:
            print(t("tech.form_warning", lang, file=path.name, warning=warning_text(w, lang)))
        for p in problems:
            print(problem_line(p["file"], p["error"], lang))
        if summary:
            print(t("tech.form_usable", lang, file=path.name, form_id=summary["id"],
                    questions=summary["questions"]))
    return EXIT_FAILED if problems else EXIT_OK


def _plain(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem as ``--json`` gives it (English message, no error object)."""
    return {k: v for k, v in problem.items() if k != "error"}


def _pick(value: str | None, known: list[str], what: str, default: str, files: list[str]) -> str:
    """The flag's value if the catalog knows it, ``default`` when not given; an unknown
    ``--category``/``--agency`` is refused naming the files it is about."""
    if not value:
        return default
    if value in known:
        return value
    from kiosk.i18n import t

    where = {"file": ", ".join(files), "value": value,
             "known": ", ".join(known) or t("cli.none_known", "en")}
    raise UsageError(key=_PICK_KEYS[what], params=where)


_PICK_KEYS = {"category": "cli.unknown_category", "agency": "cli.unknown_agency"}


def run_import(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.forms import active_catalog_dir, load_catalog
    from kiosk.forms.loader import IMPORTED_CATEGORY
    from kiosk.forms.local_catalog import check_source, install, read_source
    from kiosk.forms.model import FormLoadError
    from kiosk.i18n import t

    home = get_home(args).ensure()
    config = load_config(home.config_file)
    catalog = load_catalog(active_catalog_dir(home, config))
    category = _pick(args.category, [c.id for c in catalog.categories], "category",
                     IMPORTED_CATEGORY, args.sources)
    agency = _pick(args.agency, list(catalog.agencies), "agency", "", args.sources)
    results: list[dict[str, Any]] = []
    failed = False
    for raw in args.sources:
        path = Path(raw)
        row: dict[str, Any] = {"file": str(path)}
        if not path.is_file():
            failed = True
            row.update(ok=False, json_path="$",
                       message=t("cli.form_file_not_found", cli_lang(args, home), path=path))
            results.append(row)
            continue
        try:
            source = read_source(path)
            form = check_source(source)
            if form.id in catalog.forms:
                raise FormLoadError("$", key="formload.catalog_form_id", params={"form_id": repr(form.id)})
            install(home.root, source, form, category=category, agency=agency)
        except FormLoadError as exc:
            failed = True
            row.update(ok=False, json_path=exc.json_path, message=exc.message, error=exc)
            results.append(row)
            continue
        except OSError as exc:
            raise KioskError(key="cli.cannot_write_local_catalog",
                             params={"path": path, "reason": exc.__class__.__name__}) from None
        row.update(ok=True, id=form.id, xml_form_id=form.odk.xml_form_id if form.odk else form.id,
                   version=form.version, title=form.title, category=category,
                   agency=agency, warnings=all_warnings(source, form), questions=len(form.questions))
        results.append(row)
    if args.json:
        print_json({"imported": [r for r in results if r["ok"]],
                    "problems": [_plain(r) for r in results if not r["ok"]]})
    else:
        _print_import(results, cli_lang(args, get_home(args)))
    return EXIT_FAILED if failed else EXIT_OK


def _print_import(results: list[dict[str, Any]], lang: str) -> None:
    from kiosk.forms.load_error import warning_text
    from kiosk.i18n import t

    for r in results:
        name = Path(r["file"]).name
        if r["ok"]:
            for w in r["warnings"]:
                print(t("tech.form_warning", lang, file=name, warning=warning_text(w, lang)))
            print(t("tech.form_imported" if r["xml_form_id"] == r["id"] else
                    "tech.form_imported_odk", lang, file=name, form_id=r["id"],
                    version=r["version"], questions=r["questions"],
                    odk_id=r["xml_form_id"], category=r["category"]))
        elif "error" in r:
            print(problem_line(name, r["error"], lang), file=sys.stderr)
        else:
            print(f"{name}: {r['message']}", file=sys.stderr)


def run_remove(args: argparse.Namespace) -> int:
    from kiosk.forms.local_catalog import remove
    from kiosk.i18n import t

    home = get_home(args)
    removed = remove(home.root, args.form_id)
    if removed is None:
        raise NotFoundError(key="cli.no_imported_form", params={"form_id": args.form_id})
    if args.json:
        print_json({"removed": removed, "asked": args.form_id})
    else:
        print(t("formload.removed", cli_lang(args, home), form_id=removed))
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.forms import load_active_catalog
    from kiosk.forms.xlsform_export import export_xlsform

    home = get_home(args)
    catalog = load_active_catalog(home, load_config(home.config_file))
    form = catalog.form(args.form_id)
    if form.odk is not None:
        raise UsageError(key="cli.xform_cannot_export", params={"form_id": form.id})
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(key="cli.out_must_be_xlsx", params={"name": out.name})
    try:
        warnings = export_xlsform(form, out)
    except OSError as exc:
        raise KioskError(key="cli.cannot_write",
                         params={"path": out, "reason": exc.__class__.__name__}) from None
    if args.json:
        print_json({"form": form.id, "xml_form_id": form.odk.xml_form_id if form.odk else form.id,
                    "out": str(out), "warnings": warnings})
    else:
        from kiosk.forms.load_error import warning_text
        from kiosk.i18n import t

        lang = cli_lang(args, home)
        for w in warnings:
            print(t("formload.export_warning", lang, warning=warning_text(w, lang)))
        print(t("formload.wrote", lang, path=out))
    return EXIT_OK
