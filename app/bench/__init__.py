"""Bench suites of the core, run by ``kiosk bench``."""
