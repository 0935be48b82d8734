"""XForm texts: itext translations mapped onto the kiosk's two languages, with their media.

The kiosk speaks Mongolian (``mn``) and English (``en``). XLSForm writes
languages as ``Mongolian (mn)`` / ``English (en)`` (code in brackets) or by
name; both map here. Other languages are kept out: a kiosk cannot show them.
A form with no translations is in one language, guessed from its script
(Cyrillic -> mn, else en), so the resident sees it in that language while the
kiosk's own buttons stay bilingual. pyxform writes ``-`` for a text missing in
one language; that counts as missing.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

XF = "{http://www.w3.org/2002/xforms}"
_NAMES = {
    "mn": "mn", "mon": "mn", "mongolian": "mn", "монгол": "mn", "монгол хэл": "mn", "khalkha": "mn",
    "en": "en", "eng": "en", "english": "en", "англи": "en", "англи хэл": "en",
}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def language_code(lang: str) -> str | None:
    """'Mongolian (mn)' -> 'mn', 'English' -> 'en', 'French (fr)' -> None."""
    text = lang.strip().lower()
    m = re.search(r"\(([a-z]{2,3})(?:[-_][a-z0-9]+)?\)\s*$", text)
    if m and m.group(1) in _NAMES:
        return _NAMES[m.group(1)]
    base = re.sub(r"\s*\(.*\)\s*$", "", text)
    return _NAMES.get(base) or _NAMES.get(text.split("-")[0].split("_")[0])


def guess_language(texts: list[str]) -> str:
    return "mn" if any(_CYRILLIC.search(t) for t in texts) else "en"


@dataclass
class Text:
    """One itext entry: the plain text per language, and media per form and language."""

    text: dict[str, str] = field(default_factory=dict)
    media: dict[str, dict[str, str]] = field(default_factory=dict)  # form -> lang -> jr:// URI


@dataclass
class Itext:
    """The form's itext, keyed by text id; ``default`` is the language of untranslated texts."""

    entries: dict[str, Text] = field(default_factory=dict)
    default: str = "mn"
    languages: list[str] = field(default_factory=list)  # the kiosk codes present

    def get(self, text_id: str) -> Text | None:
        return self.entries.get(text_id)


def inline_text(el: ET.Element | None) -> str:
    """The text of a <label>/<hint>/<value>: <output value="path"/> kept as a marker
    ``\\x00path\\x00`` for the reader to rewrite; whitespace collapsed."""
    if el is None:
        return ""
    parts: list[str] = [el.text or ""]
    for child in el:
        if child.tag == XF + "output":
            ref = child.get("value") or child.get("ref") or ""
            parts.append("\x00" + ref.strip() + "\x00")
        parts.append(child.tail or "")
    return re.sub(r"[ \t\r\n]+", " ", "".join(parts)).strip()


def read_itext(model: ET.Element, default_language: str | None = None) -> Itext:
    """The <itext> of ``model``; languages other than mn/en are left out."""
    itext = Itext()
    node = model.find(XF + "itext")
    if node is None:
        return itext
    seen_default: str | None = None
    for tr in node.findall(XF + "translation"):
        name = tr.get("lang") or ""
        code = language_code(name)
        if code is None and name.strip().lower() == "default":
            code = language_code(default_language or "") or "__default__"
        if code is None:
            continue
        if tr.get("default") in ("true()", "true") and code != "__default__":
            seen_default = code
        if code not in itext.languages:
            itext.languages.append(code)
        for text in tr.findall(XF + "text"):
            tid = text.get("id") or ""
            entry = itext.entries.setdefault(tid, Text())
            for value in text.findall(XF + "value"):
                form = value.get("form")
                content = inline_text(value)
                if form in (None, "long", "short"):
                    if content and content != "-" and (form is None or code not in entry.text):
                        entry.text[code] = content
                elif content and content != "-":
                    entry.media.setdefault(form, {})[code] = content
    if "__default__" in itext.languages:
        # A translation named "default": its texts are in the form's default language.
        guess = guess_language([e.text.get("__default__", "") for e in itext.entries.values()])
        for entry in itext.entries.values():
            for bucket in (entry.text, *entry.media.values()):
                if "__default__" in bucket:
                    moved: str = bucket.pop("__default__")
                    bucket.setdefault(guess, moved)
        itext.languages = [c if c != "__default__" else guess for c in itext.languages]
    itext.default = language_code(default_language or "") or seen_default or (
        itext.languages[0] if itext.languages else "mn")
    return itext
