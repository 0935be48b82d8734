from tests.sync.conftest import kiosk, server  # noqa: F401  (shared fixtures)
