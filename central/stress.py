"""Measure the server's peak memory under hostile bundles: ``python -m central.stress``.

Starts a real ``kiosk-central serve`` in a subprocess (fresh data folder), makes a
technician token, then sends, one scenario after another:

- ``bomb``: a gzip bomb (a few hundred KB that inflate to the ``max_bundle_bytes``
  limit and beyond), while ``/v1/health`` is polled to see whether the event loop
  stalls;
- ``parallel``: N bundles of ``--mb`` MB each at the same time (streamed from a
  generator, so the client holds almost nothing);
- ``big_line``: the legitimate worst case, an enrolled device's bundle whose one
  item carries a ``--line-mb`` MB attachment (one line of 4/3 that size).

Prints the server's peak RSS (``VmHWM`` from /proc) after each scenario, the HTTP
statuses and the slowest health reply. Linux only (reads /proc). Not a test: the
figures go into docs/api.md and the issue notes.
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
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _serve(data: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "central.cli", "serve", "--port", "0",
                             "--data", str(data)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        raise SystemExit(f"server did not start: {line}")
    return proc, line.split("listening on ", 1)[1].split()[0]


def _token(data: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "central.cli", "technician-token", "--json",
                          "--data", str(data)], capture_output=True, text=True, check=True)
    return str(json.loads(out.stdout)["token"])


def _bomb(decoded_mb: int) -> bytes:
    """One gzip member of ``decoded_mb`` MB of newlines (about 1 KB per MB)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\n" * (1 << 20)
    return b"".join(z.compress(block) for _ in range(decoded_mb)) + z.flush()


def _stream(mb: int) -> Iterator[bytes]:
    line = (b'{"submission_id": "x", "record": "a.b.c", "jwe": "a.b.c.d.e", "pad": "'
            + b"A" * 4000 + b'"}\n')
    header = json.dumps({"format": "soum-kiosk-bundle/1", "device_id": "kiosk-0000000000000000",
                         "manifest": "a.b.c"}).encode() + b"\n"
    yield header
    block = line * 256  # ~1 MB
    for _ in range(mb):
        yield block


def _big_line(url: str, data: Path, headers: dict[str, str], mb: int, pid: int) -> dict[str, Any]:
    """A legitimate worst case: an enrolled device's bundle whose one item carries an
    ``mb`` MB attachment (one line of about 4/3 of that), verified and stored."""
    from joserfc.jwk import ECKey

    from kiosk.device import DeviceIdentity
    from kiosk.envelope import make_attachment, seal
    from kiosk.store import uuid7
    from sync.auth import generate_key
    from sync.bundles import BundleItem, write_bundle

    device = DeviceIdentity.from_private_jwk(dict(generate_key().as_dict(private=True)))
    code = json.loads(subprocess.run(
        [sys.executable, "-m", "central.cli", "enroll-code", "--json", "--data", str(data)],
        capture_output=True, text=True, check=True).stdout)["code"]
    pub = {k: device.public_jwk[k] for k in ("kty", "crv", "x")}
    with httpx.Client(timeout=60) as client:
        client.post(url + "/v1/enroll", json={"code": code, "device_public_jwk": pub})
    agency = dict(ECKey.generate_key("P-256").as_dict(private=False))
    ref, blob = make_attachment(os.urandom(mb << 20), name="big.bin",
                                media_type="application/octet-stream")
    env = seal({"form_id": "test-form", "form_version": "1", "answers": {}},
               submission_id=uuid7(), device=device, agency_jwk=agency, demo=False,
               attachments=[ref], finalized_at="2026-01-01T00:00:00Z")
    path = data.parent / "big.ndjson"
    write_bundle(path, device_id=device.device_id, key=device.private_key,
                 items=[BundleItem(env.submission_id, env.record, env.jwe,
                                   [(ref.blob_sha256, blob)])], tmp_dir=data.parent / "t")
    del blob
    before = _kib(pid, "VmHWM")
    t = time.monotonic()
    with open(path, "rb") as body, httpx.Client(timeout=600) as client:
        resp = client.post(url + "/v1/bundles", content=body.read(), headers=headers)
    return {"attachment_mb": mb, "line_mb": round(path.stat().st_size / 2**20, 1),
            "status": resp.status_code, "counts": resp.json().get("counts"),
            "seconds": round(time.monotonic() - t, 2),
            "peak_rss_mb_before": round(before / 1024, 1),
            "peak_rss_mb": round(_kib(pid, "VmHWM") / 1024, 1)}


def _health_probe(url: str, stop: threading.Event, worst: list[float]) -> None:
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            t = time.monotonic()
            try:
                client.get(url + "/v1/health")
            except httpx.HTTPError:
                pass
            worst.append(time.monotonic() - t)
            stop.wait(0.05)


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="central-stress-") as tmp:
        data = Path(tmp) / "data"
        proc, url = _serve(data)
        try:
            token = _token(data)
            headers = {"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {token}"}
            with httpx.Client(timeout=600) as client:
                client.get(url + "/v1/health")
            results["idle_rss_mb"] = round(_kib(proc.pid, "VmRSS") / 1024, 1)

            bomb = _bomb(args.bomb_mb)
            stop, worst = threading.Event(), []  # type: ignore[var-annotated]
            probe = threading.Thread(target=_health_probe, args=(url, stop, worst))
            probe.start()
            t = time.monotonic()
            with httpx.Client(timeout=600) as client:
                resp = client.post(url + "/v1/bundles", content=bomb,
                                   headers={**headers, "Content-Encoding": "gzip"})
            stop.set()
            probe.join()
            results["bomb"] = {"compressed_kb": len(bomb) // 1024,
                               "inflates_to_mb": args.bomb_mb, "status": resp.status_code,
                               "seconds": round(time.monotonic() - t, 2),
                               "worst_health_s": round(max(worst, default=0.0), 3),
                               "peak_rss_mb": round(_kib(proc.pid, "VmHWM") / 1024, 1)}

            statuses: list[int] = []

            def send() -> None:
                with httpx.Client(timeout=1200) as client:
                    r = client.post(url + "/v1/bundles", content=_stream(args.mb), headers=headers)
                    statuses.append(r.status_code)

            t = time.monotonic()
            threads = [threading.Thread(target=send) for _ in range(args.parallel)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            results["parallel"] = {"bundles": args.parallel, "mb_each": args.mb,
                                   "statuses": statuses,
                                   "seconds": round(time.monotonic() - t, 1),
                                   "peak_rss_mb": round(_kib(proc.pid, "VmHWM") / 1024, 1)}
            results["big_line"] = _big_line(url, data, headers, args.line_mb, proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m central.stress", description=__doc__.split("\n")[0])
    p.add_argument("--bomb-mb", type=int, default=1024, help="what the gzip bomb inflates to")
    p.add_argument("--parallel", type=int, default=3)
    p.add_argument("--mb", type=int, default=300, help="size of each parallel bundle (MB)")
    p.add_argument("--line-mb", type=int, default=30,
                   help="attachment size in the one-big-line bundle (MB, server max 32 MB)")
    args = p.parse_args(argv)
    if not Path("/proc/self/status").exists():
        print("central.stress reads /proc: Linux only", file=sys.stderr)
        return 2
    print(json.dumps(run(args), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
