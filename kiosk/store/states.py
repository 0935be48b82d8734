"""A submission's states (DESIGN.md §3) and the SQL lists made from them.

Why one module: the schema's CHECK, the due index, the counts and every ``state IN``
of the store must agree; they are all derived from this Enum, never typed by hand.
Also which destination owns a row (``DestinationKind``; kiosk.destination re-exports
it), so the store never imports the port that imports it.
"""

from __future__ import annotations

from enum import StrEnum


class SubmissionState(StrEnum):
    SEALED = "sealed"  # written by finalize, never tried
    QUEUED = "queued"  # a failed attempt: due again at next_attempt_at
    SENT = "sent"  # handed to a server, outcome pending
    HELD = "held"  # the server cannot take it now for a reason an operator can fix
    ACKNOWLEDGED = "acknowledged"  # server receipt stored
    REJECTED = "rejected"  # the server says this submission is wrong for ever
    PURGED = "purged"  # retention; tombstone kept


S = SubmissionState
STATES: tuple[str, ...] = tuple(s.value for s in SubmissionState)
# not yet acknowledged: a destination may still take these
UNSENT: tuple[str, ...] = (S.SEALED.value, S.QUEUED.value, S.SENT.value, S.HELD.value)
# an attempt may change these (send, retry, hold, reject)
OPEN: tuple[str, ...] = UNSENT


def sql_list(states: tuple[str, ...]) -> str:
    """``('a', 'b')`` for an SQL ``IN`` (values from the Enum only, never input)."""
    return "(" + ", ".join(f"'{s}'" for s in states) + ")"


UNSENT_SQL = sql_list(UNSENT)

ODK_AGENCY_KID = "odk"  # the agency_kid an ODK submission's row carries (its owner)


class DestinationKind(StrEnum):
    """Which destination (kiosk.destination) owns a row: ODK rows carry
    ``agency_kid = 'odk'``, the rest are kiosk-central's."""

    KIOSK_CENTRAL = "kiosk-central"
    ODK = "odk"
