"""Incoming hooks: creation, secret rotation with an overlap, and request authentication."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from postflow.errors import LimitReached, NotFound, Unauthorized
from postflow.hooks import HookDisabled
from postflow.organizations import Organization
from postflow.plans import DEFAULT_PLANS, Plan, PlanCatalog, PlanLimits
from postflow.runtime import Runtime
from postflow.signatures import signature_header
from postflow.usecases.hooks import (
    authenticate_hook_request,
    create_hook,
    rotate_hook_secret,
)
from postflow.usecases.organizations import create_organization
from tests.fakes.clock import ManualClock

BODY = b'{"text": "Release 1.2 is out"}'


def signed(rt: Runtime, secret: str, body: bytes = BODY) -> str:
    return signature_header(secret, int(rt.clock.now().timestamp()), body)


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


async def test_a_new_hook_shows_its_secret_once_and_stores_it_sealed(
        rt: Runtime, org: Organization) -> None:
    created = await create_hook(rt, org.id, " CI releases ", actor="cli")

    stored = await rt.store.find_hook(created.hook.id)
    assert stored is not None and stored.name == "CI releases"
    assert created.secret.startswith("whsec_")
    assert created.secret not in stored.sealed_secret
    assert rt.vault.open(stored.sealed_secret) == created.secret


async def test_creating_a_hook_is_audited(rt: Runtime, org: Organization) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli", review_required=True)

    event = (await rt.store.list_audit(org.id, subject_id=created.hook.id))[0]
    assert (event.action, event.data["review_required"]) == ("hook.created", True)


async def test_a_plan_without_incoming_hooks_cannot_create_one(rt: Runtime,
                                                               org: Organization) -> None:
    rt = dataclasses.replace(rt, plans=PlanCatalog(default="free", plans=[
        Plan(key="free", name="Free", limits=PlanLimits()), *DEFAULT_PLANS.plans[1:]]))

    with pytest.raises(LimitReached, match="incoming hooks"):
        await create_hook(rt, org.id, "CI", actor="cli")


async def test_a_request_signed_with_the_secret_is_authenticated(rt: Runtime,
                                                                 org: Organization) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")

    hook = await authenticate_hook_request(rt, created.hook.id, signed(rt, created.secret), BODY)

    assert hook.id == created.hook.id


async def test_a_request_signed_with_another_secret_is_refused(rt: Runtime,
                                                               org: Organization) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")

    with pytest.raises(Unauthorized):
        await authenticate_hook_request(rt, created.hook.id, signed(rt, "whsec_guess"), BODY)


async def test_an_unsigned_request_is_refused(rt: Runtime, org: Organization) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")

    with pytest.raises(Unauthorized):
        await authenticate_hook_request(rt, created.hook.id, None, BODY)


async def test_an_unknown_hook_is_not_found(rt: Runtime) -> None:
    with pytest.raises(NotFound):
        await authenticate_hook_request(rt, "hook_nope", signed(rt, "whsec_x"), BODY)


async def test_a_disabled_hook_is_not_found_without_its_secret(rt: Runtime,
                                                                org: Organization) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")
    await rt.store.update_hook(created.hook.model_copy(update={"disabled": True}))

    with pytest.raises(NotFound):
        await authenticate_hook_request(rt, created.hook.id, signed(rt, "whsec_wrong"), BODY)
    with pytest.raises(HookDisabled):
        await authenticate_hook_request(rt, created.hook.id, signed(rt, created.secret), BODY)


async def test_after_rotation_the_new_secret_is_accepted(rt: Runtime, org: Organization) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")

    rotated = await rotate_hook_secret(rt, org.id, created.hook.id, actor="cli")

    assert rotated.secret != created.secret
    await authenticate_hook_request(rt, created.hook.id, signed(rt, rotated.secret), BODY)


async def test_the_old_secret_works_during_the_overlap(rt: Runtime, org: Organization,
                                                       clock: ManualClock) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")
    await rotate_hook_secret(rt, org.id, created.hook.id, actor="cli",
                             grace=timedelta(hours=1))
    clock.advance(3599)

    hook = await authenticate_hook_request(rt, created.hook.id, signed(rt, created.secret), BODY)
    assert hook.id == created.hook.id


async def test_the_old_secret_is_refused_after_the_overlap(rt: Runtime, org: Organization,
                                                           clock: ManualClock) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")
    await rotate_hook_secret(rt, org.id, created.hook.id, actor="cli",
                             grace=timedelta(hours=1))
    clock.advance(3600)

    with pytest.raises(Unauthorized):
        await authenticate_hook_request(rt, created.hook.id, signed(rt, created.secret), BODY)


async def test_rotating_another_organizations_hook_is_not_found(rt: Runtime,
                                                                org: Organization) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")
    other = await create_organization(rt, "Other", actor="cli")

    with pytest.raises(NotFound):
        await rotate_hook_secret(rt, other.id, created.hook.id, actor="cli")


async def test_rotation_is_audited(rt: Runtime, org: Organization) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")

    await rotate_hook_secret(rt, org.id, created.hook.id, actor="cli")

    events = await rt.store.list_audit(org.id, subject_id=created.hook.id)
    assert [e.action for e in events] == ["hook.created", "hook.secret_rotated"]
