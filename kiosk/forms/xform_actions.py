"""XForm actions (``<setvalue>``, ``<odk:setgeopoint>``) and the events they run on.

Kept apart from the question builder because they are read once, before any
question, and decide only three things the builder then uses: a question's first
value (a literal on first load), its default expression (an expression on first
load or a new repeat item), and a hidden node's calculation (an action on another
answer's change, which a kiosk keeps up to date as a calculation instead). An
event ODK does not know is refused, as javarosa refuses it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from itertools import chain

from kiosk.forms.load_error import FormWarning, Words
from kiosk.forms.model import FormLoadError
from kiosk.forms.odk_meta import OdkForm
from kiosk.forms.xform_paths import local, normalise_path

XF = "{http://www.w3.org/2002/xforms}"
ODK = "{http://www.opendatakit.org/xforms}"
# The events javarosa registers an action for (org.javarosa.core.model.actions.Actions);
# any other makes it refuse the form.
ODK_EVENTS = frozenset({"odk-instance-first-load", "odk-instance-load", "odk-new-repeat", "jr-insert",
                        "xforms-value-changed", "xforms-ready", "xforms-revalidate"})
_LITERAL = re.compile(r"'([^']*)'|\"([^\"]*)\"|(-?\d+(?:\.\d+)?)")


@dataclass
class SetValues:
    """What the form's ``<setvalue>`` actions mean here, by node path."""

    first_load: dict[str, str] = field(default_factory=dict)  # a literal value on first load
    first_load_expr: dict[str, str] = field(default_factory=dict)  # evaluated once at start
    setvalue_calc: dict[str, str] = field(default_factory=dict)  # kept up to date instead


def literal(text: str) -> str:
    """``text`` as an XPath string literal."""
    return f"'{text}'" if "'" not in text else f'"{text}"'


def check_events(model: ET.Element, body: ET.Element, form_id: str) -> None:
    """An action on an event ODK does not know is refused, as javarosa refuses it
    (a misspelt ``odk-instance-first-load`` would otherwise never run, silently)."""
    for parent in (model, body):
        for el in chain(parent.iter(XF + "setvalue"), parent.iter(ODK + "setgeopoint")):
            where = f"<{local(el.tag)} ref={el.get('ref') or el.get('bind') or ''!r}>"
            unknown = [e for e in (el.get("event") or "").split() if e not in ODK_EVENTS]
            if unknown:
                raise FormLoadError(where, key="formload.unknown_event",
                                    params={"form_id": repr(form_id),
                                            "events": " ".join(map(repr, unknown))})
            if parent is model and el.get("event") == "odk-new-repeat":
                raise FormLoadError(where, key="formload.new_repeat_in_model",
                                    params={"form_id": repr(form_id)})


def read_setvalues(model: ET.Element, body: ET.Element, root_path: str, control_paths: set[str],
                   nodes: dict[str, ET.Element], odk: OdkForm) -> SetValues:
    """``<setvalue>`` actions: on first load (or a new repeat item) a literal is the
    question's default and an expression its default expression (evaluated once when
    the session starts or the item is added). On a change of another answer it cannot
    run here: on a node with no control it becomes its calculation (same value, kept up
    to date); on a question it is left out with a warning."""
    actions = list(model.findall(XF + "setvalue"))
    for el in body.iter():
        actions += el.findall(XF + "setvalue")
    for el in [*model.iter(ODK + "setgeopoint"), *body.iter(ODK + "setgeopoint")]:
        ref = el.get("ref") or ""
        odk.warnings.append(FormWarning(f"<odk:setgeopoint ref={ref!r}>", "formload.warn_setgeopoint"))
    out = SetValues()
    for sv in actions:
        _one(sv, out, normalise_path(_ref(sv), root_path) if _ref(sv) else "", control_paths, nodes, odk)
    return out


def _ref(sv: ET.Element) -> str:
    return sv.get("ref") or sv.get("bind") or ""


def _one(sv: ET.Element, out: SetValues, path: str, control_paths: set[str],
         nodes: dict[str, ET.Element], odk: OdkForm) -> None:
    value = sv.get("value")
    text = (literal((sv.text or "").strip()) if value is None else value).strip()
    event = sv.get("event") or ""
    match = _LITERAL.fullmatch(text)
    start = "odk-instance-first-load" in event or "odk-new-repeat" in event
    if start and match:
        out.first_load[path] = next(g for g in match.groups() if g is not None)
    elif start and path in control_paths:
        out.first_load_expr[path] = text  # evaluated once when a session starts
    elif path not in control_paths and path in nodes:
        out.setvalue_calc[path] = text
        odk.warnings.append(FormWarning(
            f"<{local(sv.tag)} ref={path!r}>", "formload.warn_setvalue_calculation",
            {"value": repr(text), "event": event or Words("formload.its_event")}))
    else:
        odk.warnings.append(FormWarning(
            f"<{local(sv.tag)} ref={path!r}>", "formload.warn_setvalue_ignored",
            {"value": repr(text), "event": event or Words("formload.an_event")}))
