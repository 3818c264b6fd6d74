"""How a command's ``--member`` names a member: their id, a chat user id or (for an email-only
member) their address."""

from __future__ import annotations

from postflow.errors import NotFound
from postflow.organizations import Member, Organization
from postflow.runtime import Runtime


async def find_member(rt: Runtime, org: Organization, ref: str) -> Member:
    ref = ref.strip()
    for member in await rt.store.list_members(org.id):
        if ref == member.id or any(ref == i.user_id for i in member.identities):
            return member
    raise NotFound(f"No member {ref!r} in {org.name}: `postflow member list --org {org.id}` "
                   "shows them.", details={"member": ref})
