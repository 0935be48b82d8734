"""FormSession: answers per type, relevance, errors, navigation, repeats, document, review."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from kiosk.errors import KioskError
from kiosk.forms import FormSession, check_attachment
from tests.forms.helpers import build, tx

TODAY = date(2026, 11, 26)
SHA = "ab" * 32
SEX = [{"value": "male", "label": tx("Эрэгтэй", "Male")},
       {"value": "female", "label": tx("Эмэгтэй", "Female")}]


def every_type_form():  # type: ignore[no-untyped-def]
    return build([
        {"name": "t", "type": "text", "label": tx("Нэр", "Name"), "required": True},
        {"name": "i", "type": "integer", "label": tx("Тоо", "Count"), "constraint": ". >= 0 and . < 20",
         "constraint_message": tx("0-19 байна", "0 to 19")},
        {"name": "dec", "type": "decimal", "label": tx("Бутархай", "Decimal")},
        {"name": "d", "type": "date", "label": tx("Огноо", "Date"), "constraint": ". <= today()"},
        {"name": "s1", "type": "select_one", "label": tx("Хүйс", "Sex"), "choices": SEX},
        {"name": "sm", "type": "select_multiple", "label": tx("Олон", "Many"), "choices": "sex"},
        {"name": "yn", "type": "yes_no", "label": tx("Тийм үү", "Yes?"), "default": False},
        {"name": "rd", "type": "registry_number", "label": tx("РД", "Registry no.")},
        {"name": "ph", "type": "phone", "label": tx("Утас", "Phone")},
        {"name": "pc", "type": "postal_code", "label": tx("Шуудан", "Postal")},
        {"name": "addr", "type": "aimag_soum", "label": tx("Хаяг", "Address")},
        {"name": "att", "type": "attachment", "label": tx("Зураг", "Photo"), "max_size_kb": 10,
         "accept": ["image/jpeg"]},
        {"name": "sig", "type": "signature", "label": tx("Гарын үсэг", "Signature")},
        {"name": "ok", "type": "consent", "label": tx("Зөвшөөрч байна", "I agree"), "required": True},
        {"name": "n", "type": "note", "label": tx("Тэмдэглэл", "Note")},
        {"name": "born", "type": "date", "label": tx("Төрсөн", "Born"),
         "calculate": "registry-birth-date(${rd})"},
        {"name": "sex_from_rd", "type": "text", "calculate": "registry-sex(${rd})"},
        {"name": "age", "type": "integer", "label": tx("Нас", "Age"), "calculate": "age(${born})"},
    ], choice_lists={"sex": SEX})


def fill(s: FormSession) -> None:
    s.set_answer("t", "  Болд ")
    s.set_answer("i", "3")
    s.set_answer("dec", "2,5")
    s.set_answer("d", "2020.05.17")
    s.set_answer("s1", "female")
    s.set_answer("sm", ["female", "male", "male"])
    s.set_answer("rd", "уб 99112243")
    s.set_answer("ph", "+976 9911-2233")
    s.set_answer("pc", "21100")
    s.set_answer("addr", {"aimag": "MN21", "soum": "MN2101"})
    s.set_answer("att", {"sha256": SHA, "size": 2048, "media_type": "image/jpeg", "name": "a.jpg"})
    s.set_answer("sig", {"strokes": [[[0.1, 0.2], [0.3, 0.4]]]})
    s.set_answer("ok", True)


def test_every_type_normalised_and_document() -> None:
    s = FormSession(every_type_form(), "en", today=TODAY)
    fill(s)
    assert s.errors() == {}
    assert s.is_complete()
    doc = s.document()
    assert doc["form_id"] == "test-form" and doc["form_version"] == "1" and doc["language"] == "en"
    assert doc["answers"] == {
        "t": "Болд", "i": 3, "dec": 2.5, "d": "2020-05-17", "s1": "female",
        "sm": ["male", "female"], "yn": False, "rd": "УБ99112243", "ph": "99112233", "pc": "21100",
        "addr": {"aimag": "MN21", "soum": "MN2101"},
        "att": {"sha256": SHA, "size": 2048, "media_type": "image/jpeg", "name": "a.jpg"},
        "sig": {"strokes": [[[0.1, 0.2], [0.3, 0.4]]]}, "ok": True,
        "born": "1999-11-22", "sex_from_rd": "female", "age": 27,
    }
    assert s.derived("rd") == {"birth_date": date(1999, 11, 22), "sex": "female"}
    import json

    json.dumps(doc)  # JSON-only types


def test_bad_input_is_kept_and_reported_in_the_current_language() -> None:
    s = FormSession(every_type_form(), "mn", today=TODAY)
    fill(s)
    s.set_answer("i", "abc")
    s.set_answer("rd", "УБ99133343")
    s.set_answer("ph", "123")
    s.set_answer("addr", {"aimag": "MN11", "soum": "MN2101"})
    s.set_answer("d", "2030-01-01")
    errs = s.errors()
    assert set(errs) == {("i", ()), ("rd", ()), ("ph", ()), ("addr", ()), ("d", ())}
    assert errs[("rd", ())] == "Регистрийн дугаар дахь төрсөн огноо буруу байна."
    assert s.answer("i") == "abc" and s.value("i") is None
    assert s.value("born") is None and s.derived("rd") == {}
    s.lang = "en"
    assert s.errors()[("ph", ())].startswith("A phone number has 8 digits")
    s.set_answer("i", 25)
    assert s.errors()[("i", ())] == "0 to 19"
    with pytest.raises(KioskError, match="question i"):
        s.document()


def test_required_and_consent() -> None:
    s = FormSession(every_type_form(), "en", today=TODAY)
    errs = s.errors()
    assert errs[("t", ())] == "This question needs an answer."
    assert "consent" in errs[("ok", ())]
    s.set_answer("ok", False)
    assert ("ok", ()) in s.errors()
    assert not s.is_complete()


def test_attachment_limits() -> None:
    f = every_type_form()
    q = f.questions["att"]
    assert check_attachment(q, 10 * 1024, "image/jpeg") is None
    assert "10" in (check_attachment(q, 10 * 1024 + 1, "image/jpeg", "en") or "")
    assert "image/jpeg" in (check_attachment(q, 10, "application/pdf", "en") or "")
    s = FormSession(f, "en", today=TODAY)
    s.set_answer("att", {"sha256": SHA, "size": 99999, "media_type": "image/jpeg", "name": "a.jpg"})
    assert "too large" in s.errors()[("att", ())]
    s.set_answer("att", {"file": "x.jpg"})
    assert ("att", ()) in s.errors()


def relevance_form():  # type: ignore[no-untyped-def]
    return build([
        {"name": "married", "type": "yes_no", "label": tx("Гэрлэсэн үү", "Married?"), "required": True},
        {"name": "spouse", "type": "text", "label": tx("Эхнэр/нөхөр", "Spouse"), "required": True,
         "relevant": "${married} = 'yes'"},
        {"name": "kids", "type": "integer", "label": tx("Хүүхэд", "Children"), "default": 0},
        {"name": "kid_note", "type": "note", "label": tx("Хүүхэдтэй", "Has children"),
         "relevant": "${kids} > 0"},
        {"name": "region", "type": "select_one", "label": tx("Бүс", "Region"),
         "choices": [{"value": "e", "label": tx("Зүүн", "East")}, {"value": "w", "label": tx("Баруун", "West")}]},
        {"name": "place", "type": "select_one", "label": tx("Газар", "Place"), "choice_filter": "region = ${region}",
         "choices": [{"value": "a", "label": tx("А"), "region": "e"}, {"value": "b", "label": tx("Б"), "region": "w"},
                     {"value": "c", "label": tx("В"), "region": "e"}]},
    ])


def test_relevance_navigation_and_non_relevant_answers_dropped() -> None:
    s = FormSession(relevance_form(), "en", today=TODAY)
    keys = [sc.key for sc in s.screens()]
    assert keys == ["main/married", "main/kids", "main/region", "main/place"]
    assert (s.index, s.count) == (0, 4)
    assert s.next() is False and s.current.key == "main/married"  # required
    assert "main/married" in s.shown_errors
    s.set_answer("married", True)
    assert [sc.key for sc in s.screens()][1] == "main/spouse"
    assert s.next() and s.current.key == "main/spouse"
    s.set_answer("spouse", "Сараа")
    assert s.next() and s.current.key == "main/kids"
    s.set_answer("kids", 2)
    assert s.visible("kid_note")
    assert s.prev() and s.current.key == "main/spouse"
    s.set_answer("married", False)  # the current screen disappears
    assert not s.visible("spouse") and s.current.key == "main/kids"
    assert s.go_to("main/region") and s.current.key == "main/region"
    assert not s.go_to("nope")
    assert s.document()["answers"] == {"married": False, "kids": 2}
    assert s.answers()["spouse"] == "Сараа"  # kept for the draft


def test_choice_filter() -> None:
    s = FormSession(relevance_form(), "mn", today=TODAY)
    assert s.question("place").choices() == []  # nothing until a region is chosen
    s.set_answer("region", "e")
    assert [c.value for c in s.question("place").choices()] == ["a", "c"]
    assert s.question("place").choices("en")[0].label == "А"
    s.set_answer("place", "c")
    s.set_answer("region", "w")
    assert ("place", ()) in s.errors()
    assert s.question("region").label() == "Бүс" and s.question("region").label("en") == "Region"


def repeat_form():  # type: ignore[no-untyped-def]
    return build([
        {"name": "household", "type": "text", "label": tx("Өрх", "Household")},
        {"name": "animals", "type": "repeat", "label": tx("Мал", "Animals"), "min_count": 1, "max_count": 3,
         "questions": [
             {"name": "species", "type": "select_one", "label": tx("Төрөл", "Species"), "required": True,
              "choices": [{"value": "sheep", "label": tx("Хонь", "Sheep")},
                          {"value": "goat", "label": tx("Ямаа", "Goat")}]},
             {"name": "head", "type": "integer", "label": tx("Тоо", "Head"), "required": True,
              "constraint": ". >= 0"},
             {"name": "young", "type": "integer", "label": tx("Төл", "Young"),
              "relevant": "${head} > 0", "constraint": ". <= ${head}"},
         ]},
        {"name": "total", "type": "integer", "label": tx("Нийт", "Total"), "calculate": "sum(${head})"},
        {"name": "kinds", "type": "integer", "calculate": "count(${animals})"},
    ])


def test_repeats() -> None:
    s = FormSession(repeat_form(), "en", today=TODAY)
    assert s.item_count("animals") == 1
    s.set_answer("species", "sheep", (0,))
    s.set_answer("head", 120, (0,))
    s.set_answer("young", 30, (0,))
    assert s.add_item("animals") == (1,)
    s.set_answer("species", "goat", (1,))
    s.set_answer("head", "80", (1,))
    s.set_answer("young", 90, (1,))
    assert s.errors() == {("young", (1,)): "This answer is not valid. Please check it."}
    s.set_answer("young", 10, (1,))
    assert s.value("total") == 200 and s.value("kinds") == 2
    keys = [sc.key for sc in s.screens()]
    assert keys == ["main/household", "main/species#1", "main/head#1", "main/young#1", "main/species#2",
                    "main/head#2", "main/young#2", "main/animals/+", "main/total"]
    assert s.add_item("animals") == (2,)
    assert s.add_item("animals") is None  # max_count
    assert s.remove_item("animals", (0,))
    assert s.item_count("animals") == 2 and s.answer("species", (0,)) == "goat"
    assert s.value("total") == 80
    assert s.remove_item("animals", (1,)) and not s.remove_item("animals", (1,))
    doc = s.document()["answers"]
    assert doc["animals"] == [{"species": "goat", "head": 80, "young": 10}]
    with pytest.raises(KioskError):
        s.set_answer("head", 1)  # needs the item index
    s.remove_item("animals", (0,))
    assert s.errors()[("animals", ())] == "Please add at least 1."
    rows = dict(FormSession(repeat_form(), "en", today=TODAY).review())
    assert rows == {"Total": "0"}  # hidden calculations (no label) are not shown


def test_restore_round_trip_and_review() -> None:
    began = datetime(2026, 11, 26, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    s = FormSession(repeat_form(), "mn", today=TODAY, started=began)
    s.set_answer("household", "Дорж")
    s.set_answer("species", "goat", (0,))
    s.set_answer("head", 5, (0,))
    draft = s.answers()
    assert draft == {"household": "Дорж", "animals": [{"species": "goat", "head": 5}]}
    s2 = FormSession(repeat_form(), "mn", today=TODAY, started=began)  # same start: same document
    assert s2.restore(draft) == []
    assert s2.document() == s.document()
    assert s2.restore({"household": "x", "ghost": 1}) == ["ghost"]
    review = s.review()
    assert ("Төрөл (1)", "Ямаа") in review and ("Нийт", "5") in review


def test_review_display_values() -> None:
    s = FormSession(every_type_form(), "mn", today=TODAY)
    fill(s)
    rows = dict(s.review())
    assert rows["Огноо"] == "2020.05.17"
    assert rows["Хүйс"] == "Эмэгтэй" and rows["Олон"] == "Эрэгтэй, Эмэгтэй"
    assert rows["Хаяг"] == "Дорнод, Хэрлэн" and rows["Тийм үү"] == "Үгүй"
    assert rows["Төрсөн"] == "1999.11.22"
    s.lang = "en"
    assert dict(s.review())["Address"] == "Dornod, Kherlen"


def test_group_layout_is_one_screen() -> None:
    f = build([{"name": "a", "type": "text", "label": tx("А")}],
              pages=[{"name": "addr", "title": tx("Хаяг", "Address"), "layout": "group",
                      "questions": [{"name": "a", "type": "text", "label": tx("А")},
                                    {"name": "b", "type": "text", "label": tx("Б"), "required": True}]},
                     {"name": "end", "relevant": "${a} != 'skip'",
                      "questions": [{"name": "c", "type": "note", "label": tx("В")}]}])
    s = FormSession(f, "en", today=TODAY)
    assert [sc.key for sc in s.screens()] == ["addr", "end/c"]
    assert [qv.name for qv, _ in s.current.questions] == ["a", "b"]
    assert s.current.title == "Address"
    assert not s.next() and set(s.errors(s.current)) == {("b", ())}
    s.set_answer("a", "skip")
    assert [sc.key for sc in s.screens()] == ["addr"]


def _state(s: FormSession) -> tuple:  # type: ignore[type-arg]
    names = list(s.form.questions)
    return ([sc.key for sc in s.screens()], s.errors(),
            {n: (s.visible(n), s.value(n)) for n in names if not s.form.questions[n].repeat_path})


def test_incremental_reevaluation_matches_a_fresh_session() -> None:
    """After any sequence of answers, the cached state equals a fresh session's."""
    import random

    from app.bench.forms import _sample_answer, synthetic_form
    from kiosk.forms.expr_check import compile_form
    from kiosk.forms.model import build_form

    f = build_form(synthetic_form(90))
    compile_form(f)
    rng = random.Random(7)
    s = FormSession(f, "en", today=TODAY)
    answerable = [q for q in f.questions.values() if not q.calculate]
    for step in range(120):
        q = rng.choice(answerable)
        s.set_answer(q.name, None if rng.random() < 0.15 else _sample_answer(q.type, rng.randrange(60)))
        _state(s)  # populate the caches between answers, as a UI does
        if step % 10 == 0:
            fresh = FormSession(f, "en", today=TODAY)
            fresh.restore(s.answers())
            assert _state(s) == _state(fresh), f"step {step}"


def test_count_of_own_repeat_and_nested_repeats() -> None:
    f = build([
        {"name": "members", "type": "repeat", "label": tx("Гишүүд", "Members"), "questions": [
            {"name": "member", "type": "text", "label": tx("Нэр", "Name"),
             "constraint": "count(${members}) <= 3"},
            {"name": "position", "type": "integer", "calculate": "count(${members})"},
            {"name": "kids", "type": "repeat", "label": tx("Хүүхэд", "Kids"), "questions": [
                {"name": "kid_age", "type": "integer", "label": tx("Нас", "Age")},
                {"name": "parent_name", "type": "text", "calculate": "${member}"},
            ]},
            {"name": "kid_total", "type": "integer", "calculate": "sum(${kid_age})"},
        ]},
        {"name": "all_kids", "type": "integer", "label": tx("Бүгд", "All"), "calculate": "count(${kids})"},
        {"name": "ages", "type": "integer", "label": tx("Нас", "Ages"), "calculate": "sum(${kid_age})"},
    ])
    s = FormSession(f, "en", today=TODAY)
    assert s.add_item("members") == (0,) and s.add_item("members") == (1,)
    s.set_answer("member", "Бат", (0,))
    assert s.value("position", (0,)) == 2
    assert s.add_item("kids", (0,)) == (0, 0) and s.add_item("kids", (1,)) == (1, 0)
    s.add_item("kids", (1,))
    s.set_answer("kid_age", 4, (0, 0))
    s.set_answer("kid_age", 7, (1, 0))
    s.set_answer("kid_age", 9, (1, 1))
    assert s.value("parent_name", (0, 0)) == "Бат"
    assert s.value("kid_total", (0,)) == 4 and s.value("kid_total", (1,)) == 16
    assert s.value("all_kids") == 3 and s.value("ages") == 20
    assert s.remove_item("members", (0,))
    assert s.value("ages") == 16 and s.answer("kid_age", (0, 1)) == 9
    doc = s.document()["answers"]
    assert doc["members"] == [{"position": 1, "kids": [{"kid_age": 7}, {"kid_age": 9}],
                               "kid_total": 16}]


def test_count_of_a_non_relevant_repeat_is_zero_like_its_dropped_items() -> None:
    f = build([
        {"name": "with_household", "type": "yes_no", "label": tx("Өрхтэйгээ юу?", "With household?")},
        {"name": "members", "type": "repeat", "label": tx("Гишүүд", "Members"),
         "relevant": "${with_household}", "min_count": 2,
         "questions": [{"name": "member", "type": "text", "label": tx("Нэр", "Name")}]},
        {"name": "moving", "type": "integer", "calculate": "count(${members}) + 1"},
    ])
    s = FormSession(f, "en", today=TODAY)
    s.set_answer("with_household", True)
    assert s.value("moving") == 3
    s.set_answer("with_household", False)
    assert s.value("moving") == 1
    assert "members" not in s.document()["answers"]
    s.set_answer("with_household", True)
    assert s.value("moving") == 3
