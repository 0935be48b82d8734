"""ODK ``start``/``today`` say when the resident began, ``end`` when they finished, as
Collect's preloaders fill them (issue 22): agencies compute interview durations from
end - start. Each test builds the submission with the real sealer into a real store
(SQLite file, sealed at rest) and reads the instance XML back as it would be sent."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, datetime, timedelta

from kiosk.device import load_or_create_device
from kiosk.forms import FormSession
from kiosk.forms.expr_values import local_tz
from kiosk.forms.xform_read import read_xform
from kiosk.paths import home
from kiosk.store import Store
from sync.odk.seal import finalize_form, meta_values, open_wire
from sync.odk.xformmeta import odk_meta
from tests.forms.test_xform_read import xform

DAY1 = date(2026, 11, 26)  # the day begun on: before the build date, so before any finalize

_MODEL = (
    '<instance><d id="visit" version="3"><name/><start/><end/><today/><deviceid/>'
    '<meta><instanceID/></meta></d></instance>'
    '<bind nodeset="/d/name" type="string" required="true()"/>'
    '<bind nodeset="/d/start" type="dateTime" jr:preload="timestamp" jr:preloadParams="start"/>'
    '<bind nodeset="/d/end" type="dateTime" jr:preload="timestamp" jr:preloadParams="end"/>'
    '<bind nodeset="/d/today" type="date" jr:preload="date" jr:preloadParams="today"/>'
    '<bind nodeset="/d/deviceid" type="string" jr:preload="property" jr:preloadParams="deviceid"/>'
    '<bind nodeset="/d/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>')


def _form():  # type: ignore[no-untyped-def]
    return read_xform(xform(_MODEL, '<input ref="/d/name"><label>Name</label></input>'),
                      source="visit.xml")


def _sent(store: Store, form, document: dict) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """start/end/today of the instance XML the sealer stored for ``document``."""
    env = finalize_form(store, form, document, device=load_or_create_device(store.secrets()))
    wire, _ = open_wire(store.atrest, env.submission_id, store.envelope(env.submission_id).jwe)
    root = ET.fromstring(wire.xml)
    return {tag: root.findtext(tag) or "" for tag in ("start", "end", "today")}


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_start_is_when_the_resident_began_and_end_is_finalize(isolated_home) -> None:
    form = _form()
    began = datetime.now(local_tz()) - timedelta(minutes=12)  # opened twelve minutes ago
    s = FormSession(form, "en", started=began)
    s.set_answer("name", "Bat")
    store = Store.open(home(isolated_home))
    try:
        sent = _sent(store, form, s.document())
    finally:
        store.close()
    start, end = _time(sent["start"]), _time(sent["end"])
    assert abs(start - began) < timedelta(milliseconds=1)
    assert start.utcoffset() == began.utcoffset()  # the kiosk's zone, as Collect writes it
    assert end - start >= timedelta(minutes=12)
    assert sent["today"] == began.date().isoformat()


def test_today_is_the_day_begun_on_not_the_day_finalized(isolated_home) -> None:
    form = _form()
    s = FormSession(form, "en", today=DAY1)
    s.set_answer("name", "Bat")
    store = Store.open(home(isolated_home))
    try:
        sent = _sent(store, form, s.document())
    finally:
        store.close()
    assert sent["today"] == "2026-11-26" and sent["start"].startswith("2026-11-26T")
    assert _time(sent["end"]) > _time(sent["start"])


def test_a_resumed_draft_keeps_its_first_start(isolated_home) -> None:
    form = _form()
    first = FormSession(form, "en", today=DAY1)
    first.set_answer("name", "Bat")
    store = Store.open(home(isolated_home))
    did = store.save_draft(None, form_id=form.id, form_version=form.version,
                           answers=first.answers(), position="name", kept=first.kept())
    store.close()
    store = Store.open(home(isolated_home))  # the next start
    try:
        draft = store.resume_draft(did)
        resumed = FormSession(form, "en", today=date(2026, 12, 3))
        assert resumed.restore(draft.answers, draft.kept) == []
        sent = _sent(store, form, resumed.document())
    finally:
        store.close()
    assert _time(sent["start"]) == _time(first.document()["started_at"])
    assert sent["today"] == "2026-11-26"


def test_a_document_without_a_start_falls_back_to_the_finalize_time(isolated_home) -> None:
    form = _form()
    s = FormSession(form, "en", today=DAY1)
    s.set_answer("name", "Bat")
    for started in (None, "not a time", "2026-11-26T10:00:00"):  # no zone: not trusted
        doc = s.document()
        if started is None:
            del doc["started_at"]
        else:
            doc["started_at"] = started
        store = Store.open(home(isolated_home))
        try:
            sent = _sent(store, form, doc)
        finally:
            store.close()
        assert sent["start"] == sent["end"]


def test_the_sealers_own_today_is_the_local_day_begun_or_finalized() -> None:
    """A form whose ``today`` node is left to the sealer (XFormMeta.meta): the day begun
    on; without a start, the finalize day in the kiosk's zone (not UTC's)."""
    read = odk_meta(_form())
    assert read is not None
    meta = replace(read, meta={"/d/start": "start", "/d/end": "end", "/d/today": "today"})
    end = "2026-12-05T10:00:00.000Z"
    began = "2026-11-26T23:30:00.000+08:00"  # 15:30 UTC: the day begun on is the 26th here
    assert meta_values(meta, "k1", end, began) == {
        "/d/start": began, "/d/end": end, "/d/today": "2026-11-26"}
    late = "2026-12-04T23:30:00.000Z"
    local_day = _time(late).astimezone(local_tz()).date().isoformat()
    assert meta_values(meta, "k1", late) == {
        "/d/start": late, "/d/end": late, "/d/today": local_day}

