"""Completing a form through the accessibility tree alone, as a screen-reader user would:
find each question by its label in reading order, then operate the controls after it
with their own actions (SetTextContents, Press, Toggle, list selection). No mouse, no keys."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.ui.atspi import SELECTION, STATE_CHECKED, STATE_PRESSED, Node, Ref, Tree

TEXT_TYPES = ("text", "integer", "decimal", "phone", "registry_number", "postal_code")
# Answers the tree cannot give by design: a file is chosen in the picker from a scans
# folder or taken with the camera, not typed or pressed.
BY_DESIGN = ("attachment",)


class Unanswerable(AssertionError):
    """A question on the screen whose answer the tree cannot give by design (BY_DESIGN)."""

    def __init__(self, question: str, kind: str) -> None:
        super().__init__(f"{question}: a {kind} cannot be answered through the tree")
        self.question, self.kind = question, kind


def _poll(check, timeout: float = 30.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    return check()


def unnumbered(text: str) -> tuple[str, int | None]:
    """A label without its repeat item's number: "Child's name (2)" -> ("Child's name", 2)."""
    m = re.fullmatch(r"(.*) \((\d+)\)", text, re.DOTALL)
    return (m[1], int(m[2])) if m else (text, None)


class FormDriver:
    """One form, one language: the form definition says what each label asks."""

    def __init__(self, tree: Tree, app: Ref, form: dict[str, Any], answers: dict[str, Any],
                 lang: str, words: dict[str, str]) -> None:
        self.tree, self.app, self.lang, self.words = tree, app, lang, words
        self.answers = answers
        self.lists = form.get("choice_lists", {})
        self.questions = {q["label"][lang]: q for p in form["pages"] for q in p["questions"]}
        # Two pages may ask the same labels (the groom's and the bride's registry number):
        # the page shown is the one whose title the screen's heading ends with; with the
        # heading hidden (large text, keys open) the first of them not answered yet.
        self.pages = [(str(p["title"][lang]), {q["label"][lang]: q for q in p["questions"]})
                      for p in form["pages"] if p.get("title")]
        self.alike: dict[str, list[dict[str, Any]]] = {}
        for p in form["pages"]:
            for q in p["questions"]:
                self.alike.setdefault(q["label"][lang], []).append(q)
        self.given: set[str] = set()
        # A repeat's question shows its label with the item's number ("Child's name (2)"),
        # answered from that item of the repeat's example answers.
        self.items = {c["label"][lang]: (q["name"], c) for p in form["pages"] for q in p["questions"]
                      if q["type"] == "repeat" for c in q["questions"]}

    # -- reading ---------------------------------------------------------------------
    def nodes(self) -> list[Node]:
        return self.tree.nodes(self.app)

    def button(self, name: str) -> Node | None:
        return next((n for n in self.nodes() if n.role in ("push button", "toggle button")
                     and n.name == name), None)

    def press(self, name: str) -> None:
        node = _poll(lambda: self.button(name))
        assert node is not None, f"no button {name!r} on the screen: {self.names()}"
        self.tree.do(node.ref, "Press")

    def names(self) -> list[str]:
        return [f"{n.role}:{n.name}" for n in self.nodes() if n.role not in ("filler", "panel")]

    def _choice(self, q: dict[str, Any], value: Any) -> str:
        if q["type"] == "yes_no":
            return self.words["yes" if value else "no"]
        for c in self.lists.get(q.get("choices"), []):
            if c["value"] == value:
                return str(c["label"][self.lang])
        raise AssertionError(f"{q['name']}: no choice {value!r}")

    # -- answering -------------------------------------------------------------------
    def screen_questions(self) -> list[tuple[dict[str, Any], list[Node]]]:
        """The questions on the screen, each with the controls read after its label."""
        return [(q, controls) for q, _value, controls in self._screen()]

    def _screen(self) -> list[tuple[dict[str, Any], Any, list[Node]]]:
        """Each question on the screen with its example answer and its controls."""
        out: list[tuple[dict[str, Any], Any, list[Node]]] = []
        nodes = self.nodes()
        heads = [unnumbered(n.name)[0] for n in nodes if n.role == "label"]
        asked = next((qs for title, qs in self.pages for h in heads if h.endswith(f" — {title}")), self.questions)
        for n in nodes:
            found = self._asked(n, asked) if n.role == "label" else None
            if found is not None:
                out.append((*found, []))
            elif out and n.role not in ("label", "filler", "panel"):
                out[-1][2].append(n)
        return out

    def labels(self) -> list[str]:
        """The questions' labels on the screen (no error line, no hint)."""
        return [n.name for n in self.nodes() if n.role == "label" and (
            n.name in self.questions or unnumbered(n.name)[0] in self.items)]

    def _asked(self, label: Node, asked: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], Any] | None:
        if label.name in asked:
            q = asked[label.name]
            if asked is self.questions:  # no heading read: in the form's order
                q = next((a for a in self.alike[label.name] if a["name"] not in self.given), q)
            return q, self.answers.get(q["name"])
        base, item = unnumbered(label.name)
        if base not in self.items or item is None:
            return None
        repeat, q = self.items[base]
        given = self.answers.get(repeat) or []
        return q, given[item - 1].get(q["name"]) if item <= len(given) else None

    def answer_screen(self) -> list[str]:
        done = []
        for q, value, controls in self._screen():
            if value is None or q["type"] in ("note", "repeat"):
                continue  # a repeat's items are answered on their own screens
            self.answer(q, value, controls)
            done.append(q["name"])
            self.given.add(q["name"])
        return done

    def answer(self, q: dict[str, Any], value: Any, controls: list[Node]) -> None:
        kind = q["type"]
        if kind in TEXT_TYPES:
            edit = next(c for c in controls if c.role == "text")
            self.tree.set_text(edit.ref, str(value))
        elif kind == "date":
            parts = dict(zip(("year", "month", "day"), str(value).split("-"), strict=True))
            for part, text in parts.items():
                edit = next(c for c in controls if c.role == "text" and c.name.endswith(self.words[part]))
                self.tree.set_text(edit.ref, text)
        elif kind in ("select_one", "yes_no"):
            self._toggle_on(controls, self._choice(q, value))
        elif kind == "select_multiple":
            for v in value:
                self._toggle_on(controls, self._choice(q, v))
        elif kind == "consent":
            self._toggle_on(controls, None)
        elif kind == "aimag_soum":
            from kiosk.admin_units import admin_units

            units = admin_units()
            combos = [c for c in controls if c.role == "combo box"]
            aimag = next(u for u in units.aimags if u.code == value["aimag"])
            self._pick(combos[0].ref, aimag.name(self.lang))
            if value.get("soum"):
                soum = next(u for u in units.soums(value["aimag"]) if u.code == value["soum"])
                self._pick(combos[1].ref, soum.name(self.lang))
        elif kind == "signature":
            return  # drawn with keys by the caller: the pad has no action of its own
        elif kind in BY_DESIGN:
            raise Unanswerable(q["name"], kind)
        else:
            raise AssertionError(f"{q['name']}: no way to answer a {kind} through the tree")

    def _toggle_on(self, controls: list[Node], name: str | None) -> None:
        node = next((c for c in controls if c.role in ("push button", "toggle button", "check box")
                     and (name is None or c.name == name)), None)
        assert node is not None, f"no control {name!r} among {[c.name for c in controls]}"
        if not node.checked:
            self.tree.do(node.ref, "Press" if "Press" in self.tree.actions(node.ref) else "Toggle")
            # Qt's Press action is an animated click: the button is down at once (read as
            # "pressed") and clicked ~100 ms later. Until the control (found again: an answer
            # that changes what the page shows draws it anew) reads checked, a tap on Next
            # would find the answer missing and the click would then clear the error.
            on = {STATE_CHECKED} if node.role in ("check box", "radio button") else {STATE_CHECKED, STATE_PRESSED}
            assert _poll(lambda: any(n.role == node.role and n.name == node.name and on & n.states
                                     for n in self.nodes())), f"{node.name!r}: its action did not check it"

    def _pick(self, combo: Ref, item: str) -> None:
        listing = self.tree.children(combo)[0]
        names = [self.tree.name(c) for c in self.tree.children(listing)]
        assert item in names, f"{item!r} is not offered ({names[:10]} …)"
        self.tree.call(listing, SELECTION, "SelectChild", "i", (names.index(item),))
        assert _poll(lambda: self.tree.name(combo) == item), f"choosing {item!r} did not take"
