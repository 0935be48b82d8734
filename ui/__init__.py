"""The kiosk's window: views, widgets, themes and the Qt bridge to background work.

The only floor that imports Qt, and only through ``ui.qt``. It uses the core
(``kiosk``) and the destinations (``sync``) and never reaches up to ``app``: what it
needs from the top floor (the doctor, the sync starter) is handed in by ``app.start``.
"""
