"""What an OpenRosa / ODK Central reply to a submission means: four outcomes, never two.

Issue 20: the kiosk took every 409 as "already there with other content" and every
404 as final, so a form closed or deleted on Central, an app user unassigned from a
form or a kiosk connected to another project turned finished applications into
permanent rejections. Here a reply is classified (pure: no I/O, no state) into

- ``ACKNOWLEDGED``: the server has this submission (201/202/200);
- ``RETRY``: try again soon by itself (transport trouble, 5xx, 408, 429; refused
  credentials stop the round and are tried again on a fixed delay);
- ``HELD``: the server cannot take it now for a reason an operator can fix (form
  closed, form deleted or unknown, not assigned, project gone, quota, too large) — kept in the outbox with the reason, retried on a slow schedule;
- ``REJECTED``: only when the server says this exact submission is wrong for
  ever (Central's 409.1: same instanceID, other XML; a definitive refusal of
  the submission's own content).

Outcomes and reasons are the destination port's (kiosk.destination): one vocabulary.
The reason comes from Central's problem code (``lib/util/problem.js``). Its JSON
API sends ``{"code": 409.2, "message": ...}``; its OpenRosa endpoints send only
``<OpenRosaResponse><message nature="error">MESSAGE</message>`` with the HTTP
status, so the code is recovered from Central's fixed message text. What Central
does on ``POST /v1/[key/TOKEN/]projects/N/submission`` (lib/resources/submissions.js):
form missing or deleted → 404.1; form version unknown → 404.6; form closed →
409.2 (``open`` and ``closing`` accept); not allowed to submit to the form (app
user unassigned) → 403.1, **answered as 401.2** on that endpoint (as is a wrong
password: the caller tells them apart with ``credentials_ok``); an app-user
token revoked or unknown → 403.1 (so on the OpenRosa endpoint 403.1 means the
credentials, on the JSON API "insufficient rights"); same instanceID with identical XML → 201
(an attachment upsert); with other XML → 409.1; a submission deleted on the
server → 409.18. An unknown refusal is held, never rejected: nothing a resident
finished is thrown away on a guess.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from kiosk.destination import Outcome, Reason

MAX_BODY_CHARS = 64_000  # a problem body is a few hundred bytes; more is not parsed


@dataclass(frozen=True)
class Classified:
    outcome: Outcome
    reason: Reason
    status: int | None
    code: str | None  # Central's problem code as text ("409.2"), when known


# Central's problem code -> (outcome, reason), for a submission request.
_CODES: dict[str, tuple[Outcome, Reason]] = {
    "400.1": (Outcome.REJECTED, Reason.REFUSED),  # XML cannot be parsed
    "400.2": (Outcome.REJECTED, Reason.REFUSED),  # required field (instanceID, form id) missing
    "400.7": (Outcome.REJECTED, Reason.REFUSED),  # no xml_submission_file part
    "400.8": (Outcome.REJECTED, Reason.REFUSED),  # form id in the XML differs from the URL
    "400.39": (Outcome.REJECTED, Reason.REFUSED),  # multipart body cannot be parsed
    "400.36": (Outcome.HELD, Reason.TOO_LARGE),
    "401.2": (Outcome.RETRY, Reason.AUTH_REFUSED),  # see classify: also "not assigned"
    "401.3": (Outcome.HELD, Reason.SERVER_SETUP),  # HTTPS only
    "401.5": (Outcome.HELD, Reason.SERVER_SETUP),  # Basic not allowed with OIDC
    "403.1": (Outcome.HELD, Reason.NOT_ASSIGNED),
    "404.1": (Outcome.HELD, Reason.FORM_UNKNOWN),
    "404.4": (Outcome.HELD, Reason.FORM_UNKNOWN),  # draft gone
    "404.6": (Outcome.HELD, Reason.FORM_VERSION_UNKNOWN),
    "409.1": (Outcome.REJECTED, Reason.CONFLICT),
    "409.2": (Outcome.HELD, Reason.FORM_CLOSED),
    "409.9": (Outcome.HELD, Reason.EDITED_ON_SERVER),
    "409.12": (Outcome.HELD, Reason.FORM_CLOSED),
    "409.18": (Outcome.HELD, Reason.DELETED_ON_SERVER),
}

# The fixed start of each message Central writes for those codes (OpenRosa XML
# carries only the message). Matched on the start, so a later wording tail differs safely.
_MESSAGES: tuple[tuple[str, str], ...] = (
    ("A submission already exists with this ID, but with different XML", "409.1"),
    ("This form is not currently accepting submissions", "409.2"),
    ("You tried to update a submission, but the copy you were editing", "409.9"),
    ("You are trying to edit a submission of a Form that is in Closing or Closed", "409.12"),
    ("This submission has been deleted. You may not resubmit it", "409.18"),
    ("Could not find the resource you were looking for", "404.1"),
    ("You tried to access a draft testing endpoint", "404.4"),
    ("The form version specified in this submission", "404.6"),
    ("Could not authenticate with the provided credentials", "401.2"),
    ("This authentication method is only available over HTTPS", "401.3"),
    ("This authentication method is not available on this server", "401.5"),
    ("The authentication you provided does not have rights", "403.1"),
    ("Could not parse the given data", "400.1"),
    ("Required parameter", "400.2"),
    ("Required multipart POST field", "400.7"),
    ("Unexpected form id value", "400.8"),
    ("Request body too large", "400.36"),
    ("Multipart form content failed to parse", "400.39"),
)

_CODE_TEXT = re.compile(r"^[1-5]\d\d(\.\d{1,3})?$")


def problem_code(body: bytes | str | None) -> str | None:
    """Central's problem code from a JSON problem or an OpenRosa XML message; None."""
    return _problem(body)[0]


def _problem(body: bytes | str | None) -> tuple[str | None, bool]:
    """(problem code, came as OpenRosa XML)."""
    stripped = _text(body).lstrip()
    if stripped.startswith("{"):
        return _json_code(stripped), False
    if stripped.startswith("<"):
        return _code_of_message(openrosa_message(stripped)), True
    return None, False


def _text(body: bytes | str | None) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body[:MAX_BODY_CHARS].decode("utf-8", "replace")
    return body[:MAX_BODY_CHARS]


def _json_code(text: str) -> str | None:
    try:
        doc = json.loads(text, parse_float=str, parse_int=str)  # 400.1 and 400.10 stay apart
    except ValueError:
        return None
    code = doc.get("code") if isinstance(doc, dict) else None
    if isinstance(code, str) and _CODE_TEXT.match(code):
        return code
    return _code_of_message(doc.get("message")) if isinstance(doc, dict) else None


def openrosa_message(text: str) -> str | None:
    """The ``<message>`` text of an OpenRosaResponse (any namespace), or None."""
    try:
        root = ElementTree.fromstring(text, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return None
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "message":
            return "".join(element.itertext()).strip()
    return None


def _code_of_message(message: object) -> str | None:
    if not isinstance(message, str):
        return None
    for start, code in _MESSAGES:
        if message.startswith(start):
            return code
    return None


def classify(status: int | None, body: bytes | str | None = None, *,
             credentials_ok: bool | None = None, project_ok: bool | None = None
             ) -> Classified:
    """The meaning of one reply to a submission. ``status`` None: no reply at all
    (connection failed, timed out). What the caller learned otherwise (its form
    list request) sharpens the reason: ``credentials_ok`` — the credentials work,
    so Central's 401.2 on the submission endpoint means "not assigned to this
    form" (403.1, re-worded there); False — a 401/403 is the credentials (revoked); ``project_ok`` False — the project itself is
    gone (or the connection names another), so a 404 is not just the form's."""
    if status is None:
        return Classified(Outcome.RETRY, Reason.OUTCOME_UNKNOWN, None, None)
    code, openrosa = _problem(body) if status >= 300 else (None, False)
    outcome, reason = _by_code(code) if code else _by_status(status)
    if code == "403.1" and openrosa:  # the OpenRosa endpoint's 403.1: token revoked
        outcome, reason = Outcome.RETRY, Reason.AUTH_REFUSED
    if reason is Reason.AUTH_REFUSED and credentials_ok and status == 401:
        outcome, reason = Outcome.HELD, Reason.NOT_ASSIGNED
    if status in (401, 403) and credentials_ok is False:  # the form list is refused too
        outcome, reason = Outcome.RETRY, Reason.AUTH_REFUSED
    if reason is Reason.FORM_UNKNOWN and project_ok is False:
        reason = Reason.PROJECT_GONE
    return Classified(outcome, reason, status, code)


def _by_code(code: str) -> tuple[Outcome, Reason]:
    known = _CODES.get(code)
    if known is not None:
        return known
    major = int(code.split(".", 1)[0])
    return _by_status(major)


def _by_status(status: int) -> tuple[Outcome, Reason]:
    if status in (200, 201, 202):
        return Outcome.ACKNOWLEDGED, Reason.ACCEPTED
    if status < 400:  # 204 is no receipt; a redirect on POST is a setup to fix
        return Outcome.HELD, Reason.SERVER_SETUP
    if status in (408, 429):
        return Outcome.RETRY, Reason.SERVER_BUSY
    if status == 401:  # credentials (or, on Central, not assigned: see classify)
        return Outcome.RETRY, Reason.AUTH_REFUSED
    if status >= 500 and status != 507:
        return Outcome.RETRY, Reason.SERVER_BUSY
    return Outcome.HELD, _HELD_BY_STATUS.get(status, Reason.UNKNOWN_REFUSAL)


# Without a problem code (a proxy, KoboToolbox, another OpenRosa server).
_HELD_BY_STATUS: dict[int, Reason] = {
    402: Reason.QUOTA,
    403: Reason.NOT_ASSIGNED,
    404: Reason.FORM_UNKNOWN,
    410: Reason.FORM_UNKNOWN,
    409: Reason.UNKNOWN_REFUSAL,  # a 409 without Central's words is NOT taken as a conflict
    413: Reason.TOO_LARGE,
    507: Reason.QUOTA,
}
