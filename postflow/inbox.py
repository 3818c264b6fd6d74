"""The notification center: every notice a member receives, kept for them with read or unread
(``/postflow inbox``, ``postflow notices list``). Entries are written by the inbox sink
(:mod:`postflow.notices.inbox_sink`) and deleted by the scheduler once older than
``POSTFLOW_NOTICE_RETENTION_DAYS`` (:mod:`postflow.usecases.inbox`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from postflow.clock import UtcDatetime

#: The longest text an entry keeps: a line or two, not the whole notice.
TEXT_MAX = 300


class InboxEntry(BaseModel):
    """One notice as one member received it."""

    model_config = ConfigDict(frozen=True)

    id: str
    org_id: str
    member_id: str
    #: The notice's kind: ``post.failed``, ``review.requested``...
    kind: str
    #: The id of the record the notice is about (a post, a review, a connection, a limit).
    subject_id: str
    #: The post it is about, when it is about one.
    post_id: str | None = None
    text: str = Field(max_length=TEXT_MAX)
    #: Where to see the post (the published post on its network), when there is such a place.
    link: str | None = None
    created_at: UtcDatetime
    read_at: UtcDatetime | None = None

    @property
    def unread(self) -> bool:
        return self.read_at is None
