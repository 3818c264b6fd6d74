"""Records of the sandbox network, which publishes into PostFlow's own store.

The sandbox lets anyone try the whole flow without a social account. It is not a social network:
what it "publishes" is kept here and shown by the hub at ``/sandbox/posts/{id}``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from postflow.clock import UtcDatetime


class SandboxPost(BaseModel):
    id: str
    connection_id: str
    #: The publish attempt id the worker passed as idempotency key; not unique on purpose,
    #: so a double publish shows up as two records, as it would on a real network.
    idempotency_key: str
    text: str
    media_urls: list[str] = Field(default_factory=list)
    #: ``published`` or ``rejected`` (a scripted failure, see integrations/sandbox).
    outcome: str = "published"
    created_at: UtcDatetime
