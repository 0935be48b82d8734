from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.helpers import Kiosk, enrolled_kiosk, start_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator:
    srv = start_server(tmp_path / "central-data")
    yield srv
    srv.stop()


@pytest.fixture
def kiosk(server, isolated_home: Path) -> Kiosk:
    return enrolled_kiosk(server, isolated_home)
