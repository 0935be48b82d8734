"""sync.odk.problems: every reply ODK Central gives a submission, classified into the
four outcomes with a reason (issue 20). Bodies are written as Central writes them
(lib/util/problem.js messages; OpenRosa XML from lib/formats/openrosa.js, JSON
problems from lib/http/endpoint.js), so a change of meaning shows here."""

from __future__ import annotations

import pytest

from kiosk.destination import Outcome, Reason
from sync.odk.problems import classify, openrosa_message, problem_code

MESSAGES = {
    "409.1": "A submission already exists with this ID, but with different XML. Resubmissions "
             "to attach additional multimedia must resubmit an identical xml_submission_file.",
    "409.2": "This form is not currently accepting submissions. Please talk to your program "
             "staff if this is unexpected.",
    "409.18": "This submission has been deleted. You may not resubmit it.",
    "404.1": "Could not find the resource you were looking for.",
    "404.6": "The form version specified in this submission 'v2' does not exist.",
    "401.2": "Could not authenticate with the provided credentials.",
    "403.1": "The authentication you provided does not have rights to perform that action.",
    "400.1": "Could not parse the given data (12 chars) as xml.",
    "400.36": "Request body too large.",
}


def openrosa(message: str) -> bytes:
    return (f'\n  <OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">\n'
            f'    <message nature="error">{message}</message>\n  </OpenRosaResponse>').encode()


def problem_json(code: str, message: str) -> str:
    return f'{{"message": "{message}", "code": {code}, "details": null}}'


@pytest.mark.parametrize(("status", "code", "outcome", "reason"), [
    (409, "409.2", Outcome.HELD, Reason.FORM_CLOSED),
    (404, "404.1", Outcome.HELD, Reason.FORM_UNKNOWN),
    (404, "404.6", Outcome.HELD, Reason.FORM_VERSION_UNKNOWN),
    (409, "409.1", Outcome.REJECTED, Reason.CONFLICT),
    (409, "409.18", Outcome.HELD, Reason.DELETED_ON_SERVER),
    (401, "401.2", Outcome.RETRY, Reason.AUTH_REFUSED),
    (403, "403.1", Outcome.RETRY, Reason.AUTH_REFUSED),  # OpenRosa: token revoked
    (400, "400.1", Outcome.REJECTED, Reason.REFUSED),
    (400, "400.36", Outcome.HELD, Reason.TOO_LARGE),
])
def test_openrosa_replies_are_classified_by_centrals_message(status, code, outcome, reason):
    result = classify(status, openrosa(MESSAGES[code]))
    assert (result.outcome, result.reason, result.code, result.status) == \
        (outcome, reason, code, status)


def test_json_problem_codes_are_read_exactly():
    assert problem_code(problem_json("409.2", "x")) == "409.2"
    assert problem_code(problem_json("400.10", "x")) == "400.10"  # not 400.1
    # the JSON API's 403.1 is "insufficient rights": not assigned, credentials fine
    assert classify(403, problem_json("403.1", MESSAGES["403.1"])).reason is Reason.NOT_ASSIGNED
    assert classify(409, problem_json("409.1", "anything")).outcome is Outcome.REJECTED


def test_an_unassigned_app_user_is_held_not_refused_credentials():
    body = openrosa(MESSAGES["401.2"])
    assert classify(401, body).reason is Reason.AUTH_REFUSED
    known_good = classify(401, body, credentials_ok=True)
    assert (known_good.outcome, known_good.reason) == (Outcome.HELD, Reason.NOT_ASSIGNED)


def test_a_refused_form_list_makes_any_401_or_403_the_credentials():
    for status, body in ((403, b""), (403, openrosa(MESSAGES["401.2"])), (401, b"")):
        revoked = classify(status, body, credentials_ok=False)
        assert (revoked.outcome, revoked.reason) == (Outcome.RETRY, Reason.AUTH_REFUSED)


def test_a_missing_project_is_named_when_the_caller_knows():
    gone = classify(404, openrosa(MESSAGES["404.1"]), project_ok=False)
    assert (gone.outcome, gone.reason) == (Outcome.HELD, Reason.PROJECT_GONE)


@pytest.mark.parametrize(("status", "outcome", "reason"), [
    (201, Outcome.ACKNOWLEDGED, Reason.ACCEPTED),  # also Central's answer to identical XML
    (202, Outcome.ACKNOWLEDGED, Reason.ACCEPTED),
    (500, Outcome.RETRY, Reason.SERVER_BUSY),
    (502, Outcome.RETRY, Reason.SERVER_BUSY),
    (429, Outcome.RETRY, Reason.SERVER_BUSY),
    (408, Outcome.RETRY, Reason.SERVER_BUSY),
    (None, Outcome.RETRY, Reason.OUTCOME_UNKNOWN),
    (409, Outcome.HELD, Reason.UNKNOWN_REFUSAL),  # a bare 409 is not taken as a conflict
    (404, Outcome.HELD, Reason.FORM_UNKNOWN),
    (413, Outcome.HELD, Reason.TOO_LARGE),
    (402, Outcome.HELD, Reason.QUOTA),
    (507, Outcome.HELD, Reason.QUOTA),
    (400, Outcome.HELD, Reason.UNKNOWN_REFUSAL),  # no code: not proven wrong
    (418, Outcome.HELD, Reason.UNKNOWN_REFUSAL),
    (204, Outcome.HELD, Reason.SERVER_SETUP),
    (302, Outcome.HELD, Reason.SERVER_SETUP),
])
def test_replies_without_centrals_words_fall_back_on_the_status(status, outcome, reason):
    result = classify(status, b"<html>proxy page</html>")
    assert (result.outcome, result.reason, result.code) == (outcome, reason, None)


def test_unknown_codes_are_held_never_rejected():
    for code in ("409.3", "400.99", "404.7", "403.2"):
        result = classify(int(code[:3]), problem_json(code, "new wording"))
        assert result.outcome is Outcome.HELD and result.code == code


def test_hostile_or_broken_bodies_are_just_unknown():
    assert openrosa_message("<!DOCTYPE x [<!ENTITY a 'b'>]><m>&a;</m>") is None  # no DTDs
    assert openrosa_message("<OpenRosaResponse><message>") is None
    assert problem_code(b"\xff\xfe{") is None
    assert problem_code("{not json") is None
    assert problem_code('{"code": "DROP TABLE"}') is None
    huge = openrosa(MESSAGES["409.1"] + "x" * 100_000)
    assert classify(409, huge).reason is Reason.UNKNOWN_REFUSAL  # too long to parse: unknown


def test_every_held_reason_has_plain_words_in_both_languages():
    """Staff read a held item's reason in mn and en (status, doctor, staff screen)."""
    from kiosk.destination import held_words
    from sync.odk import problems

    held = {r for _, r in problems._CODES.values()} | set(problems._HELD_BY_STATUS.values())
    held |= {Reason.UNKNOWN_REFUSAL, Reason.SERVER_SETUP, Reason.PROJECT_GONE}
    held -= {Reason.CONFLICT, Reason.REFUSED, Reason.AUTH_REFUSED}
    for reason in held:
        mn, en = held_words(reason.value, "mn"), held_words(reason.value, "en")
        assert mn != reason.value and en != reason.value and mn != en, reason
