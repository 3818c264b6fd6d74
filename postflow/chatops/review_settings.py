"""``/postflow settings approval ...``: the organization's approval policy, and one account's
override (``... for <account>``). Reading needs Viewer; changing needs Admin."""

from __future__ import annotations

from postflow.approvals import MAX_DEADLINE_HOURS, MAX_QUORUM, ApprovalPolicy
from postflow.chatops.accounts import find_connection
from postflow.chatops.callers import Membership
from postflow.chatops.formatting import member_mention, parse_user, user_mention
from postflow.chatops.permissions import Permission, require
from postflow.chatops.replies import Item, Reply
from postflow.chatops.roles import parse_role
from postflow.errors import BadInput
from postflow.organizations import Member
from postflow.plans import Feature, require_feature
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.reviews import ORG_SCOPE

USAGE = ("Change it with `/postflow settings approval quorum 2`, `... role admin` (or "
         "`member`, `owner`, `none` for named approvers only), `... approvers @ada @bo` (or "
         "`none`), `... self-approve yes|no`, `... deadline 48` (hours, or `none`); add "
         "`for <account>` to set an account's own policy, `... reset for <account>` to drop it.")
YES = {"yes", "on", "true", "allow"}
NO = {"no", "off", "false", "deny"}


async def approval_settings(rt: Runtime, who: Membership, args: list[str]) -> Reply:
    """No arguments: show the policies. ``<name> <value...> [for <account>]``: change one."""
    org_id = who.org.id
    scope, scope_name = ORG_SCOPE, who.org.name
    if len(args) >= 2 and args[-2].lower() == "for":
        connection = await find_connection(rt, org_id, args[-1])
        scope, scope_name, args = connection.id, connection.display_name, args[:-2]
    policies = await rt.store.get_approval_policies(org_id)
    if not args:
        require(who.member.role, Permission.READ)
        return await show_policies(rt, who, policies, "")
    require(who.member.role, Permission.MANAGE_SETTINGS)
    name, values = args[0].lower(), args[1:]
    current = policies.get(scope) or policies.get(ORG_SCOPE) or ApprovalPolicy()
    if name == "reset":
        if scope == ORG_SCOPE:
            new: ApprovalPolicy | None = ApprovalPolicy()
        else:
            new = None
    else:
        if not values:
            raise BadInput(f"Give a value for {name}. {USAGE}")
        new = current.model_copy(update=await _change(rt, who, name, values))
        new = ApprovalPolicy.model_validate(new.model_dump())
    if new is not None and new.quorum > 1:
        # More than one approval per post is what the paid plans' multi-step approval is.
        require_feature(rt.plans, who.org.plan, Feature.MULTI_STEP_APPROVAL,
                        flags=who.org.feature_flags)
    await rt.store.save_approval_policy(org_id, scope, new)
    await record(rt, org_id, who.actor, "organization.approval_policy_changed", scope or org_id,
                 setting=name, value=" ".join(values), scope=scope or "organization")
    policies = await rt.store.get_approval_policies(org_id)
    said = (f"{scope_name} now uses the organization's policy." if new is None
            else f"Approval policy of {scope_name} changed.")
    return await show_policies(rt, who, policies, said)


async def show_policies(rt: Runtime, who: Membership, policies: dict[str, ApprovalPolicy],
                        said: str) -> Reply:
    members = {m.id: m for m in await rt.store.list_members(who.org.id)}
    items = [Item(title=f"{who.org.name} (organization)",
                  lines=describe(policies.get(ORG_SCOPE) or ApprovalPolicy(), members))]
    for scope, policy in sorted(policies.items()):
        if scope == ORG_SCOPE:
            continue
        connection = await rt.store.get_connection(who.org.id, scope)
        items.append(Item(title=f"{connection.display_name} ({connection.network})",
                          lines=describe(policy, members)))
    text = f"{said} " if said else ""
    return Reply(text=text + "Approval policies; a post going to several accounts needs what "
                 f"the strictest asks. {USAGE}", items=tuple(items))


def describe(policy: ApprovalPolicy, members: dict[str, Member]) -> tuple[str, ...]:
    named = [member_mention(members[m]) if m in members else m
             for m in policy.approvers]
    role = "nobody by role" if policy.approver_role is None \
        else f"{policy.approver_role.value.capitalize()} or higher"
    deadline = "never" if policy.deadline_hours is None else f"{policy.deadline_hours} hours"
    return (f"Approvals needed: {policy.quorum}",
            f"Who may approve: {role}" + (f", and {', '.join(named)}" if named else ""),
            f"Authors may approve their own posts: {'yes' if policy.authors_may_approve else 'no'}",
            f"Requests expire after: {deadline}")


async def _change(rt: Runtime, who: Membership, name: str, values: list[str]) -> dict[str, object]:
    value = values[0].lower()
    if name == "quorum":
        return {"quorum": _number(value, "quorum", 1, MAX_QUORUM)}
    if name == "role":
        return {"approver_role": None if value == "none" else parse_role(value)}
    if name == "approvers":
        if value == "none":
            return {"approvers": ()}
        return {"approvers": tuple([await _member_id(rt, who, v) for v in values])}
    if name in ("self-approve", "self"):
        if value not in YES | NO:
            raise BadInput("Say `yes` or `no`.")
        return {"authors_may_approve": value in YES}
    if name == "deadline":
        if value in ("none", "never"):
            return {"deadline_hours": None}
        return {"deadline_hours": _number(value, "deadline", 1, MAX_DEADLINE_HOURS)}
    raise BadInput(f"There is no approval setting {name!r}. {USAGE}")


def _number(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadInput(f"The {name} is a whole number from {low} to {high}.")
    return int(text)


async def _member_id(rt: Runtime, who: Membership, mention: str) -> str:
    user_id, _ = parse_user(mention)
    me = who.caller.identity
    member = await rt.store.find_member(who.org.id, me.platform, me.workspace_id, user_id)
    if member is None:
        raise BadInput(f"{user_mention(user_id)} is not a member yet: add them first with "
                       f"`/postflow role {user_mention(user_id)} member`.")
    return member.id
