"""XForm texts: itext translations by language code, with their media.

The kiosk's own words are Mongolian (``mn``) and English (``en``); a form's
texts may be in any language (Bayan-Ölgii's residents read Kazakh). XLSForm
writes languages as ``Kazakh (kk)`` (code in brackets) or by name; a code
in brackets is taken, a known name maps to its code, any other name is kept
as written (lower case), so every language a form carries is kept and the
resident can pick it. A form with no translations is in one language,
guessed from its script (Cyrillic -> mn, else en). pyxform writes ``-`` for a
text missing in one language; that counts as missing. Texts are kept with the
form's default language first: it is what is shown when the language asked
for has no text (kiosk.i18n.pick falls back to the first).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field

XF = "{http://www.w3.org/2002/xforms}"
_NAMES = {
    "mn": "mn", "mon": "mn", "mongolian": "mn", "монгол": "mn", "монгол хэл": "mn", "khalkha": "mn",
    "en": "en", "eng": "en", "english": "en", "англи": "en", "англи хэл": "en",
    "kazakh": "kk", "қазақ": "kk", "казах": "kk", "russian": "ru", "русский": "ru", "french": "fr",
    "français": "fr", "arabic": "ar", "العربية": "ar", "spanish": "es", "español": "es",
    "portuguese": "pt", "swahili": "sw", "chinese": "zh", "hindi": "hi", "german": "de",
}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def language_code(lang: str) -> str | None:
    """'Mongolian (mn)' -> 'mn', 'English' -> 'en', 'French (fr)' -> 'fr', 'Kazakh' -> 'kk',
    'Tuvan' -> 'tuvan'; None for an empty name."""
    text = lang.strip().lower()
    m = re.search(r"\(([a-z]{2,3})(?:[-_][a-z0-9]+)?\)\s*$", text)
    if m:
        return _NAMES.get(m.group(1), m.group(1))
    base = re.sub(r"\s*\(.*\)\s*$", "", text)
    known = _NAMES.get(base) or _NAMES.get(text.split("-")[0].split("_")[0])
    return known or (re.sub(r"\s+", " ", base) if base and base != "default" else None)


def guess_language(texts: Iterable[str]) -> str:
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
    languages: list[str] = field(default_factory=list)  # the codes present, the default first
    names: dict[str, str] = field(default_factory=dict)  # code -> the language as the form names it

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
    """The <itext> of ``model``, every language kept."""
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
            itext.names.setdefault(code, name.strip())
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
        itext.names = {c if c != "__default__" else guess: n for c, n in itext.names.items()}
    wanted = language_code(default_language or "")
    itext.default = (wanted if wanted in itext.languages else None) or seen_default or (
        itext.languages[0] if itext.languages else "mn")
    _default_first(itext)
    return itext


def _default_first(itext: Itext) -> None:
    """Put the default language first in every text (what pick() falls back to)."""
    d = itext.default
    if d in itext.languages:
        itext.languages = [d, *(c for c in itext.languages if c != d)]
    for entry in itext.entries.values():
        for bucket in (entry.text, *entry.media.values()):
            if d in bucket and next(iter(bucket)) != d:
                first = bucket.pop(d)
                rest = dict(bucket)
                bucket.clear()
                bucket[d] = first
                bucket.update(rest)
