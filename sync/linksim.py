"""A fault-injecting TCP proxy: a simulated bad link for tests and ``kiosk bench``.

Lives in ``sync/`` (not only tests/) because the sync bench measures through it;
tests import it as ``tests.sync.faultproxy``. Real sockets and threads, no Qt.

Between a client and a real server it can add one-way latency, cap bandwidth
in each direction (a serialising link: a byte leaves only when the previous
ones have), and inject one fault per connection, in the order given:

- ``Fault("reset_up", at=N)``: forward N request bytes, then reset both sides
  (the request may be partly or wholly delivered — outcome unknown);
- ``Fault("reset_down", at=N)``: forward N reply bytes, then reset. ``at=0``
  is "reply dropped after the server committed": the whole request reaches the
  server, its reply never reaches the client;
- ``Fault("stall_down", at=N, stall=S)``: forward N reply bytes, go silent for
  S seconds, then close.
- ``Fault("blackhole", at=N)``: forward N request bytes, then swallow everything
  in both directions and never close (a link that died without a word: no
  reset, no FIN — only a stall bound on the client ends the wait).

With ``match=b"POST /v1/submissions"`` a fault is armed only once the request
stream contains those bytes, and ``at`` counts from there (request side) or
from the first reply byte after it (reply side) — so a keep-alive connection's
earlier health/catalog exchanges pass untouched.

Counters (connections, bytes each way) let tests and the bench measure.
"""

from __future__ import annotations

import queue
import socket
import struct
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    kind: str  # reset_up | reset_down | stall_down | blackhole
    at: int = 0
    stall: float = 0.0
    match: bytes | None = None


def _reset(sock: socket.socket) -> None:
    """Abort with RST. SHUT_RD first wakes a thread blocked in recv() on this socket;
    without it the kernel keeps the connection open until that recv returns."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class _Conn:
    def __init__(self, proxy: FaultProxy, client: socket.socket, fault: Fault | None) -> None:
        self.proxy = proxy
        self.client = client
        self.fault = fault
        self.dead = threading.Event()
        self.holed = threading.Event()  # blackhole: nothing more is delivered either way
        self.up_total = 0
        self.down_total = 0
        self.up_cut: int | None = None if fault and fault.match else (fault.at if fault else None)
        self.down_cut: int | None = None if fault and fault.match else (fault.at if fault else None)
        self._tail = b""
        self.server = socket.create_connection(proxy.target, timeout=10)
        self.server.settimeout(None)
        for s in (self.client, self.server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def start(self) -> None:
        for src, dst, up in ((self.client, self.server, True), (self.server, self.client, False)):
            q: queue.Queue[tuple[float, bytes] | None] = queue.Queue()
            threading.Thread(target=self._read, args=(src, q), daemon=True).start()
            threading.Thread(target=self._write, args=(dst, q, up), daemon=True).start()

    def kill(self, reset: bool) -> None:
        if self.dead.is_set():
            return
        self.dead.set()
        for s in (self.client, self.server):
            (_reset if reset else _close)(s)

    def _read(self, src: socket.socket, q: queue.Queue) -> None:
        try:
            while not self.dead.is_set():
                data = src.recv(65536)
                if not data:
                    break
                q.put((time.monotonic(), data))
        except OSError:
            pass
        q.put(None)

    def _arm(self, data: bytes) -> None:
        """Request side: look for the match and set both cut points (absolute bytes)."""
        fault = self.fault
        if fault is None or fault.match is None or self.up_cut is not None:
            return
        window = self._tail + data
        idx = window.find(fault.match)
        if idx >= 0:
            pos = self.up_total - len(self._tail) + idx
            self.up_cut = pos + fault.at
            self.down_cut = self.down_total + fault.at
        self._tail = window[-len(fault.match):]

    def _write(self, dst: socket.socket, q: queue.Queue, up: bool) -> None:
        proxy = self.proxy
        bw = proxy.bandwidth_up if up else proxy.bandwidth_down
        latency = proxy.latency
        fault = self.fault
        mine = fault is not None and fault.kind != "blackhole" and (fault.kind == "reset_up") == up
        hole = fault is not None and fault.kind == "blackhole" and up
        link_free = 0.0
        while True:
            entry = q.get()
            if entry is not None and self.holed.is_set():
                continue  # swallowed
            if entry is None or self.dead.is_set():
                if self.holed.is_set():
                    return  # no FIN either: the other side just hears nothing
                if not self.dead.is_set():
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                return
            arrived, data = entry
            if up:
                self._arm(data)
            slices = [data[i:i + 1024] for i in range(0, len(data), 1024)] if bw else [data]
            for part in slices:
                total = self.up_total if up else self.down_total
                cut = self.up_cut if up else self.down_cut
                if hole and cut is not None and total + len(part) > cut:
                    self._deliver(dst, part[: max(0, cut - total)], arrived, bw, latency,
                                  link_free)
                    self.holed.set()
                    break
                if mine and fault is not None and cut is not None and total + len(part) > cut:
                    part = part[: max(0, cut - total)]
                    self._deliver(dst, part, arrived, bw, latency, link_free)
                    if fault.kind == "stall_down":
                        self.dead.wait(fault.stall)
                        self.kill(reset=False)
                    else:
                        self.kill(reset=True)
                    return
                link_free = self._deliver(dst, part, arrived, bw, latency, link_free)
                with proxy.lock:
                    if up:
                        self.up_total += len(part)
                        proxy.bytes_up += len(part)
                    else:
                        self.down_total += len(part)
                        proxy.bytes_down += len(part)

    def _deliver(self, dst: socket.socket, part: bytes, arrived: float, bw: float | None,
                 latency: float, link_free: float) -> float:
        start = max(arrived, link_free)
        done = start + (len(part) / bw if bw else 0.0)
        due = done + latency
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # simulating a slow link, not synchronising a test
        if part:
            try:
                dst.sendall(part)
            except OSError:
                self.kill(reset=True)
        return done


class FaultProxy:
    def __init__(
        self,
        target: tuple[str, int],
        *,
        latency: float = 0.0,
        bandwidth: float | None = None,
        bandwidth_up: float | None = None,
        bandwidth_down: float | None = None,
    ) -> None:
        self.target = target
        self.latency = latency
        self.bandwidth_up = bandwidth_up or bandwidth
        self.bandwidth_down = bandwidth_down or bandwidth
        self.lock = threading.Lock()
        self.faults: list[Fault | None] = []
        self.connections = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self._conns: list[_Conn] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="faultproxy")

    @classmethod
    def to_url(cls, url: str, **kwargs: float | None) -> FaultProxy:
        host, port = url.split("://", 1)[1].split(":")
        return cls((host, int(port)), **kwargs).start()  # type: ignore[arg-type]

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def inject(self, *faults: Fault | None) -> None:
        """Faults for the next connections, in order (None = a clean connection)."""
        with self.lock:
            self.faults.extend(faults)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            with self.lock:
                fault = self.faults.pop(0) if self.faults else None
                self.connections += 1
            try:
                conn = _Conn(self, client, fault)
            except OSError:
                _reset(client)
                continue
            self._conns.append(conn)
            conn.start()

    def stop(self) -> None:
        self._stopped.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        for conn in self._conns:
            conn.kill(reset=False)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
