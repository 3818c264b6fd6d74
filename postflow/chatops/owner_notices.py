"""Notices said to an organization's Owners in chat (billing, a disabled webhook endpoint, the
app removed from one of its workspaces): whom each chat sink tells, and the words, decided once
here so Slack and Discord say the same to the same people.

A sink asks :func:`owner_recipients` for the Owners it can reach on its platform and sends each a
direct message; when there is none it says the notice in the organization's notification channel
if the notice allows it (:func:`channel_when_no_owner`). A disabled webhook endpoint names its
URL, which may carry a secret in its path, so it goes to Owners only.
"""

from __future__ import annotations

from dataclasses import dataclass

from postflow.chatops.billing_notices import billing_notice_text
from postflow.notices.events import (
    BillingNotice,
    ChatAppRemoved,
    Notice,
    WebhookEndpointDisabled,
)
from postflow.organizations import ChatIdentity, Role
from postflow.store.records.organizations import OrganizationRecords

#: The notices chat sinks say to Owners.
OWNER_NOTICES = (BillingNotice, WebhookEndpointDisabled, ChatAppRemoved)


@dataclass(frozen=True)
class OwnerRecipients:
    """Where an Owner notice goes on one platform: each Owner's identity there by direct
    message, else (``to_channel``) the organization's notification channel (else its review
    channel), else nowhere."""

    owners: tuple[ChatIdentity, ...]
    to_channel: bool


async def owner_recipients(members: OrganizationRecords, notice: Notice,
                           platform: str) -> OwnerRecipients:
    """The Owners of ``notice``'s organization known on ``platform`` (every identity they have
    there, each once), and whether its channel stands in when there is none. Nobody and no
    channel in the workspace the notice says PostFlow was removed from: it cannot be told."""
    removed = notice.workspace_id if (isinstance(notice, ChatAppRemoved)
                                      and notice.platform == platform) else None
    owners: dict[tuple[str, str], ChatIdentity] = {}
    for member in await members.list_members(notice.org_id):
        if member.role is not Role.OWNER:
            continue
        for identity in member.identities:
            if (identity.platform != platform or not identity.workspace_id
                    or identity.workspace_id == removed):
                continue
            owners.setdefault((identity.workspace_id, identity.user_id), identity)
    if owners or not channel_when_no_owner(notice):
        return OwnerRecipients(tuple(owners.values()), to_channel=False)
    org = await members.get_organization(notice.org_id)
    channel = org.notification_channel or org.review_channel
    return OwnerRecipients((), to_channel=(channel is not None and channel.platform == platform
                                           and channel.workspace_id != removed))


def channel_when_no_owner(notice: Notice) -> bool:
    """Whether the notification channel hears ``notice`` when no Owner can be told directly:
    not a disabled webhook endpoint (its URL is for Owners only)."""
    return not isinstance(notice, WebhookEndpointDisabled)


def owner_notice_text(notice: Notice) -> str:
    """What an Owner notice says, in plain words (each sink adds its emoji and escaping)."""
    match notice:
        case BillingNotice():
            return billing_notice_text(notice)
        case WebhookEndpointDisabled(endpoint_id=endpoint_id, shown_url=url, reason=reason):
            return (f"PostFlow disabled the webhook endpoint {endpoint_id} ({url}): {reason}. "
                    f"Once it answers again, enable it with `postflow webhook enable "
                    f"{endpoint_id} --org {notice.org_id}` and replay the events it missed.")
        case ChatAppRemoved(platform=platform, workspace_id=workspace_id,
                            workspace_name=name):
            where = f"the {platform.capitalize()} workspace {name or workspace_id}"
            if platform == "discord":
                where = f"the Discord server {name or workspace_id}"
            return (f"PostFlow was removed from {where}: it can no longer post or answer "
                    "there. The organization keeps its posts, accounts and members; someone "
                    "who manages that workspace can add PostFlow again with the install link.")
    return f"{notice.kind} about {notice.subject}."
