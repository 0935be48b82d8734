"""Which queued submissions already went into a bundle, so ``kiosk export`` does not
write them again (issue 20).

Before this, every export held every unacknowledged item, so a kiosk that could
only use the USB route wrote an ever larger bundle (and a failed import never
recovered). Now each export writes only items that are in no earlier bundle
(``--all`` writes them all again, for a lost or damaged stick), and the item list
is read in pages of ``PAGE`` rows: the kiosk never holds the queue in memory.

The table ``bundle_exports`` lives in the kiosk's database next to the outbox:
rows are written as ``writing`` while the bundle is written and become
``written`` only after the file is renamed into place, so a killed export leaves
no item wrongly counted as exported (its rows are dropped by the next export).
Rows of items no longer in the outbox (acknowledged, purged) are dropped too.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kiosk.store.states import UNSENT_SQL, SubmissionState

PAGE = 500
UNSENT = UNSENT_SQL  # held items too: a bundle is another way to reach the server


class ExportState(enum.StrEnum):
    WRITING = "writing"
    WRITTEN = "written"


@dataclass(frozen=True)
class QueuedItem:
    """What a bundle needs of one queued submission."""

    id: str
    record: str
    jwe: str
    attachments: list[dict[str, Any]]


def _ensure_table(conn: Any) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS bundle_exports (bundle_id TEXT NOT NULL, "
                 "submission_id TEXT NOT NULL, state TEXT NOT NULL, "
                 "PRIMARY KEY (bundle_id, submission_id))")
    conn.execute("CREATE INDEX IF NOT EXISTS idx_bundle_exports_sid "
                 "ON bundle_exports (submission_id, state)")


def prepare(store: Any) -> str:
    """A new export's ID, after dropping what killed exports and acknowledged items left."""
    with store.write() as conn:
        _ensure_table(conn)
        conn.execute("DELETE FROM bundle_exports WHERE state = ?", (ExportState.WRITING,))
        conn.execute("DELETE FROM bundle_exports WHERE submission_id NOT IN "
                     f"(SELECT id FROM submissions WHERE state IN {UNSENT})")
    return str(uuid.uuid4())


def _page_sql(everything: bool) -> str:
    skip = "" if everything else (
        "AND NOT EXISTS (SELECT 1 FROM bundle_exports b WHERE b.submission_id = s.id "
        f"AND b.state = '{ExportState.WRITTEN}') ")
    return (f"SELECT s.id, s.record, s.jwe, s.attachments FROM submissions s "
            f"WHERE s.state IN {UNSENT} AND s.id > ? {skip}ORDER BY s.id LIMIT ?")


def queued(store: Any, export_id: str, *, everything: bool,
           skip: Any = None) -> Iterator[QueuedItem]:
    """Items for this export, oldest ID first, a page at a time; each page is recorded
    as ``writing`` under ``export_id``. ``skip(jwe)`` leaves an item out (ODK ones)."""
    after = ""
    sql = _page_sql(everything)
    while True:
        rows = store.read(sql, (after, PAGE))
        if not rows:
            return
        after = rows[-1][0]
        page = [QueuedItem(r[0], r[1], r[2], json.loads(r[3] or "[]")) for r in rows
                if skip is None or not skip(r[2])]
        with store.write() as conn:
            conn.executemany("INSERT OR IGNORE INTO bundle_exports VALUES (?, ?, ?)",
                             [(export_id, i.id, ExportState.WRITING) for i in page])
        yield from page


def written(store: Any, export_id: str) -> Iterator[list[tuple[str, bool]]]:
    """Mark the export's items ``written`` (its file is in place); in pages, each
    item's (ID, held now)."""
    with store.write() as conn:
        conn.execute("UPDATE bundle_exports SET state = ? WHERE bundle_id = ?",
                     (ExportState.WRITTEN, export_id))
    after = ""
    while True:
        rows = store.read("SELECT b.submission_id, s.state FROM bundle_exports b JOIN "
                          "submissions s ON s.id = b.submission_id WHERE b.bundle_id = ? AND "
                          "b.submission_id > ? ORDER BY b.submission_id LIMIT ?",
                          (export_id, after, PAGE))
        if not rows:
            return
        after = rows[-1][0]
        yield [(r[0], r[1] == SubmissionState.HELD) for r in rows]


def abandon(store: Any, export_id: str) -> None:
    """The export failed: its items count as not exported."""
    with store.write() as conn:
        conn.execute("DELETE FROM bundle_exports WHERE bundle_id = ?", (export_id,))
