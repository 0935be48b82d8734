"""Shared bits of the ODK tests: the hand-written form's questions and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMS = Path(__file__).resolve().parent / "forms"


@dataclass
class Q:
    name: str
    type: str
    path: str
    children: list[Q] = field(default_factory=list)
    calculate: str | None = None


HOUSEHOLD_QUESTIONS = [
    Q("name", "text", "/data/name"),
    Q("age", "integer", "/data/age"),
    Q("livestock", "select_multiple", "/data/livestock"),
    Q("district", "text", "/data/grp/district"),
    Q("member", "repeat", "/data/member", [Q("mname", "text", "/data/member/mname"),
                                          Q("mage", "integer", "/data/member/mage")]),
    Q("photo", "attachment", "/data/photo"),
    Q("note_text", "text", "/data/note_text"),
]

PHOTO = bytes(range(256)) * 37 + b"\x89PNG tail"  # not a multiple of 16: padding matters


def household_answers() -> dict[str, Any]:
    return {
        "name": "Батболд Дорж",
        "age": 41,
        "livestock": ["horse", "goat"],
        "district": "Мөрөн <&> \"quoted\"",
        "member": [{"mname": "Сарнай", "mage": 12}, {"mname": "Тэмүүжин", "mage": 9}],
        "photo": {"name": "photo.jpg", "sha256": "x", "size": len(PHOTO),
                  "media_type": "image/jpeg"},
        "note_text": "line one\nline two",
    }


def household_xform() -> bytes:
    return (FORMS / "household.xml").read_bytes()
