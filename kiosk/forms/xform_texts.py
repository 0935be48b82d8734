"""The texts of XForm controls: labels, hints and messages, in every language.

A part of reading an XForm (kiosk.forms.xform_questions.FormBuilder takes it in, and
kiosk.forms.xform_choices for inline choices' labels): a ``jr:itext('id')`` reference
is the itext entry's texts and media (every media URI noted for the form's media
list), inline text is in the form's default language, and an ``<output value=…/>``
becomes ``${name}`` (or nothing, with a warning, when it names what only the
submission fills).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from kiosk.forms.load_error import FormWarning
from kiosk.forms.model import FormLoadError
from kiosk.forms.odk_meta import OdkForm
from kiosk.forms.xform_itext import Itext, inline_text
from kiosk.forms.xform_paths import rewrite

MEDIA_FORMS = {"audio": "audio", "image": "image", "big-image": "big-image", "video": "video"}
Texts = tuple[dict[str, str], dict[str, dict[str, str]]]  # texts by language, media by form


class TextsReader:
    """The text-reading part of FormBuilder: what it uses of the builder is declared here."""

    itext: Itext
    lang: str
    odk: OdkForm
    media_uris: list[str]

    def _resolve(self, path: str) -> str | None:
        raise NotImplementedError

    def _message(self, value: str | None, context: str) -> dict[str, str] | None:
        if not value or not value.strip():
            return None
        m = re.fullmatch(r"\s*jr:itext\(\s*['\"]([^'\"]+)['\"]\s*\)\s*", value)
        if m:
            entry = self.itext.get(m.group(1))
            return dict(entry.text) if entry and entry.text else None
        return {self.lang: value.strip()}

    def _texts(self, el: ET.Element | None, context: str) -> Texts:
        """(texts by language, media by form and language) of a <label>/<hint>."""
        if el is None:
            return {}, {}
        ref = el.get("ref") or ""
        m = re.fullmatch(r"\s*jr:itext\(\s*['\"]([^'\"]+)['\"]\s*\)\s*", ref)
        if m:
            entry = self.itext.get(m.group(1))
            if entry is None:
                raise FormLoadError(f"<label ref={ref!r}>", key="formload.no_itext",
                                    params={"id": repr(m.group(1))})
            texts = {k: self._outputs(v, context) for k, v in entry.text.items()}
            media = {MEDIA_FORMS[f]: dict(v) for f, v in entry.media.items() if f in MEDIA_FORMS}
            for uris in media.values():
                self.media_uris += uris.values()
            return texts, media
        text = inline_text(el)
        return ({self.lang: self._outputs(text, context)} if text else {}), {}

    def _outputs(self, text: str, context: str) -> str:
        """<output value="path"/> markers -> ``${name}``."""
        def repl(m: re.Match[str]) -> str:
            where = f"<output value={m.group(1)!r}>"
            try:
                out = rewrite(m.group(1), context, self._resolve, where)
            except FormLoadError as exc:
                # e.g. the form's start time or device id: filled only in the submission
                self.odk.warnings.append(FormWarning(where, "formload.warn_output_empty",
                                                     {"reason": exc}))
                return ""
            return out if out else ""
        return re.sub("\x00([^\x00]*)\x00", repl, text)
