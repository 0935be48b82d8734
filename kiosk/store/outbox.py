"""Finalize and the outbox: the submission's life after the applicant is done.

States (DESIGN.md §3): ``sealed`` (written by finalize) → ``sent`` (handed to
the server, outcome pending) → ``acknowledged`` (server receipt stored) →
``purged`` (retention; tombstone kept). ``queued`` is a sealed submission
waiting for its next attempt after a failure; ``held`` waits for an operator-fixable
reason (kiosk.store.held, the slow schedule); ``rejected`` is a definitive refusal
with the reason shown to staff. The states are kiosk.store.states.SubmissionState.

The API the sync engine uses (names are stable): ``next_batch``,
``mark_sent``, ``mark_acknowledged``, ``mark_rejected``, ``schedule_retry``,
``counts``, ``oldest_unsent_age``, ``read_attachment``. A ``sent`` item whose
acknowledgement never came becomes due again after ``resend_after`` seconds
and is sent again with the same ID and bytes (the server deduplicates).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk import audit
from kiosk.device import DeviceIdentity
from kiosk.envelope import SealedEnvelope, seal
from kiosk.errors import KioskError, NotFoundError, StorageError
from kiosk.receipt import make_receipt
from kiosk.store.core import CommitUnknown, DraftKeptError, StoreBase, epoch, utc_now_iso
from kiosk.store.drafts import DraftsMixin
from kiosk.store.ids import uuid7
from kiosk.store.states import ODK_AGENCY_KID, STATES, UNSENT, UNSENT_SQL, DestinationKind

log = logging.getLogger("kiosk.store")

DEFAULT_RESEND_AFTER = 600.0
# No retry is ever scheduled further ahead than this (the sync engine's longest
# backoff). A due time further ahead than that was written under a clock that has
# since been corrected backwards (a dead clock battery fixed by NTP): it is due now.
MAX_RETRY_DELAY = 3600.0


@dataclass(frozen=True)
class OutboxItem:
    """One submission ready to send: exactly the bytes sealed at finalize."""

    id: str
    form_id: str
    record: str
    jwe: str
    attachments: list[dict[str, Any]]  # [{sha256, size}] of the encrypted blobs
    size: int
    attempts: int
    demo: bool


@dataclass(frozen=True)
class EncryptedBlob:
    """An attachment as it is sent: AES-256-GCM (nonce || ciphertext+tag)."""

    sha256: str
    size: int
    data: bytes
    content_type: str = "application/octet-stream"


def _attachment_values(obj: Any) -> list[dict[str, Any]]:
    """Every attachment answer in a document (any depth, repeats included)."""
    found: list[dict[str, Any]] = []
    if isinstance(obj, dict):
        if {"sha256", "size", "media_type"} <= obj.keys() and isinstance(obj["sha256"], str):
            found.append(obj)
        else:
            for value in obj.values():
                found.extend(_attachment_values(value))
    elif isinstance(obj, list):
        for value in obj:
            found.extend(_attachment_values(value))
    return found


_ACKABLE_SQL = "(" + ", ".join(f"'{s}'" for s in (*UNSENT, "rejected")) + ")"


def _owned_by(kind: DestinationKind | None) -> str:
    """The SQL condition for the rows a destination owns (its sealer's agency_kid)."""
    if kind is None:
        return ""
    op = "=" if kind is DestinationKind.ODK else "!="
    return f"AND agency_kid {op} '{ODK_AGENCY_KID}' "


def _made_for(destination: tuple[str, str] | None) -> tuple[str, tuple[str, ...]]:
    """The SQL condition (and its parameters) for rows made for ``destination``."""
    if destination is None:
        return "", ()
    return ("AND (dest_server IS NULL OR (dest_server = ? AND dest_project = ?)) ",
            destination)


class OutboxMixin(DraftsMixin, StoreBase):
    # --- finalize ---------------------------------------------------------------

    def finalize(
        self,
        document: dict[str, Any],
        *,
        device: DeviceIdentity,
        agency_jwk: dict[str, Any],
        demo: bool,
        draft_id: str | None = None,
        submission_id: str | None = None,
        sealer: Callable[..., SealedEnvelope] | None = None,
        destination: tuple[str, str] | None = None,
    ) -> SealedEnvelope:
        """Seal ``document`` and, in ONE transaction, write the envelope, its outbox
        row and receipt, link its attachments and delete the draft.

        ``document`` must already be validated (FormSession.document()). Calling
        again with the same ``submission_id`` returns the stored envelope: a
        retry never makes a second copy. A failed commit is reconciled by ID.
        ``destination``: (server, project) the submission is made for (ODK rows).
        """
        submission_id = submission_id or uuid7()
        existing = self.envelope(submission_id)
        if existing is not None:
            self._drop_draft_after_finalize(draft_id)
            return existing
        refs = self._draft_attachment_refs(draft_id)
        attachments = []
        for value in _attachment_values(document.get("answers", document)):
            ref = refs.get(value["sha256"])
            if ref is None:
                raise KioskError(key="core.attachment_not_captured",
                                 params={"name": str(value.get("name", ""))})
            attachments.append(ref)
        finalized_at = utc_now_iso()
        # ``sealer``: another destination's sealing (sync.odk.seal for ODK servers), called
        # exactly like kiosk.envelope.seal; everything else here stays the same for it
        env = (sealer or seal)(
            document,
            submission_id=submission_id,
            device=device,
            agency_jwk=agency_jwk,
            demo=demo,
            attachments=attachments,
            finalized_at=finalized_at,
        )
        qr = make_receipt(
            device,
            submission_id=submission_id,
            envelope_sha256=env.jwe_sha256,
            finalized_at=finalized_at,
            demo=demo,
        )
        try:
            with self.write() as conn:
                conn.execute(
                    "INSERT INTO submissions (id, form_id, form_version, device_id, agency_kid, "
                    "demo, finalized_at, state, attempts, next_attempt_at, payload_sha256, "
                    "jwe_sha256, jwe, record, attachments, size, dest_server, dest_project) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'sealed', 0, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        submission_id,
                        env.form_id,
                        env.form_version,
                        env.device_id,
                        env.agency_kid,
                        int(env.demo),
                        finalized_at,
                        env.payload_sha256,
                        env.jwe_sha256,
                        env.jwe,
                        env.record,
                        json.dumps(env.attachments),
                        env.size,
                        *(destination or (None, None)),
                    ),
                )
                for ref in attachments:
                    conn.execute(
                        "UPDATE attachments SET submission_id = ?, draft_id = NULL "
                        "WHERE sha256 = ?",
                        (submission_id, ref.blob_sha256),
                    )
                conn.execute(
                    "INSERT INTO receipts (submission_id, qr, created_at) VALUES (?, ?, ?)",
                    (submission_id, qr, finalized_at),
                )
                if draft_id is not None:
                    conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))
                    conn.execute(
                        "DELETE FROM attachments WHERE draft_id = ? AND submission_id IS NULL",
                        (draft_id,),
                    )
                audit.append(
                    conn, "finalized", submission_id, {"form": env.form_id, "demo": env.demo}
                )
        except CommitUnknown as exc:
            stored = self._reconcile(submission_id, env.jwe_sha256)
            if stored is not None:
                log.warning("commit reported an error but submission %s is saved", submission_id)
                return stored
            raise DraftKeptError(exc, retry_hint=True) from None
        except StorageError as exc:
            raise DraftKeptError(exc) from None
        log.info("finalized submission %s (form %s, demo=%s)", submission_id, env.form_id, demo)
        return env

    def _reconcile(self, submission_id: str, jwe_sha256: str) -> SealedEnvelope | None:
        try:
            stored = self.envelope(submission_id)
        except StorageError:
            return None
        if stored is not None and stored.jwe_sha256 != jwe_sha256:
            # same ID, other bytes: cannot happen unless two writers raced; keep the stored one
            log.error("submission %s was already stored with other bytes", submission_id)
        return stored

    def _drop_draft_after_finalize(self, draft_id: str | None) -> None:
        if draft_id is None:
            return
        with self.write() as conn:
            conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))

    def envelope(self, submission_id: str) -> SealedEnvelope | None:
        """The stored envelope (None if unknown; ``jwe`` empty once purged)."""
        rows = self.read(
            "SELECT id, jwe, record, payload_sha256, demo, form_id, form_version, device_id, "
            "finalized_at, agency_kid, jwe_sha256, attachments FROM submissions WHERE id = ?",
            (submission_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return SealedEnvelope(
            submission_id=r[0],
            jwe=r[1] or "",
            record=r[2],
            payload_sha256=r[3],
            demo=bool(r[4]),
            form_id=r[5],
            form_version=r[6],
            device_id=r[7],
            finalized_at=r[8],
            agency_kid=r[9],
            jwe_sha256=r[10],
            attachments=json.loads(r[11]),
        )

    def submission(self, submission_id: str) -> dict[str, Any]:
        """Status of one submission for staff screens and `kiosk status` (no PII)."""
        rows = self.read(
            "SELECT s.id, s.form_id, s.form_version, s.state, s.demo, s.finalized_at, "
            "s.attempts, s.next_attempt_at, s.last_error, s.acknowledged_at, s.payload_sha256, "
            "s.server_receipt, s.purged_at, r.qr FROM submissions s "
            "LEFT JOIN receipts r ON r.submission_id = s.id WHERE s.id = ?",
            (submission_id,),
        )
        if not rows:
            raise NotFoundError(key="errors.no_submission", params={"id": submission_id})
        keys = (
            "id form_id form_version state demo finalized_at attempts next_attempt_at "
            "last_error acknowledged_at payload_sha256 server_receipt purged_at receipt_qr"
        ).split()
        out = dict(zip(keys, rows[0], strict=True))
        out["demo"] = bool(out["demo"])
        out["server_receipt"] = json.loads(out["server_receipt"]) if out["server_receipt"] else None
        return out

    def submissions(self, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        where, params = ("WHERE state = ?", (state, limit)) if state else ("", (limit,))
        ids = self.read(f"SELECT id FROM submissions {where} ORDER BY id DESC LIMIT ?", params)
        return [self.submission(r[0]) for r in ids]

    # --- outbox API for sync ------------------------------------------------------

    def next_batch(
        self, now: float | Any = None, max_bytes: int = 4_000_000, max_items: int = 50,
        *, kind: DestinationKind | None = None, destination: tuple[str, str] | None = None,
        device_id: str | None = None,
    ) -> list[OutboxItem]:
        """Oldest due submissions first, at least one even if it alone exceeds max_bytes.

        Due times further ahead than MAX_RETRY_DELAY are first pulled back to now:
        the clock was set back since they were written, and waiting for them would
        strand the queue for as long as the clock had been wrong. ``kind``: only the
        rows that destination owns (None: every row); ``destination``: only those made
        for that (server, project), or made before rows recorded it; ``device_id``: only
        those sealed by that device key (a replaced key's rows are never sent under the
        new one: the server could not verify them).
        """
        t = epoch(now)
        self.unstrand(t)
        where, params = _made_for(destination)
        if device_id is not None:
            where, params = where + "AND device_id = ? ", (*params, device_id)
        rows = self.read(
            "SELECT id, form_id, record, jwe, attachments, size, attempts, demo FROM submissions "
            f"INDEXED BY idx_outbox_due WHERE state IN {UNSENT_SQL} AND next_attempt_at <= ? "
            f"{_owned_by(kind)}{where}ORDER BY next_attempt_at, id LIMIT ?",
            (t, *params, max_items),
        )
        batch: list[OutboxItem] = []
        total = 0
        for r in rows:
            if batch and total + r[5] > max_bytes:
                break
            total += r[5]
            batch.append(
                OutboxItem(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], bool(r[7]))
            )
        return batch

    def unstrand(self, now: float | Any = None) -> int:
        """Make due now every unsent item whose due time is impossibly far ahead."""
        t = epoch(now)
        limit = t + MAX_RETRY_DELAY + 1.0
        stranded = self.read(
            f"SELECT 1 FROM submissions INDEXED BY idx_outbox_due WHERE state IN {UNSENT_SQL} "
            "AND next_attempt_at > ? LIMIT 1",
            (limit,),
        )
        if not stranded:
            return 0
        with self.write() as conn:
            cur = conn.execute(
                f"UPDATE submissions SET next_attempt_at = ? WHERE state IN {UNSENT_SQL} "
                "AND next_attempt_at > ?",
                (t, limit),
            )
        log.warning(
            "%d queued submission(s) were due more than %d s ahead: the clock went back; "
            "they are due now", cur.rowcount, int(MAX_RETRY_DELAY))
        return int(cur.rowcount)

    def due_stats(self, now: float | Any = None) -> dict[str, Any]:
        """For doctor: how many unsent items are due, and since when (seconds)."""
        t = epoch(now)
        rows = self.read(
            # due since its retry time, or since finalize for one never tried
            "SELECT COUNT(*), MIN(MAX(next_attempt_at, "
            "CAST(strftime('%s', finalized_at) AS REAL))) FROM submissions "
            "INDEXED BY idx_outbox_due "
            f"WHERE state IN {UNSENT_SQL} AND next_attempt_at <= ?",
            (t,),
        )
        far = self.read(
            f"SELECT COUNT(*) FROM submissions INDEXED BY idx_outbox_due WHERE state IN {UNSENT_SQL} "
            "AND next_attempt_at > ?",
            (t + MAX_RETRY_DELAY + 1.0,),
        )
        count, first = rows[0]
        return {
            "due": int(count),
            "due_for_seconds": None if first is None or not count else max(0.0, t - first),
            "stranded_ahead": int(far[0][0]),
        }

    def mark_sent(
        self,
        ids: list[str],
        *,
        now: float | None = None,
        resend_after: float = DEFAULT_RESEND_AFTER,
    ) -> None:
        t = epoch(now)
        resend_after = min(resend_after, MAX_RETRY_DELAY)
        with self.write() as conn:
            for sid in ids:
                cur = conn.execute(
                    "UPDATE submissions SET state = 'sent', attempts = attempts + 1, sent_at = ?, "
                    f"next_attempt_at = ? WHERE id = ? AND state IN {UNSENT_SQL}",
                    (t, t + resend_after, sid),
                )
                if cur.rowcount:
                    audit.append(conn, "sent", sid)

    def mark_acknowledged(self, submission_id: str, receipt: dict[str, Any]) -> None:
        """Server confirmed (accepted or duplicate): keep its signed receipt."""
        self.mark_acknowledged_many([(submission_id, receipt)])

    def mark_acknowledged_many(self, acks: list[tuple[str, dict[str, Any]]]) -> None:
        """Several acknowledgements in ONE transaction (one fsync per sync batch).

        Idempotent; an unknown ID is NotFoundError and nothing of the batch is written.
        """
        now = time.time()
        with self.write() as conn:
            for submission_id, receipt in acks:
                text = json.dumps(receipt, sort_keys=True)
                cur = conn.execute(
                    "UPDATE submissions SET state = 'acknowledged', acknowledged_at = ?, "
                    "server_receipt = ?, last_error = NULL, held_reason = NULL WHERE id = ? "
                    f"AND state IN {_ACKABLE_SQL}",
                    (now, text, submission_id),
                )
                if cur.rowcount:
                    conn.execute(
                        "UPDATE receipts SET server_receipt = ? WHERE submission_id = ?",
                        (text, submission_id),
                    )
                    audit.append(conn, "acknowledged", submission_id)
                elif not conn.execute(
                    "SELECT 1 FROM submissions WHERE id = ?", (submission_id,)
                ).fetchone():
                    raise NotFoundError(key="errors.no_submission", params={"id": submission_id})

    def mark_rejected(self, submission_id: str, reason: str) -> None:
        with self.write() as conn:
            cur = conn.execute(
                "UPDATE submissions SET state = 'rejected', last_error = ?, held_reason = NULL "
                f"WHERE id = ? AND state IN {UNSENT_SQL}",
                (reason[:500], submission_id),
            )
            if cur.rowcount:
                audit.append(conn, "rejected", submission_id)

    def schedule_retry(self, submission_id: str, error: str, next_attempt_at: float | Any) -> None:
        """A failed attempt: due again at ``next_attempt_at`` with the same bytes.

        Never later than MAX_RETRY_DELAY from now, whatever the caller asked.
        """
        due = min(epoch(next_attempt_at), epoch(None) + MAX_RETRY_DELAY)
        with self.write() as conn:
            conn.execute(
                "UPDATE submissions SET state = 'queued', last_error = ?, next_attempt_at = ?, "
                "held_reason = NULL, "
                "attempts = attempts + (CASE WHEN state = 'sent' THEN 0 ELSE 1 END) "
                f"WHERE id = ? AND state IN {UNSENT_SQL}",
                (error[:500], due, submission_id),
            )

    def counts(self) -> dict[str, int]:
        """Submissions per state, from the trigger-kept table (a dozen rows at most)."""
        return self._counts("SELECT state, SUM(n) FROM submission_counts GROUP BY state")

    def demo_counts(self) -> dict[str, int]:
        return self._counts("SELECT state, n FROM submission_counts WHERE demo = 1")

    def _counts(self, sql: str) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for state, n in self.read(sql):
            out[state] = int(n)
        return out

    def oldest_unsent_age(self, now: float | Any = None) -> float | None:
        """Seconds since the oldest unacknowledged submission was finalized."""
        firsts = [
            r[0]
            for state in UNSENT
            for r in self.read("SELECT MIN(id) FROM submissions WHERE state = ?", (state,))
            if r[0] is not None
        ]
        if not firsts:
            return None
        rows = [(min(firsts),)]
        fin = self.read("SELECT finalized_at FROM submissions WHERE id = ?", (rows[0][0],))[0][0]
        from datetime import datetime

        t = datetime.fromisoformat(fin.replace("Z", "+00:00")).timestamp()
        return max(0.0, epoch(now) - t)

    def last_error(self) -> str | None:
        rows = self.read(
            "SELECT last_error FROM submissions INDEXED BY idx_submissions_error "
            "WHERE last_error IS NOT NULL AND state IN ('queued', 'rejected') "
            "ORDER BY next_attempt_at DESC LIMIT 1"
        )
        return rows[0][0] if rows else None

    def read_attachment(self, sha256: str) -> EncryptedBlob:
        """The encrypted blob to upload, by the SHA-256 in the record."""
        rows = self.read("SELECT size, blob FROM attachments WHERE sha256 = ?", (sha256,))
        if not rows or rows[0][1] is None:
            raise NotFoundError(key="core.no_sealed_attachment", params={"sha256": sha256[:12]})
        return EncryptedBlob(sha256=sha256, size=rows[0][0], data=bytes(rows[0][1]))

    def receipt_qr(self, submission_id: str) -> str:
        rows = self.read("SELECT qr FROM receipts WHERE submission_id = ?", (submission_id,))
        if not rows:
            raise NotFoundError(key="core.no_server_receipt", params={"id": submission_id})
        return str(rows[0][0])
