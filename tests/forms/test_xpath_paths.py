"""XPath location paths in forms: Question.path, FormDef.by_path, absolute and relative
paths resolved at load, predicates over repeats, and what a change re-evaluates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kiosk.forms import FormSession
from kiosk.forms.model import FormLoadError
from tests.forms.helpers import build

TODAY = date(2026, 11, 26)


def q(name: str, qtype: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": qtype, "label": {"mn": name, "en": name}, **extra}


def _form():  # type: ignore[no-untyped-def]
    return build([
        q("age", "integer"),
        q("adult", calculate="if(/test-form/age >= 18, 'y', 'n')"),
        q("rel", calculate="concat(../age, '-', current()/../adult, '-', ${age})"),
        q("members", "repeat", questions=[
            q("mage", "integer"),
            q("older", "integer", calculate="../mage + /test-form/age"),
            q("inner", "repeat", questions=[q("pet")]),
        ]),
        q("n_adult", "integer", calculate="count(/test-form/members[mage >= 18])"),
        q("second", "integer", calculate="/test-form/members[2]/mage"),
        q("last_age", "integer", calculate="/test-form/members[position() = last()]/mage"),
        q("total", "integer", calculate="sum(/test-form/members/mage)"),
        q("pets", "integer", calculate="count(/test-form/members/inner/pet)"),
    ])


def test_every_question_has_its_path_and_by_path_finds_it() -> None:
    f = _form()
    assert f.questions["age"].path == "/test-form/age"
    assert f.questions["mage"].path == "/test-form/members/mage"
    assert f.questions["pet"].path == "/test-form/members/inner/pet"
    assert f.by_path["/test-form/members/inner"] is f.questions["inner"]
    assert set(f.by_path) == {x.path for x in f.questions.values()}
    assert f.instances == {}


def test_absolute_relative_and_current_paths_are_the_question() -> None:
    f = _form()
    # Resolved at load to the same reference as ${age}: same dependency graph.
    assert f.questions["adult"].refs["calculate"] == {"age"}
    assert f.questions["rel"].refs["calculate"] == {"age", "adult"}
    s = FormSession(f, "en", today=TODAY)
    s.set_answer("age", 20)
    assert s.value("adult") == "y" and s.value("rel") == "20-y-20"
    s.set_answer("age", 3)
    assert s.value("adult") == "n" and s.value("rel") == "3-n-3"


def test_paths_inside_repeats_are_the_same_item() -> None:
    s = FormSession(_form(), "en", today=TODAY)
    s.set_answer("age", 1)
    for a in (10, 30, 40):
        item = s.add_item("members")
        assert item is not None
        s.set_answer("mage", a, item)
    # ../mage and the absolute /test-form/age from inside item 2
    assert s.value("older", (1,)) == 31


def test_predicates_positions_and_sums_over_repeats_follow_answers() -> None:
    s = FormSession(_form(), "en", today=TODAY)
    for a in (10, 30, 40):
        item = s.add_item("members")
        assert item is not None
        s.set_answer("mage", a, item)
    assert (s.value("n_adult"), s.value("second"), s.value("last_age"), s.value("total")) == (
        2, 30, 40, 80)
    s.set_answer("mage", 5, (2,))  # the dependency graph reaches predicate paths too
    assert (s.value("n_adult"), s.value("last_age"), s.value("total")) == (1, 5, 45)
    s.remove_item("members", (0,))
    assert (s.value("second"), s.value("n_adult")) == (5, 1)
    s.add_item("inner", (0,))
    s.add_item("inner", (1,))
    s.add_item("inner", (1,))
    assert s.value("pets") == 3


@pytest.mark.parametrize("expr, column, reason", [
    ("/test-form/nope + 1", 1, "unknown path /test-form/nope"),
    ("count(instance('nope')/root/item)", 16, "unknown instance 'nope'"),
    ("pulldata('nope', 'a', 'b', 'c')", 10, "unknown instance 'nope'"),
    ("../../x", 1, "unknown path /x"),
    ("current()/../missing", 1, "unknown path /test-form/missing"),
])
def test_unknown_paths_are_load_errors_naming_form_question_field(expr: str, column: int,
                                                                   reason: str) -> None:
    with pytest.raises(FormLoadError) as err:
        build([q("a", "integer"), q("b", "integer", calculate=expr)])
    assert err.value.message == f"form test-form, question b, calculate, column {column}: {reason}"


def test_a_path_to_a_repeat_keeps_the_repeat_check() -> None:
    with pytest.raises(FormLoadError, match="is a repeat: use count"):
        build([q("r", "repeat", questions=[q("x")]), q("b", calculate="/test-form/r + 1")])


def test_division_by_zero_in_a_decimal_calculation_is_infinity() -> None:
    """Issue 12 defect: ``1 div 0`` in a decimal calculation gave empty."""
    f = build([q("d", "decimal", calculate="1 div ${n}"), q("n", "integer"),
               q("big", "text", calculate="concat(${d}, '|', ${d} > 1000)")])
    s = FormSession(f, "en", today=TODAY)
    s.set_answer("n", 0)
    assert s.value("d") == "Infinity" and s.value("big") == "Infinity|true"
    s.set_answer("n", 4)
    assert s.value("d") == 0.25


def test_date_text_in_arithmetic_unpadded_dates_and_date_times_load() -> None:
    """Issue 12 defects: these were refused at load."""
    f = build([
        q("dob", "date"),
        q("later", "date", calculate="'2012-01-01' + 10"),
        q("unpadded", "date", calculate="date('2012-1-5')"),
        q("after", "yes_no", calculate="${dob} > '2012-01-01T10:20:30.400+02:00'"),
    ])
    s = FormSession(f, "en", today=TODAY)
    s.set_answer("dob", "2013-02-03")
    assert (s.value("later"), s.value("unpadded"), s.value("after")) == (
        "2012-01-11", "2012-01-05", True)


def test_choice_filter_sees_the_choice_as_context_and_current_as_the_question() -> None:
    import xml.etree.ElementTree as ET

    choices = [{"value": v, "label": {"mn": v, "en": v}, "aimag": a}
               for v, a in (("x1", "a"), ("x2", "b"), ("x3", "a"))]
    f = build([
        q("aimag"),
        q("soum", "select_one", choices=choices,
          choice_filter="aimag = current()/../aimag and "
                        "not(instance('off')/root/item[name = current()/../aimag]/off = value)"),
    ], instances={"off": ET.fromstring("<root><item><name>a</name><off>x3</off></item></root>")})
    s = FormSession(f, "en", today=TODAY)
    s.set_answer("aimag", "a")
    assert [c.value for c in s.choices("soum")] == ["x1"]
    s.set_answer("aimag", "b")
    assert [c.value for c in s.choices("soum")] == ["x2"]


def _snapshot(s: FormSession) -> tuple:  # type: ignore[type-arg]
    names = [n for n, x in s.form.questions.items() if not x.repeat_path]
    return ([sc.key for sc in s.screens()], s.index, s.errors(),
            {n: (s.visible(n), s.value(n)) for n in names},
            {(n, i): s.value(n, (i,)) for n in ("mage", "older") for i in range(s.item_count("members"))})


def test_cutoff_propagation_matches_a_fresh_session() -> None:
    """Re-evaluating only what changed (stopping where results come out the same) leaves
    the session exactly as a fresh one with the same answers: paths, predicates, chains,
    page relevance and a question with many dependents."""
    import random

    from app.bench.forms import _sample_answer, synthetic_form
    from kiosk.forms.expr_check import compile_form
    from kiosk.forms.model import build_form

    data = synthetic_form(150, global_hub=True)
    data["pages"][1]["questions"].append(
        q("members", "repeat", relevant="${g} != 5", questions=[
            q("mage", "integer"), q("older", "integer", calculate="../mage + /synthetic-150/g")]))
    data["pages"][2]["questions"] += [
        q("n_old", "integer", calculate="count(/synthetic-150/members[mage > ${p2_hub}])"),
        q("flag", "text", relevant="${n_old} > 1 or ${g} = 3", calculate="concat(${n_old}, '!')"),
    ]
    f = build_form(data)
    compile_form(f)
    rng = random.Random(11)
    s = FormSession(f, "en", today=TODAY)
    answerable = [x for x in f.questions.values() if not x.calculate and not x.is_repeat]
    for step in range(250):
        x = rng.choice(answerable)
        if x.name == "mage":
            n = s.item_count("members")
            if n < 3 or rng.random() < 0.3:
                s.add_item("members")
                n += 1
            s.set_answer("mage", rng.randrange(40), (rng.randrange(n),))
        elif x.name == "g" and rng.random() < 0.5:
            s.set_answer("g", rng.choice([3, 5, 7]))
        else:
            s.set_answer(x.name, None if rng.random() < 0.15 else _sample_answer(x.type, rng.randrange(60)))
        _snapshot(s)
        if step % 10 == 0:
            fresh = FormSession(f, "en", today=TODAY)
            fresh.restore(s.answers())
            fresh.go_to(s.current.key)
            assert _snapshot(s) == _snapshot(fresh), f"step {step}"


def test_indexed_choice_filters_and_lookups_agree_with_the_full_filter() -> None:
    """Filters of the form key = value [and …] go through an index; the result is the
    same as evaluating the filter on every choice (text, numbers, missing keys)."""
    import xml.etree.ElementTree as ET

    choices = [{"value": f"v{i}", "label": {"mn": f"L{i}", "en": f"L{i}"},
                "state": f"s{i % 3}", "kind": "a" if i % 2 else "b"} for i in range(12)]
    choices.append({"value": "odd", "label": {"mn": "o", "en": "o"}})  # no state at all
    numeric = [{"value": f"n{i}", "label": {"mn": "n", "en": "n"}, "code": i % 4} for i in range(8)]
    f = build([
        q("s"), q("n", "integer"),
        q("one", "select_one", choices=choices, choice_filter="state = ${s}"),
        q("two", "select_one", choices=choices, choice_filter="state = ${s} and kind = 'a'"),
        q("num", "select_one", choices=numeric, choice_filter="code = ${n}"),
        q("look", calculate="concat(instance('x')/root/item[k = ${s}]/v, '|',"
                            " count(instance('x')/root/item[k = ${s} and v != 'b']))"),
    ], instances={"x": ET.fromstring(
        "<root><item><k>s1</k><v>a</v></item><item><k>s2</k><v>b</v></item>"
        "<item><k>s1</k><v>b</v></item><item><k>s1</k><v>c</v></item></root>")})
    s = FormSession(f, "en", today=TODAY)

    def values(name: str) -> list[str]:
        return [c.value for c in s.choices(name)]

    s.set_answer("s", "s1")
    assert values("one") == [f"v{i}" for i in range(12) if i % 3 == 1]
    assert values("two") == [f"v{i}" for i in range(12) if i % 3 == 1 and i % 2]
    assert s.value("look") == "abc|2"  # concat() joins every value of a node-set
    s.set_answer("s", "")
    assert values("one") == ["odd"]
    s.set_answer("s", "s9")
    assert values("one") == [] and s.value("look") == "|0"
    s.set_answer("n", 2)
    assert values("num") == ["n2", "n6"]


def test_page_relevance_paths_start_at_the_root() -> None:
    data = {"pages": [
        {"name": "a", "title": {"mn": "a"}, "questions": [
            q("r", "repeat", questions=[q("x", "integer")])]},
        {"name": "b", "title": {"mn": "b"}, "relevant": "count(r[x > 2]) > 0 and count(/test-form/r[x > 2]) = count(./r[x > 2])",
         "questions": [q("shown")]},
    ]}
    f = build([], **data)
    s = FormSession(f, "en", today=TODAY)
    assert not s.visible("shown")
    item = s.add_item("r")
    assert item is not None
    s.set_answer("x", 5, item)
    assert s.visible("shown")
