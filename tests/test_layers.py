"""The floors hold: no project module is imported by a name string, and the contract says so.

import-linter (run by tests/test_repo_hygiene.py) only sees ``import`` statements: an
``importlib.import_module("sync.odk.seal")`` in the core is an arrow running upward that
it reports as "kept". So every call that imports by name is found here in the source
(AST), and must name a module outside the project, literally.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT = ("app", "kiosk", "sync", "ui", "central")
FLOORS = ["app", "ui", "sync", "kiosk"]  # top to bottom (docs/internals.md)

# Files that still import a project module by name on this branch, each with the branch
# that removes it. The test fails when one of them no longer needs its entry too, so the
# list can only shrink.
PENDING: dict[str, str] = {}

_BY_NAME = {"import_module", "__import__", "run_module"}


@dataclass(frozen=True)
class ByName:
    """One call that imports a module by name: where, and what it names (None: not literal)."""

    path: str
    line: int
    target: str | None


def _literal_prefix(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _called_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def imports_by_name(source: str, path: str) -> list[ByName]:
    """Every import_module/__import__/run_module call in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, path)):
        if isinstance(node, ast.Call) and _called_name(node) in _BY_NAME:
            target = _literal_prefix(node.args[0]) if node.args else None
            found.append(ByName(path, node.lineno, target))
    return found


def is_project(call: ByName) -> bool:
    """A literal naming a project module, or a name not written out (could be anything)."""
    if call.target is None:
        return True
    top = call.target.split(".")[0]
    return top in PROJECT or top == ""


def project_imports_by_name() -> list[ByName]:
    calls = []
    for package in PROJECT:
        for file in sorted((REPO / package).rglob("*.py")):
            rel = file.relative_to(REPO).as_posix()
            calls += [c for c in imports_by_name(file.read_text("utf-8"), rel) if is_project(c)]
    return calls


def test_no_project_module_is_imported_by_name() -> None:
    calls = project_imports_by_name()
    offending = [c for c in calls if c.path not in PENDING]
    assert offending == [], "import these statically (app/ is the composition root)"
    stale = sorted(set(PENDING) - {c.path for c in calls})
    assert stale == [], f"no longer imports by name: remove from PENDING: {stale}"


def test_the_scan_finds_every_form_of_import_by_name() -> None:
    source = (
        "import importlib\n"
        "from importlib import import_module\n"
        "importlib.import_module('sync.odk.seal')\n"
        "import_module(f'ui.{name}')\n"
        "__import__('central.app')\n"
        "importlib.import_module(module_name)\n"
        "import runpy\nrunpy.run_module('app')\n"
        "importlib.import_module(f'PySide6.{name}')\n"  # not ours: allowed
        "importlib.import_module('json')\n"  # not ours: allowed
    )
    calls = imports_by_name(source, "probe.py")
    assert [c.line for c in calls if is_project(c)] == [3, 4, 5, 6, 8]
    assert [c.target for c in calls if not is_project(c)] == ["PySide6.", "json"]


def _contracts() -> list[dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    return list(config["tool"]["importlinter"]["contracts"])


def test_the_floors_are_a_layers_contract() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert set(PROJECT) <= set(config["tool"]["importlinter"]["root_packages"])
    layers = [c for c in _contracts() if c["type"] == "layers"]
    assert [c["layers"] for c in layers] == [FLOORS]
    central = [c for c in _contracts() if c.get("source_modules") == ["central"]]
    assert central and {"app", "ui", "sync", "PySide6"} <= set(central[0]["forbidden_modules"])


def test_the_contracts_catch_an_upward_import(tmp_path: Path) -> None:
    """A copy of the project with one import running up a floor breaks the layers contract."""
    for file in [f for package in PROJECT for f in (REPO / package).rglob("*.py")]:
        copy = tmp_path / file.relative_to(REPO)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(file.read_bytes())
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text("utf-8"))
    with (tmp_path / "sync" / "jsonlimits.py").open("a", encoding="utf-8") as f:
        f.write("\nimport app.cli  # upward: the test's planted arrow\n")
    lint = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True,
                            text=True, env=env)
    assert result.returncode != 0
    assert "Floors: app > ui > sync > kiosk BROKEN" in result.stdout
    assert "sync.jsonlimits -> app.cli" in result.stdout


def test_app_is_lint_and_type_clean() -> None:
    """ruff and mypy over app/ (the hygiene test covers the other packages)."""
    ruff = subprocess.run([str(Path(sys.executable).parent / "ruff"), "check", "app"],
                          cwd=REPO, capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run([sys.executable, "-m", "mypy", "app"], cwd=REPO, capture_output=True,
                          text=True)
    # Only app/'s own lines: mypy follows app's imports into ui/, whose typing is its own work.
    own = [line for line in mypy.stdout.splitlines() if line.startswith("app/")]
    assert own == [], "\n".join(own)
