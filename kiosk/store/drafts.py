"""Drafts and captured attachments: saved on every answer, encrypted at rest.

A draft row holds only the form id/version, timestamps and a state in the
clear; the answers (and the UI's position in the form) are one AES-GCM blob
under the data key. ``state`` is ``open`` while a run is filling it; when the
kiosk starts, every ``open`` draft left by an earlier run (power cut, crash)
becomes ``interrupted`` and is listed for staff to resume or discard — the UI
never shows it to the next applicant.

Attachments are encrypted at capture with their own random AES-256-GCM key
(the same blob is sent later, so the key goes into the signed payload at
finalize); the key, file name and type are sealed under the data key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from kiosk.envelope import AttachmentRef, b64url, b64url_decode, make_attachment
from kiosk.errors import KioskError, NotFoundError
from kiosk.store.core import StoreBase, utc_now_iso
from kiosk.store.ids import uuid7

log = logging.getLogger("kiosk.store")


class AttachmentTooLarge(KioskError):
    pass


@dataclass(frozen=True)
class DraftInfo:
    """What staff see about an interrupted draft: no answers, ever."""

    id: str
    form_id: str
    form_version: str
    created_at: str
    updated_at: str
    state: str
    demo: bool


@dataclass(frozen=True)
class Draft:
    """A draft as saved: ``kept`` is what the form's computations kept
    (FormSession.kept(); empty in a draft saved before drafts kept them)."""

    info: DraftInfo
    answers: dict[str, Any]
    position: Any
    kept: dict[str, Any] = field(default_factory=dict)


class DraftsMixin(StoreBase):
    def save_draft(
        self,
        draft_id: str | None,
        *,
        form_id: str,
        form_version: str,
        answers: dict[str, Any],
        position: Any = None,
        demo: bool = False,
        kept: dict[str, Any] | None = None,
    ) -> str:
        """Save (create or replace) a draft durably; returns its ID. ``kept``: the
        session's computed values to resume with (FormSession.kept())."""
        draft_id = draft_id or uuid7()
        content: dict[str, Any] = {"answers": answers, "position": position}
        if kept:
            content["kept"] = kept
        sealed = self.atrest.seal(content, table="drafts", row_id=draft_id)
        now = utc_now_iso()
        with self.write() as conn:
            conn.execute(
                "INSERT INTO drafts (id, form_id, form_version, demo, created_at, updated_at, "
                "sealed, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'open') ON CONFLICT(id) DO UPDATE "
                "SET form_version = excluded.form_version, updated_at = excluded.updated_at, "
                "sealed = excluded.sealed, state = 'open'",
                (draft_id, form_id, form_version, int(demo), now, now, sealed),
            )
        return draft_id

    def _info(self, row: tuple) -> DraftInfo:
        return DraftInfo(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]))

    _INFO_COLS = "id, form_id, form_version, created_at, updated_at, state, demo"

    def load_draft(self, draft_id: str) -> Draft:
        rows = self.read(f"SELECT {self._INFO_COLS}, sealed FROM drafts WHERE id = ?", (draft_id,))
        if not rows:
            raise NotFoundError(key="core.no_draft", params={"id": draft_id})
        content = self.atrest.open(rows[0][7], table="drafts", row_id=draft_id)
        kept = content.get("kept")
        return Draft(self._info(rows[0]), content["answers"], content.get("position"),
                     kept if isinstance(kept, dict) else {})

    def drafts(self, state: str | None = None) -> list[DraftInfo]:
        if state:
            sql = f"SELECT {self._INFO_COLS} FROM drafts WHERE state = ? ORDER BY updated_at"
            return [self._info(r) for r in self.read(sql, (state,))]
        return [
            self._info(r)
            for r in self.read(f"SELECT {self._INFO_COLS} FROM drafts ORDER BY updated_at")
        ]

    def mark_open_drafts_interrupted(self) -> int:
        """Call once at kiosk start: drafts left open by an earlier run are interrupted."""
        with self.write() as conn:
            cur = conn.execute("UPDATE drafts SET state = 'interrupted' WHERE state = 'open'")
            count = cur.rowcount
        if count:
            log.info("%d interrupted draft(s) are waiting for staff", count)
        return count

    def clean_orphan_attachments(self, *, older_than: float = 600.0) -> int:
        """Delete encrypted attachment rows that belong to nothing: no submission and no
        saved draft (a fill or capture that failed before its clean-up could run, e.g.
        under I/O errors). Only rows older than ``older_than`` seconds, so a capture in
        progress in another process is left alone."""
        from datetime import UTC, datetime, timedelta

        cutoff = (datetime.now(UTC) - timedelta(seconds=older_than)).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
        where = ("submission_id IS NULL AND created_at < ? AND (draft_id IS NULL OR "
                 "draft_id NOT IN (SELECT id FROM drafts))")
        if not self.read(f"SELECT 1 FROM attachments WHERE {where} LIMIT 1", (cutoff,)):
            return 0
        with self.write() as conn:
            count = conn.execute(f"DELETE FROM attachments WHERE {where}", (cutoff,)).rowcount
        log.info("removed %d orphaned attachment row(s)", count)
        return int(count)

    def interrupted_drafts(self) -> list[DraftInfo]:
        return self.drafts("interrupted")

    def resume_draft(self, draft_id: str) -> Draft:
        """Staff chose to resume: the draft is open again and its answers returned."""
        draft = self.load_draft(draft_id)
        with self.write() as conn:
            conn.execute("UPDATE drafts SET state = 'open' WHERE id = ?", (draft_id,))
            from kiosk import audit

            audit.append(conn, "draft_resumed", draft_id, {"form": draft.info.form_id})
        return draft

    def discard_draft(self, draft_id: str, *, reason: str = "discarded") -> bool:
        """Delete a draft and its unsent attachments (idle wipe, cancel, staff)."""
        from kiosk import audit

        with self.write() as conn:
            row = conn.execute("SELECT form_id FROM drafts WHERE id = ?", (draft_id,)).fetchone()
            conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))
            conn.execute(
                "DELETE FROM attachments WHERE draft_id = ? AND submission_id IS NULL", (draft_id,)
            )
            if row is not None:
                event = "wiped" if reason == "wiped" else "draft_discarded"
                audit.append(conn, event, draft_id, {"form": row[0]})
        return row is not None

    # --- attachments ----------------------------------------------------------

    def add_attachment(
        self,
        draft_id: str,
        data: bytes,
        *,
        name: str,
        media_type: str,
        max_bytes: int,
    ) -> dict[str, Any]:
        """Encrypt and keep a captured file; returns the answer value for the form.

        Over the limit is refused here, at capture, with a clear message —
        never accepted and then stuck at send.
        """
        if len(data) > max_bytes:
            raise AttachmentTooLarge(key="core.attachment_too_large", params={
                "name": name, "size_kb": len(data) // 1024, "max_kb": max_bytes // 1024})
        ref, blob = make_attachment(data, name=name, media_type=media_type)
        meta = self.atrest.seal(
            {
                "name": name,
                "media_type": media_type,
                "sha256": ref.sha256,
                "size": ref.size,
                "key": b64url(ref.key),
            },
            table="attachments",
            row_id=ref.blob_sha256,
        )
        with self.write() as conn:
            conn.execute(
                "INSERT INTO attachments (sha256, size, draft_id, created_at, meta, blob) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (ref.blob_sha256, ref.blob_size, draft_id, utc_now_iso(), meta, blob),
            )
        return {"sha256": ref.sha256, "size": ref.size, "media_type": media_type, "name": name}

    def _draft_attachment_refs(self, draft_id: str | None) -> dict[str, AttachmentRef]:
        """Plain SHA-256 -> reference, for the attachments captured for a draft."""
        if draft_id is None:
            return {}
        refs: dict[str, AttachmentRef] = {}
        for blob_sha, size, meta in self.read(
            "SELECT sha256, size, meta FROM attachments WHERE draft_id = ? "
            "AND submission_id IS NULL",
            (draft_id,),
        ):
            m = self.atrest.open(meta, table="attachments", row_id=blob_sha)
            refs[m["sha256"]] = AttachmentRef(
                name=m["name"],
                media_type=m["media_type"],
                sha256=m["sha256"],
                size=m["size"],
                blob_sha256=blob_sha,
                blob_size=size,
                key=b64url_decode(m["key"]),
            )
        return refs

    def draft_attachment(self, draft_id: str, sha256: str) -> bytes:
        """A captured file of a draft by its answer's (plaintext) SHA-256: for the
        preview when staff resume an interrupted draft."""
        ref = self._draft_attachment_refs(draft_id).get(sha256)
        if ref is None:
            raise NotFoundError(key="core.no_draft_attachment",
                                params={"sha256": sha256[:12], "id": draft_id})
        return self.attachment_plaintext(ref.blob_sha256)

    def attachment_plaintext(self, blob_sha256: str) -> bytes:
        """Decrypt a captured attachment for display on the kiosk (preview)."""
        from kiosk.envelope import decrypt_attachment

        rows = self.read("SELECT meta, blob FROM attachments WHERE sha256 = ?", (blob_sha256,))
        if not rows or rows[0][1] is None:
            raise NotFoundError(key="core.no_attachment", params={"sha256": blob_sha256[:12]})
        m = self.atrest.open(rows[0][0], table="attachments", row_id=blob_sha256)
        return decrypt_attachment(rows[0][1], b64url_decode(m["key"]))
