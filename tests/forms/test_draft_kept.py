"""A resumed draft keeps what once() and self-referencing calculations computed (issue 22).

ODK Collect saves every node's value with a draft, so ``once(uuid())``, ``once(now())``
and ``if(. = '', uuid(), .)`` keep their first value when the form is resumed. A kiosk
draft is ``answers()`` plus ``kept()``; these tests save a session that way and resume
it in a new session, as the staff resume and ``kiosk fill`` do.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from kiosk.forms import FormSession
from kiosk.forms.xform_read import read_xform
from tests.forms.test_xform_read import xform

DAY1 = date(2026, 11, 26)
DAY2 = date(2026, 12, 3)  # the draft is resumed a week later


CALCS = {
    "uid": ("string", "once(uuid())"),
    "started": ("dateTime", "once(now())"),
    "day": ("string", "once(format-date-time(now(), '%Y-%m-%d'))"),
    "rnd": ("decimal", "once(random())"),
    "tag": ("string", "concat(/d/name, '-', once(uuid()))"),
    "self_uid": ("string", "if(. = '', uuid(), .)"),
    "self_len": ("string", "if(string-length(.) = 0, uuid(), .)"),
}


def kept_form():  # type: ignore[no-untyped-def]
    """An XForm (``.`` in a calculation is ODK's idiom, refused in the kiosk's own forms)."""
    binds = "".join(f'<bind nodeset="/d/{n}" type="{t}" calculate="{e}"/>'
                    for n, (t, e) in CALCS.items())
    model = ('<instance><d id="kept"><name/>' + "".join(f"<{n}/>" for n in CALCS)
             + '<visits jr:template=""><place/><visit_id/></visits></d></instance>'
             + '<bind nodeset="/d/name" type="string"/><bind nodeset="/d/visits/place" type="string"/>'
             + binds + '<bind nodeset="/d/visits/visit_id" type="string" calculate="once(uuid())"/>')
    body = ('<input ref="/d/name"><label>Name</label></input>'
            '<group ref="/d/visits"><label>Visits</label><repeat nodeset="/d/visits">'
            '<input ref="/d/visits/place"><label>Place</label></input></repeat></group>')
    return read_xform(xform(model, body), source="kept.xml")


COMPUTED = ["uid", "started", "day", "rnd", "tag", "self_uid", "self_len"]


def _values(s: FormSession) -> dict[str, Any]:
    return {n: s.value(n) for n in COMPUTED}


def _resume(form: Any, s: FormSession, today: date = DAY2, **kw: Any) -> FormSession:
    again = FormSession(form, "en", today=today)
    assert again.restore(s.answers(), s.kept(), **kw) == []
    return again


def test_once_and_self_reading_calculations_survive_save_and_resume() -> None:
    f = kept_form()
    s = FormSession(f, "en", today=DAY1)
    s.set_answer("name", "Bat")
    before = _values(s)
    assert before["day"] == "2026-11-26" and str(before["started"]).startswith("2026-11-26")
    resumed = _resume(f, s)
    assert _values(resumed) == before
    resumed.set_answer("name", "Dorj")  # recomputed after an answer: still the kept values
    after = _values(resumed)
    assert after["tag"] == "Dorj-" + str(before["tag"]).split("-", 1)[1]
    assert {k: v for k, v in after.items() if k != "tag"} == {
        k: v for k, v in before.items() if k != "tag"}


def test_a_second_resume_keeps_the_first_values() -> None:
    f = kept_form()
    s = FormSession(f, "en", today=DAY1)
    before = _values(s)
    twice = _resume(f, _resume(f, s), today=date(2027, 1, 5))
    assert _values(twice) == before


def test_once_in_a_repeat_item_is_kept_per_item_and_moves_with_it() -> None:
    f = kept_form()
    s = FormSession(f, "en", today=DAY1)
    for _ in range(3):
        s.add_item("visits", ())
    ids = [s.value("visit_id", (i,)) for i in range(3)]
    assert len(set(ids)) == 3
    resumed = _resume(f, s)
    assert [resumed.value("visit_id", (i,)) for i in range(3)] == ids
    resumed.remove_item("visits", (0,))  # later items move up, their once() values with them
    assert [resumed.value("visit_id", (i,)) for i in range(2)] == ids[1:]
    again = _resume(f, resumed)
    assert [again.value("visit_id", (i,)) for i in range(2)] == ids[1:]


def test_a_draft_saved_before_kept_values_existed_still_resumes() -> None:
    f = kept_form()
    s = FormSession(f, "en", today=DAY1)
    s.set_answer("name", "Bat")
    s.add_item("visits", ())
    s.set_answer("place", "Khovd", (0,))
    old = FormSession(f, "en", today=DAY2)
    assert old.restore(s.answers()) == []  # an old draft: answers only
    assert old.answers() == s.answers()
    assert old.value("day") == "2026-12-03"  # computed afresh: nothing was kept
    assert old.value("uid") and old.value("self_uid")
    for junk in ({}, {"v": 99, "once": "?"}, {"v": 1, "once": [["uid", "x", 1], 5], "prev": None}):
        fresh = FormSession(f, "en", today=DAY2)
        assert fresh.restore(s.answers(), junk) == []
        assert fresh.value("place", (0,)) == "Khovd" and fresh.value("uid")


def test_a_form_changed_since_the_draft_ignores_kept_values_it_no_longer_has() -> None:
    f = kept_form()
    s = FormSession(f, "en", today=DAY1)
    uid = s.value("uid")
    kept = s.kept()
    kept["once"].append(["removed_calc", [], "x"])
    kept["prev"].append(["renamed", [2], "y"])
    model = ('<instance><d id="kept"><name/><uid/><uid2/></d></instance>'
             '<bind nodeset="/d/name" type="string"/>'
             '<bind nodeset="/d/uid" type="string" calculate="once(uuid())"/>'
             '<bind nodeset="/d/uid2" type="string" calculate="if(. = \'\', uuid(), .)"/>')
    changed = read_xform(xform(model, '<input ref="/d/name"><label>N</label></input>'),
                         source="kept2.xml")
    resumed = FormSession(changed, "en", today=DAY2)
    assert resumed.restore({"name": "Bat", "gone": 1}, kept) == ["gone"]
    assert resumed.value("uid") == uid and resumed.value("uid2")


def test_kept_values_are_plain_json() -> None:
    import json

    f = kept_form()
    s = FormSession(f, "en", today=DAY1)
    s.add_item("visits", ())
    kept = json.loads(json.dumps(s.kept()))  # what the store seals and opens
    resumed = FormSession(f, "en", today=DAY2)
    resumed.restore(s.answers(), kept)
    assert _values(resumed) == _values(s)
    assert resumed.value("visit_id", (0,)) == s.value("visit_id", (0,))


def test_first_load_setvalue_defaults_are_not_run_again_on_resume() -> None:
    """An XForm ``odr-form-first-load`` setvalue (a default that is an expression) runs
    when a session starts; a resumed draft holds its value (or its clearing)."""
    model = ('<instance><d id="firstload"><a/><b/><c/><meta><instanceID/></meta></d></instance>'
             '<bind nodeset="/d/a" type="string"/><bind nodeset="/d/b" type="string"/>'
             '<bind nodeset="/d/c" type="string" calculate="once(concat(/d/a, \'.\'))"/>'
             '<bind nodeset="/d/meta/instanceID" type="string" readonly="true()"'
             ' jr:preload="uid"/>'
             '<setvalue event="odk-instance-first-load" ref="/d/a" value="uuid()"/>'
             '<setvalue event="odk-instance-first-load" ref="/d/b" value="uuid()"/>')
    body = ('<input ref="/d/a"><label>A</label></input>'
            '<input ref="/d/b"><label>B</label></input>')
    f = read_xform(xform(model, body), source="firstload.xml")
    assert "instanceID" not in f.questions  # filled at finalize, never kept in a draft
    s = FormSession(f, "en", today=DAY1)
    a, c = s.answer("a"), s.value("c")
    assert a and c == a + "."
    s.set_answer("b", None)  # the resident cleared the default
    resumed = _resume(f, s)
    assert resumed.answer("a") == a and resumed.answer("b") is None
    assert resumed.value("c") == c


def test_the_document_says_when_the_resident_began_and_a_resume_keeps_it() -> None:
    """ODK start/today (sync.odk.seal): the instant the form was first opened."""
    f = kept_form()
    began = datetime(2026, 11, 26, 9, 30, 15, 400000, tzinfo=timezone(timedelta(hours=8)))
    s = FormSession(f, "en", today=DAY1, started=began)
    s.set_answer("name", "Bat")
    assert s.document()["started_at"] == "2026-11-26T09:30:15.400+08:00"
    resumed = _resume(f, _resume(f, s), today=date(2027, 1, 5))  # resumed twice, weeks later
    assert resumed.document()["started_at"] == "2026-11-26T09:30:15.400+08:00"


def test_a_new_session_begins_now_on_its_day() -> None:
    s = FormSession(kept_form(), "en", today=DAY1)
    started = datetime.fromisoformat(s.kept()["started"])
    assert started.date() == DAY1 and started.utcoffset() is not None


def test_a_draft_without_a_start_counts_as_begun_when_resumed() -> None:
    f = kept_form()
    s = FormSession(f, "en", today=DAY1)
    s.set_answer("name", "Bat")
    kept = s.kept()
    del kept["started"]  # a draft saved before drafts kept the start
    for junk in (kept, None, {"v": 1, "started": "yesterday"}, {"started": "2026-11-26T09:00"}):
        resumed = FormSession(f, "en", today=DAY2)
        assert resumed.restore(s.answers(), junk) == []
        started = datetime.fromisoformat(resumed.document()["started_at"])
        assert started.date() == DAY2 and abs(started - resumed.started) < timedelta(milliseconds=1)


def test_calculations_take_their_first_value_when_the_form_opens() -> None:
    """javarosa computes every calculation when a form is loaded: ``once(now())`` is when
    the resident opened the form, not when a later answer or draft save first asked."""
    s = FormSession(kept_form(), "en", today=DAY1)
    s.today = DAY2  # the form left open past midnight (a week here)
    s.answer("name", "Bat")
    assert s.value("day") == DAY1.isoformat()
    assert str(s.value("started")).startswith(DAY1.isoformat())
