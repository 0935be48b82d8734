"""The ``central`` bench figures: submissions/s and p99 for N kiosks, one vs. several nodes.

``central_figures()`` runs, in one go, the same load against three setups —
one node on SQLite, one node on PostgreSQL, two nodes on one PostgreSQL — and
returns the figures and their ratios as a dict (``kiosk bench`` prints it; the
lead wires it there). Nodes are real ``kiosk-central serve`` processes on
loopback; the load is N simulated kiosks (threads), each an enrolled device
sending ``batches`` signed batches of ``batch`` sealed submissions one after
another, spread over the nodes round-robin. Items are sealed before the clock
starts (sealing is the kiosk's cost, not the server's); each request is signed
when sent, as a kiosk does. Latency is per batch request, end to end. Then each kiosk
uploads ``photos`` photos of 1 MB in 256 KB signed PUTs (``photo_mb_per_s``).

Without a PostgreSQL URL only the SQLite figure is measured and the others say why.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from central.backend import open_store

PHOTO_BYTES = 1_000_000  # one photo (already encrypted by the kiosk: incompressible)
PHOTO_CHUNK = 256 * 1024  # what a kiosk sends per PUT


def _devices(n: int) -> list[Any]:
    from kiosk.device import DeviceIdentity
    from sync.auth import generate_key

    return [DeviceIdentity.from_private_jwk(dict(generate_key().as_dict(private=True)))
            for _ in range(n)]


def _enrol(data: Path, url: str | None, devices: list[Any]) -> None:
    store = open_store(data, url)
    try:
        for device in devices:
            code, _ = store.new_enroll_code(600)
            pub = {k: device.public_jwk[k] for k in ("kty", "crv", "x")}
            refused = store.use_enroll_code(code, device.device_id, pub, "bench")
            assert refused is None, refused
    finally:
        store.close()


def _sealed(device: Any, count: int, agency: dict[str, Any]) -> list[dict[str, str]]:
    from kiosk.envelope import seal
    from kiosk.store.ids import uuid7

    items = []
    for i in range(count):
        env = seal({"form_id": "test-form", "form_version": "1",
                    "answers": {"note": f"{i}:" + "x" * 300}}, submission_id=uuid7(),
                   device=device, agency_jwk=agency, demo=False, attachments=[],
                   finalized_at="2026-01-01T00:00:00Z")
        items.append({"submission_id": env.submission_id, "record": env.record,
                      "jwe": env.jwe})
    return items


def _serve(data: Path, url: str | None) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "central.cli", "serve", "--port", "0", "--data", str(data)]
    proc = subprocess.Popen(cmd + (["--database-url", url] if url else []),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"kiosk-central did not start: {line.strip()!r}")
    return proc, line.split("listening on ", 1)[1].split()[0]


def _kiosk(device: Any, base: str, batches: list[list[dict[str, str]]],
           latencies: list[float], errors: list[str]) -> None:
    from sync.auth import sign_request

    with httpx.Client(base_url=base, timeout=60) as client:
        for items in batches:
            body = json.dumps({"items": items}).encode()
            headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
            auth = sign_request(device_id=device.device_id, key=device.private_key,
                                method="POST", target="/v1/submissions", body=body,
                                created=int(time.time()), headers=headers)
            start = time.perf_counter()
            resp = client.post("/v1/submissions", content=body,
                               headers={**headers, "Authorization": auth})
            latencies.append(time.perf_counter() - start)
            if resp.status_code != 200 or any(
                    r.get("status") != "accepted" for r in resp.json()["results"]):
                errors.append(f"{resp.status_code}")


def _put(client: httpx.Client, device: Any, digest: str, start: int, chunk: bytes,
         total: int) -> int:
    from sync.auth import sign_request

    target = f"/v1/attachments/{digest}"
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(chunk)),
               "Content-Range": f"bytes {start}-{start + len(chunk) - 1}/{total}"}
    auth = sign_request(device_id=device.device_id, key=device.private_key, method="PUT",
                        target=target, body=chunk, created=int(time.time()), headers=headers)
    return client.put(target, content=chunk, headers={**headers, "Authorization": auth}
                      ).status_code


def _uploader(device: Any, base: str, photos: list[bytes], errors: list[str]) -> None:
    """Each photo as a kiosk sends it: 256 KB chunks, one signed PUT each."""
    import hashlib

    with httpx.Client(base_url=base, timeout=60) as client:
        for photo in photos:
            digest = hashlib.sha256(photo).hexdigest()
            for start in range(0, len(photo), PHOTO_CHUNK):
                status = _put(client, device, digest, start,
                              photo[start:start + PHOTO_CHUNK], len(photo))
                if status != 200:
                    errors.append(str(status))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _run(setup: str, work: Path, url: str | None, nodes: int, kiosks: int, batches: int,
         batch: int, photos: int) -> dict[str, Any]:
    data = work / setup
    devices = _devices(kiosks)
    _enrol(data, url, devices)
    agency = _agency_key()
    loads = [[_sealed(d, batch, agency) for _ in range(batches)] for d in devices]
    procs = [_serve(data / f"node-{i}" if url else data, url) for i in range(nodes)]
    latencies: list[float] = []
    errors: list[str] = []
    try:
        wall = _together([threading.Thread(target=_kiosk, args=(
            d, procs[i % nodes][1], loads[i], latencies, errors))
            for i, d in enumerate(devices)])
        album = [[os.urandom(PHOTO_BYTES) for _ in range(photos)] for _ in devices]
        upload_wall = _together([threading.Thread(target=_uploader, args=(
            d, procs[i % nodes][1], album[i], errors)) for i, d in enumerate(devices)])
    finally:
        for proc, _ in procs:
            proc.terminate()
            proc.wait(timeout=30)
    total = kiosks * batches * batch
    return {"nodes": nodes, "backend": "postgresql" if url else "sqlite",
            "submissions": total, "seconds": round(wall, 2),
            "submissions_per_s": round(total / wall, 1),
            "p50_ms": round(_percentile(latencies, 0.50) * 1000, 1),
            "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
            "photo_mb_per_s": round(kiosks * photos * PHOTO_BYTES / 1e6 / upload_wall, 1),
            "errors": len(errors)}


def _together(threads: list[threading.Thread]) -> float:
    """Start all, wait for all; the wall time in seconds."""
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def _agency_key() -> dict[str, Any]:
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-256")
    return dict(key.as_dict(private=False)) | {"kid": "bench", "alg": "ECDH-ES+A256KW",
                                                "use": "enc"}


def central_figures(pg_url: str | None, *, kiosks: int = 20, batches: int = 10,
                    batch: int = 10, photos: int = 2, work: Path | None = None
                    ) -> dict[str, Any]:
    """One run of the three setups; figures and ratios (see the module docstring)."""
    own = tempfile.TemporaryDirectory(prefix="central-bench-") if work is None else None
    root = Path(own.name) if own else Path(work)  # type: ignore[arg-type]
    try:
        out: dict[str, Any] = {"kiosks": kiosks, "batches_per_kiosk": batches,
                               "items_per_batch": batch, "photos_per_kiosk": photos,
                               "setups": {}}
        out["setups"]["sqlite-1-node"] = _run("sqlite", root, None, 1, kiosks, batches, batch,
                                              photos)
        if pg_url is None:
            out["setups"]["postgresql"] = "not measured: no --database-url given"
            return out
        for nodes in (1, 2):
            out["setups"][f"postgresql-{nodes}-node"] = _run(
                f"pg{nodes}", root, pg_url, nodes, kiosks, batches, batch, photos)
        s = out["setups"]
        out["ratios"] = {
            "pg1_vs_sqlite_throughput": round(s["postgresql-1-node"]["submissions_per_s"]
                                              / s["sqlite-1-node"]["submissions_per_s"], 2),
            "pg2_vs_pg1_throughput": round(s["postgresql-2-node"]["submissions_per_s"]
                                           / s["postgresql-1-node"]["submissions_per_s"], 2),
            "pg2_vs_sqlite_throughput": round(s["postgresql-2-node"]["submissions_per_s"]
                                              / s["sqlite-1-node"]["submissions_per_s"], 2),
        }
        return out
    finally:
        if own:
            own.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m central.bench", description=__doc__)
    parser.add_argument("--database-url", metavar="URL", help="an empty PostgreSQL database")
    parser.add_argument("--kiosks", type=int, default=20)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--photos", type=int, default=2, help="1 MB photos per kiosk")
    args = parser.parse_args(argv)
    figures = central_figures(args.database_url, kiosks=args.kiosks, batches=args.batches,
                              batch=args.batch, photos=args.photos)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
