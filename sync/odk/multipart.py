"""OpenRosa submission requests: which parts go in which POST.

Why split: a server announces in ``X-OpenRosa-Accept-Content-Length`` (from HEAD) the
largest body it takes. Like Collect, every POST repeats the XML part and carries as
many attachments as fit; all but the last carry ``*isIncomplete*=yes``. The server
files the later attachments onto the same instance (same instanceID, same XML bytes),
so a lost reply never duplicates anything: every POST is safe to repeat.

The multipart body is built here byte for byte (fixed boundary per submission) so the
bytes of a submission are the same on every attempt and can be counted exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

XML_PART = "xml_submission_file"
INCOMPLETE_PART = "*isIncomplete*"
DEFAULT_MAX_BODY = 10_000_000  # OpenRosa's default when a server does not say


@dataclass(frozen=True)
class Part:
    name: str  # the field name; for a file it equals the file name (Central looks it up)
    data: bytes
    content_type: str
    filename: str | None = None


@dataclass(frozen=True)
class Request:
    body: bytes
    content_type: str
    part_names: tuple[str, ...]


def _boundary(xml: bytes) -> str:
    return "odk-" + hashlib.sha256(xml).hexdigest()[:32]


def _encode(parts: Sequence[Part], boundary: str) -> bytes:
    out = bytearray()
    for p in parts:
        out += f"--{boundary}\r\n".encode("ascii")
        disp = f'form-data; name="{_quote(p.name)}"'
        if p.filename is not None:
            disp += f'; filename="{_quote(p.filename)}"'
        out += f"Content-Disposition: {disp}\r\n".encode()
        out += f"Content-Type: {p.content_type}\r\n\r\n".encode("ascii")
        out += p.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode("ascii")
    return bytes(out)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")


def plan_requests(xml: bytes, files: Sequence[Part], max_body: int = DEFAULT_MAX_BODY,
                  *, xml_content_type: str = "text/xml") -> list[Request]:
    """The POSTs for one submission, in order. A file bigger than the limit alone still
    goes (alone with the XML): the server then says whether it takes it."""
    boundary = _boundary(xml)
    xml_part = Part(XML_PART, xml, xml_content_type, filename="submission.xml")
    groups: list[list[Part]] = [[]]
    overhead = len(_encode([xml_part, Part(INCOMPLETE_PART, b"yes", "text/plain")], boundary))
    size = overhead
    for f in files:
        one = len(_encode([f], boundary)) - len(f"--{boundary}--\r\n")
        if groups[-1] and size + one > max_body:
            groups.append([])
            size = overhead
        groups[-1].append(f)
        size += one
    out: list[Request] = []
    for i, group in enumerate(groups):
        parts = [xml_part, *group]
        if i < len(groups) - 1:
            parts.append(Part(INCOMPLETE_PART, b"yes", "text/plain"))
        out.append(Request(_encode(parts, boundary), f"multipart/form-data; boundary={boundary}",
                           tuple(p.name for p in parts)))
    return out
