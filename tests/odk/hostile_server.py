"""A hostile OpenRosa server on loopback: what a broken or malicious ODK server sends.

Each ``Hostile`` serves one behaviour (``mode``) for the formList and the downloads it
names, and records the requests it got (path and Authorization header), so a test can
see what the kiosk sent where. Real sockets, a real HTTP server in a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"


def xform(form_id: str, body_extra: str = "", instance_extra: str = "") -> bytes:
    return (
        '<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" '
        'xmlns:jr="http://openrosa.org/javarosa">'
        f'<h:head><h:title>{form_id}</h:title><model><instance><data id="{form_id}">'
        f'<name/>{instance_extra}<meta><instanceID/></meta></data></instance>'
        '<bind nodeset="/data/name" type="string"/>'
        '<bind nodeset="/data/meta/instanceID" type="string" readonly="true()"/>'
        f'</model></h:head><h:body><input ref="/data/name"><label>Name</label></input>'
        f'{body_extra}</h:body></h:html>').encode()


def deep_xform(form_id: str, depth: int = 5000) -> bytes:
    return xform(form_id, instance_extra="<x>" * depth + "</x>" * depth)


def form_list(entries: list[tuple[str, str, str | None]]) -> bytes:
    """(form id, download URL, manifest URL or None) -> an OpenRosa formList."""
    out = [f'<xforms xmlns="{LIST_NS}">']
    for form_id, url, manifest in entries:
        out.append(f"<xform><formID>{form_id}</formID><name>{form_id}</name>"
                   f"<version>1</version><hash></hash><downloadUrl>{url}</downloadUrl>"
                   + (f"<manifestUrl>{manifest}</manifestUrl>" if manifest else "")
                   + "</xform>")
    out.append("</xforms>")
    return "".join(out).encode()


def manifest(files: list[tuple[str, str]]) -> bytes:
    out = [f'<manifest xmlns="{MANIFEST_NS}">']
    for name, url in files:
        out.append(f"<mediaFile><filename>{name}</filename><hash></hash>"
                   f"<downloadUrl>{url}</downloadUrl></mediaFile>")
    out.append("</manifest>")
    return "".join(out).encode()


@dataclass
class Hostile:
    """Routes: path -> bytes, or a callable(handler) that writes the reply itself."""

    routes: dict[str, Any] = field(default_factory=dict)
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def served(self, path: str) -> int:
        return sum(1 for p, _ in self.seen if p == path)


def _handler(h: Hostile) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            h.seen.append((path, self.headers.get("Authorization")))
            route = h.routes.get(path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if callable(route):
                route(self, h)
                return
            if self.headers.get("Authorization") is None and path.startswith("/auth/"):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="odk"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(route)))
            self.end_headers()
            self.wfile.write(route)

    return Handler


def trickle(handler: BaseHTTPRequestHandler, h: Hostile, gap: float = 0.5) -> None:
    """Headers at once, then one byte every ``gap`` seconds until the client gives up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/xml")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(1200):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            if h.stop.wait(gap):
                return
    except OSError:
        return


def endless(handler: BaseHTTPRequestHandler, h: Hostile) -> None:
    """A download that never ends (no Content-Length, chunks until the client stops)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Connection", "close")
    handler.end_headers()
    chunk = b"\0" * 65536
    try:
        for _ in range(200_000):
            if h.stop.is_set():
                return
            handler.wfile.write(chunk)
    except OSError:
        return


@contextmanager
def hostile(routes: dict[str, Any] | None = None) -> Iterator[Hostile]:
    h = Hostile(routes=dict(routes or {}))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(h))
    server.daemon_threads = True
    h.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield h
    finally:
        h.stop.set()
        server.shutdown()
        server.server_close()


def quoted(name: str) -> str:
    return quote(name)
