"""Sync: the destinations behind the core's port, the central API contract and
the kiosk's side of delivery (no Qt, ever).

- ``contract/openapi.yaml``: the API both sides are tested against (docs/api.md).
- ``auth``: request signatures (device key) and server signatures (pinned key).
- ``client``: HTTP with every failure classified; ``engine``: one sync round;
  ``loop``: the background thread the UI drives; ``runtime``: wiring for this kiosk.
- ``enrol``, ``catalog_pull``, ``probe``, ``state``: enrolment, signed catalog,
  connectivity / captive-portal check, last-known sync state.
- ``bundles``, ``media``: removable-media export and acknowledgement import.
- ``central_destination``, ``odk``: the two adapters behind the core's Destination port;
  ``retry``: the one retry/backoff policy; ``report``: a round's counts.
- ``linksim``: the fault-injecting TCP proxy (tests and bench).
"""
