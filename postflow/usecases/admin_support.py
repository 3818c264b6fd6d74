"""The read-only support view operators open on an organization, only with its Owner's leave.

The Owner turns support access on or off from chat (``/postflow settings support on``); every
opening of the view is written to the organization's audit log, so its people see who looked.
"""

from __future__ import annotations

from dataclasses import dataclass

from postflow.connections import Connection
from postflow.errors import Forbidden
from postflow.organizations import Organization
from postflow.posts import Post
from postflow.runtime import Runtime
from postflow.usecases.admin import OPERATOR_ACTOR
from postflow.usecases.audit_log import record

#: Posts the support view shows, newest first.
RECENT_POSTS = 20


@dataclass(frozen=True)
class SupportView:
    org: Organization
    connections: list[Connection]
    recent_posts: list[Post]


async def open_support_view(rt: Runtime, org_id: str, *, reason: str = "") -> SupportView:
    """The organization's connections and latest posts; Forbidden unless its Owner turned
    support access on. The opening is audited before anything is read."""
    org = await rt.store.get_organization(org_id)
    if not org.support_access:
        raise Forbidden("Support access is off for this organization: its Owner can turn it "
                        "on with `/postflow settings support on`.",
                        details={"org_id": org.id})
    await record(rt, org.id, OPERATOR_ACTOR, "support.viewed", org.id, reason=reason)
    return SupportView(org=org, connections=await rt.store.list_connections(org.id),
                       recent_posts=await rt.store.list_posts(org.id, limit=RECENT_POSTS))


async def set_support_access(rt: Runtime, org_id: str, enabled: bool, *,
                             actor: str) -> Organization:
    """The Owner's switch (the caller checks the role)."""
    org = await rt.store.get_organization(org_id)
    if org.support_access is enabled:
        return org
    updated = org.model_copy(update={"support_access": enabled})
    await rt.store.update_organization(updated)
    await record(rt, org.id, actor, "organization.support_access_changed", org.id,
                 enabled=enabled)
    return updated
