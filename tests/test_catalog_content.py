"""The bundled sample catalog (assets/catalog, assets/icons) is complete, bilingual and usable.

These tests guard the content, not the engine: every text in both languages
(real Cyrillic in ``mn``), every icon drawn, every question type and expression
feature of docs/forms.md exercised somewhere, the published demo keys matching
the public keys, and every form completed through the headless FormSession with
its example answers. The skip-logic checks at the end make sure the forms'
rules (ages from the РД, cross-checks, filters) really bite, not just parse.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from kiosk.paths import ASSETS_DIR

REPO = Path(__file__).resolve().parent.parent
CATALOG = ASSETS_DIR / "catalog"
FORMS_DIR = CATALOG / "forms"
EXAMPLES = CATALOG / "examples"
ICONS = ASSETS_DIR / "icons"
DEMO_KEYS = CATALOG / "demo-keys"

FORM_FILES = sorted(FORMS_DIR.glob("*.json"))
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.answers.json"))
ALL_TYPES = {
    "text", "integer", "decimal", "date", "select_one", "select_multiple", "yes_no",
    "registry_number", "phone", "postal_code", "aimag_soum", "attachment", "signature",
    "consent", "note", "repeat",
}
TEXT_KEYS = ("title", "description", "label", "hint", "constraint_message", "name")
CYRILLIC = re.compile(r"[А-Яа-яЁёӨөҮү]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _questions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every question, those inside repeats too."""
    out: list[dict[str, Any]] = []
    for q in questions:
        out.append(q)
        if q.get("type") == "repeat":
            out += _questions(q.get("questions", []))
    return out


def _all_questions(form: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for page in form["pages"] for q in _questions(page["questions"])]


def _texts(node: Any, path: str = "$") -> list[tuple[str, Any]]:
    """(json path, value) of every bilingual text object under ``node``."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}"
            if key in TEXT_KEYS and isinstance(value, dict):
                found.append((here, value))
            elif key in TEXT_KEYS and key != "name":
                found.append((here, value))  # a bare string is a defect: reported below
            else:
                found += _texts(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _texts(value, f"{path}[{i}]")
    return found


def _labels_of_choices(form: dict[str, Any]) -> list[tuple[str, Any]]:
    out = []
    for list_name, items in (form.get("choice_lists") or {}).items():
        out += [(f"$.choice_lists.{list_name}[{i}].label", c.get("label")) for i, c in enumerate(items)]
    for q in _all_questions(form):
        if isinstance(q.get("choices"), list):
            out += [(f"{q['name']}.choices[{i}].label", c.get("label")) for i, c in enumerate(q["choices"])]
    return out


# ------------------------------------------------------------------ files and texts

def test_at_least_nine_forms_and_one_example_each() -> None:
    assert len(FORM_FILES) >= 9
    form_ids = {p.stem for p in FORM_FILES}
    example_ids = {p.name.removesuffix(".answers.json") for p in EXAMPLE_FILES}
    assert form_ids == example_ids


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_form_file_is_valid_json_with_its_own_id(path: Path) -> None:
    form = _load(path)
    assert form["format"] == 1
    assert form["id"] == path.stem
    assert re.fullmatch(r"[a-z0-9-]+", form["id"])


@pytest.mark.parametrize("path", [*FORM_FILES, CATALOG / "catalog.json"], ids=lambda p: p.stem)
def test_every_text_is_bilingual_with_real_cyrillic(path: Path) -> None:
    data = _load(path)
    texts = _texts(data)
    if path.stem != "catalog":
        texts += _labels_of_choices(data)
    assert texts
    for where, text in texts:
        assert isinstance(text, dict), f"{path.name} {where}: a text must be {{mn, en}}"
        mn, en = text.get("mn", ""), text.get("en", "")
        assert mn.strip() and en.strip(), f"{path.name} {where}: empty mn or en"
        assert CYRILLIC.search(mn), f"{path.name} {where}: mn text has no Cyrillic: {mn!r}"
        assert mn != en, f"{path.name} {where}: mn and en are the same"
        # Mongolian texts are not transliterations: no Latin words (codes like РД are Cyrillic)
        assert not LATIN_WORD.search(mn), f"{path.name} {where}: Latin word in mn text: {mn!r}"


def test_every_question_type_is_used_somewhere() -> None:
    used = {q["type"] for path in FORM_FILES for q in _all_questions(_load(path))}
    assert ALL_TYPES <= used, f"unused types: {sorted(ALL_TYPES - used)}"


def test_every_expression_feature_is_exercised() -> None:
    fields: dict[str, list[str]] = {}
    for path in FORM_FILES:
        form = _load(path)
        for page in form["pages"]:
            if page.get("relevant"):
                fields.setdefault("page relevant", []).append(page["relevant"])
        for q in _all_questions(form):
            for key in ("relevant", "constraint", "calculate", "choice_filter"):
                if q.get(key):
                    fields.setdefault(key, []).append(q[key])
                    if key == "constraint":
                        assert q.get("constraint_message"), f"{path.name} {q['name']}: no message"
            if isinstance(q.get("required"), str):
                fields.setdefault("required expression", []).append(q["required"])
    for key in ("page relevant", "relevant", "constraint", "calculate", "choice_filter",
                "required expression"):
        assert fields.get(key), f"no {key} anywhere"
    every = " ".join(e for exprs in fields.values() for e in exprs)
    for fn in ("registry-birth-date(", "registry-sex(", "age(", "age-on(", "count-selected(",
               "regex(", "if(", "concat(", "count(", "coalesce(", "selected(", "not(",
               "string-length(", "today()", "int(", "date("):
        assert fn in every, f"{fn} is not used by any form"
    # a choice_filter over a choice's own key (not only its value)
    assert any(re.search(r"(^|[^.$\w{])kind\b", f) for f in fields["choice_filter"])


def test_forms_point_at_known_categories_agencies_and_icons() -> None:
    catalog = _load(CATALOG / "catalog.json")
    categories = {c["id"] for c in catalog["categories"]}
    for path in FORM_FILES:
        form = _load(path)
        assert form["category"] in categories, path.name
        assert form["agency"] in catalog["agencies"], path.name
        assert (ICONS / f"{form['icon']}.svg").is_file(), f"{path.name}: no icon {form['icon']}"
        assert len(form["pages"]) >= 2 and all(p.get("title") for p in form["pages"])
    for c in catalog["categories"]:
        assert (ICONS / f"{c['icon']}.svg").is_file(), f"category {c['id']}: no icon {c['icon']}"
    used = {_load(p)["category"] for p in FORM_FILES}
    assert used == categories, "every category has at least one form"


@pytest.mark.parametrize("path", sorted(ICONS.glob("*.svg")), ids=lambda p: p.stem)
def test_icons_are_simple_single_colour_svg(path: Path) -> None:
    root = ElementTree.fromstring(path.read_text(encoding="utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 48 48"
    colours = set()
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        assert tag not in ("text", "image", "script", "style", "foreignObject"), f"{path.name}: <{tag}>"
        for attr in ("fill", "stroke", "color", "stop-color"):
            if el.get(attr) not in (None, "none"):
                colours.add(el.get(attr))
        assert "style" not in el.attrib
    assert colours == {"currentColor"}, f"{path.name}: colours {colours}"


# ------------------------------------------------------------------ agencies and demo keys

def test_every_agency_is_demo_with_a_p256_encryption_key_and_its_published_private_half() -> None:
    from joserfc.jwk import ECKey

    catalog = _load(CATALOG / "catalog.json")
    assert catalog["format"] == 1
    assert len(catalog["agencies"]) >= 5
    kids = set()
    for agency_id, agency in catalog["agencies"].items():
        assert agency["demo"] is True
        (public,) = agency["keys"]
        assert {k: public[k] for k in ("kty", "crv", "use", "alg")} == {
            "kty": "EC", "crv": "P-256", "use": "enc", "alg": "ECDH-ES+A256KW"}
        assert "d" not in public, f"{agency_id}: a private key in catalog.json"
        assert public["kid"] == f"{agency_id}-demo-2026"
        kids.add(public["kid"])
        private = _load(DEMO_KEYS / f"{public['kid']}.json")
        assert private.pop("demo") is True
        key = ECKey.import_key(private)
        assert key.is_private
        derived = key.as_dict(private=False)
        assert (derived["x"], derived["y"]) == (public["x"], public["y"]), agency_id
    assert {p.stem for p in DEMO_KEYS.glob("*.json")} == kids
    readme = (DEMO_KEYS / "README.md").read_text(encoding="utf-8")
    assert "protect nothing" in readme and "DEMO" in readme


def test_demo_keys_decrypt_what_is_encrypted_to_the_catalog_keys() -> None:
    from joserfc import jwe
    from joserfc.jwk import ECKey

    catalog = _load(CATALOG / "catalog.json")
    for agency in catalog["agencies"].values():
        public = ECKey.import_key(agency["keys"][0])
        token = jwe.encrypt_compact({"alg": "ECDH-ES+A256KW", "enc": "A256GCM"}, b"demo", public)
        private = _load(DEMO_KEYS / f"{agency['keys'][0]['kid']}.json")
        private.pop("demo")
        assert jwe.decrypt_compact(token, ECKey.import_key(private)).plaintext == b"demo"


# ------------------------------------------------------------------ example answers

def _registry_numbers(answers: dict[str, Any], form: dict[str, Any]) -> list[str]:
    rd_names = {q["name"] for q in _all_questions(form) if q["type"] == "registry_number"}
    found: list[str] = []
    for key, value in answers.items():
        if key in rd_names:
            found.append(value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for row in value:
                found += _registry_numbers(row, form)
    return found


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name.split(".")[0])
def test_example_answers_are_well_formed(path: Path) -> None:
    from PIL import Image

    from kiosk.validators import parse_registry_number

    data = _load(path)
    assert data["form_id"] == path.name.removesuffix(".answers.json")
    form = _load(FORMS_DIR / f"{data['form_id']}.json")
    attachments = {q["name"]: q for q in _all_questions(form) if q["type"] == "attachment"}

    def visit(answers: dict[str, Any]) -> None:
        for key, value in answers.items():
            if key in attachments:
                file = EXAMPLES / value["file"]
                assert file.is_file(), f"{path.name}: {key}: {file} missing"
                with Image.open(file) as img:
                    assert img.size == (200, 140)
                    media = Image.MIME[img.format]
                assert media in attachments[key]["accept"], f"{path.name}: {key}: {media}"
                assert file.stat().st_size <= attachments[key]["max_size_kb"] * 1024
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for row in value:
                    visit(row)

    visit(data["answers"])
    rds = _registry_numbers(data["answers"], form)
    assert rds
    for rd in rds:
        info = parse_registry_number(rd)
        assert not isinstance(info, str), f"{path.name}: {rd}: {info}"
        assert info.value == rd, "example registry numbers are stored normalised"
        assert rd.startswith("ЖЭ"), "examples use the ЖЭ (жишээ) prefix: obviously fictional"


# ------------------------------------------------------------------ through the engine

@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    from kiosk.forms import load_catalog

    loaded = load_catalog(CATALOG)
    assert [str(p) for p in loaded.problems] == []
    return loaded


def test_catalog_loads_every_form_with_zero_problems(catalog) -> None:  # type: ignore[no-untyped-def]
    assert set(catalog.forms) == {p.stem for p in FORM_FILES}
    assert all(a.demo for a in catalog.agencies.values())


def test_forms_check_command_passes_on_the_bundled_catalog(kiosk_cli) -> None:  # type: ignore[no-untyped-def]
    result = kiosk_cli("forms", "check", str(CATALOG), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["problems"] == []
    assert sorted(report["forms"]) == sorted(p.stem for p in FORM_FILES)


def _session(catalog, form_id: str, lang: str = "mn", answers: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    from kiosk.forms import FormSession, answers_from_file

    form = catalog.form(form_id)
    session = FormSession(form, lang=lang)
    if answers is None:
        unknown = session.restore(answers_from_file(form, EXAMPLES / f"{form_id}.answers.json"))
        assert unknown == []
    else:
        session.restore(answers)
    return session


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name.split(".")[0])
@pytest.mark.parametrize("lang", ["mn", "en"])
def test_example_completes_its_form_screen_by_screen(catalog, path: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    form_id = _load(path)["form_id"]
    session = _session(catalog, form_id, lang)
    assert session.errors() == {}
    steps = 0
    while session.next():
        steps += 1
    assert steps == session.count - 1 >= 5, "navigation reaches the last screen"
    for screen in session.screens():
        assert screen.title.strip()
    doc = session.document()
    assert doc["form_id"] == form_id and doc["language"] == lang
    answers = doc["answers"]
    assert answers["consent"] is True
    attachment_names = [q.name for q in catalog.form(form_id).questions.values() if q.type == "attachment"]
    for name in attachment_names:
        if name in answers:
            assert set(answers[name]) == {"sha256", "size", "media_type", "name"}
    assert session.review(), "the review screen has rows"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name.split(".")[0])
def test_examples_do_not_go_stale_before_2036(catalog, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Ages come from the РД and today: the examples must keep completing for years."""
    from kiosk.forms import FormSession, answers_from_file

    form = catalog.form(_load(path)["form_id"])
    session = FormSession(form, today=date(2035, 12, 31))
    session.restore(answers_from_file(form, path))
    assert session.errors() == {}


def test_examples_give_the_expected_calculations(catalog) -> None:  # type: ignore[no-untyped-def]
    livestock = _session(catalog, "livestock-census")
    assert livestock.value("total_head") == 34 + 21 + 0 + 260 + 185
    assert livestock.value("sheep_units") == pytest.approx(34 * 7 + 21 * 6 + 260 + 185 * 0.9)
    money = _session(catalog, "child-money")
    assert (money.value("children_count"), money.value("monthly_amount")) == (2, 200000)
    birth = _session(catalog, "birth-registration")
    assert birth.value("child_patronymic") == "Бат-Эрдэнэ"
    assert birth.value("child_full_name") == "Жишээ Бат-Эрдэнэ Тэмүүлэн"
    land = _session(catalog, "land-possession")
    assert land.value("area_m2") == 125000
    moving = _session(catalog, "residence-change")
    assert moving.value("members_count") == 3


# ------------------------------------------------------------------ the rules bite

def _rd(born: date, male: bool) -> str:
    """A structurally valid РД for ``born`` (month + 20 from 2000; odd 9th digit = male)."""
    month = born.month + (20 if born.year >= 2000 else 0)
    return f"ЖЭ{born.year % 100:02d}{month:02d}{born.day:02d}{1 if male else 2}7"


def _years_ago(years: int, days: int = 10) -> date:
    today = date.today()
    try:
        anniversary = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - years, day=28)
    return anniversary - timedelta(days=days)


def _example(form_id: str) -> dict[str, Any]:
    from kiosk.forms.answers_file import describe_file

    data = _load(EXAMPLES / f"{form_id}.answers.json")["answers"]

    def resolve(answers: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in answers.items():
            if isinstance(v, dict) and "file" in v:
                out[k] = describe_file(None, EXAMPLES / v["file"])  # type: ignore[arg-type]
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                out[k] = [resolve(row) for row in v]
            else:
                out[k] = v
        return out

    return resolve(data)


def _error_names(session) -> set[str]:  # type: ignore[no-untyped-def]
    return {name for name, _item in session.errors()}


def test_id_card_reasons_follow_the_age_from_the_registry_number(catalog) -> None:  # type: ignore[no-untyped-def]
    answers = _example("id-card")
    offered = lambda s: {c.value for c in s.choices("reason")}  # noqa: E731
    s = _session(catalog, "id-card", answers={**answers, "applicant_rd": _rd(_years_ago(16), True)})
    assert "first" in offered(s) and not {"renew_25", "renew_45"} & offered(s)
    s = _session(catalog, "id-card", answers={**answers, "applicant_rd": _rd(_years_ago(30), False)})
    assert "renew_25" in offered(s) and not {"first", "renew_45"} & offered(s)
    s = _session(catalog, "id-card", answers={**answers, "applicant_rd": _rd(_years_ago(50), True)})
    assert "renew_45" in offered(s) and "lost" in offered(s) and "first" not in offered(s)
    s = _session(catalog, "id-card", answers={**answers, "applicant_rd": _rd(_years_ago(15), True)})
    assert "applicant_rd" in _error_names(s)
    s = _session(catalog, "id-card", answers={**answers, "reason": "first"})
    assert "reason" in _error_names(s), "a 30-year-old cannot ask for a first card"
    assert s.visible("birth_certificate_number") and not s.visible("lost_on")


def test_child_money_cross_checks_birth_date_and_age(catalog) -> None:  # type: ignore[no-untyped-def]
    answers = _example("child-money")
    child = dict(answers["children"][0], child_birth_date="2021-06-16")
    s = _session(catalog, "child-money", answers={**answers, "children": [child]})
    assert ("child_birth_date", (0,)) in s.errors()
    adult = _years_ago(18)
    child = dict(answers["children"][0], child_rd=_rd(adult, False), child_birth_date=adult.isoformat())
    s = _session(catalog, "child-money", answers={**answers, "children": [child]})
    assert ("child_rd", (0,)) in s.errors()
    s = _session(catalog, "child-money", answers={**answers, "children": []})
    assert ("children", ()) in s.errors(), "at least one child"
    s = _session(catalog, "child-money", answers={**answers, "account_number": "12-34"})
    assert "account_number" in _error_names(s)
    s = _session(catalog, "child-money", answers={**answers, "account_is_own": False})
    assert {"account_holder", "bank_statement"} <= _error_names(s)


def test_marriage_checks_sex_and_age_of_both_and_the_witnesses(catalog) -> None:  # type: ignore[no-untyped-def]
    answers = _example("marriage-registration")
    s = _session(catalog, "marriage-registration", answers={**answers, "groom_rd": answers["bride_rd"]})
    assert "groom_rd" in _error_names(s)
    young = _rd(_years_ago(17), False)
    s = _session(catalog, "marriage-registration", answers={**answers, "bride_rd": young})
    assert "bride_rd" in _error_names(s)
    witnesses = [dict(answers["witnesses"][0], witness_rd=answers["groom_rd"]), answers["witnesses"][1]]
    s = _session(catalog, "marriage-registration", answers={**answers, "witnesses": witnesses})
    assert ("witness_rd", (0,)) in s.errors()
    s = _session(catalog, "marriage-registration", answers={**answers, "witnesses": witnesses[1:]})
    assert ("witnesses", ()) in s.errors(), "two witnesses"
    s = _session(catalog, "marriage-registration", answers={**answers, "groom_history": "divorced"})
    assert s.page_visible("previous") and "previous_document" in _error_names(s)


def test_birth_registration_father_only_when_married_or_acknowledged(catalog) -> None:  # type: ignore[no-untyped-def]
    answers = _example("birth-registration")
    s = _session(catalog, "birth-registration", answers={**answers, "parents_status": "single"})
    assert not s.page_visible("father")
    assert s.value("child_patronymic") == "Сарантуяа"
    assert "father_rd" not in s.document()["answers"]
    assert "father" not in {c.value for c in s.choices("applicant_role")}
    s = _session(catalog, "birth-registration", answers={**answers, "mother_rd": answers["father_rd"]})
    assert "mother_rd" in _error_names(s)
    s = _session(catalog, "birth-registration", answers={**answers, "birth_facility": "home"})
    assert {"birth_place_detail", "home_birth_witness"} <= _error_names(s)
    assert "medical_birth_notice" not in _error_names(s)


def test_livestock_constraints_and_skip(catalog) -> None:  # type: ignore[no-untyped-def]
    answers = _example("livestock-census")
    s = _session(catalog, "livestock-census", answers={**answers, "young_animals": 501})
    assert "young_animals" in _error_names(s)
    s = _session(catalog, "livestock-census", answers={**answers, "sheep": -1})
    assert "sheep" in _error_names(s)
    zero = {k: 0 for k in ("horses", "cattle", "camels", "sheep", "goats")}
    s = _session(catalog, "livestock-census", answers={**answers, **zero, "young_animals": 0})
    assert "goats" in _error_names(s), "owning livestock means at least one animal"
    s = _session(catalog, "livestock-census", answers={**answers, "has_livestock": False})
    assert s.errors() == {} and "horses" not in s.document()["answers"]


def test_petition_reply_and_topic_rules(catalog) -> None:  # type: ignore[no-untyped-def]
    answers = _example("governor-petition")
    s = _session(catalog, "governor-petition", answers={**answers, "contact_phone": None})
    assert "contact_phone" in _error_names(s)
    s = _session(catalog, "governor-petition", answers={**answers, "contact_phone": None, "wants_reply": False})
    assert s.errors() == {}
    s = _session(catalog, "governor-petition", answers={**answers, "reply_by": "post"})
    assert {"postal_address", "postal_code"} <= _error_names(s)
    topics = {c.value for c in s.choices("topic")}
    assert "support" in topics and "official_conduct" not in topics
    s = _session(catalog, "governor-petition", answers={**answers, "kind": "complaint"})
    assert "official_conduct" in {c.value for c in s.choices("topic")}


def test_land_residence_and_care_rules(catalog) -> None:  # type: ignore[no-untyped-def]
    land = _example("land-possession")
    s = _session(catalog, "land-possession", answers={**land, "purpose": "business", "area_ha": 2})
    assert "area_ha" in _error_names(s) and "business_plan" in _error_names(s)
    s = _session(catalog, "land-possession", answers={**land, "coordinates": "12.5, 200.1"})
    assert "coordinates" in _error_names(s)
    s = _session(catalog, "land-possession", answers={**land, "used_since": date.today().year + 1})
    assert "used_since" in _error_names(s)
    moving = _example("residence-change")
    s = _session(catalog, "residence-change", answers={**moving, "to_place": moving["from_place"]})
    assert "to_place" in _error_names(s)
    s = _session(catalog, "residence-change", answers={**moving, "with_household": False})
    assert not s.page_visible("household") and s.value("members_count") == 1
    care = _example("permanent-care-allowance")
    s = _session(catalog, "permanent-care-allowance", answers=care)
    assert {c.value for c in s.choices("care_reason")} == {"child_disability"}
    assert 0 <= s.value("cared_age") < 18
    s = _session(catalog, "permanent-care-allowance", answers={**care, "carer_rd": care["cared_rd"]})
    assert "carer_rd" in _error_names(s)
    s = _session(catalog, "permanent-care-allowance", answers={**care, "disability_kinds": []})
    assert "disability_kinds" in _error_names(s)


def test_death_registration_dates_follow_the_registry_number(catalog) -> None:  # type: ignore[no-untyped-def]
    answers = _example("death-registration")
    s = _session(catalog, "death-registration", answers=answers)
    assert s.value("age_at_death") == 85
    s = _session(catalog, "death-registration", answers={**answers, "death_date": "1940-01-01"})
    assert "death_date" in _error_names(s), "death before birth"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    s = _session(catalog, "death-registration", answers={**answers, "death_date": tomorrow})
    assert "death_date" in _error_names(s)
    s = _session(catalog, "death-registration", answers={**answers, "informant_rd": answers["deceased_rd"]})
    assert "informant_rd" in _error_names(s)
    s = _session(catalog, "death-registration", answers={**answers, "id_card_returned": False})
    assert "id_card_missing_reason" in _error_names(s)
