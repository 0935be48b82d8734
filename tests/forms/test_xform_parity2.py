"""XForms whose reading had to match javarosa more closely (issue 22, second round).

Each case is a small hand-written form reproducing what a peer's test form showed;
it failed before the fix and passes after."""

from __future__ import annotations

import pytest

from kiosk.forms.model import FormLoadError
from kiosk.forms.xform_read import read_xform
from tests.forms.test_xform_read import xform


@pytest.mark.parametrize("event", ["odk-inftance-first-load", "odk-instance-first-load my-event"])
def test_a_setvalue_on_an_event_odk_does_not_know_is_refused_naming_it(event: str) -> None:
    model = ('<instance><d id="ev"><a/></d></instance><bind nodeset="/d/a" type="string"/>'
             f'<setvalue event="{event}" ref="/d/a" value="\'x\'"/>')
    with pytest.raises(FormLoadError) as err:
        read_xform(xform(model, '<input ref="/d/a"><label>A</label></input>'), source="ev.xml")
    assert err.value.json_path == "<setvalue ref='/d/a'>"
    assert "'ev'" in err.value.message and event.split()[-1] in err.value.message


def test_setvalues_on_the_events_odk_knows_are_read() -> None:
    model = ('<instance><d id="ev2"><a/><b/></d></instance>'
             '<setvalue event="odk-instance-first-load odk-new-repeat" ref="/d/a" value="\'x\'"/>')
    body = ('<input ref="/d/a"><label>A</label></input><input ref="/d/b"><label>B</label>'
            '<setvalue event="xforms-value-changed" ref="/d/a" value="/d/b"/></input>')
    f = read_xform(xform(model, body), source="ev2.xml")
    assert f.questions["a"].default == "x"
