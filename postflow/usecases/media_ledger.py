"""The media an organization holds: a hold is taken (and charged to its media storage meter)
when it adds a medium, and checked whenever it names one.

Stored bytes are shared between organizations (``postflow/media.py``), so knowing a medium's id
proves nothing: an organization may attach a medium only while it holds it. An id it does not
hold gets one answer whether the medium is unknown, malformed or another tenant's, so the answer
never tells whether some other organization has that file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from postflow.errors import BadInput
from postflow.media import MEDIA_ID_PATTERN
from postflow.org_media import MEDIA_BYTES_METRIC, MEDIA_BYTES_PERIOD, OrgMedia
from postflow.plans import Limit, limit_reached
from postflow.runtime import Runtime
from postflow.store.port import UsageExhausted


async def stored_media_bytes(rt: Runtime, org_id: str) -> int:
    """The bytes of media the organization holds: what its plan's storage limit counts."""
    return await rt.store.get_usage(org_id, MEDIA_BYTES_METRIC, MEDIA_BYTES_PERIOD)


@asynccontextmanager
async def holding(rt: Runtime, org_id: str, media_id: str, size: int,
                  content_type: str) -> AsyncIterator[None]:
    """Hold the medium for the organization around storing its bytes.

    The hold is taken first, so a medium past the plan's storage limit is refused
    (LimitReached naming the plan) before anything is stored; a hold taken here is given back
    if storing fails. A medium the organization holds already costs nothing again.
    """
    now = rt.clock.now()
    record = OrgMedia(org_id=org_id, media_id=media_id, size=size, content_type=content_type,
                      created_at=now, last_used_at=now)
    plan = rt.plans.get((await rt.store.get_organization(org_id)).plan)
    try:
        taken = await rt.store.hold_media(record, plan.limits.get(Limit.MEDIA_STORAGE_BYTES))
    except UsageExhausted:
        raise limit_reached(rt.plans, plan, Limit.MEDIA_STORAGE_BYTES,
                            await stored_media_bytes(rt, org_id), size) from None
    try:
        yield
    except BaseException:
        if taken:
            await rt.store.release_held_media(record)
        raise


async def use_held_media(rt: Runtime, org_id: str, media_ids: Sequence[str]) -> None:
    """Mark each of ``media_ids`` used by the organization now (so the retention starts over);
    BadInput, the same for every reason, for one it does not hold."""
    now = rt.clock.now()
    for index, media_id in enumerate(media_ids):
        if not MEDIA_ID_PATTERN.match(media_id) or \
                await rt.store.use_held_media(org_id, media_id, now) is None:
            raise BadInput(f"`media_ids[{index}]` names no medium of this organization.",
                           details={"field": f"media_ids[{index}]"})
