"""The request shape of an ODK Collect-style client, for the 2G bench comparison.

Collect sends each finished form on its own: a HEAD to learn the server's limits,
then one multipart POST with the instance XML (no compression). To compare that
shape with the kiosk's batched, gzipped JOSE requests over the same simulated link
in the same run, this module has such a client and a minimal OpenRosa sink that
answers like a server would (204 to HEAD, 201 with a short OpenRosa message to the
POST). It measures request shapes only; delivery to a real ODK Central is tested
against a real one (tests/odk/).
"""

from __future__ import annotations

import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

_REPLY = (
    b'<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="1">'
    b'<message nature="submit_success">full submission upload was successful!</message>'
    b"</OpenRosaResponse>"
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        return

    def _common(self, status: int, length: int) -> None:
        self.send_response(status)
        self.send_header("X-OpenRosa-Version", "1.0")
        self.send_header("X-OpenRosa-Accept-Content-Length", "104857600")
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._common(204, 0)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._common(201, len(_REPLY))
        self.wfile.write(_REPLY)


class OpenRosaSink:
    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> OpenRosaSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def instance_xml(answers: dict[str, Any], instance_id: str) -> bytes:
    """Answers as a flat XForm instance, the way Collect would write them."""
    fields = "".join(
        f"<{name}>{escape(' '.join(map(str, value)) if isinstance(value, list) else str(value))}"
        f"</{name}>"
        for name, value in answers.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><data xmlns:orx="http://openrosa.org/xforms" '
        f'id="bench" version="1">{fields}<meta><instanceID>uuid:{instance_id}</instanceID>'
        "</meta></data>"
    ).encode()


def send_collect_shaped(base_url: str, answers: list[dict[str, Any]]) -> dict[str, int]:
    """HEAD + multipart POST per submission on one keep-alive connection."""
    import httpx

    requests = 0
    headers = {"X-OpenRosa-Version": "1.0"}
    with httpx.Client(base_url=base_url, timeout=120, headers=headers) as client:
        for one in answers:
            head = client.head("/submission")
            requests += 1
            xml = instance_xml(one, str(uuid.uuid4()))
            files = {"xml_submission_file": ("submission.xml", xml, "text/xml")}
            reply = client.post("/submission", files=files)
            requests += 1
            if head.status_code != 204 or reply.status_code != 201:
                raise RuntimeError(f"sink answered {head.status_code}/{reply.status_code}")
    return {"requests": requests}
