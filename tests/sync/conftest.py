from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.helpers import Kiosk, enrolled_kiosk, start_server


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str | None:
    """None (SQLite in the data folder) unless a module parametrises it indirectly with
    "postgres" (then a fresh database in the session's private PostgreSQL cluster)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def server(tmp_path: Path, db_url: str | None) -> Iterator:
    srv = start_server(tmp_path / "central-data", database_url=db_url)
    yield srv
    srv.stop()


@pytest.fixture
def kiosk(server, isolated_home: Path) -> Kiosk:
    return enrolled_kiosk(server, isolated_home)
