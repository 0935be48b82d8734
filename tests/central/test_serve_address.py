"""`kiosk-central serve` on an address it cannot have: one line, a meaningful exit code."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from kiosk.errors import EXIT_CONFIG


def test_serve_on_a_busy_port_says_the_address_is_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "central.cli", "serve", "--data", str(tmp_path / "data"),
             "--host", "127.0.0.1", "--port", str(port)],
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == EXIT_CONFIG, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "address is in use" in lines[0]
    assert "internal error" not in lines[0]
