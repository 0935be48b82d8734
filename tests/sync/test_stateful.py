"""Hypothesis state machine: finalize / send / lost reply / reset / crash+restart /
export / import / acks, against a real server through the fault proxy.

After every step: what the server holds for this kiosk is a subset of what was
finalized, never twice, and every acknowledged item is on the server. At the end,
after one clean round, the server's set equals the finalized set exactly.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from kiosk.paths import Home
from tests.sync.faultproxy import Fault, FaultProxy
from tests.sync.helpers import Kiosk, engine, enroll_code

SUBMIT = b"POST /v1/submissions"


def test_server_set_always_matches_finalized_set(server, tmp_path):
    proxy = FaultProxy.to_url(server.url)

    class Machine(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            import json

            from kiosk.device import load_device
            from kiosk.secrets import API_CREDENTIALS, DEVICE_KEY, SERVER_KEY, open_secrets
            from sync.enrol import enroll

            root = tmp_path / uuid.uuid4().hex[:8]
            self.home = Home(root).ensure()
            secrets = open_secrets(root)
            for name in (DEVICE_KEY, API_CREDENTIALS, SERVER_KEY):
                secrets.delete(name)  # a new kiosk (device key) per example
            enroll(self.home, server.url, enroll_code(server))
            device = load_device(secrets)
            cat = json.loads((self.home.catalog / "catalog.json").read_text("utf-8"))
            agency = next(iter(cat["agencies"].values()))
            self.kiosk = Kiosk(self.home, device, agency["keys"][0])
            self.store = self.kiosk.store()
            self.finalized: set[str] = set()
            self.bundles: list[Path] = []

        def _engine(self):
            # engine time jumps a week per round: every retry scheduled before is due
            self.now = getattr(self, "now", time.time()) + 7 * 86400
            now = self.now
            return engine(self.kiosk, self.store, url=proxy.url, clock=lambda: now,
                          client_kwargs={"timeout": 2.0, "connect_timeout": 2.0})

        def _round(self) -> None:
            eng = self._engine()
            try:
                eng.run_once()
            finally:
                eng.client.close()

        def server_ids(self) -> list[str]:
            return [r["submission_id"] for r in server.central.store.submissions()
                    if r["device_id"] == self.kiosk.device.device_id]

        @rule(n=st.integers(1, 3))
        def finalize(self, n: int) -> None:
            for _ in range(n):
                env = self.store.finalize(
                    {"form_id": "test-form", "form_version": "1", "answers": {"n": len(
                        self.finalized)}},
                    device=self.kiosk.device, agency_jwk=self.kiosk.agency_jwk, demo=False)
                self.finalized.add(env.submission_id)

        @rule()
        def send(self) -> None:
            self._round()

        @rule()
        def send_reply_lost(self) -> None:
            proxy.inject(Fault("reset_down", at=0, match=SUBMIT))
            self._round()

        @rule(at=st.integers(0, 400))
        def send_request_cut(self, at: int) -> None:
            proxy.inject(Fault("reset_up", at=at, match=SUBMIT))
            self._round()

        @rule()
        def crash_and_restart(self) -> None:
            self.store.conn.close()  # no orderly shutdown of anything else
            self.store = self.kiosk.store()

        @rule()
        def export(self) -> None:
            from sync.media import export_queue

            out = self.home.root / f"bundle-{len(self.bundles)}.ndjson"
            export_queue(self.home, self.store, out, device=self.kiosk.device)
            self.bundles.append(out)

        @rule(which=st.integers(0, 5))
        def import_bundle(self, which: int) -> None:
            from central.bundle_import import import_bundle_bytes

            if self.bundles:
                bundle = self.bundles[which % len(self.bundles)]
                import_bundle_bytes(server.central, bundle.read_bytes())

        @rule()
        def carry_acks_back(self) -> None:
            from sync.auth import import_public
            from sync.media import import_acks

            path = self.home.root / "acks.json"
            rows = server.central.store.submissions()
            import json

            path.write_text(json.dumps({"format": "soum-kiosk-acks/1", "acks": [
                {"device_id": r["device_id"], "submission_id": r["submission_id"],
                 "receipt": r["receipt"]} for r in rows]}))
            key = import_public(server.central.key.as_dict(private=False))
            import_acks(self.store, path, device_id=self.kiosk.device.device_id, server_key=key)

        @invariant()
        def server_holds_a_subset_never_twice(self) -> None:
            if not hasattr(self, "store"):
                return
            ids = self.server_ids()
            assert len(ids) == len(set(ids))
            assert set(ids) <= self.finalized
            acked = {r["id"] for r in self.store.submissions("acknowledged", limit=10**6)}
            assert acked <= set(ids)

        def teardown(self) -> None:
            if not hasattr(self, "store"):
                return
            self._round()  # one clean round drains whatever is left
            assert sorted(self.server_ids()) == sorted(self.finalized)
            assert self.store.counts()["acknowledged"] == len(self.finalized)
            self.store.close()

    try:
        run_state_machine_as_test(Machine, settings=settings(
            max_examples=8, stateful_step_count=12, deadline=None,
            suppress_health_check=list(HealthCheck)))
    finally:
        proxy.stop()
