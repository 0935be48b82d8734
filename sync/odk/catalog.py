"""ODK forms in the local catalog: download what the server offers, when it changed.

Why so careful about bytes: a soum centre may only have a 2G link. The formList gives
an md5 hash per form and the media manifest one per file; anything whose hash we
already hold is not downloaded again. A download goes to a ``.part`` file and is
resumed with ``Range`` after a cut (a server that ignores Range just sends it whole);
a file counts only once its md5 matches the hash the server announced, and then it is
renamed into place, so a half-downloaded form is never offered.

Layout (in the data folder): ``odk/index.json`` (what we hold, by form id, and the
home-screen category chosen at connect), the download cache ``odk/forms/<id>.xml`` and
``odk/forms/<id>-media/<file>``. A complete form that the XForm reader accepts is then
installed into the local catalog (kiosk.forms.local_catalog, origin ``odk``), where
the home screen offers it in its category. A form the server no longer lists is marked
``withdrawn`` and taken out of the local catalog, so it stops being offered; its cached
files stay, and queued submissions (whose bytes were fixed at finalize) are delivered.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from kiosk.errors import KioskError
from sync.client import AuthRefused, SyncError, Unreachable
from sync.odk.openrosa import DeadlineExceeded, FormEntry, OpenRosaClient, TooLarge

log = logging.getLogger("sync.odk")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# a media name as ODK Central takes it (Unicode letters, spaces …), as one path component
_SAFE_MEDIA = re.compile(r"^[^\x00-\x1f\x7f/\\:*?\"<>|]{1,120}$")
CHUNK_LIMIT = 64 * 1024 * 1024  # no single form file above this
PULL_QUOTA = 256 * 1024 * 1024  # bytes one pull may download, all files together
MAX_CACHE_BYTES = 1024 * 1024 * 1024  # all cached ODK forms and media of this kiosk
PULL_BUDGET = 300.0  # seconds one pull may take; the rest waits for the next round
MAX_FORMS = 200  # forms of one formList considered; a longer list is a server's mistake


class QuotaUsed(TooLarge):
    """This pull downloaded all it may (PULL_QUOTA): the rest waits for the next round."""


def odk_dir(home: Any) -> Path:
    return Path(home.root) / "odk"


def _unsafe(name: str, what: str) -> KioskError:
    shown = name[:80].encode("ascii", "backslashreplace").decode("ascii")
    return KioskError(key="wire.odk_unsafe_name", params={"what": what, "name": repr(shown)})


def _safe_name(name: str, what: str) -> str:
    if not _SAFE.match(name) or name in (".", ".."):
        raise _unsafe(name, what)
    return name


def safe_media_name(name: str) -> str:
    """The local name of a media file: the server's name in Unicode NFC (Mongolian
    Cyrillic, spaces) when it is one harmless path component, else refused."""
    name = unicodedata.normalize("NFC", name)
    if (not _SAFE_MEDIA.match(name) or name.strip(". ") == "" or name[0] in ". "
            or len(name.encode("utf-8")) > 240):
        raise _unsafe(name, "media file")
    return name


@dataclass
class PullReport:
    downloaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    media_files: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)
    quota: int = PULL_QUOTA  # bytes this pull may download (less when the cache is full)

    def as_dict(self) -> dict[str, Any]:
        return {"downloaded": self.downloaded, "unchanged": self.unchanged,
                "withdrawn": self.withdrawn, "media_files": self.media_files,
                "bytes": self.bytes, "problems": self.problems}


class LocalCatalog:
    """``odk/index.json`` and the files beside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.index_file = root / "index.json"

    def index(self) -> dict[str, Any]:
        try:
            data = json.loads(self.index_file.read_text("utf-8"))
        except FileNotFoundError:
            return {"v": 1, "forms": {}}
        except ValueError:
            log.warning("odk/index.json is damaged; forms will be downloaded again")
            return {"v": 1, "forms": {}}
        return data if isinstance(data, dict) and isinstance(data.get("forms"), dict) \
            else {"v": 1, "forms": {}}

    def save(self, index: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.index_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(index, indent=1, sort_keys=True), "utf-8")
        os.replace(tmp, self.index_file)

    def form_file(self, form_id: str) -> Path:
        return self.root / "forms" / f"{_safe_name(form_id, 'form')}.xml"

    def media_dir(self, form_id: str) -> Path:
        return self.root / "forms" / f"{_safe_name(form_id, 'form')}-media"

    def media_file(self, form_id: str, name: str) -> Path:
        return self.media_dir(form_id) / safe_media_name(name)

    def offered(self) -> list[dict[str, Any]]:
        """Forms to show residents: downloaded and not withdrawn."""
        return [dict(v, form_id=k) for k, v in sorted(self.index()["forms"].items())
                if not v.get("withdrawn") and self.form_file(k).is_file()]


def _md5_matches(data: bytes, announced: str) -> bool:
    if not announced:
        return True
    algo, _, value = announced.partition(":")
    if not value:
        algo, value = "md5", announced
    if algo != "md5":
        return True  # a hash we do not know: nothing to check against
    return hashlib.md5(data).hexdigest() == value.lower()  # noqa: S324 - OpenRosa's change hash


def download(client: OpenRosaClient, url: str, dest: Path, announced_hash: str,
             limit: int = CHUNK_LIMIT) -> int:
    """Fetch ``url`` into ``dest`` via ``dest.part`` (resumed after a plain cut; removed
    when the file was too big, too slow or wrong); bytes received. Only a file whose md5
    matches the announced hash is moved into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if limit <= 0:
        raise QuotaUsed(key="wire.odk_quota_used", params={"name": dest.name})
    try:
        got = client.fetch_to(url, part, limit)
    except TooLarge as exc:
        part.unlink(missing_ok=True)
        if limit < CHUNK_LIMIT:
            used = QuotaUsed(key="wire.odk_quota_used", params={"name": dest.name})
            used.received = exc.received
            raise used from None
        raise
    except DeadlineExceeded:
        part.unlink(missing_ok=True)
        raise
    data = part.read_bytes()
    if not _md5_matches(data, announced_hash):
        part.unlink(missing_ok=True)
        raise KioskError(key="wire.odk_hash_mismatch", params={"name": dest.name})
    os.replace(part, dest)
    return got


def pull_forms(home: Any, client: OpenRosaClient, *, now: float | None = None,
               category: str | None = None) -> PullReport:
    """One pass over the server's formList (see the module doc). ``category``: the home
    screen category for this server's forms (kept in the index for later pulls)."""
    local = LocalCatalog(odk_dir(home))
    index = local.index()
    if category:
        index["category"] = category
    held: dict[str, Any] = index["forms"]
    report = PullReport(quota=min(PULL_QUOTA, MAX_CACHE_BYTES - _cache_bytes(local)))
    client.deadline = time.monotonic() + PULL_BUDGET
    try:
        offered = _usable_entries(client.form_list(), report)
        seen = {entry.form_id for entry in offered}
        for entry in offered[:MAX_FORMS]:
            if time.monotonic() > client.deadline:
                report.problems.append("the pull took too long; the other forms come in the "
                                       "next round")
                break
            _pull_isolated(home, client, local, index, entry, report, now)
    finally:
        client.deadline = None
    index["forms_pulled_at"] = now or time.time()
    for form_id, info in held.items():
        if form_id not in seen and not info.get("withdrawn"):
            info["withdrawn"] = True
            report.withdrawn.append(form_id)
            if info.get("kiosk_id"):
                from kiosk.forms.local_catalog import remove

                remove(Path(home.root), str(info["kiosk_id"]))
    local.save(index)
    return report


def _usable_entries(offered: list[FormEntry], report: PullReport) -> list[FormEntry]:
    out = []
    for entry in offered:
        try:
            _safe_name(entry.form_id, "form")
        except KioskError as exc:
            report.problems.append(str(exc))
            continue
        out.append(entry)
    if len(out) > MAX_FORMS:
        report.problems.append(f"the server lists {len(out)} forms; only the first "
                               f"{MAX_FORMS} are taken")
    return out


def _refusal_key(entry: FormEntry) -> str:
    return "\x1f".join((entry.hash, entry.version, entry.download_url))


def _pull_isolated(home: Any, client: OpenRosaClient, local: LocalCatalog,
                   index: dict[str, Any], entry: FormEntry, report: PullReport,
                   now: float | None) -> None:
    """One form: whatever it does (too deep, too big, too slow, not a form) is its own
    problem, reported once and then skipped until the server offers another version. A
    refused login or a lost link stops the whole pull (the other forms would fail too)."""
    held: dict[str, Any] = index["forms"]
    info = held.get(entry.form_id) or {}
    if info.get("refused") == _refusal_key(entry):
        return
    try:
        changed = _pull_one(client, local, held, entry, report)
        _offer(home, local, held[entry.form_id], entry.form_id,
               str(index.get("category") or ""), report, changed)
    except (AuthRefused, Unreachable):
        raise
    except (QuotaUsed, DeadlineExceeded) as exc:  # tried again next round
        report.bytes += exc.received
        report.problems.append(f"{entry.form_id}: {exc}")
        return
    except (TooLarge, KioskError, RecursionError, MemoryError, ValueError, OSError) as exc:
        report.bytes += getattr(exc, "received", 0)
        _refuse(local, index, entry, report, exc)
        return
    except SyncError as exc:  # a cut, a busy server, a 404: tried again next round
        report.problems.append(f"{entry.form_id}: {exc}")
        return
    (report.downloaded if changed else report.unchanged).append(entry.form_id)
    held[entry.form_id]["pulled_at"] = now or time.time()
    local.save(index)  # after each form: a cut link keeps what is complete


def _refuse(local: LocalCatalog, index: dict[str, Any], entry: FormEntry, report: PullReport,
            exc: BaseException) -> None:
    why = str(exc) if isinstance(exc, KioskError | OSError | TooLarge) else \
        f"the form cannot be read ({type(exc).__name__})"
    report.problems.append(f"{entry.form_id}: {why}")
    info = index["forms"].setdefault(entry.form_id, {"media": {}, "withdrawn": False})
    info["refused"] = _refusal_key(entry)
    if not info.get("kiosk_id"):  # never usable: its bytes are of no use to anyone
        local.form_file(entry.form_id).unlink(missing_ok=True)
        shutil.rmtree(local.media_dir(entry.form_id), ignore_errors=True)
        info["media"], info["hash"] = {}, None
    local.save(index)


def referenced(form_xml: bytes, name: str) -> bool:
    """Whether the form names media file ``name`` (as is, XML-escaped or URL-encoded, or
    its stem quoted as ``pulldata('villages', …)`` and ``search('villages')`` name a CSV):
    a file the form never uses is not downloaded."""
    text = form_xml.decode("utf-8", "replace")
    if any(v in text for v in {name, escape(name), quote(name)}):
        return True
    stem = name.rsplit(".", 1)[0]
    return bool(stem) and any(f"{q}{stem}{q}" in text for q in ("'", '"', "&apos;", "&quot;"))


def _pull_one(client: OpenRosaClient, local: LocalCatalog, held: dict[str, Any],
              entry: FormEntry, report: PullReport) -> bool:
    info = held.get(entry.form_id) or {}
    changed = False
    form_file = local.form_file(entry.form_id)
    if info.get("hash") != entry.hash or not form_file.is_file():
        report.bytes += download(client, entry.download_url, form_file, entry.hash,
                                 _left(report))
        changed = True
    media = dict(info.get("media") or {})
    if entry.manifest_url:
        form_xml = form_file.read_bytes()
        wanted = [m for m in client.manifest(entry.manifest_url)
                  if referenced(form_xml, m.filename)]
        folder = local.media_dir(entry.form_id)
        for m in wanted:
            name = safe_media_name(m.filename)
            if media.get(name) == m.hash and (folder / name).is_file():
                continue
            report.bytes += download(client, m.download_url, folder / name, m.hash,
                                     _left(report))
            media[name] = m.hash
            report.media_files += 1
            changed = True
        for stale in set(media) - {safe_media_name(m.filename) for m in wanted}:
            media.pop(stale, None)
            (folder / stale).unlink(missing_ok=True)
    held[entry.form_id] = {"hash": entry.hash, "version": entry.version, "name": entry.name,
                           "media": media, "withdrawn": False,
                           "pulled_at": info.get("pulled_at"),
                           "kiosk_id": info.get("kiosk_id"), "usable": info.get("usable")}
    return changed


def _left(report: PullReport) -> int:
    return min(CHUNK_LIMIT, report.quota - report.bytes)


def _cache_bytes(local: LocalCatalog) -> int:
    folder = local.root / "forms"
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) \
        if folder.is_dir() else 0


def _offer(home: Any, local: LocalCatalog, info: dict[str, Any], form_id: str, category: str,
           report: PullReport, changed: bool) -> None:
    """Install a complete download into the local catalog (the home screen offers it);
    a form the XForm reader refuses is reported once and not offered."""
    from kiosk.forms.local_catalog import Source, check_source, install, local_dir
    from kiosk.forms.model import FormLoadError

    kiosk_id = info.get("kiosk_id")
    if not changed and info.get("usable") is False:
        return
    if not changed and kiosk_id and (local_dir(Path(home.root)) / kiosk_id / "form.xml").is_file():
        return
    path = local.form_file(form_id)
    source = Source(path, path.read_bytes())
    try:
        form = check_source(source)
    except FormLoadError as exc:
        info["usable"] = False
        report.problems.append(f"{form_id}: the kiosk cannot use this form: {exc}")
        return
    install(Path(home.root), source, form, category=category, agency="", origin="odk")
    info["kiosk_id"], info["usable"] = form.id, True


def withdrawn_form(home: Any, kiosk_id: str) -> Any:
    """The FormDef of a form the server withdrew, from the download cache, or None — so
    staff can still finish its interrupted drafts (it is no longer offered to residents)."""
    from kiosk.forms.model import FormLoadError
    from kiosk.forms.xform_read import read_xform

    local = LocalCatalog(odk_dir(home))
    for form_id, info in local.index()["forms"].items():
        if not info.get("withdrawn") or info.get("kiosk_id") != kiosk_id:
            continue
        path = local.form_file(form_id)
        try:
            form = read_xform(path.read_bytes(), source=f"odk/forms/{path.name}",
                              media_dir=local.media_dir(form_id))
        except (OSError, FormLoadError) as exc:
            log.warning("withdrawn ODK form %s cannot be read: %s", form_id, exc)
            return None
        form.category, form.agency = "", ""
        return form
    return None
