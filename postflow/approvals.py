"""Approval policies: how many approvals a post needs, from whom, and for how long a review
request stays open.

An organization has one policy; a connection may override it. A post going to several
connections is judged by all the policies that apply at once (:class:`ApprovalRules`): the
highest quorum, approvers every policy accepts, self-approval only if every policy allows it, the
shortest deadline.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from postflow.organizations import Role

MAX_QUORUM = 10
#: Two months: a longer deadline is no deadline in practice.
MAX_DEADLINE_HOURS = 24 * 60


class ApprovalPolicy(BaseModel):
    """Who may approve a post and how many must, for an organization or one connection."""

    model_config = ConfigDict(frozen=True)

    #: Approvals needed before the post is scheduled.
    quorum: int = Field(default=1, ge=1, le=MAX_QUORUM)
    #: The least role that may approve; ``None``: only the named approvers.
    approver_role: Role | None = Role.ADMIN
    #: Member ids that may approve whatever their role.
    approvers: tuple[str, ...] = ()
    #: Whether the author of a post counts as an approver of it.
    authors_may_approve: bool = False
    #: Hours after which an open review request expires; ``None``: never.
    deadline_hours: int | None = Field(default=72, ge=1, le=MAX_DEADLINE_HOURS)

    def accepts(self, role: Role, member_id: str) -> bool:
        """True when a member with ``role`` may approve under this policy (authorship aside)."""
        if member_id in self.approvers:
            return True
        return self.approver_role is not None and role.allows(self.approver_role)

    def describe_approvers(self) -> str:
        """``the Admin role or to be named in the policy`` (for refusals and settings)."""
        if self.approver_role is None:
            return "to be named in the policy"
        return f"the {self.approver_role.value.capitalize()} role or to be named in the policy"


class ApprovalRules(BaseModel):
    """The policies a post is judged by (its organization's and its targets' overrides),
    combined so that the strictest of each applies."""

    model_config = ConfigDict(frozen=True)

    policies: tuple[ApprovalPolicy, ...] = Field(min_length=1)

    @property
    def quorum(self) -> int:
        return max(p.quorum for p in self.policies)

    @property
    def authors_may_approve(self) -> bool:
        return all(p.authors_may_approve for p in self.policies)

    @property
    def deadline_hours(self) -> int | None:
        hours = [p.deadline_hours for p in self.policies if p.deadline_hours is not None]
        return min(hours) if hours else None

    def refusal(self, role: Role, member_id: str, *, is_author: bool) -> str | None:
        """Why this member may not approve, as a sentence for them; None when they may."""
        if is_author and not self.authors_may_approve:
            return "Authors may not approve their own posts."
        for policy in self.policies:
            if not policy.accepts(role, member_id):
                return f"Approving this post needs {policy.describe_approvers()}."
        return None
