"""A GeoJSON choice file (``jr://file/x.geojson``) as a secondary instance, as ODK reads it.

ODK forms use them for ``select_one_from_file x.geojson`` (a map of places to pick
from). Each Feature becomes an ``<item>``: ``geometry`` holds its coordinates the
ODK way ("lat lon 0 0"; points of a line or a polygon's outer ring joined by
"; "), every property is a child of the same name, and the feature's ``id``
becomes ``id`` (replacing a property of that name). Anything else (not a
FeatureCollection, another geometry type, a property name that is no XML name)
is refused naming the file. The items go straight into a Table
(kiosk.forms.table_read: each feature let go once read), never an ElementTree;
a row's cells are in the table's column order (first seen first).
"""

from __future__ import annotations

import json
import re
from typing import Any

from kiosk.forms.instance_table import Table
from kiosk.forms.model import FormLoadError
from kiosk.forms.table_read import table_from_features

_XML_NAME = re.compile(r"[A-Za-z_][\w.\-]*")


def read_geojson_instance(data: bytes, where: str) -> Table:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormLoadError(where, key="formload.geojson_unreadable",
                            params={"reason": exc.__class__.__name__}) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
            doc.get("features"), list):
        raise FormLoadError(where, key="formload.geojson_not_collection")
    return table_from_features(doc["features"], lambda feature, n: _item(feature, f"{where}, feature {n}"))


def _item(feature: Any, where: str) -> dict[str, str]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise FormLoadError(where, key="formload.geojson_not_feature")
    geometry = _coordinates(feature.get("geometry"), where)
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise FormLoadError(where, key="formload.geojson_properties")
    fields = {str(k): "" if v is None else _text(v) for k, v in props.items()}
    if feature.get("id") is not None:
        fields["id"] = _text(feature["id"])
    for name in fields:
        if not _XML_NAME.fullmatch(name):
            raise FormLoadError(where, key="formload.geojson_property_name", params={"name": repr(name)})
    fields.pop("geometry", None)  # a property of that name was a second <geometry>: one cell here
    return {"geometry": geometry, **fields}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _coordinates(geometry: Any, where: str) -> str:
    if not isinstance(geometry, dict):
        raise FormLoadError(where, key="formload.geojson_no_geometry")
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    try:
        if kind == "Point":
            return _point(coords)
        if kind == "LineString":
            return "; ".join(_point(p) for p in coords)
        if kind == "Polygon":
            return "; ".join(_point(p) for p in coords[0]) if coords else ""
    except (TypeError, IndexError, KeyError):
        raise FormLoadError(where, key="formload.geojson_coordinates", params={"kind": kind}) from None
    raise FormLoadError(where, key="formload.geojson_geometry", params={"kind": repr(kind)})


def _point(p: Any) -> str:
    lon, lat = p[0], p[1]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lon, lat)):
        raise TypeError("not a number")
    return f"{lat} {lon} 0 0"
