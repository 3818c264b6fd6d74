"""The one permission table, and refusals that name the role needed."""

from __future__ import annotations

import pytest

from postflow.chatops.permissions import NEEDED_ROLE, Permission, allows, require
from postflow.errors import Forbidden
from postflow.organizations import Role

P = Permission


@pytest.mark.parametrize(("role", "granted"), [
    (Role.VIEWER, {P.READ}),
    (Role.MEMBER, {P.READ, P.DRAFT, P.REQUEST_REVIEW}),
    (Role.ADMIN, set(P) - {P.BILLING, P.LINK_WORKSPACES}),
    (Role.OWNER, set(P)),
])
def test_each_role_has_exactly_its_permissions(role: Role, granted: set[Permission]) -> None:
    assert {p for p in P if allows(role, p)} == granted


def test_every_permission_has_a_needed_role() -> None:
    assert set(NEEDED_ROLE) == set(P)


def test_refusal_names_the_needed_role_and_the_callers_role() -> None:
    with pytest.raises(Forbidden) as refused:
        require(Role.MEMBER, P.APPROVE)

    assert refused.value.message == ("Approving posts needs the Admin role or higher; you are "
                                     "a Member.")
    assert refused.value.details == {"needed_role": "admin", "your_role": "member"}


def test_billing_refusal_names_owner_alone() -> None:
    with pytest.raises(Forbidden, match="needs the Owner role; you are an Admin"):
        require(Role.ADMIN, P.BILLING)
