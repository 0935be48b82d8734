"""Shared test helpers: a real central server on loopback, an enrolled kiosk, sealed items."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central.app import Limits, Settings
from central.server import RunningServer, start_in_thread
from kiosk.paths import Home, bundled_catalog_dir


def start_server(data: Path, *, accept_demo: bool = False, limits: Limits | None = None,
                 catalog: Path | None = None, database_url: str | None = None) -> RunningServer:
    settings = Settings(data, catalog or bundled_catalog_dir(), accept_demo=accept_demo,
                        limits=limits or Limits(), database_url=database_url)
    return start_in_thread(settings)


def enroll_code(server: RunningServer) -> str:
    code, _ = server.central.store.new_enroll_code(600)
    return code


@dataclass
class Kiosk:
    home: Home
    device: Any
    agency_jwk: dict[str, Any]

    def store(self) -> Any:
        from kiosk.store import Store

        return Store.open(self.home)


def enrolled_kiosk(server: RunningServer, home_root: Path, url: str | None = None) -> Kiosk:
    from kiosk.device import load_device
    from kiosk.secrets import open_secrets
    from sync.enrol import enroll

    home = Home(home_root).ensure()
    enroll(home, url or server.url, enroll_code(server))
    device = load_device(open_secrets(home.root))
    catalog = json.loads((home.catalog / "catalog.json").read_text("utf-8"))
    agency = next(iter(catalog["agencies"].values()))
    return Kiosk(home, device, agency["keys"][0])


def finalize(kiosk: Kiosk, store: Any, n: int, *, size: int = 200, demo: bool = False,
             form_id: str = "test-form") -> list[str]:
    ids = []
    for i in range(n):
        env = store.finalize(
            {"form_id": form_id, "form_version": "1",
             "answers": {"note": f"{i}:" + "x" * size}},
            device=kiosk.device, agency_jwk=kiosk.agency_jwk, demo=demo)
        ids.append(env.submission_id)
    return ids


def engine(kiosk: Kiosk, store: Any, *, url: str | None = None, **kwargs: Any) -> Any:
    from sync.runtime import open_engine

    eng = open_engine(kiosk.home, store=store, **kwargs)
    if url:
        eng.client.close()
        from sync.client import CentralClient

        eng.client = CentralClient(url, device=eng.client.device,
                                   server_key=eng.client.server_key,
                                   **(kwargs.get("client_kwargs") or {}))
    return eng


def server_ids(server: RunningServer) -> list[str]:
    return [r["submission_id"] for r in server.central.store.submissions()]
