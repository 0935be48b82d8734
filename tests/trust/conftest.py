from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.helpers import start_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator:
    srv = start_server(tmp_path / "central-data")
    yield srv
    srv.stop()


from tests.store.conftest import agency, device  # noqa: E402,F401 - shared fixtures
