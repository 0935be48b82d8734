"""What an ODK XForm carries beyond the questions: kept so the form can go back to ODK.

A FormDef read from an XForm (kiosk.forms.xform_read) keeps an OdkForm in
``FormDef.odk``. The submission side (OpenRosa delivery, ODK encryption) builds
the instance XML from ``instance`` (a private copy of the primary instance
template: root tag, namespaces and attributes such as id/version kept exactly)
and each Question.path, and fills the metadata nodes listed in ``meta`` itself
(instanceID, timeStart …), because those are facts of the submission, not
answers of the resident. Nothing here is personal data.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

# jr:preload / jr:preloadParams -> the meta kind the submission side fills in.
PRELOAD_KINDS = {
    ("uid", ""): "instanceID",
    ("timestamp", "start"): "start",
    ("timestamp", "end"): "end",
    ("date", "today"): "today",
    ("property", "deviceid"): "deviceid",
    ("property", "username"): "username",
    ("property", "email"): "email",
    ("property", "phonenumber"): "phonenumber",
    ("property", "subscriberid"): "subscriberid",
    ("property", "simserial"): "simserial",
    ("property", "uri:deviceid"): "deviceid",
    ("property", "uri:username"): "username",
    ("property", "uri:email"): "email",
    ("property", "uri:phonenumber"): "phonenumber",
}


@dataclass(frozen=True)
class MediaFile:
    """One file the form refers to (``jr://images/x.png``, ``jr://file-csv/x.csv``):
    ``name`` as in the form's manifest, ``local`` where the kiosk has it, if it does."""

    name: str
    kind: str  # "image", "audio", "video", "csv", "xml", "file"
    local: str | None = None


@dataclass
class OdkForm:
    """The ODK identity and submission shape of a form read from an XForm."""

    xml_form_id: str
    version: str  # exactly as in the form (may carry "[encrypted:…]" text), "" if none
    instance: ET.Element  # the primary instance template (the element inside <instance>)
    namespaces: dict[str, str] = field(default_factory=dict)  # prefix -> URI of the form
    base64_rsa_public_key: str | None = None
    submission_url: str | None = None
    # absolute node path -> kind: "instanceID", "deprecatedID", "start", "end", "today",
    # "deviceid", "username", "email", "phonenumber", "audit", "instanceName" …
    meta: dict[str, str] = field(default_factory=dict)
    instance_name: str | None = None  # the orx:instanceName calculate, if any
    media: list[MediaFile] = field(default_factory=list)
    title: str = ""
    # what the kiosk reads differently from an ODK client (shown at import, never silent)
    warnings: list[str] = field(default_factory=list)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # itext id -> lang -> text (jr:itext())

    @property
    def encrypted(self) -> bool:
        return bool(self.base64_rsa_public_key)

    def new_instance(self) -> ET.Element:
        """A fresh copy of the instance template (templates of repeats removed)."""
        root = copy.deepcopy(self.instance)
        _drop_templates(root)
        return root

_JR = "{http://openrosa.org/javarosa}"
JR_TEMPLATE = _JR + "template"


def _drop_templates(el: ET.Element) -> None:
    for child in list(el):
        if JR_TEMPLATE in child.attrib:
            el.remove(child)
        else:
            _drop_templates(child)


def preload_kind(bind: dict[str, str], path: str) -> str | None:
    """The meta kind of a bind (``jr:preload``) or of a node under ``/…/meta``."""
    preload = bind.get(_JR + "preload")
    if preload:
        params = (bind.get(_JR + "preloadParams") or "").strip()
        return PRELOAD_KINDS.get((preload, params)) or f"{preload}:{params}"
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[1] == "meta":
        return parts[2]
    return None
