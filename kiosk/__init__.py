"""Soum Kiosk core: forms, validators, local store, envelope, secrets, the Destination port.

The bottom floor: never imports Qt nor any floor above it (sync, ui, app; enforced
by import-linter's layers contract in CI), so the core can be scripted, tested and
reused headless.
"""

__version__ = "0.1.0"
