"""Sub-commands of ``kiosk`` that belong to the core (see kiosk.cli)."""
