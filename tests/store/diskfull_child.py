"""Child for test_disk_full: fills the store until a file-size limit makes writes fail.

Run as ``python -m tests.store.diskfull_child HOME AGENCY_JWK_JSON``. Prints one JSON
line per event; the parent checks that nothing reported as saved is lost.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from pathlib import Path

from kiosk.device import load_or_create_device
from kiosk.errors import KioskError
from kiosk.paths import home
from kiosk.store import Store


def say(**obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    root, agency = Path(sys.argv[1]), json.loads(sys.argv[2])
    device = load_or_create_device()
    store = Store.open(home(root))
    for i in range(5):
        env = store.finalize(
            {"form_id": "f", "form_version": "1", "answers": {"i": i}},
            device=device,
            agency_jwk=agency,
            demo=True,
        )
        say(saved=env.submission_id)
    did = store.save_draft(None, form_id="f", form_version="1", answers={"kept": True})
    say(draft=did)
    # from here on no file may grow past its current size + 256 KB (like a full disk);
    # SIGXFSZ would kill us: ignore it so writes fail with EFBIG like ENOSPC
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    biggest = max(p.stat().st_size for p in root.glob("kiosk.db*"))
    limit = biggest + 256 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    big = "ж" * 40_000
    for i in range(50):
        d = None
        try:
            d = store.save_draft(None, form_id="f", form_version="1", answers={"i": i})
            env = store.finalize(
                {"form_id": "f", "form_version": "1", "answers": {"big": big}},
                device=device,
                agency_jwk=agency,
                demo=True,
                draft_id=d,
            )
            say(saved=env.submission_id)
        except KioskError as exc:
            say(error=str(exc), exit_code=exc.exit_code, at=i, draft_after_error=d)
            os._exit(0)
    say(never_failed=True)


if __name__ == "__main__":
    main()
