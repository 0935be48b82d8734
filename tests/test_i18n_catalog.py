"""Every key in the translation catalog is used by the code.

The per-area tests check the other way (every key the code uses exists, in both
languages). A key nobody uses is text a translator keeps up to date for nothing, and
hides the one that is really shown. Keys are found in the source (AST): a string
constant that is a whole key; a key made from a family prefix (``f"odk.state_{state}"``),
each family listed below with the file that builds it; or a bare name written in a
file that puts its section in front (``t(f"ui.{key}")``) or whose error codes become
keys that way, those files listed too.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from kiosk.paths import ASSETS_DIR

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "kiosk", "sync", "ui", "central")

# Key prefix -> the file that makes keys from it with a value known only at run time.
FAMILIES = {
    "doctor.status_": "app/commands/doctor.py",
    "doctor.queue_state_": "app/doctor.py",
    "doctor.catalog_": "app/doctor.py",
    "doctor.title_": "app/doctor.py",
    "doctor.kind_": "app/doctor.py",
    "odk.state_": "app/commands/odk.py",
    "store.state_": "app/commands/status.py",
    "store.held_": "kiosk/destination.py",
    "sync.state_": "app/commands/sync.py",
    "xform.unavailable_": "kiosk/forms/xform_questions.py",
    "xform.time_": "ui/widgets/odk.py",
    "ui.staff_status_": "ui/views/diagnostics.py",
    "ui.staff_state_": "ui/views/staff.py",
    "ui.a11y_read_aloud_no_voice_": "ui/window.py",
    "ui.date_": "ui/widgets/inputs.py",
    "ui.sex_": "ui/widgets/inputs.py",
    "ui.keyboard_layout_": "ui/widgets/keyboard.py",
    "help.": "app/help_text.py",  # every help text of the command line, by command and option
}
# File -> the section it puts in front of bare names written in it (``key`` and
# ``key + "_desc"`` for a button's name and description).
SECTION_BUILDERS = {
    "app/doctor.py": "doctor",
    "kiosk/forms/values.py": "validators",
    "ui/widgets/inputs.py": "validators",
    "ui/chrome.py": "ui",
    "ui/views/form.py": "ui",
    "ui/views/receipt.py": "ui",
}
# File -> the section whose keys its error codes are (a builder above puts the section in front).
CODES = {
    "kiosk/validators.py": "validators",
    "kiosk/admin_units.py": "validators",
}


def catalog_keys() -> set[str]:
    keys = set()
    for file in sorted((ASSETS_DIR / "i18n").glob("*.json")):
        keys |= {f"{file.stem}.{key}" for key in json.loads(file.read_text("utf-8"))}
    return keys


def _sources() -> dict[str, ast.Module]:
    files = [f for pkg in PACKAGES if (REPO / pkg).is_dir() for f in sorted((REPO / pkg).rglob("*.py"))]
    return {f.relative_to(REPO).as_posix(): ast.parse(f.read_text("utf-8"), str(f)) for f in files}


def constants(tree: ast.Module) -> set[str]:
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def built_prefixes(tree: ast.Module) -> set[str]:
    """The literal start of every f-string and of every ``"literal" + value``."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            out.add(str(node.values[0].value))
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
              and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)):
            out.add(node.left.value)
    return out


def used_keys(known: set[str], sources: dict[str, ast.Module]) -> set[str]:
    written = set().union(*(constants(tree) for tree in sources.values()))
    used = {key for key in known if key in written or key.startswith(tuple(FAMILIES))}
    for path, section in {**SECTION_BUILDERS, **CODES}.items():
        bare = constants(sources[path]) if path in sources else set()
        used |= {f"{section}.{name}" for name in bare} | {f"{section}.{name}_desc" for name in bare}
    return used & known


def test_the_listed_families_and_builders_are_still_in_the_code():
    sources = _sources()
    stale = [f"{prefix} ({path})" for prefix, path in FAMILIES.items()
             if path not in sources or prefix not in built_prefixes(sources[path])]
    stale += [f"{section}. ({path})" for path, section in SECTION_BUILDERS.items()
              if path not in sources or f"{section}." not in built_prefixes(sources[path])]
    assert stale == [], f"no longer built there: update FAMILIES / SECTION_BUILDERS: {stale}"


def test_every_catalog_key_is_used():
    known = catalog_keys()
    unused = sorted(known - used_keys(known, _sources()))
    assert unused == [], f"{len(unused)} translation key(s) nothing uses: {unused}"


def test_the_finder_tells_a_used_key_from_an_unused_one():
    tree = ast.parse('t("ui.used", lang)\nt(f"odk.state_{s}")\nx = "staff_button"\n')
    sources = {"x.py": tree, "ui/chrome.py": tree}
    known = {"ui.used", "ui.unused", "odk.state_new", "ui.staff_button", "ui.staff_button_desc"}
    assert used_keys(known, sources) == known - {"ui.unused"}
