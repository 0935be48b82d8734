"""Service-tile icons take their colour from the theme and their size from the text size."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

from ui import theme


def _icon_colours(tile) -> list[QColor]:  # noqa: ANN001
    image = tile.icon_label.pixmap().toImage()
    return [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())
            if image.pixelColor(x, y).alpha() > 200]


@pytest.mark.parametrize("theme_name", theme.THEMES)
def test_tile_icons_are_drawn_in_the_tile_text_colour(qtbot, kiosk, theme_name):
    kiosk.prefs.set_theme(theme_name)
    kiosk.window.show_home()
    p = theme.palette(theme_name)
    tiles = [t for t in kiosk.window.home.tiles.values() if t.icon_label is not None]
    assert tiles, "the bundled catalog has icons"
    for tile in tiles:
        colours = _icon_colours(tile)
        assert colours, f"{tile.objectName()}: the icon draws nothing"
        core = max(colours, key=lambda c: theme.contrast_ratio(c, p["tile"]))
        assert theme.contrast_ratio(core, p["tile"]) >= theme.required_contrast(theme_name), (
            tile.objectName(), core.name(), p["tile"])
        # The tile text's colour (to rounding of the anti-aliased edge).
        assert theme.contrast_ratio(core, p["on_tile"]) < 1.05, (tile.objectName(), core.name())


@pytest.mark.parametrize(("scale", "size"), [(100, 48), (150, 72), (200, 96)])
def test_tile_icons_grow_with_the_text(qtbot, kiosk, scale, size):
    kiosk.prefs.set_scale(scale)
    kiosk.window.show_home()
    tile = next(t for t in kiosk.window.home.tiles.values() if t.icon_label is not None)
    assert tile.icon_label.width() == size and tile.icon_label.pixmap().width() == size
