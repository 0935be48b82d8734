"""Reading an ODK XForm (XML) into the kiosk's one form model (FormDef).

The UI, the store, the receipt and the envelope only ever see a FormDef, so an
XForm becomes exactly what a JSON v1 form becomes: pages of Questions with
the same types and expressions. The pieces: kiosk.forms.xform_body (the body
as a tree), xform_itext (texts and media in mn/en), xform_instances
(secondary instances, CSV/XML), xform_paths (node paths in expressions),
xform_questions (controls -> Questions and pages). What only ODK needs to send
the submission back (instance template, meta nodes, key, URL) goes to
``FormDef.odk`` (kiosk.forms.odk_meta). Every refusal is a FormLoadError whose
message names the element.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from kiosk.forms.load_error import expression_warning, expressions_placed
from kiosk.forms.model import FormDef, FormLoadError
from kiosk.forms.odk_meta import MediaFile, OdkForm
from kiosk.forms.xform_paths import local

H = "{http://www.w3.org/1999/xhtml}"
XF = "{http://www.w3.org/2002/xforms}"
MAX_XFORM_BYTES = 16 * 1024 * 1024


def parse_xml(xml: bytes, source: str) -> ET.Element:
    """The root element; DTDs and entities are refused (defusedxml), as is a huge file."""
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException

    if len(xml) > MAX_XFORM_BYTES:
        raise FormLoadError("<h:html>", key="formload.xform_too_large", params={"mb": MAX_XFORM_BYTES // 2**20})
    from kiosk.forms.xml_bounds import check_depth

    try:
        return check_depth(SafeET.fromstring(xml), "<h:html>")
    except ET.ParseError as exc:
        line, col = exc.position
        raise FormLoadError(f"line {line} column {col + 1}", key="formload.xml_not_well_formed") from None
    except DefusedXmlException:
        raise FormLoadError("<!DOCTYPE>", key="formload.xml_dtd") from None


def _namespaces(xml: bytes) -> dict[str, str]:
    import io

    out: dict[str, str] = {}
    try:
        for _event, (prefix, uri) in ET.iterparse(io.BytesIO(xml), events=("start-ns",)):
            out.setdefault(prefix, uri)
    except ET.ParseError:
        pass
    return out


def _into_xforms_namespace(root: ET.Element) -> None:
    """Elements written with no namespace (a form declaring only ``xmlns:h``, no default
    XForms namespace: javarosa reads it by local names) put into the XForms namespace,
    so the rest of the reader sees the usual layout."""
    for el in root.iter():
        if isinstance(el.tag, str) and not el.tag.startswith("{"):
            el.tag = XF + el.tag


MAX_KIOSK_ID = 64  # the kiosk id names a folder and goes into audit entries (<= 80)


def kiosk_form_id(xml_form_id: str) -> str:
    """An ODK form id as a kiosk form id: lower case, ``[a-z0-9-]`` (``Household_Survey``
    -> ``household-survey``). A long one is cut and ends with 8 hex digits of the
    full id's hash (still one id per ODK id); the ODK id itself is kept whole
    (``OdkForm.xml_form_id``) and is what the submission carries."""
    text = re.sub(r"[^a-z0-9]+", "-", xml_form_id.lower()).strip("-") or "form"
    if len(text) <= MAX_KIOSK_ID:
        return text
    digest = hashlib.sha256(xml_form_id.encode("utf-8")).hexdigest()[:8]
    return text[:MAX_KIOSK_ID - 9].rstrip("-") + "-" + digest


def readable_title(form_id: str) -> str:
    """A title for a form with none but its id (no ``<h:title>``, or pyxform's default of
    the id or file name): ``household_survey`` -> ``Household survey``, so a home tile
    never shows a raw id. Words stay as written but for the first letter."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", form_id)
    words = " ".join(re.sub(r"[_\-.]+", " ", words).split())
    return (words[:1].upper() + words[1:]) if words else form_id


def read_xform(xml: bytes, *, source: str, media_dir: Path | None = None) -> FormDef:
    """The checked, compiled FormDef of an XForm. ``source`` names the file in errors;
    ``media_dir`` holds its media (CSV/XML instances, audio, images).

    The cyclic garbage collector is paused meanwhile, as compile_form does: reading
    allocates the tree, the questions and their closures, all living as long as the
    form, and the collections they trigger were a fifth of an import."""
    import gc

    paused = gc.isenabled()
    gc.disable()
    try:
        return _read_xform(xml, source=source, media_dir=media_dir)
    finally:
        if paused:
            gc.enable()


def _read_xform(xml: bytes, *, source: str, media_dir: Path | None) -> FormDef:
    from kiosk.forms.expr_check import compile_form
    from kiosk.forms.xform_questions import FormBuilder

    root = parse_xml(xml, source)
    if local(root.tag) != "html":
        raise FormLoadError(f"<{local(root.tag)}>", key="formload.xform_root")
    head = root.find(H + "head")
    if head is not None and head.find(XF + "model") is None and head.find("model") is not None:
        _into_xforms_namespace(root)
    model = head.find(XF + "model") if head is not None else None
    if head is None or model is None:
        raise FormLoadError("<h:head>", key="formload.xform_no_head")
    body = root.find(H + "body")
    if body is None:
        raise FormLoadError("<h:body>", key="formload.xform_no_body")
    primary = model.find(XF + "instance")
    data = next(iter(primary), None) if primary is not None else None
    if primary is None or data is None:
        raise FormLoadError("<model>", key="formload.xform_no_primary")
    xml_form_id = data.get("id") or ""
    if not xml_form_id:
        raise FormLoadError(f"<{local(data.tag)}>", key="formload.xform_no_id")
    title = (head.findtext(H + "title") or "").strip() or xml_form_id
    shown = readable_title(title) if title in (xml_form_id, Path(source).stem) else title

    odk = OdkForm(
        xml_form_id=xml_form_id, version=data.get("version") or "", instance=data,
        namespaces=_namespaces(xml), title=title,
    )
    submission = model.find(XF + "submission")
    if submission is not None:
        odk.base64_rsa_public_key = (submission.get("base64RsaPublicKey") or "").strip() or None
        odk.submission_url = (submission.get("action") or "").strip() or None

    builder = FormBuilder(model, body, data, media_dir, odk)
    form = builder.build(kiosk_form_id(xml_form_id), shown)
    form.content_hash = hashlib.sha256(xml).hexdigest()
    form.odk = odk
    odk.media = _media(builder, media_dir)
    with expressions_placed():
        compile_form(form)
        _compile_default_exprs(form)
    odk.warnings[:] = [expression_warning(w) for w in odk.warnings]
    return form


def _compile_default_exprs(form: FormDef) -> None:
    """Defaults that are expressions (XLSForm ``default`` = ``today()``, an XForm setvalue on
    odk-instance-first-load): compiled like a calculation, evaluated once per session start
    or new repeat item (kiosk.forms.session.FormSession._apply_defaults)."""
    from kiosk.forms.expr_check import _compile

    for q in form.questions.values():
        text = q.params.get("default_expr")
        if text:
            q.compiled["default"], _refs = _compile(form, q, "calculate", text, f"{q.json_path}.default")
        seed = q.params.get("randomize")
        if seed:
            q.compiled["randomize_seed"], _refs = _compile(form, q, "calculate", seed,
                                                          f"{q.json_path}.randomize")


def _media(builder: object, media_dir: Path | None) -> list[MediaFile]:
    """Every media file the form names, and where the kiosk has it."""
    names: dict[str, str] = {}
    for uri in getattr(builder, "media_uris", []):
        m = re.match(r"jr://([a-z\-]+)/(.+)$", uri.strip())
        if m:
            kind = {"images": "image", "audio": "audio", "video": "video", "file-csv": "csv"}.get(
                m.group(1), "xml" if m.group(2).lower().endswith(".xml") else "file")
            names.setdefault(m.group(2), kind)
    out = []
    for name, kind in names.items():
        path = media_dir / name if media_dir is not None else None
        inside = path is not None and media_dir is not None and path.resolve().is_relative_to(media_dir.resolve())
        out.append(MediaFile(name, kind, str(path) if inside and path is not None and path.is_file() else None))
    return out
