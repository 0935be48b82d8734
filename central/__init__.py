"""The reference central server (``kiosk-central``): Starlette + uvicorn + SQLite.

``app`` (endpoints), ``intake`` (verify + dedup + commit), ``attachments``
(resumable uploads), ``bundle_import``, ``catalog`` (signed listing), ``keys``,
``storage``, ``decrypt`` (agency side), ``server`` (uvicorn runner), ``cli``.
"""
