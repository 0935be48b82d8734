"""The reference central server (``kiosk-central``): Starlette + uvicorn on
SQLite (one node, the default) or PostgreSQL (several stateless nodes).

``app`` (endpoints), ``intake`` (verify + dedup + commit), ``attachments``
(resumable uploads), ``bundle_import``, ``catalog`` (signed listing), ``keys``,
``storage`` (SQLite) and ``db`` (the storage interface, PostgreSQL), ``decrypt`` (agency side), ``server`` (uvicorn runner), ``cli``.
"""
