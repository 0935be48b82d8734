"""The ``hostile`` bench figures (issue 21): what a stranger's traffic costs the kiosks.

One real ``kiosk-central serve`` process on loopback (SQLite). While ``kiosks``
genuine kiosks each send ``batches`` signed batches of ``batch`` sealed items,
``forgers`` threads send requests naming those kiosks' device IDs but signed
with keys nobody enrolled, as fast as they can, from the kiosks' own source
address (a stranger behind the same NAT), and one stranger in another /24
(``127.0.2.9``) opens ``idle`` connections and sends nothing. Figures: forged
requests per second the node answered (and with which statuses), genuine
batches delivered and refused and their p99, and how many of the idle
connections the node kept (its per-source cap). Timings are figures here, never
assertions in tests.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from central.bench import (
    _agency_key,
    _devices,
    _enrol,
    _kiosk,
    _percentile,
    _sealed,
    _serve,
    _together,
)

STRANGER_ADDRESS = "127.0.2.9"  # another /24 than the kiosks' 127.0.0.1


def _forger(base: str, devices: list[Any], stop: threading.Event,
            statuses: dict[int, int]) -> None:
    from sync.auth import generate_key, sign_request

    key = generate_key()
    with httpx.Client(base_url=base, timeout=30) as client:
        n = 0
        while not stop.is_set():
            device = devices[n % len(devices)]
            auth = sign_request(device_id=device.device_id, key=key, method="GET",
                                target="/v1/catalog", body=b"", created=int(time.time()))
            code = client.get("/v1/catalog", headers={"Authorization": auth}).status_code
            statuses[code] = statuses.get(code, 0) + 1
            n += 1


def _hold_idle(base: str, count: int) -> list[socket.socket]:
    host, port = base.rsplit("//", 1)[1].rsplit(":", 1)
    held = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind((STRANGER_ADDRESS, 0))
        sock.connect((host, int(port)))
        held.append(sock)
    return held


def _still_open(held: list[socket.socket]) -> int:
    """Sockets the server has not closed (a closed one reads EOF at once)."""
    open_ = 0
    for sock in held:
        sock.setblocking(False)
        try:
            open_ += sock.recv(1) != b""
        except BlockingIOError:
            open_ += 1
        except OSError:
            pass
    return open_


def hostile_figures(*, forgers: int = 4, kiosks: int = 4, batches: int = 10, batch: int = 20,
                    idle: int = 200, work: Path | None = None) -> dict[str, Any]:
    own = tempfile.TemporaryDirectory(prefix="hostile-bench-") if work is None else None
    data = (Path(own.name) if own else Path(work)) / "central"  # type: ignore[arg-type]
    devices = _devices(kiosks)
    _enrol(data, None, devices)
    agency = _agency_key()
    loads = [[_sealed(d, batch, agency) for _ in range(batches)] for d in devices]
    proc, base = _serve(data, None)
    stop, statuses = threading.Event(), {}  # type: ignore[var-annotated]
    latencies: list[float] = []
    errors: list[str] = []
    held: list[socket.socket] = []
    threads = [threading.Thread(target=_forger, args=(base, devices, stop, statuses),
                                daemon=True) for _ in range(forgers)]
    try:
        held = _hold_idle(base, idle)
        start = time.perf_counter()
        for t in threads:
            t.start()
        wall = _together([threading.Thread(target=_kiosk, args=(d, base, loads[i], latencies,
                                                                 errors))
                          for i, d in enumerate(devices)])
        stop.set()
        for t in threads:
            t.join(timeout=30)
        forging = time.perf_counter() - start
        kept = _still_open(held)
    finally:
        stop.set()
        for sock in held:
            sock.close()
        proc.terminate()
        proc.wait(timeout=30)
        if own:
            own.cleanup()
    forged = sum(statuses.values())
    return {"forgers": forgers, "forged_requests": forged,
            "forged_per_s": round(forged / forging, 1),
            "forged_statuses": {str(k): v for k, v in sorted(statuses.items())},
            "genuine_batches": kiosks * batches, "genuine_refused": len(errors),
            "genuine_submissions_per_s": round(kiosks * batches * batch / wall, 1),
            "genuine_p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
            "idle_connections_opened": idle, "idle_connections_kept": kept}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m central.bench_hostile",
                                     description=__doc__)
    parser.add_argument("--forgers", type=int, default=4)
    parser.add_argument("--kiosks", type=int, default=4)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--idle", type=int, default=200, help="idle connections held")
    args = parser.parse_args(argv)
    figures = hostile_figures(forgers=args.forgers, kiosks=args.kiosks, batches=args.batches,
                              batch=args.batch, idle=args.idle)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
