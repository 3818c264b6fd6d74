"""Short-lived drafts of a chat form that spans several requests (Discord's composer: a modal,
then a message with selects and buttons), kept in the store so any hub can take the next step.

The store keeps the draft's ``state`` as opaque text; the adapter that made it reads it back.
A draft belongs to one person (``actor``) in one organization and is refused to anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ChatDraft:
    id: str
    org_id: str
    #: Who may use it: ``discord:<guild>:<user>`` (see :mod:`postflow.chat_actors`).
    actor: str
    #: The form's state as its adapter serialised it (JSON).
    state: str
    expires_at: datetime
