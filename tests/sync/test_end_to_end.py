"""Enrol, finalize, sync over real loopback HTTP: exactly once, receipts verified."""

from __future__ import annotations

import pytest

from tests.sync.helpers import engine, finalize, server_ids

# the whole kiosk -> kiosk-central path on both storage backends
pytestmark = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.needs_system)],
    indirect=True)


def test_enrol_pins_server_and_installs_signed_catalog(server, kiosk):
    from kiosk.secrets import SERVER_KEY, open_secrets

    pinned = open_secrets(kiosk.home.root).get_json(SERVER_KEY)
    assert pinned["x"] == server.central.key.as_dict(private=False)["x"]
    assert (kiosk.home.catalog / "catalog.json").exists()
    assert kiosk.agency_jwk["kty"] == "EC"  # the server's own agency key, not the demo one
    assert "demo" not in kiosk.agency_jwk["kid"]


def test_sync_once_delivers_everything_exactly_once(server, kiosk):
    store = kiosk.store()
    ids = finalize(kiosk, store, 25)
    eng = engine(kiosk, store)
    report = eng.run_once()
    assert report.state == "ok", report.error
    assert report.accepted == 25
    assert sorted(server_ids(server)) == sorted(ids)
    assert store.counts()["acknowledged"] == 25
    again = eng.run_once()
    assert again.sent == 0 and server.central.store.count() == 25


def test_downloaded_catalog_loads_with_the_forms_engine(server, kiosk):
    from kiosk.config import Config
    from kiosk.forms.loader import active_catalog_dir, load_catalog

    folder = active_catalog_dir(kiosk.home, Config())
    assert folder == kiosk.home.catalog
    catalog = load_catalog(folder)
    assert catalog.problems == []
    assert len(catalog.forms) >= 1
    assert all(a["demo"] is False for a in json_agencies(kiosk))  # server's own keys


def json_agencies(kiosk):
    import json

    data = json.loads((kiosk.home.catalog / "catalog.json").read_text("utf-8"))
    return list(data["agencies"].values())
