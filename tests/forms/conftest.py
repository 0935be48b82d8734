"""Fixtures shared by the forms tests."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

#: Ulaanbaatar (east of UTC, the kiosk's home; summer time in 2015) and Denver (west of
#: UTC, with summer time): a date taken through a number moves by a day one way or the other.
ZONES = ("Asia/Ulaanbaatar", "America/Denver")


@pytest.fixture(params=ZONES)
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process's time zone, as a kiosk configured for it has."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()
