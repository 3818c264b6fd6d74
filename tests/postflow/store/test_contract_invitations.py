"""Store contract: invitations, read only within their organization, found globally by the
digest of their chat join code, and finished (accepted, revoked) once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from postflow.errors import Conflict, NotFound
from postflow.ids import new_id
from postflow.invitations import Invitation, InvitationStatus
from postflow.organizations import Role
from postflow.store.port import Store
from tests.postflow.store.factories import at


def make_invitation(org_id: str = "org_1", **fields: Any) -> Invitation:
    values: dict[str, Any] = {"id": new_id("inv"), "org_id": org_id,
                              "email": "ada@example.test", "role": Role.MEMBER,
                              "invited_by": "slack:T1:U1", "created_at": at(0),
                              "expires_at": at(7 * 24 * 60)}
    return Invitation(**(values | fields))


async def test_an_invitation_reads_back_as_inserted(store: Store) -> None:
    invitation = make_invitation()
    await store.insert_invitation(invitation)

    assert await store.get_invitation("org_1", invitation.id) == invitation


async def test_an_invitation_id_is_inserted_once(store: Store) -> None:
    invitation = make_invitation()
    await store.insert_invitation(invitation)

    with pytest.raises(Conflict):
        await store.insert_invitation(invitation)


async def test_another_organizations_invitation_is_not_found(store: Store) -> None:
    invitation = make_invitation("org_1")
    await store.insert_invitation(invitation)

    with pytest.raises(NotFound):
        await store.get_invitation("org_2", invitation.id)


async def test_invitations_list_newest_first_within_their_organization(store: Store) -> None:
    older, newer = make_invitation(created_at=at(0)), make_invitation(created_at=at(5))
    await store.insert_invitation(older)
    await store.insert_invitation(newer)
    await store.insert_invitation(make_invitation("org_2"))

    assert [i.id for i in await store.list_invitations("org_1")] == [newer.id, older.id]


async def test_an_invitation_is_found_by_its_join_code_digest(store: Store) -> None:
    invitation = make_invitation()
    await store.insert_invitation(invitation)
    with_code = invitation.model_copy(update={"join_code_digest": "d" * 64,
                                              "join_code_expires_at": at(60)})
    assert await store.replace_invitation(with_code, expected=InvitationStatus.PENDING)

    assert await store.find_invitation_by_join_code("d" * 64) == with_code
    assert await store.find_invitation_by_join_code("e" * 64) is None
    assert await store.find_invitation_by_join_code("") is None


async def test_a_replacement_expecting_another_status_writes_nothing(store: Store) -> None:
    invitation = make_invitation()
    await store.insert_invitation(invitation)
    revoked = invitation.model_copy(update={"status": InvitationStatus.REVOKED})
    assert await store.replace_invitation(revoked, expected=InvitationStatus.PENDING)

    accepted = invitation.model_copy(update={"status": InvitationStatus.ACCEPTED})
    assert not await store.replace_invitation(accepted, expected=InvitationStatus.PENDING)
    assert (await store.get_invitation("org_1", invitation.id)).status \
        is InvitationStatus.REVOKED


async def test_a_replacement_in_another_organization_writes_nothing(store: Store) -> None:
    invitation = make_invitation("org_1")
    await store.insert_invitation(invitation)

    moved = invitation.model_copy(update={"org_id": "org_2",
                                          "status": InvitationStatus.ACCEPTED})
    assert not await store.replace_invitation(moved, expected=InvitationStatus.PENDING)
    assert (await store.get_invitation("org_1", invitation.id)).status \
        is InvitationStatus.PENDING


async def test_of_two_racing_acceptances_one_wins(store: Store) -> None:
    invitation = make_invitation()
    await store.insert_invitation(invitation)
    accepted = [invitation.model_copy(update={"status": InvitationStatus.ACCEPTED,
                                              "member_id": f"mem_{n}"}) for n in (1, 2)]

    won = await asyncio.gather(*(store.replace_invitation(a, expected=InvitationStatus.PENDING)
                                 for a in accepted))

    assert sorted(won) == [False, True]
