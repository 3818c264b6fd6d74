"""Invitations to join an organization (postflow/invitations.py)."""

from __future__ import annotations

from typing import Protocol

from postflow.invitations import Invitation, InvitationStatus


class InvitationRecords(Protocol):
    async def insert_invitation(self, invitation: Invitation) -> None:
        """Raises Conflict when one with that id exists."""
        ...

    async def get_invitation(self, org_id: str, invitation_id: str) -> Invitation:
        """Raises NotFound (also for another organization's invitation)."""
        ...

    async def list_invitations(self, org_id: str) -> list[Invitation]:
        """The organization's invitations, newest first."""
        ...

    async def find_invitation_by_join_code(self, code_digest: str) -> Invitation | None:
        """The invitation whose chat join code has that digest, in any organization (global on
        purpose: a code entered in chat names only itself; the caller checks the workspace's
        organization is the invitation's)."""
        ...

    async def replace_invitation(self, invitation: Invitation, *,
                                 expected: InvitationStatus) -> bool:
        """Replace the invitation of that (org_id, id) when its status is still ``expected``;
        False (nothing written) otherwise. Of two racing replacements, one wins."""
        ...
