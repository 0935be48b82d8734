"""Storage backends of kiosk-central: one interface (``sql.SqlStore``), two implementations.

SQLite (``central.storage.CentralStore``) is the embedded default: one node, a data
folder. PostgreSQL (``central.db.postgres.PgStore``) holds *all* shared state so any
number of stateless ``kiosk-central serve`` nodes behave as one server. Both speak
the same portable SQL (``?`` placeholders; the PostgreSQL side translates), so the
rules — dedup, replay, revocation, one transaction per request — are written once.
``central.backend.open_backend`` picks one from ``--database-url``.
"""
