"""Admin helpers for the real ODK Central the tests run against (REST, JSON bodies).

Only what a test needs to set the stage and to read the outcome back: projects,
managed encryption, publishing XForm XML, app users and assignments, submissions and
the decrypted CSV export. Everything the kiosk itself does goes through sync.odk.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx

_counter = itertools.count(1)


@dataclass
class AppUser:
    id: int
    token: str
    project_id: int
    url: str  # the OpenRosa base: {base}/v1/key/{token}/projects/{id}


class Central:
    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base.rstrip("/")
        self.api = self.base + "/v1"
        self._http = httpx.Client(timeout=60)
        r = self._http.post(self.api + "/sessions", json={"email": email, "password": password})
        r.raise_for_status()
        self._http.headers["Authorization"] = "Bearer " + r.json()["token"]

    def close(self) -> None:
        self._http.close()

    def _ok(self, r: httpx.Response) -> httpx.Response:
        if r.status_code >= 300:
            raise AssertionError(f"Central {r.request.method} {r.request.url.path}: "
                                 f"{r.status_code} {r.text[:300]}")
        return r

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self._ok(self._http.get(self.api + path, **kw))

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self._ok(self._http.post(self.api + path, **kw))

    def project(self, name: str = "", *, passphrase: str | None = None) -> int:
        pid = int(self.post("/projects", json={
            "name": name or f"kiosk-test-{os.getpid()}-{next(_counter)}"}).json()["id"])
        if passphrase is not None:
            self.post(f"/projects/{pid}/key", json={"passphrase": passphrase, "hint": "test"})
        return pid

    def publish(self, project_id: int, xform: bytes, attachments: dict[str, bytes] | None = None
                ) -> str:
        """Upload XForm XML (with any media it declares) and publish it; the xmlFormId."""
        attachments = attachments or {}
        if not attachments:
            r = self.post(f"/projects/{project_id}/forms?publish=true", content=xform,
                          headers={"Content-Type": "application/xml"})
            return str(r.json()["xmlFormId"])
        r = self.post(f"/projects/{project_id}/forms", content=xform,
                      headers={"Content-Type": "application/xml"})
        form_id = str(r.json()["xmlFormId"])
        for name, data in attachments.items():
            self._ok(self._http.post(
                f"{self.api}/projects/{project_id}/forms/{form_id}/draft/attachments/{name}",
                content=data, headers={"Content-Type": "application/octet-stream"}))
        self.post(f"/projects/{project_id}/forms/{form_id}/draft/publish")
        return form_id

    def app_user(self, project_id: int, form_ids: list[str], name: str = "kiosk") -> AppUser:
        data = self.post(f"/projects/{project_id}/app-users", json={"displayName": name}).json()
        for form_id in form_ids:
            self.assign(project_id, form_id, int(data["id"]))
        return AppUser(int(data["id"]), data["token"], project_id,
                       f"{self.base}/v1/key/{data['token']}/projects/{project_id}")

    def assign(self, project_id: int, form_id: str, app_user_id: int) -> None:
        roles = self.get("/roles").json()
        role = next(r["id"] for r in roles if r["system"] == "app-user")
        self.post(f"/projects/{project_id}/forms/{form_id}/assignments/{role}/{app_user_id}")

    def submissions(self, project_id: int, form_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/projects/{project_id}/forms/{form_id}/submissions").json())

    def count(self, project_id: int, form_id: str) -> int:
        r = self.get(f"/projects/{project_id}/forms/{form_id}.svc/Submissions",
                     params={"$top": "0", "$count": "true"})
        return int(r.json()["@odata.count"])

    def submission_xml(self, project_id: int, form_id: str, instance_id: str) -> bytes:
        return self.get(f"/projects/{project_id}/forms/{form_id}/submissions/"
                        f"{instance_id}.xml").content

    def attachment(self, project_id: int, form_id: str, instance_id: str, name: str) -> bytes:
        return self.get(f"/projects/{project_id}/forms/{form_id}/submissions/{instance_id}/"
                        f"attachments/{name}").content

    def decrypted_export(self, project_id: int, form_id: str, passphrase: str
                         ) -> tuple[dict[str, list[dict[str, str]]], dict[str, bytes]]:
        """(rows of each CSV by file name, media files by name) from the decrypting
        .csv.zip (the main table is ``{form_id}.csv``, a repeat ``{form_id}-{name}.csv``)."""
        keys = self.get(f"/projects/{project_id}/forms/{form_id}/submissions/keys").json()
        body = "&".join(f"{k['id']}={passphrase}" for k in keys)
        r = self.post(f"/projects/{project_id}/forms/{form_id}/submissions.csv.zip",
                      content=body.encode(),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        zf = zipfile.ZipFile(io.BytesIO(r.content))
        tables: dict[str, list[dict[str, str]]] = {}
        media: dict[str, bytes] = {}
        for info in zf.infolist():
            if info.filename.endswith(".csv"):
                text = zf.read(info).decode("utf-8-sig")
                tables[info.filename] = list(csv.DictReader(io.StringIO(text)))
            elif info.filename.startswith("media/"):
                media[info.filename.split("/", 1)[1]] = zf.read(info)
        return tables, media

    def plain_export(self, project_id: int, form_id: str) -> list[dict[str, str]]:
        r = self.get(f"/projects/{project_id}/forms/{form_id}/submissions.csv")
        return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def unassign(central: Central, project_id: int, form_id: str, app_user_id: int) -> None:
    """Take a form away from an app user: it drops out of that user's formList."""
    roles = central.get("/roles").json()
    role = next(r["id"] for r in roles if r["system"] == "app-user")
    r = central._http.delete(f"{central.api}/projects/{project_id}/forms/{form_id}/"
                             f"assignments/{role}/{app_user_id}")
    central._ok(r)
