"""The kiosk side of the ODK tests: a real store in the test's data folder, connected
to an app user of the real Central, finalizing the hand-written household form."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.device import load_or_create_device
from kiosk.paths import Home
from kiosk.secrets import open_secrets
from kiosk.store import Store, uuid7
from sync.odk import connection
from sync.odk.openrosa import OpenRosaClient
from sync.odk.seal import finalize_odk
from sync.odk.xformmeta import XFormMeta, read_meta
from tests.odk.helpers import HOUSEHOLD_QUESTIONS, PHOTO, household_answers


@dataclass
class OdkKiosk:
    home: Home
    store: Store
    meta: XFormMeta

    def finalize(self, answers: dict[str, Any] | None = None, *, submission_id: str | None = None,
                 deprecated_id: str | None = None, photo: bytes = PHOTO) -> str:
        draft = uuid7()
        answers = dict(answers or household_answers())
        if photo is not None and "photo" in answers:
            answers["photo"] = self.store.add_attachment(
                draft, photo, name="photo.jpg", media_type="image/jpeg", max_bytes=1 << 24)
        doc = {"form_id": self.meta.form_id, "form_version": self.meta.version or "",
               "language": "mn", "answers": answers}
        env = finalize_odk(self.store, doc, self.meta, HOUSEHOLD_QUESTIONS,
                           device=load_or_create_device(self.store.secrets()), draft_id=draft,
                           submission_id=submission_id, deprecated_id=deprecated_id)
        return env.submission_id


def connect_kiosk(home_root: Path, url: str, form_id: str, *, moved: bool = False) -> OdkKiosk:
    """``moved``: the same Central at another URL (e.g. the fault proxy gone): the unsent
    submissions made for the old URL go to this one (``kiosk odk connect --moved``)."""
    home = Home(home_root).ensure()
    conn = connection.parse_url(url)
    store = Store.open(home)
    if moved:
        connection.switch(open_secrets(home.root), store, conn, moved=True)
    else:
        connection.save(open_secrets(home.root), conn)
    with OpenRosaClient(url) as client:
        entry = next(f for f in client.form_list() if f.form_id == form_id)
        _, xml, _ = client.get(entry.download_url)
    return OdkKiosk(home, store, read_meta(xml, source=form_id))
