"""Sub-commands of ``kiosk``, one module each (listed in app.cli.command_modules)."""
