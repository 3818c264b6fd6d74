"""What each role may do: one table, and one check that names the role a refusal needs."""

from __future__ import annotations

from enum import StrEnum

from postflow.errors import Forbidden
from postflow.organizations import Role


class Permission(StrEnum):
    READ = "read"
    DRAFT = "draft"
    REQUEST_REVIEW = "request_review"
    APPROVE = "approve"
    #: Cancel, publish now, reschedule: acting on a post already on its way.
    PUBLISH = "publish"
    #: Put a new post on the schedule without asking for a review.
    SCHEDULE_DIRECTLY = "schedule_directly"
    MANAGE_CONNECTIONS = "manage_connections"
    MANAGE_QUEUES = "manage_queues"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_MEMBERS = "manage_members"
    BILLING = "billing"
    LINK_WORKSPACES = "link_workspaces"
    #: Read the organization's audit log (``/postflow audit``).
    READ_AUDIT = "read_audit"
    MANAGE_API_KEYS = "manage_api_keys"


#: The least role that has each permission; every role has what the roles below it have.
NEEDED_ROLE: dict[Permission, Role] = {
    Permission.READ: Role.VIEWER,
    Permission.DRAFT: Role.MEMBER,
    Permission.REQUEST_REVIEW: Role.MEMBER,
    Permission.APPROVE: Role.ADMIN,
    Permission.PUBLISH: Role.ADMIN,
    Permission.SCHEDULE_DIRECTLY: Role.ADMIN,
    Permission.MANAGE_CONNECTIONS: Role.ADMIN,
    Permission.MANAGE_QUEUES: Role.ADMIN,
    Permission.MANAGE_SETTINGS: Role.ADMIN,
    Permission.MANAGE_MEMBERS: Role.ADMIN,
    Permission.BILLING: Role.OWNER,
    Permission.LINK_WORKSPACES: Role.OWNER,
    Permission.READ_AUDIT: Role.ADMIN,
    Permission.MANAGE_API_KEYS: Role.ADMIN,
}

#: How a refusal names the action, as the start of a sentence.
ACTION_WORDS: dict[Permission, str] = {
    Permission.READ: "Seeing posts and accounts",
    Permission.DRAFT: "Drafting posts",
    Permission.REQUEST_REVIEW: "Asking for a review",
    Permission.APPROVE: "Approving posts",
    Permission.PUBLISH: "Canceling or publishing posts",
    Permission.SCHEDULE_DIRECTLY: "Scheduling posts without a review",
    Permission.MANAGE_CONNECTIONS: "Connecting accounts",
    Permission.MANAGE_QUEUES: "Changing queues",
    Permission.MANAGE_SETTINGS: "Changing settings",
    Permission.MANAGE_MEMBERS: "Changing roles",
    Permission.BILLING: "Billing",
    Permission.LINK_WORKSPACES: "Linking another workspace",
    Permission.READ_AUDIT: "Reading the audit log",
    Permission.MANAGE_API_KEYS: "Managing API keys",
}


def role_name(role: Role) -> str:
    """``"Admin"``."""
    return role.value.capitalize()


def with_article(role: Role) -> str:
    """``"an Admin"``, ``"a Member"``."""
    name = role_name(role)
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"


def allows(role: Role, permission: Permission) -> bool:
    return role.allows(NEEDED_ROLE[permission])


def require(role: Role, permission: Permission, *, action: str | None = None) -> None:
    """Raise Forbidden naming the needed role when ``role`` lacks ``permission``."""
    if allows(role, permission):
        return
    refuse(role, NEEDED_ROLE[permission], action or ACTION_WORDS[permission])


def refuse(role: Role, needed: Role, action: str) -> None:
    """Raise the one Forbidden shape: what was refused, the role it needs, the caller's role."""
    above = "" if needed is Role.OWNER else " or higher"
    raise Forbidden(f"{action} needs the {role_name(needed)} role{above}; you are "
                    f"{with_article(role)}.",
                    details={"needed_role": needed.value, "your_role": role.value})
