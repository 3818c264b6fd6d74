"""Organizations, their members and the chat workspaces linked to them."""

from __future__ import annotations

from typing import Protocol

from postflow.organizations import Member, Organization, Workspace


class OrganizationRecords(Protocol):
    async def insert_organization(self, org: Organization) -> None:
        """Insert; raises Conflict when an organization of that name exists."""
        ...

    async def get_organization(self, org_id: str) -> Organization:
        """Raises NotFound."""
        ...

    async def find_organization_by_name(self, name: str) -> Organization | None: ...

    async def list_organizations(self) -> list[Organization]: ...

    async def list_suspended_org_ids(self) -> list[str]:
        """Ids of the organizations an operator suspended (``suspension`` set), sorted; read
        by the scheduler every few seconds, so it reads no whole records."""
        ...

    async def update_organization(self, org: Organization) -> None:
        """Replace by id; raises NotFound."""
        ...

    async def insert_member(self, member: Member) -> None:
        """Raises Conflict when the same identity is already a member of the organization."""
        ...

    async def find_member(self, org_id: str, platform: str, workspace_id: str,
                          user_id: str) -> Member | None:
        """The member of the organization with that identity, the one they were added with
        or one linked since."""
        ...

    async def list_members(self, org_id: str) -> list[Member]: ...

    async def count_members(self, org_id: str) -> int: ...

    async def update_member(self, member: Member) -> None:
        """Replace by (org_id, id); raises NotFound."""
        ...

    async def insert_workspace(self, workspace: Workspace) -> None:
        """Raises Conflict when (platform, external_id) is already linked to any organization."""
        ...

    async def relink_workspace(self, platform: str, external_id: str, from_org_id: str,
                               to_org_id: str) -> None:
        """Move a linked workspace to another organization; NotFound unless it is linked to
        ``from_org_id`` (so of two racing moves, one wins)."""
        ...

    async def list_workspaces(self, org_id: str) -> list[Workspace]: ...

    async def count_workspaces(self, org_id: str) -> int: ...

    async def find_workspace(self, platform: str, external_id: str) -> Workspace | None:
        """The workspace linked to any organization under that id (global: a chat request
        names only its workspace, and this finds the organization)."""
        ...
