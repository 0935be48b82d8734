"""`kiosk export --odk`: ODK submissions on a USB stick, as ODK tools take them.

Why this layout: ODK Briefcase ("pull from Collect") and a technician's upload to
Central both take one folder per submission under ``instances/``, holding the XML part
as ``submission.xml`` and the attachments by name — exactly the parts the kiosk would
POST. For an encrypted form those are the manifest and the ``.enc`` files: the stick
then carries nothing readable without the server's key. For a plain form the XML is
as readable as on the server it was meant for (the agency chose no encryption).
Nothing changes state here: the server deduplicates by instanceID, so a submission
that later also arrives over the network is still one submission.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from kiosk.destination import DestinationKind
from kiosk.errors import KioskError, NotFoundError
from sync.odk.seal import open_wire

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def export_odk(store: Any, out: Path) -> dict[str, Any]:
    out = out.expanduser().resolve()
    if not out.parent.is_dir():
        raise NotFoundError(key="wire.odk_export_no_folder", params={"folder": out.parent})
    rows = store.unsent_envelopes(DestinationKind.ODK)  # held ones too: never left behind
    written: list[str] = []
    try:
        for sid, text in rows:
            wire, _ = open_wire(store.atrest, sid, text)
            folder = out / "instances" / _UNSAFE.sub("_", f"{wire.form_id}_{sid}")
            folder.mkdir(parents=True, exist_ok=True)
            _write(folder / "submission.xml", wire.xml)
            for f in wire.files:
                _write(folder / _UNSAFE.sub("_", f.name), f.data)
            written.append(sid)
    except OSError as exc:
        raise KioskError(key="wire.odk_export_unwritable",
                         params={"path": out, "reason": exc.strerror or type(exc).__name__}) from None
    store.mark_exported(written)  # every file is on the medium (fsynced): a technician has them
    return {"path": str(out), "count": len(written), "submission_ids": written}


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
