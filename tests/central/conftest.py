"""The central suite runs on both storage backends: ``db_url`` is None (SQLite in the
data folder) or a fresh PostgreSQL database in the session's private cluster.

A test about one backend's own files says so with
``@pytest.mark.parametrize("db_url", [None], ids=["sqlite"])`` (a direct parameter
overrides this fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.conftest import kiosk  # noqa: F401  (shared fixture)
from tests.sync.helpers import start_server

SQLITE_ONLY = pytest.mark.parametrize("db_url", [None], ids=["sqlite"])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.needs_system)])
def db_url(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture
def server(tmp_path: Path, db_url: str | None) -> Iterator:
    srv = start_server(tmp_path / "central-data", database_url=db_url)
    yield srv
    srv.stop()
