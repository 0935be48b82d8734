"""XLSForm spreadsheets -> XForm XML, through pyxform (the reference converter).

Form authors see pyxform's own findings, placed: every refusal is an
XlsFormError naming the sheet, the row and (when known) the column, taken from
pyxform's message or, where pyxform gives none (an unknown type), found by
reading the survey sheet for the offending cell. The settings sheet is checked
here for what pyxform lets through but a kiosk cannot use (a public key that is
not an RSA key, a submission URL that is not http(s), a default language that no
column has). Conversion never runs ODK Validate (no Java on a kiosk): the
kiosk's own reader checks the XForm next.

A spreadsheet is a stranger's file too (issue 21): before pyxform sees it, its size,
its unpacked size (an .xlsx is a zip: 303 kB unpacked to 1.14 GB) and its used cells are
bounded (``check_workbook``), and every reading of a sheet here takes only the used
cells — formatting that reaches row 1,048,576 is not a million rows to read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kiosk.forms.load_error import FormLoadError, FormWarning, Place, PlaceKind

SUFFIXES = (".xlsx", ".xlsm", ".xls")
MAX_FILE_BYTES = 16 * 1024 * 1024  # a form with large choice lists is a few MB
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # all parts of an .xlsx unpacked
MAX_ROWS = 50_000  # rows with content in one sheet
MAX_COLUMNS = 500  # columns read of one sheet (XLSForm has a few dozen)
EMPTY_RUN_ENDS = 60  # as pyxform: after this many empty rows the sheet has ended


class XlsFormError(FormLoadError):
    """A spreadsheet refused: ``json_path`` is "sheet S, row N[, column C]" ("$": the whole
    file); ``place`` the same, worded in the kiosk's language (kiosk.forms.load_error)."""

    def __init__(self, where: str, message: str = "", row: int | None = None, sheet: str | None = None,
                 *, column: str | None = None, key: str | None = None,
                 params: dict[str, object] | None = None, place: Place | None = None) -> None:
        if place is None:
            place = Place.cell(sheet, row, column) if where != "$" else Place.of(where)
        super().__init__(where, message, key=key, params=params, place=place)
        self.row, self.sheet = row, sheet


def _refused(sheet: str | None, row: int | None, column: str | None, key: str,
             **params: object) -> XlsFormError:
    """A refusal placed on a sheet (``sheet`` None: the whole file)."""
    if sheet is None:
        return XlsFormError("$", key=key, params=params)
    return XlsFormError(_where(sheet, row, column), row=row, sheet=sheet, column=column,
                        key=key, params=params)


class TooManyRows(Exception):  # noqa: N818 - a bound, caught right here
    """A sheet with more rows of content than MAX_ROWS."""


def _where(sheet: str | None, row: int | None, column: str | None) -> str:
    parts = [f"sheet {sheet or 'survey'}"]
    if row is not None:
        parts.append(f"row {row}")
    if column:
        parts.append(f"column {column}")
    return ", ".join(parts)


def sheet_rows(path: Path, sheet: str, max_row: int | None = None) -> list[dict[str, str]]:
    """The rows of one sheet as {header: text}, index 0 = spreadsheet row 2 (header is row 1);
    [] when the sheet is absent or unreadable (the converter reports that itself). Only
    used cells are read (see the module doc); ``max_row``: read no further (the settings
    row, the survey's header: an import of a big form does not read its sheets twice)."""
    try:
        rows = _used_rows(path, sheet, max_row)
    except Exception:  # noqa: BLE001 - any unreadable file: pyxform or check_workbook says why
        return []
    if not rows:
        return []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return [{h: ("" if v is None else str(v).strip()) for h, v in zip(header, r, strict=False) if h}
            for r in rows[1:]]


def _used_rows(path: Path, sheet: str, max_row: int | None = None) -> list[list[Any]]:
    if path.suffix.lower() == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path))
        if sheet not in book.sheet_names():
            return []
        ws = book.sheet_by_name(sheet)
        width = min(ws.ncols, MAX_COLUMNS)
        last = min(ws.nrows, max_row or ws.nrows)
        return _until_empty_run(ws.row_values(i, 0, width) for i in range(last))
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet not in book.sheetnames:
            return []
        return _until_empty_run(book[sheet].iter_rows(max_row=max_row, max_col=MAX_COLUMNS,
                                                      values_only=True))
    finally:
        book.close()


def _until_empty_run(rows: Any) -> list[list[Any]]:
    """Rows up to the last with content, stopping after EMPTY_RUN_ENDS empty ones; more
    than MAX_ROWS rows with content is not a form (TooManyRows)."""
    out: list[list[Any]] = []
    empty = 0
    for row in rows:
        if all(v is None or v == "" for v in row):
            empty += 1
            if empty >= EMPTY_RUN_ENDS:
                break
            out.append([])
            continue
        empty = 0
        out.append(list(row))
        if len(out) > MAX_ROWS:
            raise TooManyRows(MAX_ROWS)
    while out and not out[-1]:
        out.pop()
    return out


def check_workbook(path: Path) -> None:
    """Bounds a spreadsheet must keep before it is converted (XlsFormError naming the
    bound): its size, its unpacked size, and its rows with content per sheet."""
    import zipfile

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _refused(None, None, None, "formload.cannot_read_file",
                       reason=exc.strerror or str(exc)) from None
    if size > MAX_FILE_BYTES:
        raise _refused(None, None, None, "formload.sheet_too_large", mb=MAX_FILE_BYTES // 2**20)
    if path.suffix.lower() != ".xls":
        try:
            with zipfile.ZipFile(path) as zf:
                unpacked = sum(info.file_size for info in zf.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            raise _refused(None, None, None, "formload.not_a_zip") from None
        if unpacked > MAX_UNPACKED_BYTES:
            raise _refused(None, None, None, "formload.unpacks_too_large",
                           mb=MAX_UNPACKED_BYTES // 2**20)
    declared = _declared_rows(path)
    for sheet in ("survey", "choices", "settings"):
        if declared.get(sheet, MAX_ROWS + 1) <= MAX_ROWS:
            continue  # its declared size cannot hold more rows with content: no need to count
        try:
            _used_rows(path, sheet)
        except TooManyRows:
            raise _refused(sheet, None, None, "formload.too_many_rows", rows=MAX_ROWS) from None
        except Exception:  # noqa: BLE001, S112 - unreadable: pyxform says why, placed
            continue


def _declared_rows(path: Path) -> dict[str, int]:
    """Each sheet's row count as the file declares it (one open of the workbook). A sheet
    formatted far down declares that (a million rows) and is then counted cell by cell;
    a sheet without a declaration is left out, so it is counted too."""
    out: dict[str, int] = {}
    try:
        if path.suffix.lower() == ".xls":
            import xlrd

            book = xlrd.open_workbook(str(path), on_demand=True)
            try:
                for name in book.sheet_names():
                    out[name] = book.sheet_by_name(name).nrows
            finally:
                book.release_resources()
            return out
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for name in wb.sheetnames:
                rows = wb[name].max_row
                if isinstance(rows, int):
                    out[name] = rows
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 - unreadable: the counting (or pyxform) says why
        return {}
    return out


def _find_row(path: Path, sheet: str, column: str, value: str) -> int | None:
    for i, row in enumerate(sheet_rows(path, sheet)):
        cell = row.get(column, "")
        if cell == value or (column == "type" and cell.split(" ")[0] == value):
            return i + 2
    return None


def place_pyxform_error(path: Path, exc: Exception) -> XlsFormError:
    """pyxform's message as an XlsFormError with sheet/row/column."""
    text = str(exc).strip()
    context = getattr(exc, "context", None) or {}
    row = context.get("row")
    sheet = context.get("sheet")
    column = context.get("column")
    m = re.match(r"\[row\s*:\s*(\d+)\]\s*", text)
    if m:
        row = row or int(m.group(1))
        text = text[m.end():]
    m = re.search(r"On the '(\w+)' sheet", text)
    if m:
        sheet = sheet or m.group(1)
    m = re.search(r"the '([\w:\- ]+)' value", text)
    if m and not column:
        column = m.group(1)
    if row is None:
        m = re.search(r"Unknown question type '([^']+)'", text)
        if m:
            sheet, column = "survey", "type"
            row = _find_row(path, "survey", "type", m.group(1))
    if row is None and sheet is None and re.search(r"survey sheet|'survey'", text):
        sheet = "survey"
    text = re.sub(r"\s*Learn more: \S+", "", text).strip()
    sheet = sheet or ("survey" if row else None)
    return _refused(sheet, row, column, "formload.converter_refused", detail=text)


def place_reader_error(path: Path, exc: FormLoadError) -> XlsFormError:
    """A refusal of the kiosk's XForm reader for a converted spreadsheet, placed on the survey
    row of the question it names (``<input ref='/data/grp/age'>`` -> the row named age)."""
    m = re.search(r"ref=['\"]([^'\"]+)['\"]|nodeset=['\"]([^'\"]+)['\"]", exc.json_path)
    name = (m.group(1) or m.group(2)).rstrip("/").rsplit("/", 1)[-1] if m else None
    row = _find_row(path, "survey", "name", name) if name else None
    if row is None:
        return XlsFormError(f"sheet survey ({exc.json_path})", exc.message, sheet="survey",
                            key=exc.key, params=exc.params,
                            place=exc.place if exc.place.kind != PlaceKind.FILE else Place.cell("survey"))
    field = exc.json_path.rsplit(".", 1)[-1] if "." in exc.json_path.rsplit(">", 1)[-1] else None
    column = _COLUMN_OF.get(field or "")
    return XlsFormError(_where("survey", row, column), exc.message, row=row, sheet="survey",
                        column=column, key=exc.key, params=exc.params)


_COLUMN_OF = {"relevant": "relevant", "constraint": "constraint", "calculate": "calculation",
              "required": "required", "read_only": "read_only", "choice_filter": "choice_filter",
              "min_count": "repeat_count", "max_count": "repeat_count"}
_WARNED = re.compile(r"<\w+ (?:ref|nodeset)=['\"]([^'\"]+)['\"]>(?:\.(\w+))?: (.*)", re.DOTALL)


def place_warnings(path: Path, warnings: list[str]) -> list[str]:
    """The XForm reader's warnings about a converted spreadsheet, each naming the survey
    row of the question it is about (the survey is read once, only when one needs it);
    a warning keeps its catalog key, placed on the row."""
    rows: dict[str, int] | None = None
    out = []
    for text in warnings:
        m = _WARNED.fullmatch(text)
        if m is not None and rows is None:
            rows = {}
            for i, r in enumerate(sheet_rows(path, "survey")):
                rows.setdefault(r.get("name", ""), i + 2)
        row = rows.get(m.group(1).rstrip("/").rsplit("/", 1)[-1]) if m and rows is not None else None
        if m is None or row is None:
            out.append(text)
            continue
        column = _COLUMN_OF.get(m.group(2) or "")
        english = f"{_where('survey', row, column)}: {m.group(3)}"
        if isinstance(text, FormWarning):
            out.append(FormWarning(Place.cell("survey", row, column), text.key, text.params))
        else:
            out.append(english)
    return out


def convert(path: Path | str) -> bytes:
    """The XForm XML of an XLSForm file; XlsFormError naming sheet/row/column if refused."""
    return convert_with_warnings(path)[0]


def convert_with_warnings(path: Path | str) -> tuple[bytes, list[str]]:
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert as pyxform_convert

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise _refused(None, None, None, "formload.not_xlsform", suffixes=", ".join(SUFFIXES))
    check_workbook(path)
    warnings: list[str] = []
    try:
        result = pyxform_convert(str(path), warnings=warnings, validate=False, pretty_print=False)
    except PyXFormError as exc:
        raise place_pyxform_error(path, exc) from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        # pyxform fails with a plain exception on some sheets it does not expect: say so,
        # with what it named (a KeyError names the missing key, e.g. a choice list).
        placed = place_pyxform_error(path, exc)
        if isinstance(exc, KeyError):
            placed = XlsFormError(placed.json_path, key="formload.converter_missing",
                                  params={"name": str(exc)}, place=placed.place)
        elif placed.row is None:
            placed = XlsFormError(placed.json_path, key="formload.converter_failed",
                                  params={"kind": exc.__class__.__name__, "detail": str(exc)},
                                  place=placed.place)
        raise placed from None
    except Exception as exc:  # noqa: BLE001 - xlrd/openpyxl on a broken file: one line
        raise _refused(None, None, None, "formload.sheet_unreadable", kind=type(exc).__name__) \
            from None
    data: dict[str, Any] = result._pyxform or {}
    check_settings(path, data)
    return result.xform.encode("utf-8"), [_converter_warning(path, w) for w in warnings]


def _converter_warning(path: Path, text: str) -> FormWarning:
    """pyxform's warning, its own sentence quoted inside the kiosk's words, on the row it names."""
    text = re.sub(r"\s*Learn more: \S+", "", text).strip()
    m = re.match(r"\[row\s*:\s*(\d+)\]\s*", text)
    if m is None:
        return FormWarning(Place.of("$"), "formload.converter_warning", {"detail": text})
    return FormWarning(Place.cell("survey", int(m.group(1))), "formload.converter_warning",
                       {"detail": text[m.end():]})


def check_settings(path: Path, data: dict[str, Any]) -> None:
    """What the settings sheet says that pyxform accepts but a kiosk cannot use."""
    rows = sheet_rows(path, "settings", max_row=2)
    settings = rows[0] if rows else {}

    def fail(column: str, key: str, **params: object) -> None:
        raise _refused("settings", 2, column, key, **params)

    form_id = settings.get("form_id") or settings.get("id_string") or ""
    if form_id and (len(form_id) > 100 or not re.fullmatch(r"[A-Za-z_][\w .\-]*", form_id)):
        fail("form_id", "formload.settings_form_id", value=repr(form_id))
    version = settings.get("version", "")
    if version and (len(version) > 255 or re.search(r"[\r\n\t]", version)):
        fail("version", "formload.settings_version", value=repr(version))
    key = settings.get("public_key", "")
    if key:
        try:
            import base64

            from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
            from cryptography.hazmat.primitives.serialization import load_der_public_key

            loaded = load_der_public_key(base64.b64decode(re.sub(r"\s+", "", key), validate=True))
            if not isinstance(loaded, RSAPublicKey):
                raise ValueError("not RSA")
        except (ValueError, TypeError):
            fail("public_key", "formload.settings_public_key")
    url = settings.get("submission_url", "")
    if url and not re.match(r"https?://[^\s/]+", url):
        fail("submission_url", "formload.settings_submission_url", value=repr(url))
    lang = settings.get("default_language", "")
    if lang and lang != "default":
        langs = _pyxform_languages(data) or _survey_languages(path)
        if langs and lang not in langs:
            fail("default_language", "formload.settings_default_language", value=repr(lang), languages=", ".join(sorted(langs)))


def _pyxform_languages(data: dict[str, Any]) -> set[str]:
    """The languages of the texts pyxform read (its labels and hints keyed by language): the
    same answer as the survey's column headers, without reading the spreadsheet again."""
    out: set[str] = set()
    stack = list(data.get("children") or [])
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        for key in ("label", "hint", "constraint_message", "required_message"):
            texts = node.get(key)
            if isinstance(texts, dict):
                out.update(str(k) for k in texts if k != "default")
        stack.extend(node.get("children") or [])
    return out


def _survey_languages(path: Path) -> set[str]:
    rows = sheet_rows(path, "survey", max_row=2)
    headers = set(rows[0]) if rows else set()
    out = set()
    for h in headers:
        m = re.match(r"(?:label|hint|media::\w+|constraint_message|required_message)::(.+)$", h)
        if m:
            out.add(m.group(1).strip())
    return out
