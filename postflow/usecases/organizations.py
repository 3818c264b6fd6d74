"""Creating organizations and managing who belongs to them."""

from __future__ import annotations

import unicodedata

from postflow.errors import BadInput, Conflict, NotFound
from postflow.ids import new_id
from postflow.organizations import ChatIdentity, Member, Organization, Role, Workspace
from postflow.plans import Limit, check_limit
from postflow.runtime import Runtime
from postflow.timezones import require_timezone
from postflow.usecases.audit_log import record

#: How every organization id starts (``new_id("org")``).
ORG_ID_PREFIX = "org_"


async def create_organization(rt: Runtime, name: str, *, actor: str, timezone: str = "UTC",
                              owner: ChatIdentity | None = None) -> Organization:
    """Create an organization on the default plan; ``owner`` (if given) becomes its Owner."""
    name = name.strip()
    if not name:
        raise BadInput("An organization needs a name.")
    if await rt.store.find_organization_by_name(name) is not None:
        raise Conflict(f"An organization named {name!r} already exists.")
    org = Organization(id=new_id("org"), name=name, plan=rt.plans.default,
                       timezone=require_timezone(timezone), created_at=rt.clock.now())
    await rt.store.insert_organization(org)
    await record(rt, org.id, actor, "organization.created", org.id, name=name, plan=org.plan)
    if owner is not None:
        await add_member(rt, org.id, owner, Role.OWNER, actor=actor)
    return org


async def organizations_matching(rt: Runtime, ref: str) -> list[Organization]:
    """The organizations ``ref`` may mean: the one with that id, or every one whose name equals
    it once case and spacing are set aside.

    A name is not an identifier: installing the Slack app creates an organization named after
    the workspace, so a name that several organizations answer to must not pick one of them.
    An id-shaped ``ref`` (``org_...``) is only ever an id.
    """
    ref = ref.strip()
    if ref.startswith(ORG_ID_PREFIX):
        try:
            return [await rt.store.get_organization(ref)]
        except NotFound:
            return []
    key = name_key(ref)
    return [o for o in await rt.store.list_organizations() if name_key(o.name) == key]


def name_key(name: str) -> str:
    """What two organization names are compared by: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def describe_organizations(orgs: list[Organization]) -> str:
    """``org_1 ('Acme'), org_2 ('ACME')``: ids first, for an error that asks for one."""
    return ", ".join(f"{o.id} ({o.name!r})" for o in orgs)


async def add_member(rt: Runtime, org_id: str, identity: ChatIdentity, role: Role, *,
                     actor: str, display_name: str = "") -> Member:
    org = await rt.store.get_organization(org_id)
    check_limit(rt.plans, org.plan, Limit.MEMBERS, await rt.store.count_members(org_id))
    member = Member(id=new_id("mem"), org_id=org_id, identity=identity, role=role,
                    display_name=display_name, created_at=rt.clock.now())
    await rt.store.insert_member(member)
    await record(rt, org_id, actor, "member.added", member.id, role=role.value,
                 platform=identity.platform, user_id=identity.user_id)
    return member


async def link_workspace(rt: Runtime, org_id: str, platform: str, external_id: str, *,
                         actor: str, name: str = "") -> Workspace:
    org = await rt.store.get_organization(org_id)
    check_limit(rt.plans, org.plan, Limit.WORKSPACES, await rt.store.count_workspaces(org_id))
    workspace = Workspace(id=new_id("ws"), org_id=org_id, platform=platform,
                          external_id=external_id, name=name, created_at=rt.clock.now())
    await rt.store.insert_workspace(workspace)
    await record(rt, org_id, actor, "workspace.linked", workspace.id, platform=platform)
    return workspace


async def change_plan(rt: Runtime, org_id: str, plan_key: str, *, actor: str) -> Organization:
    """Move an organization to another configured plan (billing calls this)."""
    plan = rt.plans.get(plan_key)
    org = await rt.store.get_organization(org_id)
    updated = org.model_copy(update={"plan": plan.key})
    await rt.store.update_organization(updated)
    await record(rt, org_id, actor, "organization.plan_changed", org_id, old=org.plan,
                 new=plan.key)
    return updated
