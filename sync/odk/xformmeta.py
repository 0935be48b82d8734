"""What delivery needs from an XForm, read straight from its XML.

Why here and not only in kiosk.forms.xform_read: the OpenRosa path needs a few facts
about a downloaded form even before (or without) building the whole form model — its
id, exact version text, primary-instance template, ``base64RsaPublicKey`` and
submission URL — to encrypt and address the submission. ``FormDef.odk`` (the reader's)
carries the same facts; ``odk_meta`` prefers it when present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from kiosk.errors import KioskError

XFORMS_NS = "http://www.w3.org/2002/xforms"
XHTML_NS = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class XFormMeta:
    form_id: str
    version: str | None
    template: ET.Element
    base64_rsa_public_key: str | None
    submission_url: str | None
    title: str
    meta: dict[str, str] | None = None  # node path -> kind (start, end, today, deviceid …)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_meta(xml: bytes, source: str = "form") -> XFormMeta:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise KioskError(key="wire.xform_not_xml", params={
            "source": source, "line": exc.position[0], "column": exc.position[1]}) from None
    model = next((el for el in root.iter() if _local(el.tag) == "model"), None)
    if model is None:
        raise KioskError(key="wire.xform_no_model", params={"source": source})
    instance = next((el for el in model if _local(el.tag) == "instance" and "id" not in el.attrib),
                    None)
    if instance is None or len(instance) == 0:
        raise KioskError(key="wire.xform_no_instance", params={"source": source})
    template = instance[0]
    form_id = template.get("id") or _local(template.tag)
    submission = next((el for el in model if _local(el.tag) == "submission"), None)
    key = submission.get("base64RsaPublicKey") if submission is not None else None
    url = submission.get("action") if submission is not None else None
    title_el = next((el for el in root.iter() if _local(el.tag) == "title"), None)
    return XFormMeta(form_id=form_id, version=template.get("version"), template=template,
                     base64_rsa_public_key="".join(key.split()) if key else None,
                     submission_url=url or None,
                     title=(title_el.text or "").strip() if title_el is not None else form_id)


def odk_meta(form: Any) -> XFormMeta | None:
    """From ``FormDef.odk`` (the XForm reader's dataclass), when the form has one."""
    odk = getattr(form, "odk", None)
    if odk is None:
        return None
    return XFormMeta(
        form_id=str(odk.xml_form_id or form.id), version=odk.version or None,
        template=odk.instance, base64_rsa_public_key=odk.base64_rsa_public_key,
        submission_url=odk.submission_url, title=odk.title or str(form.id),
        meta=dict(odk.meta or {}))
