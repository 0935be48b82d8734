"""A valid catalog loads without importing the reference validator (start-up cost);
an invalid one still gets jsonschema's precise description of what is wrong."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

_PROBE = r"""
import json, sys
from pathlib import Path
from kiosk.forms import load_catalog
catalog = load_catalog(Path(sys.argv[1]))
print(json.dumps({"jsonschema": "jsonschema" in sys.modules,
                  "problems": [p.message for p in catalog.problems]}))
"""


def _probe(folder) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(folder)], capture_output=True,
                         text=True, cwd=REPO, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_valid_catalog_does_not_import_jsonschema():
    from kiosk.paths import bundled_catalog_dir

    result = _probe(bundled_catalog_dir())
    assert result == {"jsonschema": False, "problems": []}


def test_invalid_form_is_described_by_jsonschema(tmp_path):
    import shutil

    from kiosk.paths import bundled_catalog_dir

    folder = tmp_path / "catalog"
    shutil.copytree(bundled_catalog_dir(), folder)
    form = folder / "forms" / "id-card.json"
    data = json.loads(form.read_text("utf-8"))
    data["unexpected_key"] = 1
    form.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    result = _probe(folder)
    assert result["jsonschema"] is True
    assert any("unexpected_key" in m for m in result["problems"])
