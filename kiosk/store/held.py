"""Held submissions and the outbox reads other parts need, by destination.

Why here: a held item (a server cannot take it now for a reason an operator can fix:
form closed, not assigned …) must never be lost or rejected; it waits with its
reason code on the slow schedule and is due at once after "send again". And the
outbox's SQL lives only in the store: status, the staff screen and the ODK export ask
these methods instead of querying the table themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk import audit
from kiosk.store.core import StoreBase, epoch
from kiosk.store.outbox import MAX_RETRY_DELAY, _owned_by
from kiosk.store.states import STATES, UNSENT_SQL, DestinationKind, SubmissionState


@dataclass(frozen=True)
class HeldItem:
    """A held submission for staff: its reason code and the server's detail."""

    id: str
    form_id: str
    reason: str  # kiosk.destination.Reason value
    detail: str
    next_attempt_at: float


class HeldMixin(StoreBase):
    def mark_held(self, submission_id: str, reason: str, detail: str,
                  next_attempt_at: float | Any) -> None:
        """Keep an unsent item as held with ``reason`` (a code) until ``next_attempt_at``
        (never later than MAX_RETRY_DELAY from now: the slow schedule's bound)."""
        due = min(epoch(next_attempt_at), epoch(None) + MAX_RETRY_DELAY)
        with self.write() as conn:
            cur = conn.execute(
                "UPDATE submissions SET state = 'held', held_reason = ?, last_error = ?, "
                "next_attempt_at = ?, "
                "attempts = attempts + (CASE WHEN state = 'sent' THEN 0 ELSE 1 END) "
                f"WHERE id = ? AND state IN {UNSENT_SQL}",
                (str(reason), detail[:500], due, submission_id),
            )
            if cur.rowcount:
                audit.append(conn, "held", submission_id, {"reason": str(reason)})

    def send_again(self, ids: list[str] | None = None, now: float | Any = None) -> int:
        """"Send again": the held items (all, or ``ids``) are due now. Returns how many."""
        where = "state = 'held'"
        params: list[Any] = [epoch(now)]
        if ids is not None:
            where += f" AND id IN ({', '.join('?' for _ in ids)})"
            params.extend(ids)
        with self.write() as conn:
            cur = conn.execute(
                f"UPDATE submissions SET next_attempt_at = ? WHERE {where}", params)  # noqa: S608
        return int(cur.rowcount)

    def held_items(self, limit: int = 100) -> list[HeldItem]:
        rows = self.read(
            "SELECT id, form_id, held_reason, last_error, next_attempt_at FROM submissions "
            "INDEXED BY idx_submissions_state WHERE state = 'held' ORDER BY id LIMIT ?",
            (limit,))
        return [HeldItem(r[0], r[1], r[2] or "", r[3] or "", float(r[4])) for r in rows]

    def counts_for(self, kind: DestinationKind) -> dict[str, int]:
        """Submissions per state of the rows one destination owns."""
        out = dict.fromkeys(STATES, 0)
        rows = self.read("SELECT state, COUNT(*) FROM submissions WHERE 1 "  # noqa: S608
                         f"{_owned_by(kind)}GROUP BY state")
        for state, n in rows:
            out[state] = int(n)
        return out

    def unsent_envelopes(self, kind: DestinationKind) -> list[tuple[str, str]]:
        """(id, stored envelope text) of every unacknowledged row ``kind`` owns, by ID
        (held ones included: an export must carry them)."""
        rows = self.read(f"SELECT id, jwe FROM submissions WHERE state IN {UNSENT_SQL} "  # noqa: S608
                         f"{_owned_by(kind)}ORDER BY id")
        return [(str(r[0]), str(r[1])) for r in rows]

    def unsent_elsewhere(self, destination: tuple[str, str]) -> int:
        """Unsent ODK rows made for another (server, project) than ``destination`` and
        not exported to removable media: what connecting there would strand."""
        rows = self.read(
            f"SELECT COUNT(*) FROM submissions WHERE state IN {UNSENT_SQL} "  # noqa: S608
            f"{_owned_by(DestinationKind.ODK)}AND exported_at IS NULL "
            "AND (dest_server IS NOT ? OR dest_project IS NOT ?)", destination)
        return int(rows[0][0])

    def stamp_destination(self, destination: tuple[str, str]) -> int:
        """Rows made before destinations were recorded belong to ``destination`` (the
        connection they were made under): written down before connecting elsewhere."""
        with self.write() as conn:
            cur = conn.execute(
                "UPDATE submissions SET dest_server = ?, dest_project = ? "  # noqa: S608
                f"WHERE dest_server IS NULL {_owned_by(DestinationKind.ODK)}", destination)
        return int(cur.rowcount)

    def move_destination(self, old: tuple[str, str], new: tuple[str, str]) -> int:
        """The server moved (same server and project, another URL): the unsent rows made
        for ``old`` now go to ``new``. Only on the operator's word (``connect --moved``)."""
        with self.write() as conn:
            cur = conn.execute(
                "UPDATE submissions SET dest_server = ?, dest_project = ? "  # noqa: S608
                f"WHERE state IN {UNSENT_SQL} {_owned_by(DestinationKind.ODK)}"
                "AND dest_server = ? AND dest_project = ?", (*new, *old))
        return int(cur.rowcount)

    def mark_exported(self, ids: list[str], now: float | Any = None) -> None:
        """Written to removable media (``kiosk export --odk``): still unsent here, but a
        technician carries them; connecting elsewhere no longer strands them."""
        t = epoch(now)
        with self.write() as conn:
            conn.executemany("UPDATE submissions SET exported_at = ? WHERE id = ?",
                             [(t, i) for i in ids])

    def unsent_sealed_by(self, device_id: str, kind: DestinationKind) -> int:
        """Unsent rows ``kind`` owns that device key ``device_id`` sealed."""
        rows = self.read(f"SELECT COUNT(*) FROM submissions WHERE state IN {UNSENT_SQL} "  # noqa: S608
                         f"{_owned_by(kind)}AND device_id = ?", (device_id,))
        return int(rows[0][0])

    def held_by_reason(self) -> dict[str, int]:
        """How many items are held for each reason code (status, doctor, staff)."""
        rows = self.read("SELECT held_reason, COUNT(*) FROM submissions INDEXED BY "
                         "idx_submissions_state WHERE state = 'held' GROUP BY held_reason")
        return {str(r[0] or ""): int(r[1]) for r in rows}

    def held_reason(self, submission_id: str) -> str | None:
        rows = self.read("SELECT held_reason FROM submissions WHERE id = ? AND state = ?",
                         (submission_id, SubmissionState.HELD.value))
        return rows[0][0] if rows else None


