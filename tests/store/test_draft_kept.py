"""A draft saved through the real store (SQLite file, sealed at rest) resumes with the
values once() and self-reading calculations computed, after a restart (issue 22)."""

from __future__ import annotations

from datetime import date

from kiosk.forms import FormSession
from kiosk.paths import home
from kiosk.store import Store
from tests.forms.test_draft_kept import COMPUTED, kept_form


def test_kept_values_survive_the_store_and_a_restart(store, isolated_home):
    f = kept_form()
    s = FormSession(f, "en", today=date(2026, 11, 26))
    s.set_answer("name", "Bat")
    s.add_item("visits", ())
    before = {n: s.value(n) for n in COMPUTED} | {"visit_id": s.value("visit_id", (0,))}
    did = store.save_draft(None, form_id=f.id, form_version=f.version, answers=s.answers(),
                           position="name", kept=s.kept())
    store.close()
    again = Store.open(home(isolated_home))  # the next start, after a power cut
    try:
        assert again.mark_open_drafts_interrupted() == 1
        draft = again.resume_draft(did)
        resumed = FormSession(f, "en", today=date(2026, 12, 3))
        assert resumed.restore(draft.answers, draft.kept) == []
        after = {n: resumed.value(n) for n in COMPUTED} | {
            "visit_id": resumed.value("visit_id", (0,))}
        assert after == before and draft.position == "name"
    finally:
        again.close()


def test_a_draft_saved_without_kept_values_loads_as_before(store):
    did = store.save_draft(None, form_id="f", form_version="1", answers={"name": "Bat"},
                           position="name")
    draft = store.load_draft(did)
    assert (draft.answers, draft.position, draft.kept) == ({"name": "Bat"}, "name", {})
    f = kept_form()
    resumed = FormSession(f, "en")
    assert resumed.restore(draft.answers, draft.kept) == []
    assert resumed.value("name") == "Bat" and resumed.value("uid")


def test_the_start_survives_the_store_and_an_old_draft_begins_at_resume(store):
    """ODK start/today: a draft keeps when the resident began; one saved before drafts
    kept it (kept values without ``started``) resumes as begun now."""
    f = kept_form()
    s = FormSession(f, "en", today=date(2026, 11, 26))
    s.set_answer("name", "Bat")
    kept = s.kept()
    did = store.save_draft(None, form_id=f.id, form_version=f.version, answers=s.answers(),
                           position="name", kept=kept)
    old_kept = {k: v for k, v in kept.items() if k != "started"}
    old = store.save_draft(None, form_id=f.id, form_version=f.version, answers=s.answers(),
                           position="name", kept=old_kept)
    resumed = FormSession(f, "en", today=date(2026, 12, 3))
    draft = store.resume_draft(did)
    assert resumed.restore(draft.answers, draft.kept) == []
    assert resumed.document()["started_at"] == s.document()["started_at"]
    again = FormSession(f, "en", today=date(2026, 12, 3))
    draft = store.resume_draft(old)
    assert again.restore(draft.answers, draft.kept) == []
    assert again.document()["started_at"].startswith("2026-12-03T")
