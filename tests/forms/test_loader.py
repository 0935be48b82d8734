"""Loading: schema, expression and cycle errors are named precisely; other forms still load."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kiosk.config import Config
from kiosk.forms import active_catalog_dir, load_catalog
from kiosk.forms.model import FormLoadError
from kiosk.paths import Home, bundled_catalog_dir
from tests.forms.helpers import CATALOG, build, form, tx, write_catalog

GOOD = form([{"name": "a", "type": "integer", "label": tx("А")}], form_id="good")


def _problem(folder: Path, name: str, content: object):  # type: ignore[no-untyped-def]
    write_catalog(folder, {"good": GOOD, name: content})
    catalog = load_catalog(folder)
    assert list(catalog.forms) == ["good"], "the good form must still load"
    assert len(catalog.problems) == 1, catalog.problems
    return catalog.problems[0]


def test_bad_json_is_reported_and_others_load(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk.forms")
    p = _problem(tmp_path, "broken", '{"format": 1,,}')
    assert p.file == "forms/broken.json" and p.json_path == "$"
    assert "not valid JSON" in p.message and "line 1" in p.message
    assert "forms/broken.json" in caplog.text


def test_schema_violation_names_the_json_path(tmp_path: Path) -> None:
    bad = form([{"name": "a", "type": "integer", "label": tx("А")},
                {"name": "b", "type": "colour", "label": tx("Б")}], form_id="bad")
    p = _problem(tmp_path, "bad", bad)
    assert p.json_path == "$.pages[0].questions[1].type"
    assert "colour" in p.message


def test_missing_mongolian_text_is_a_schema_error(tmp_path: Path) -> None:
    bad = form([{"name": "a", "type": "text", "label": {"en": "A"}}], form_id="bad")
    p = _problem(tmp_path, "bad", bad)
    assert p.json_path == "$.pages[0].questions[0].label" and "'mn'" in p.message


def test_bad_expression_names_form_question_field_and_column(tmp_path: Path) -> None:
    bad = form([{"name": "a", "type": "integer", "label": tx("А")},
                {"name": "b", "type": "text", "label": tx("Б"), "relevant": "${a} > (1"}],
               form_id="bad")
    p = _problem(tmp_path, "bad", bad)
    assert p.json_path == "$.pages[0].questions[1].relevant"
    assert p.message.startswith("form bad, question b, relevant, column 10:")


def test_unknown_reference(tmp_path: Path) -> None:
    bad = form([{"name": "b", "type": "text", "label": tx("Б"), "relevant": "${nope} = 1"}],
               form_id="bad")
    p = _problem(tmp_path, "bad", bad)
    assert "question b, relevant, column 1: unknown question ${nope}" in p.message


def test_calculate_cycle(tmp_path: Path) -> None:
    bad = form([
        {"name": "a", "type": "integer", "calculate": "${c} + 1"},
        {"name": "b", "type": "integer", "calculate": "${a} * 2"},
        {"name": "c", "type": "integer", "label": tx("В"), "calculate": "${b}"},
    ], form_id="bad")
    p = _problem(tmp_path, "bad", bad)
    assert "circular dependency" in p.message and "calculate" in p.message
    assert "a -> " in p.message or "-> a" in p.message


def test_duplicate_name_and_unknown_choice_list(tmp_path: Path) -> None:
    dup = form([{"name": "a", "type": "text", "label": tx("А")},
                {"name": "a", "type": "text", "label": tx("А")}], form_id="bad")
    p = _problem(tmp_path, "bad", dup)
    assert p.json_path == "$.pages[0].questions[1].name" and "used twice" in p.message
    nolist = form([{"name": "s", "type": "select_one", "label": tx("С"), "choices": "nope"}],
                  form_id="bad")
    p = _problem(tmp_path / "2", "bad", nolist)
    assert p.json_path == "$.pages[0].questions[0].choices"


def test_unknown_agency_and_category(tmp_path: Path) -> None:
    bad = dict(GOOD, id="bad", agency="nobody")
    p = _problem(tmp_path, "bad", bad)
    assert p.json_path == "$.agency" and "nobody" in p.message


def test_broken_catalog_json_reports_and_offers_nothing(tmp_path: Path) -> None:
    cat = json.loads(json.dumps(CATALOG))
    cat["agencies"]["gasr"]["keys"][0]["d"] = "private!"
    write_catalog(tmp_path, {"good": GOOD}, cat)
    catalog = load_catalog(tmp_path)
    assert catalog.forms == {}
    assert catalog.problems[0].file == "catalog.json"
    assert catalog.problems[0].json_path == "$.agencies.gasr.keys[0]"


@pytest.mark.parametrize(
    "question, fragment",
    [
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "selected(${n}, 'a')"}, "select question"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "${d} + 'x' > 1"}, "arithmetic"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "${s} = 'mail'"}, "not a choice of s"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "selected(${s}, 'mail')"}, "not a choice"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "${n} = 'abc'"}, "compared with a number"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "${d} > '2020-13-01'"}, "not a date"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "age(${n}) > 1"}, "needs a date"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "regex(., '(')"}, "bad regular expression"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "count(${n}) > 1"}, "count() needs"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "frobnicate(1)"}, "unknown function"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "if(1, 2)"}, "takes 3"),
        ({"name": "x", "type": "text", "label": tx("Х"), "calculate": ". + 1"}, "'.'"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "n > 1"}, "write ${n}"),
        ({"name": "x", "type": "text", "label": tx("Х"), "relevant": "${x} != ''"}, "circular"),
    ],
)
def test_static_errors(question: dict, fragment: str) -> None:
    base = [
        {"name": "n", "type": "integer", "label": tx("Н")},
        {"name": "d", "type": "date", "label": tx("Д")},
        {"name": "s", "type": "select_one", "label": tx("С"),
         "choices": [{"value": "male", "label": tx("Эр")}, {"value": "female", "label": tx("Эм")}]},
    ]
    with pytest.raises(FormLoadError) as err:
        build([*base, question])
    assert fragment in err.value.message
    assert err.value.message.startswith("form test-form, question x, ")
    assert "column " in err.value.message


def test_bundled_catalog_loads_cleanly() -> None:
    catalog = load_catalog(bundled_catalog_dir())
    assert catalog.problems == []
    assert len(catalog.forms) >= 8
    assert any(a.demo for a in catalog.agencies.values())
    order = [c.id for c in catalog.categories]
    cats = [order.index(f.category) for f in catalog.forms.values()]
    assert cats == sorted(cats), "forms are ordered by category"
    for f in catalog.forms.values():
        assert f.agency in catalog.agencies and f.title_text("mn") and f.title_text("en")


def test_active_catalog_dir(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    assert active_catalog_dir(home, Config()) == bundled_catalog_dir()
    home.catalog.mkdir(parents=True)
    assert active_catalog_dir(home, Config()) == bundled_catalog_dir()
    (home.catalog / "catalog.json").write_text("{}", "utf-8")
    assert active_catalog_dir(home, Config()) == home.catalog
    assert active_catalog_dir(home, Config(catalog_dir=str(tmp_path / "x"))) == tmp_path / "x"


def test_page_relevant_errors_name_the_page() -> None:
    with pytest.raises(FormLoadError) as err:
        build([{"name": "a", "type": "text", "label": tx("А")}],
              pages=[{"name": "p1", "relevant": "${zz} = 1",
                      "questions": [{"name": "a", "type": "text", "label": tx("А")}]}])
    assert err.value.message == "form test-form, page p1, relevant, column 1: unknown question ${zz}"
    assert err.value.json_path == "$.pages[0].relevant"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ATOMS = ["${n}", "${d}", "${s}", "${m}", "${r}", "${inner}", ".", "1", "'a'", "'2020-01-01'",
          "today()", "x", "true()"]
_FUNCS = ["count", "sum", "selected", "age", "date", "regex", "if", "concat", "not", "int",
          "count-selected", "registry-sex", "coalesce", "min", "substr", "nope"]


@st.composite
def _exprs(draw, depth: int = 3) -> str:  # type: ignore[no-untyped-def]
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(_ATOMS))
    kind = draw(st.sampled_from(["bin", "call", "neg"]))
    if kind == "bin":
        op = draw(st.sampled_from(["+", "-", "*", "div", "mod", "=", "!=", "<", ">=", "and", "or"]))
        return f"({draw(_exprs(depth - 1))} {op} {draw(_exprs(depth - 1))})"
    if kind == "neg":
        return f"-{draw(_exprs(depth - 1))}"
    args = draw(st.lists(_exprs(depth - 1), max_size=3))
    return f"{draw(st.sampled_from(_FUNCS))}({', '.join(args)})"


@settings(max_examples=250, deadline=None)
@given(_exprs(), st.sampled_from(["relevant", "constraint", "calculate", "choice_filter", "required"]))
def test_checks_never_crash(expr: str, field: str) -> None:
    """Any expression in any field either compiles or is a FormLoadError; evaluating a
    compiled one in a session never raises."""
    from kiosk.forms import FormSession

    x: dict = {"name": "x", "type": "select_one", "label": tx("Х"), field: expr,
               "choices": [{"value": "a", "label": tx("А")}]}
    questions = [
        {"name": "n", "type": "integer", "label": tx("Н")},
        {"name": "d", "type": "date", "label": tx("Д")},
        {"name": "s", "type": "select_one", "label": tx("С"), "choices": [{"value": "a", "label": tx("А")}]},
        {"name": "m", "type": "select_multiple", "label": tx("М"), "choices": [{"value": "a", "label": tx("А")}]},
        {"name": "r", "type": "repeat", "label": tx("Р"), "min_count": 1,
         "questions": [{"name": "inner", "type": "integer", "label": tx("И")}]},
        x,
    ]
    try:
        f = build(questions)
    except FormLoadError as exc:
        assert "form test-form, question x, " in exc.message and "column" in exc.message
        return
    s = FormSession(f, "en")
    s.set_answer("n", 3)
    s.set_answer("m", ["a"])
    s.set_answer("x", "a")
    s.set_answer("inner", 2, (0,))
    s.errors()
    s.screens()
    s.value("x")
    s.question("x").choices()


@pytest.mark.parametrize(
    "question, path, fragment",
    [
        ({"name": "x", "type": "integer", "label": tx("Х"), "default": "abc"},
         "$.pages[0].questions[0].default", "not a valid integer"),
        ({"name": "x", "type": "select_one", "label": tx("Х"), "default": "zz",
          "choices": [{"value": "a", "label": tx("А")}]}, "$.pages[0].questions[0].default", "not a valid"),
        ({"name": "x", "type": "note", "label": tx("Х"), "default": "a"},
         "$.pages[0].questions[0].default", "takes no default"),
        ({"name": "x", "type": "select_one", "label": tx("Х"),
          "choices": [{"value": "a", "label": tx("А")}, {"value": "a", "label": tx("Б")}]},
         "$.pages[0].questions[0].choices[1].value", "used twice"),
        ({"name": "x", "type": "repeat", "label": tx("Х"), "min_count": 3, "max_count": 2,
          "questions": [{"name": "y", "type": "text", "label": tx("У")}]},
         "$.pages[0].questions[0].min_count", "more than max_count"),
    ],
)
def test_structural_errors(question: dict, path: str, fragment: str) -> None:
    with pytest.raises(FormLoadError) as err:
        build([question])
    assert err.value.json_path == path and fragment in err.value.message
