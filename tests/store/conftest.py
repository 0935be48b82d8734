"""Shared pieces for the store tests: a store in the test's home, a demo agency."""

from __future__ import annotations

import pytest
from joserfc.jwk import ECKey

from kiosk.device import load_or_create_device
from kiosk.paths import home
from kiosk.secrets import open_secrets
from kiosk.store import Store


@pytest.fixture
def store(isolated_home):
    s = Store.open(home(isolated_home))
    yield s
    s.close()


@pytest.fixture
def device():
    return load_or_create_device(open_secrets())


@pytest.fixture
def agency():
    key = ECKey.generate_key("P-256")
    private = dict(key.as_dict(private=True), kid="agency-test-1")
    public = dict(key.as_dict(private=False), kid="agency-test-1", use="enc")
    return private, public


def document(**answers):
    return {"form_id": "test-form", "form_version": "1", "answers": answers}
