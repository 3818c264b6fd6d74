"""Who is asking: a chat identity resolved to a member of the organization its workspace is
linked to."""

from __future__ import annotations

from dataclasses import dataclass

from postflow.chat_actors import chat_actor
from postflow.errors import Forbidden, NotFound
from postflow.organizations import ChatIdentity, Member, Organization
from postflow.runtime import Runtime


@dataclass(frozen=True)
class Caller:
    """A person on a chat platform, as the adapter read them from the request."""

    identity: ChatIdentity
    display_name: str = ""
    #: The channel the request came from ("here" in ``settings review-channel here``).
    channel_id: str = ""
    #: The address on their chat profile, when the adapter read it (Slack's ``users.info``
    #: with the ``users:read.email`` scope, for ``/postflow email set`` without an address).
    profile_email: str = ""

    @property
    def actor(self) -> str:
        """How records name them: ``slack:T123:U456`` (see :mod:`postflow.chat_actors`)."""
        return chat_actor(self.identity)


@dataclass(frozen=True)
class Membership:
    """A caller who is a member of an organization, with their role there."""

    caller: Caller
    org: Organization
    member: Member

    @property
    def actor(self) -> str:
        return self.caller.actor


async def organization_for(rt: Runtime, identity: ChatIdentity) -> Organization:
    """The organization the identity's workspace is linked to; NotFound when none is."""
    workspace = await rt.store.find_workspace(identity.platform, identity.workspace_id)
    if workspace is None:
        raise NotFound("This workspace is not linked to a PostFlow organization yet.",
                       details={"platform": identity.platform})
    return await rt.store.get_organization(workspace.org_id)


async def resolve_member(rt: Runtime, caller: Caller) -> Membership:
    """The caller's membership; Forbidden (saying how to join) when they are not a member."""
    org = await organization_for(rt, caller.identity)
    who = caller.identity
    member = await rt.store.find_member(org.id, who.platform, who.workspace_id, who.user_id)
    if member is None:
        raise Forbidden(f"You are not a member of {org.name} on PostFlow yet: ask an Admin to "
                        "run `/postflow role @you member` (or `viewer`).",
                        details={"needed_role": "viewer", "your_role": None})
    return Membership(caller=caller, org=org, member=member)
