"""A scriptable HTTP server that pretends to be the central server (real sockets).

Health replies are properly signed with ``key`` (so the client's pinned-key
check passes) unless a route overrides them; every other path answers from
``routes`` — canned bad replies: captive-portal HTML, truncated JSON, wrong
content type, a huge body, a 503 storm. Requests are counted per path.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from joserfc.jwk import OKPKey

from sync.auth import HEALTH_TYP, generate_key, sign_json

Reply = tuple[int, dict[str, str], bytes]
Route = Callable[[str, str, bytes], Reply]


def json_reply(obj: object, status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()


class FakeCentral:
    def __init__(self) -> None:
        self.key: OKPKey = generate_key()
        self.routes: dict[str, Route] = {}
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                with fake.lock:
                    fake.counts[f"{self.command} {path}"] += 1
                route = next((r for p, r in fake.routes.items() if path.startswith(p)), None)
                if route is None and path == "/v1/health":
                    route = fake.health
                if route is None:
                    status, headers, payload = json_reply({"type": "x/not-found", "title": "nf",
                                                           "status": 404, "detail": "nf"}, 404)
                else:
                    status, headers, payload = route(self.command, self.path, body)
                self.send_response(status)
                headers = dict(headers)
                if isinstance(payload, bytes):
                    headers.setdefault("Content-Length", str(len(payload)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    if isinstance(payload, bytes):
                        self.wfile.write(payload)
                    else:  # a generator of chunks (huge bodies)
                        for chunk in payload:
                            self.wfile.write(chunk)
                except OSError:
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_HEAD = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def health(self, method: str, target: str, body: bytes) -> Reply:
        nonce = parse_qs(urlsplit(target).query).get("nonce", [""])[0]
        now = int(time.time())
        marker = sign_json({"nonce": nonce, "server_time": now, "server_kid": "fake"},
                           self.key, typ=HEALTH_TYP, kid="fake")
        return json_reply({"status": "ok", "service": "soum-kiosk-central", "api": "v1",
                           "server_time": now, "server_kid": "fake", "nonce": nonce,
                           "marker": marker, "limits": {}})

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
