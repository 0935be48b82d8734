"""Soum Kiosk core: forms, validators, local store, envelope, secrets, CLI.

Never imports Qt (enforced by import-linter in CI) so that the core can be
scripted, tested and reused headless.
"""

__version__ = "0.1.0"
