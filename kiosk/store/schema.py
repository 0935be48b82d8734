"""The database schema as forward-only migrations (``PRAGMA user_version``).

Rules: never edit a released step, only append one; each step runs inside the
single upgrade transaction (SQLite DDL is transactional), so a failure leaves
the old schema exactly as it was. Every earlier version has a fixture DB in
tests/store/fixtures/ that the tests upgrade to the newest.

History:
  1  first schema: settings, catalog cache, drafts, submissions/outbox,
     attachments, audit log
  2  receipts table; retention tombstones (purged_at) on submissions
  3  draft state (open/interrupted) for power-cut recovery; outbox index
  4  submission counts per (state, demo) kept by triggers, so status screens
     and ``counts()`` cost the same at 100,000 rows as at 10; an index for
     the newest error
  5  the ``held`` state (a server cannot take a submission now for a reason an
     operator can fix) with its reason code ``held_reason``: the submissions
     table is rebuilt (SQLite cannot change a CHECK), its indexes and count
     triggers made again; the due index includes ``held``
  6  the destination a submission was made for (``dest_server``, ``dest_project``:
     an ODK server and project; NULL for rows made before, which belong to the
     connection the kiosk has) and ``exported_at`` (written to removable media by
     ``kiosk export --odk``), so a kiosk connected elsewhere never delivers a
     submission to a project it was not made for
"""

from __future__ import annotations

# The per-state counts follow every insert, delete and state change (schema 3 makes them;
# a table rebuild (schema 5) drops them with the table and makes them again).
_COUNT_TRIGGERS = [
    """CREATE TRIGGER submission_counts_insert AFTER INSERT ON submissions BEGIN
        INSERT INTO submission_counts (state, demo, n) VALUES (NEW.state, NEW.demo, 1)
            ON CONFLICT (state, demo) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER submission_counts_delete AFTER DELETE ON submissions BEGIN
        UPDATE submission_counts SET n = n - 1
            WHERE state = OLD.state AND demo = OLD.demo;
    END""",
    """CREATE TRIGGER submission_counts_update AFTER UPDATE OF state, demo ON submissions
    WHEN OLD.state IS NOT NEW.state OR OLD.demo IS NOT NEW.demo BEGIN
        UPDATE submission_counts SET n = n - 1
            WHERE state = OLD.state AND demo = OLD.demo;
        INSERT INTO submission_counts (state, demo, n) VALUES (NEW.state, NEW.demo, 1)
            ON CONFLICT (state, demo) DO UPDATE SET n = n + 1;
    END""",
]

MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )""",
            """CREATE TABLE catalog_cache (
                id TEXT PRIMARY KEY,
                version TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                body TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            # answers live only in `sealed` (AES-GCM with the data key)
            """CREATE TABLE drafts (
                id TEXT PRIMARY KEY,
                form_id TEXT NOT NULL,
                form_version TEXT NOT NULL,
                demo INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                sealed BLOB NOT NULL
            )""",
            """CREATE TABLE submissions (
                id TEXT PRIMARY KEY,
                form_id TEXT NOT NULL,
                form_version TEXT NOT NULL,
                device_id TEXT NOT NULL,
                agency_kid TEXT NOT NULL,
                demo INTEGER NOT NULL DEFAULT 0,
                finalized_at TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN
                    ('sealed','queued','sent','acknowledged','rejected','purged')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL DEFAULT 0,
                last_error TEXT,
                sent_at REAL,
                acknowledged_at REAL,
                server_receipt TEXT,
                payload_sha256 TEXT NOT NULL,
                jwe_sha256 TEXT NOT NULL,
                jwe TEXT,
                record TEXT NOT NULL,
                attachments TEXT NOT NULL DEFAULT '[]',
                size INTEGER NOT NULL
            )""",
            # blob: AES-GCM ciphertext under a per-attachment key; meta: that key and
            # the file's name/type/hash, sealed with the data key
            """CREATE TABLE attachments (
                sha256 TEXT PRIMARY KEY,
                size INTEGER NOT NULL,
                draft_id TEXT,
                submission_id TEXT,
                created_at TEXT NOT NULL,
                meta BLOB NOT NULL,
                blob BLOB
            )""",
            "CREATE INDEX idx_attachments_draft ON attachments(draft_id)",
            "CREATE INDEX idx_attachments_submission ON attachments(submission_id)",
            """CREATE TABLE audit_log (
                seq INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                event TEXT NOT NULL,
                subject TEXT,
                details TEXT NOT NULL DEFAULT '{}',
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )""",
        ],
    ),
    (
        2,
        [
            """CREATE TABLE receipts (
                submission_id TEXT PRIMARY KEY,
                qr TEXT NOT NULL,
                created_at TEXT NOT NULL,
                server_receipt TEXT
            )""",
            "ALTER TABLE submissions ADD COLUMN purged_at REAL",
        ],
    ),
    (
        3,
        [
            # drafts from before v3 were written by a run that has ended: they are
            # interrupted and must be offered to staff, never to the next applicant
            "ALTER TABLE drafts ADD COLUMN state TEXT NOT NULL DEFAULT 'interrupted'",
            # next_batch walks this partial index in order and stops at LIMIT
            "CREATE INDEX idx_outbox_due ON submissions(next_attempt_at, id) "
            "WHERE state IN ('sealed', 'queued', 'sent')",
            # counts() and the oldest unsent ID without touching the (large) rows
            "CREATE INDEX idx_submissions_state ON submissions(state, id)",
            "CREATE INDEX idx_submissions_demo ON submissions(state) WHERE demo = 1",
            # retention finds old acknowledgements only
            "CREATE INDEX idx_submissions_ack ON submissions(acknowledged_at) "
            "WHERE state = 'acknowledged'",
        ],
    ),
    (
        4,
        [
            # one row per (state, demo); triggers keep it exact inside every write
            # transaction, so a crash can never leave it out of step with the rows
            """CREATE TABLE submission_counts (
                state TEXT NOT NULL,
                demo INTEGER NOT NULL,
                n INTEGER NOT NULL,
                PRIMARY KEY (state, demo)
            ) WITHOUT ROWID""",
            "INSERT INTO submission_counts (state, demo, n) "
            "SELECT state, demo, COUNT(*) FROM submissions GROUP BY state, demo",
            *_COUNT_TRIGGERS,
            # last_error(): the newest error of an unsent or rejected item, by index
            "CREATE INDEX idx_submissions_error ON submissions(next_attempt_at) "
            "WHERE last_error IS NOT NULL AND state IN ('queued', 'rejected')",
        ],
    ),
    (
        5,
        [
            """CREATE TABLE submissions_v5 (
                id TEXT PRIMARY KEY,
                form_id TEXT NOT NULL,
                form_version TEXT NOT NULL,
                device_id TEXT NOT NULL,
                agency_kid TEXT NOT NULL,
                demo INTEGER NOT NULL DEFAULT 0,
                finalized_at TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN
                    ('sealed','queued','sent','held','acknowledged','rejected','purged')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at REAL NOT NULL DEFAULT 0,
                last_error TEXT,
                sent_at REAL,
                acknowledged_at REAL,
                server_receipt TEXT,
                payload_sha256 TEXT NOT NULL,
                jwe_sha256 TEXT NOT NULL,
                jwe TEXT,
                record TEXT NOT NULL,
                attachments TEXT NOT NULL DEFAULT '[]',
                size INTEGER NOT NULL,
                purged_at REAL,
                held_reason TEXT
            )""",
            "INSERT INTO submissions_v5 (id, form_id, form_version, device_id, agency_kid, demo, finalized_at, state, attempts, next_attempt_at, last_error, sent_at, acknowledged_at, server_receipt, payload_sha256, jwe_sha256, jwe, record, attachments, size, purged_at) "
            "SELECT id, form_id, form_version, device_id, agency_kid, demo, finalized_at, state, attempts, next_attempt_at, last_error, sent_at, acknowledged_at, server_receipt, payload_sha256, jwe_sha256, jwe, record, attachments, size, purged_at FROM submissions",
            # dropping the table drops its indexes and triggers; made again below
            "DROP TABLE submissions",
            "ALTER TABLE submissions_v5 RENAME TO submissions",
            "CREATE INDEX idx_outbox_due ON submissions(next_attempt_at, id) "
            "WHERE state IN ('sealed', 'queued', 'sent', 'held')",
            "CREATE INDEX idx_submissions_state ON submissions(state, id)",
            "CREATE INDEX idx_submissions_demo ON submissions(state) WHERE demo = 1",
            "CREATE INDEX idx_submissions_ack ON submissions(acknowledged_at) "
            "WHERE state = 'acknowledged'",
            "CREATE INDEX idx_submissions_error ON submissions(next_attempt_at) "
            "WHERE last_error IS NOT NULL AND state IN ('queued', 'rejected')",
            *_COUNT_TRIGGERS,
        ],
    ),
]

MIGRATIONS.append((
    6,
    [
        "ALTER TABLE submissions ADD COLUMN dest_server TEXT",
        "ALTER TABLE submissions ADD COLUMN dest_project TEXT",
        "ALTER TABLE submissions ADD COLUMN exported_at REAL",
    ],
))

SCHEMA_VERSION = MIGRATIONS[-1][0]
