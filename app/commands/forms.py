"""``kiosk forms list`` and ``kiosk forms check DIR``: the catalog for staff and form authors.

``check`` runs exactly the checks the kiosk runs at load (JSON Schema, names,
expressions, cycles, catalog links) and, when an ``examples/`` folder is there,
completes each form with its example answers through a FormSession. Exit 1 on
any problem, naming file, JSON path and reason.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.commands._common import add_home, add_json, cli_lang, get_home, print_json
from kiosk.errors import EXIT_FAILED, EXIT_OK, NotFoundError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forms", help="list the service forms, or check a folder of definitions")
    verbs = p.add_subparsers(dest="forms_command", metavar="VERB", required=True)

    ls = verbs.add_parser("list", help="the forms of the active catalog")
    ls.add_argument("--lang", choices=("mn", "en"), default=argparse.SUPPRESS,
                    help="language of titles (default: config)")
    add_home(ls)
    add_json(ls)
    ls.set_defaults(func=run_list)

    ck = verbs.add_parser("check", help="validate a catalog folder, a folder of forms, or one "
                                        "XLSForm/XForm file")
    ck.add_argument("dir", metavar="DIR|FILE",
                    help="catalog folder, a folder of form *.json files, or a .xlsx/.xls/.xml form")
    add_home(ck)
    add_json(ck)
    ck.set_defaults(func=run_check)

    from app.commands import forms_import

    forms_import.register(verbs)


def run_list(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.forms import active_catalog_dir, load_active_catalog
    from kiosk.i18n import t

    home = get_home(args)
    config = load_config(home.config_file)
    lang = getattr(args, "lang", None) or config.language
    folder = active_catalog_dir(home, config)
    if not folder.is_dir():
        raise NotFoundError(key="cli.catalog_folder_not_found", params={"path": folder})
    catalog = load_active_catalog(home, config)
    rows: list[dict[str, Any]] = []
    for form in catalog.forms.values():
        agency = catalog.agencies.get(form.agency)
        rows.append({
            "id": form.id, "xml_form_id": form.odk.xml_form_id if form.odk else form.id,
            "version": form.version, "title": form.title_text(lang),
            "category": form.category, "agency": form.agency,
            "demo": bool(agency and agency.demo),
        })
    problems = [{"file": p.file, "json_path": p.json_path, "message": p.message}
                for p in catalog.problems]
    if args.json:
        print_json({"catalog": str(folder), "forms": rows, "problems": problems})
        return EXIT_OK
    if not rows:
        print(t("forms.list_empty", lang))
    width = max((len(r["id"]) for r in rows), default=0)
    for r in rows:
        demo = f"  [{t('forms.demo', lang)}]" if r["demo"] else ""
        print(f"{r['id']:<{width}}  {r['version']:<8}  {r['title']}{demo}")
    for p in catalog.problems:
        print(t("formload.skipped", lang, problem=p.line(lang)), flush=True)
    return EXIT_OK


def check_folder(folder: Path) -> tuple[list[str], list[Any]]:
    """(form ids that passed, problems: kiosk.forms.LoadProblem) for a catalog folder or a
    folder of forms."""
    from kiosk.forms import LoadProblem, load_catalog, load_form_file

    problems: list[LoadProblem] = []
    ids: list[str] = []
    if (folder / "catalog.json").is_file():
        catalog = load_catalog(folder)
        problems += catalog.problems
        ids = list(catalog.forms)
        problems += _check_examples(folder, catalog.forms)
    else:
        files = sorted(folder.glob("*.json")) + sorted((folder / "forms").glob("*.json"))
        for file in files:
            form, probs = load_form_file(file, str(file.relative_to(folder)))
            problems += probs
            if form is not None:
                ids.append(form.id)
    return ids, problems


def _check_examples(folder: Path, forms: dict[str, Any]) -> list[Any]:
    from kiosk.errors import KioskError
    from kiosk.forms import FormLoadError, FormSession, LoadProblem, answers_from_file

    out: list[Any] = []
    examples = folder / "examples"
    if not examples.is_dir():
        return out
    for form_id, form in forms.items():
        path = examples / f"{form_id}.answers.json"
        shown = f"examples/{path.name}"
        if not path.is_file():
            continue
        try:
            session = FormSession(form, "en")
            unknown = session.restore(answers_from_file(form, path))
            if unknown:
                out.append(LoadProblem.of(shown, FormLoadError(
                    "$.answers", key="formload.answers_unknown",
                    params={"form_id": form_id, "names": ", ".join(unknown)})))
            session.document()
        except KioskError as exc:
            out.append(LoadProblem.of(shown, FormLoadError(
                "$.answers", str(exc), key="formload.answers_refused", params={"reason": exc})))
    return out


def run_check(args: argparse.Namespace) -> int:
    from app.commands.forms_import import run_check_file

    folder = Path(args.dir)
    if folder.is_file():  # a form file, or another file: "not a form file", naming it
        return run_check_file(args, folder)
    if not folder.is_dir():
        raise NotFoundError(key="cli.folder_not_found", params={"path": folder})
    ids, problems = check_folder(folder)
    if args.json:
        print_json({"folder": str(folder), "ok": not problems, "forms": ids,
                    "problems": [{"file": p.file, "json_path": p.json_path, "message": p.message}
                                 for p in problems]})
    else:
        from kiosk.i18n import t

        lang = cli_lang(args, get_home(args))
        for p in problems:
            print(p.line(lang))
        print(t("tech.forms_checked", lang, forms=len(ids), problems=len(problems)))
    return EXIT_FAILED if problems else EXIT_OK
