"""Stall figures for ``kiosk bench`` (suite ``stall``): how long a dead link holds a round.

On the 2G simulator (64 kbit/s and 300 ms each way, the fault proxy) with 176
submissions queued, the link goes black — no reset, no FIN, no reply — as the
first batch is posted. Figures:

- ``round_seconds``: the whole ``run_once`` (health, catalog check, the first
  batch, the stall), as the sync loop sees it; ``bound_seconds`` is what it may
  take at most (the stall bound plus the requests before the batch);
- ``forced_176_batch_seconds``: one request carrying all 176 items (the old
  client's batch), from the start of the POST until it is abandoned — the stall
  detection time for a 176-item batch (was 30 s + body ÷ 2,000 B/s);
- the first batch the rate-sized engine actually sent (items, bytes).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

SUBMIT = b"POST /v1/submissions"
ITEMS = 176


def _measure(workdir: Path, stall: float) -> dict[str, Any]:
    from app.bench.sync import _enrol, _fill, _server
    from kiosk.store import Store
    from sync.client import CentralClient, OutcomeUnknown
    from sync.linksim import Fault, FaultProxy
    from sync.runtime import open_engine

    server = _server(workdir / "central-stall")
    # the server sees the black-holed requests' clients vanish; that is the point here,
    # not an error to print over the figures (set after uvicorn configured its loggers)
    for name in ("uvicorn.error", "central.app"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    proxy = FaultProxy.to_url(server.url, latency=0.3, bandwidth=8000.0)
    try:
        home, device, agency = _enrol(server, workdir / "kiosk-stall")
        with Store.open(home) as store:
            _fill(store, device, agency, ITEMS)
            eng = open_engine(home, store=store, client_kwargs={"timeout": stall})
            eng.client.close()
            eng.client = CentralClient(proxy.url, device=device, server_key=eng.client.server_key,
                                       timeout=stall)
            proxy.inject(Fault("blackhole", at=0, match=SUBMIT))
            started = time.perf_counter()
            report = eng.run_once()
            round_s = time.perf_counter() - started
            first = store.counts()
            eng.client.close()
            batch = store.next_batch(time.time() + 3600, 1 << 30, ITEMS)
            payload = [{"submission_id": i.id, "record": i.record, "jwe": i.jwe} for i in batch]
            client = CentralClient(proxy.url, device=device, server_key=eng.client.server_key,
                                   timeout=stall)
            client.health()
            proxy.inject(Fault("blackhole", at=0, match=SUBMIT))
            forced_started = time.perf_counter()
            try:
                client.submit(payload)
                outcome = "answered"
            except OutcomeUnknown:
                outcome = "outcome-unknown"
            forced = time.perf_counter() - forced_started
            client.close()
    finally:
        proxy.stop()
        server.stop()
    return {
        "stall_seconds": stall,
        "queued": ITEMS,
        "round_state": report.state,
        "round_seconds": round(round_s, 2),
        "first_round_marked_for_retry": first.get("queued", 0),
        "forced_176_batch_items": len(payload),
        "forced_176_batch_seconds": round(forced, 2),
        "forced_176_batch_outcome": outcome,
        "old_client_bound_seconds_for_that_batch": round(
            30 + len(str(payload).encode()) / 2000, 1),
        "meets_target": report.state == "outcome-unknown" and forced <= stall + 5,
    }


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    from app.bench.sync import BENCH_PASSPHRASE, PASSPHRASE_ENV

    previous = os.environ.get(PASSPHRASE_ENV)
    os.environ[PASSPHRASE_ENV] = BENCH_PASSPHRASE
    try:
        return {"link_2g_black_hole": _measure(workdir, 20.0)}
    finally:
        if previous is None:
            os.environ.pop(PASSPHRASE_ENV, None)
        else:
            os.environ[PASSPHRASE_ENV] = previous
