"""Run the central app under uvicorn: in the foreground (CLI) or in a thread (tests, demo, bench).

The socket is bound before uvicorn starts, so ``port=0`` works and the caller
learns the real port without racing for it.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from dataclasses import dataclass
from typing import Any

import uvicorn

from central.app import Settings, create_app
from central.connections import with_connection_cap
from central.header_timeout import with_header_timeout
from kiosk.errors import ConfigError

_BIND_PROBLEMS = {
    errno.EADDRINUSE: "the address is in use (another server is listening there): stop it "
                      "or choose another --port",
    errno.EACCES: "no permission to listen there (ports below 1024 need privileges): "
                  "choose another --port",
    errno.EADDRNOTAVAIL: "this machine has no such address: choose another --host",
}


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; a busy or forbidden address is one clear line."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        problem = _BIND_PROBLEMS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        raise ConfigError(f"cannot listen on {host}:{port}: {problem}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _config(app: Any, log_level: str, settings: Settings) -> uvicorn.Config:
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    guards, proxies = settings.guards, list(settings.trusted_proxies)
    http = with_header_timeout(AutoHTTPProtocol, guards.header_timeout)
    http = with_connection_cap(http, guards.connections_per_source, frozenset(proxies))
    # limit_concurrency: past that many open connections and tasks uvicorn answers 503
    # (the kiosk backs off) instead of letting a flood of idle sockets exhaust the process;
    # forwarded headers only from the proxies the operator named (none: not at all)
    return uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off",
                          timeout_keep_alive=30, server_header=False, date_header=True,
                          limit_concurrency=guards.connection_limit, http=http,
                          proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)


def serve_forever(settings: Settings, host: str, port: int, *, on_ready: Any = None) -> None:
    sock = _bind(host, port)
    app = create_app(settings)
    server = uvicorn.Server(_config(app, "info", settings))
    if on_ready:
        on_ready(sock.getsockname()[1])
    server.run(sockets=[sock])


@dataclass
class RunningServer:
    url: str
    port: int
    app: Any
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def central(self) -> Any:
        return self.app.state.central

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.central.store.close()


def start_in_thread(settings: Settings, host: str = "127.0.0.1", port: int = 0,
                    log_level: str = "warning") -> RunningServer:
    """A real uvicorn on a loopback socket, ready when this returns."""
    sock = _bind(host, port)
    app = create_app(settings)
    server = uvicorn.Server(_config(app, log_level, settings))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="central-uvicorn", daemon=True)
    thread.start()
    ready = threading.Event()

    def wait() -> None:
        while thread.is_alive() and not server.started:
            ready.wait(0.01)

    wait()
    if not server.started:
        raise RuntimeError("central server did not start")
    real_port = sock.getsockname()[1]
    logging.getLogger("central.server").info("central listening on %s:%s", host, real_port)
    return RunningServer(f"http://{host}:{real_port}", real_port, app, server, thread)
