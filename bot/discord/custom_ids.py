"""The ``custom_id`` of PostFlow's Discord buttons and forms: self-contained, so a press works
after a restart and over the HTTP endpoint with nothing registered in memory ("persistent
views").

``pf:<kind>:<action>:<organization id>:<record id>``: ``pf:r:approve:org_…:rev_…`` on a review
card, ``pf:n:retry:org_…:post_…`` on a notice. The organization is in the id so that a press is
checked against the presser's organization before anything is read or written. The composer
uses ``pf:c:`` and ``pf:p:`` (its own module). At most 100 characters, Discord's limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from postflow.chatops.post_outcomes import NoticeAction
from postflow.reviews import Verdict

REVIEW_PREFIX = "pf:r:"
NOTICE_PREFIX = "pf:n:"
CUSTOM_ID_MAX = 100
#: A record id as ``postflow/ids.py`` makes them: a lowercase prefix, "_", letters and digits.
_RECORD_ID = re.compile(r"^[a-z]{2,10}_[0-9a-z]{8,40}$")
#: The actions each kind of button may carry.
ACTIONS: dict[str, frozenset[str]] = {
    REVIEW_PREFIX: frozenset(v.value for v in Verdict),
    NOTICE_PREFIX: frozenset(a.value for a in NoticeAction),
}


@dataclass(frozen=True)
class ButtonId:
    """What a PostFlow review or notice button (or the form it opened) names."""

    prefix: str
    action: str
    org_id: str
    record_id: str

    def __str__(self) -> str:
        return f"{self.prefix}{self.action}:{self.org_id}:{self.record_id}"


def review_id(verdict: Verdict, org_id: str, review: str) -> str:
    return str(ButtonId(REVIEW_PREFIX, verdict.value, org_id, review))


def notice_id(action: NoticeAction, org_id: str, record: str) -> str:
    return str(ButtonId(NOTICE_PREFIX, action.value, org_id, record))


def read_button_id(custom_id: str) -> ButtonId | None:
    """The button a ``custom_id`` names; None for anything else (garbled, too long, an action
    PostFlow does not have, ids that are not record ids)."""
    if len(custom_id) > CUSTOM_ID_MAX:
        return None
    prefix = next((p for p in ACTIONS if custom_id.startswith(p)), None)
    if prefix is None:
        return None
    parts = custom_id.removeprefix(prefix).split(":")
    if len(parts) != 3:
        return None
    action, org_id, record_id = parts
    if action not in ACTIONS[prefix] or not org_id.startswith("org_"):
        return None
    if not _RECORD_ID.match(org_id) or not _RECORD_ID.match(record_id):
        return None
    return ButtonId(prefix, action, org_id, record_id)
