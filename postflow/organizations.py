"""Organizations, their members (a person with a role, known by one or more chat identities) and
linked chat workspaces."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from postflow.billing.state import BillingState
from postflow.clock import UtcDatetime
from postflow.email.preferences import EmailPreferences, MemberEmail


class Role(StrEnum):
    """What a member may do, from least to most: each role includes the ones before it."""

    VIEWER = "viewer"
    MEMBER = "member"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """True when this role is ``needed`` or above it."""
        return self.rank >= needed.rank


#: The chat platforms PostFlow speaks on: the one list the records and actor names check.
CHAT_PLATFORMS = ("slack", "discord")
#: Where the shell's operators come from, as a platform of their identity.
CLI_PLATFORM = "cli"
#: The identity of a member who joined by an emailed invitation and uses no chat: its
#: ``user_id`` is their address (lower-case), its ``workspace_id`` empty. Such a member acts
#: only through signed links (the billing page) and receives mail.
EMAIL_PLATFORM = "email"
_CHAT_PLATFORM = f"^({'|'.join(CHAT_PLATFORMS)})$"
_IDENTITY_PLATFORM = f"^({'|'.join((*CHAT_PLATFORMS, CLI_PLATFORM, EMAIL_PLATFORM))})$"


class ChatIdentity(BaseModel):
    """Who a person is on a chat platform (``cli`` for operators at the shell, ``email`` for a
    member who joined by invitation without chat)."""

    model_config = ConfigDict(frozen=True)

    platform: str = Field(pattern=_IDENTITY_PLATFORM)
    workspace_id: str = ""
    user_id: str


class ChatChannel(BaseModel):
    """A channel on a chat platform that PostFlow posts to (review requests, notifications)."""

    model_config = ConfigDict(frozen=True)

    platform: str = Field(pattern=_CHAT_PLATFORM)
    workspace_id: str = ""
    channel_id: str = Field(min_length=1)


class Suspension(BaseModel):
    """Why and since when an organization is suspended: its posts wait, its hooks and API
    answer 403."""

    model_config = ConfigDict(frozen=True)

    reason: str = Field(min_length=1, max_length=500)
    at: UtcDatetime


class Organization(BaseModel):
    id: str
    name: str = Field(min_length=1, max_length=120)
    plan: str = "free"
    timezone: str = "UTC"
    created_at: UtcDatetime
    #: Where review requests are posted; None until set (``/postflow settings``). Stored in the
    #: record's JSON document, so records written before these fields existed read as None.
    review_channel: ChatChannel | None = None
    #: Where PostFlow tells people about posts that need them (late, failed).
    notification_channel: ChatChannel | None = None
    #: Its Stripe subscription as last read (postflow/billing/); never subscribed by default.
    billing: BillingState = Field(default_factory=BillingState)
    #: Operators' feature switches laid over the plan's (``postflow admin flags``): feature
    #: name -> on or off. Names, not the Feature enum, so a record naming a feature that is
    #: gone still reads.
    feature_flags: dict[str, bool] = Field(default_factory=dict)
    #: Set while an operator has suspended the organization (``postflow admin suspend``).
    suspension: Suspension | None = None
    #: The Owner's switch (``/postflow settings support on``): while on, operators may open
    #: the read-only support view (``postflow admin support``).
    support_access: bool = False


class Member(BaseModel):
    """A person in an organization. Their role is theirs, whichever identity they act from."""

    id: str
    org_id: str
    #: The identity they were added with.
    identity: ChatIdentity
    #: Identities linked since (``/postflow link`` run by them on another workspace). Stored in
    #: the record's JSON document: records written before it existed read as no linked identity.
    linked_identities: list[ChatIdentity] = Field(default_factory=list)
    display_name: str = ""
    role: Role
    created_at: UtcDatetime
    #: Their email address, if they gave one (postflow/email/addresses.py); stored in the
    #: record's JSON document, so records written before it existed read as None.
    email: MemberEmail | None = None
    #: The mail they chose; None: their role's defaults (postflow/email/preferences.py).
    email_preferences: EmailPreferences | None = None
    #: The IANA zone their digest comes at 08:00 in; None: the organization's.
    timezone: str | None = None

    @property
    def identities(self) -> tuple[ChatIdentity, ...]:
        """Every identity of the member, the one they were added with first."""
        return (self.identity, *self.linked_identities)

    @property
    def chat_identity(self) -> ChatIdentity | None:
        """The first identity on a chat platform; None for an email-only (or shell) member."""
        return next((i for i in self.identities if i.platform in CHAT_PLATFORMS), None)


class Workspace(BaseModel):
    """A chat workspace (a Slack team, a Discord guild) linked to an organization."""

    id: str
    org_id: str
    platform: str
    external_id: str
    name: str = ""
    created_at: UtcDatetime
