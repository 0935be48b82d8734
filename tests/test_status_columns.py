"""``kiosk status`` lines its counts up in one column in every language (issue 19, second
round): the Mongolian "held" row is longer than the 28 characters the column had."""

from __future__ import annotations

from app.commands.status import display_width, pad


def test_counts_line_up_by_display_width(kiosk_cli, isolated_home) -> None:  # noqa: ANN001
    from kiosk.paths import Home
    from kiosk.store import Store

    with Store.open(Home(isolated_home)):
        pass
    result = kiosk_cli("--lang", "mn", "status")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines()[1:] if line.startswith("  ") and line.rstrip()[-1:].isdigit()]
    assert len(rows) >= 6, result.stdout
    ends = {display_width(line.split("   (")[0].rstrip()) for line in rows}
    assert len(ends) == 1, f"the counts are not in one column:\n{result.stdout}"


def test_pad_counts_columns_not_code_points() -> None:
    assert display_width("Түр") == 3
    assert display_width("日本") == 4
    assert display_width("е\u0301") == 1  # a combining accent takes no column
    assert pad("日本", 6) == "日本  "
