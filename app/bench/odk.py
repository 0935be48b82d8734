"""ODK figures for ``kiosk bench --only odk`` (``run(quick, workdir) -> dict``).

Against the real ODK Central the repository carries for its tests
(``tests/servers/odk-central/central.sh start``, idempotent). When it is not there (an
installed wheel has no tests/) or cannot start, the suite says so and measures nothing — a stand-in server would give numbers about itself, not Central.

- ``loopback``: N submissions (~300 B of answers, the residence-change shape of
  app.bench.sync) finalized for an ODK form and delivered by one OdkDelivery round straight
  to Central on loopback: submissions per second, plain and managed-encrypted.
- ``link_2g``: the same 64 kbit/s, 300 ms each way link as app.bench.sync (the fault proxy,
  sync.linksim), both directions counted from the bytes the proxy carried. The kiosk
  (HEAD once per server, then one multipart POST per submission on one keep-alive
  connection) against a Collect-shaped client (HEAD before every submission, then the
  POST, as Collect does) sending the same instance XML to the same Central.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH_XFORM = """<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa"><h:head><h:title>Bench</h:title><model>
<instance><data id="{id}" version="1"><applicant_name/><register_number/><phone/><birth_date/>
<home/><address/><reason/><household_size/><consent/><meta><instanceID/></meta></data></instance>
<bind nodeset="/data/applicant_name" type="string"/><bind nodeset="/data/register_number" type="string"/>
<bind nodeset="/data/phone" type="string"/><bind nodeset="/data/birth_date" type="date"/>
<bind nodeset="/data/home" type="string"/><bind nodeset="/data/address" type="string"/>
<bind nodeset="/data/reason" type="string"/><bind nodeset="/data/household_size" type="int"/>
<bind nodeset="/data/consent" type="string"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body>
<input ref="/data/applicant_name"/><input ref="/data/register_number"/><input ref="/data/phone"/>
<input ref="/data/birth_date"/><input ref="/data/home"/><input ref="/data/address"/>
<input ref="/data/reason"/><input ref="/data/household_size"/><input ref="/data/consent"/>
</h:body></h:html>"""
NAMES = ("applicant_name", "register_number", "phone", "birth_date", "home", "address",
         "reason", "household_size", "consent")


@dataclass
class _Q:
    name: str
    type: str = "text"
    path: str = ""
    children: list[Any] = field(default_factory=list)


QUESTIONS = [_Q(n, path=f"/data/{n}") for n in NAMES]


def _central_env() -> dict[str, str] | None:
    import shlex

    script = Path(__file__).resolve().parents[2] / "tests" / "servers" / "odk-central" / "central.sh"
    if not script.is_file():
        return None
    proc = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True, timeout=900)
    if proc.returncode:
        return {"error": proc.stderr.strip()[-300:]}
    env = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.isupper() and value:
            env[key] = shlex.split(value)[0]
    return env


class _Admin:
    def __init__(self, env: dict[str, str]) -> None:
        self.base = env["ODK_BASE"]
        self.http = httpx.Client(base_url=self.base + "/v1", timeout=60)
        r = self.http.post("/sessions", json={"email": env["ODK_ADMIN_EMAIL"],
                                              "password": env["ODK_ADMIN_PASSWORD"]})
        r.raise_for_status()
        self.http.headers["Authorization"] = "Bearer " + r.json()["token"]

    def app_user_url(self, encrypted: bool) -> tuple[str, str]:
        pid = self.http.post("/projects", json={"name": f"bench-{uuid.uuid4().hex[:8]}"}) \
            .raise_for_status().json()["id"]
        if encrypted:
            self.http.post(f"/projects/{pid}/key", json={"passphrase": "bench-passphrase"}) \
                .raise_for_status()
        form_id = f"bench_{uuid.uuid4().hex[:8]}"
        self.http.post(f"/projects/{pid}/forms?publish=true",
                       content=BENCH_XFORM.replace("{id}", form_id).encode(),
                       headers={"Content-Type": "application/xml"}).raise_for_status()
        user = self.http.post(f"/projects/{pid}/app-users", json={"displayName": "bench"}) \
            .raise_for_status().json()
        role = next(r["id"] for r in self.http.get("/roles").json() if r["system"] == "app-user")
        self.http.post(f"/projects/{pid}/forms/{form_id}/assignments/{role}/{user['id']}") \
            .raise_for_status()
        return f"{self.base}/v1/key/{user['token']}/projects/{pid}", form_id


def _kiosk(root: Path, url: str, form_id: str) -> tuple[Any, Any, Any]:
    from kiosk.device import load_or_create_device
    from kiosk.paths import Home
    from kiosk.secrets import open_secrets
    from kiosk.store import Store
    from sync.odk import connection
    from sync.odk.openrosa import OpenRosaClient
    from sync.odk.xformmeta import read_meta

    home = Home(root).ensure()
    home.config_file.write_text('keyring_fallback = "encrypted-file"\n', "utf-8")
    os.environ.setdefault("KIOSK_SECRETS_PASSPHRASE", "bench-only-not-a-secret")
    connection.save(open_secrets(home.root), connection.parse_url(url))
    with OpenRosaClient(url) as client:
        entry = next(f for f in client.form_list() if f.form_id == form_id)
        meta = read_meta(client.get(entry.download_url)[1], source=form_id)
    store = Store.open(home)
    return home, store, (meta, load_or_create_device(store.secrets()))


def _fill(store: Any, meta: Any, device: Any, n: int) -> None:
    from app.bench.sync import answers_for
    from sync.odk.seal import finalize_odk

    for i in range(n):
        answers = dict(answers_for(i), consent="yes")
        finalize_odk(store, {"form_id": meta.form_id, "form_version": meta.version or "",
                             "answers": answers}, meta, QUESTIONS, device=device)


def _loopback(admin: _Admin, workdir: Path, n: int, encrypted: bool) -> dict[str, Any]:
    from sync.odk.deliver import open_delivery

    url, form_id = admin.app_user_url(encrypted)
    home, store, (meta, device) = _kiosk(workdir / f"loop-{int(encrypted)}", url, form_id)
    _fill(store, meta, device, n)
    delivery = open_delivery(home, store)
    assert delivery is not None
    started = time.perf_counter()
    report = delivery.run_once()
    elapsed = time.perf_counter() - started
    store.close()
    return {"submissions": n, "encrypted": encrypted, "seconds": round(elapsed, 3),
            "submissions_per_s": round(n / elapsed, 1), "accepted": report.accepted,
            "all_acknowledged": report.accepted == n}


def _link_2g(admin: _Admin, workdir: Path, n: int, scale: float) -> dict[str, Any]:
    from app.bench.sync import answers_for
    from sync.linksim import FaultProxy
    from sync.odk.deliver import open_delivery
    from sync.odk.instance import build_instance

    bandwidth, one_way = 8000.0 * scale, 0.300 / scale
    url, form_id = admin.app_user_url(False)
    host = url.split("://", 1)[1].split("/", 1)[0]
    with FaultProxy.to_url("http://" + host, latency=one_way, bandwidth=bandwidth) as proxy:
        proxied = proxy.url + "/" + url.split("://", 1)[1].split("/", 1)[1]
        home, store, (meta, device) = _kiosk(workdir / "link", proxied, form_id)
        _fill(store, meta, device, n)
        up0, down0 = proxy.bytes_up, proxy.bytes_down  # formList/form download excluded
        delivery = open_delivery(home, store)
        assert delivery is not None
        started = time.perf_counter()
        report = delivery.run_once()
        ours_s = time.perf_counter() - started
        ours = (proxy.bytes_up - up0, proxy.bytes_down - down0)
        store.close()
        up1, down1 = proxy.bytes_up, proxy.bytes_down
        requests = 0
        started = time.perf_counter()
        with httpx.Client(base_url=proxied, timeout=120,
                          headers={"X-OpenRosa-Version": "1.0"}) as client:
            for i in range(n):
                client.head("/submission").raise_for_status()
                xml, _ = build_instance(meta.template, QUESTIONS,
                                        dict(answers_for(i), consent="yes"),
                                        instance_id=f"uuid:{uuid.uuid4()}")
                reply = client.post("/submission", files={
                    "xml_submission_file": ("submission.xml", xml, "text/xml")})
                reply.raise_for_status()
                requests += 2
        collect_s = time.perf_counter() - started
        collect = (proxy.bytes_up - up1, proxy.bytes_down - down1)
    return {
        "submissions": n, "time_scale": scale, "bandwidth_bytes_per_s": bandwidth,
        "one_way_latency_s": one_way, "accepted": report.accepted,
        "kiosk": {"wire_bytes_up": ours[0], "wire_bytes_down": ours[1],
                  "wire_bytes_per_submission": round(sum(ours) / n),
                  "seconds": round(ours_s, 2),
                  "submissions_per_min_at_64kbit": round(n / ours_s * 60 / scale, 1)},
        "collect_shaped": {"shape": "HEAD + multipart POST per submission, keep-alive",
                           "requests": requests, "wire_bytes_up": collect[0],
                           "wire_bytes_down": collect[1],
                           "wire_bytes_per_submission": round(sum(collect) / n),
                           "seconds": round(collect_s, 2),
                           "submissions_per_min_at_64kbit":
                               round(n / collect_s * 60 / scale, 1)},
    }


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    env = _central_env()
    if env is None:
        return {"skipped": "no ODK Central here (tests/servers/odk-central/central.sh: "
                           "run from a checkout of the repository)"}
    if "error" in env:
        return {"skipped": f"ODK Central did not start: {env['error']}"}
    admin = _Admin(env)
    n = 20 if quick else 200
    return {
        "loopback_plain": _loopback(admin, workdir, n, False),
        "loopback_encrypted": _loopback(admin, workdir, n, True),
        "link_2g": _link_2g(admin, workdir, 5 if quick else 20, 10.0 if quick else 1.0),
    }
