"""The README's commands, CI, the dependency rule, lint and types."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    block = re.search(r"# BEGIN README TEST COMMAND\n(.*?)\n# END README TEST COMMAND", ci, re.S)
    assert block and block.group(1).strip() == commands[1].strip()


def _tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def test_import_contract_kiosk_and_sync_never_import_qt():
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_clean():
    result = subprocess.run(
        [_tool("ruff"), "check", "kiosk", "sync", "central", "ui", "tests"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


PACKAGES = [name for name in ("app", "kiosk", "sync", "ui", "central")
            if (REPO / name / "__init__.py").is_file()]


def test_mypy_clean_on_every_package():
    """mypy with check_untyped_defs (pyproject.toml) over all of the project's code."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *PACKAGES], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
