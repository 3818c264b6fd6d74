"""Which organization holds which stored medium: the ledger behind media tenancy and metering.

Media bytes are content-addressed and shared (``postflow/media.py``): the same file uploaded by
two organizations is stored once. What belongs to an organization is its :class:`OrgMedia`
record: an organization may name a medium only while it holds one, each record counts the
medium's size against the organization's media-storage meter, and the bytes are deleted only
when no organization holds them any more (``postflow/usecases/media_retention.py``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from postflow.clock import UtcDatetime

#: The usage counter (``Store.get_usage``) the bytes an organization holds are counted in. Not
#: periodic: bytes are counted while held and given back when the record goes.
MEDIA_BYTES_METRIC = "media_storage_bytes"
MEDIA_BYTES_PERIOD = "held"


class OrgMedia(BaseModel):
    """An organization holds the medium ``media_id`` (its ``size`` bytes are on its meter)."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    media_id: str
    size: int = Field(ge=0)
    content_type: str
    created_at: UtcDatetime
    #: When a post last named it (or it was added): the retention counts from here.
    last_used_at: UtcDatetime
