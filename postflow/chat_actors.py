"""How records name a person on a chat platform: ``slack:T123:U456`` (platform, workspace,
user), next to the other actors (``hook:<id>``, ``cli``, ``scheduler``, ``worker``).

A chat user id is an id within its workspace (a Slack team, a Discord guild), and one
organization may link several workspaces: the workspace is part of the name, so user U1 of
workspace T2 is never taken for user U1 of workspace T1. This module is the one place that builds
and reads these names.

Records written before the workspace was part of the name say ``slack:U456``. They are read as
"user U456 of a workspace not recorded", which :func:`may_be_same_person` takes to be that user id
in any workspace: a refusal that depends on it (an author approving their own post) errs toward
refusing. A grant compares names exactly (``==``), so it errs toward refusing too.

A member may hold several identities (``/postflow link``): :func:`may_be_member` (for a refusal)
and :func:`names_member` (for a grant) ask whether a recorded name is any of them, so a person is
one person whichever workspace they act from.
"""

from __future__ import annotations

from postflow.organizations import CHAT_PLATFORMS, ChatIdentity, Member


def chat_actor(identity: ChatIdentity) -> str:
    """The actor name of ``identity``: ``slack:T123:U456`` (``slack:U456`` without a workspace)."""
    if identity.workspace_id:
        return f"{identity.platform}:{identity.workspace_id}:{identity.user_id}"
    return f"{identity.platform}:{identity.user_id}"


def read_chat_actor(actor: str) -> ChatIdentity | None:
    """The chat identity an actor name holds; its ``workspace_id`` is "" for a name written
    before workspaces were recorded. None for actors that are not chat users (hooks, the CLI)."""
    platform, _, rest = actor.partition(":")
    if platform not in CHAT_PLATFORMS:
        return None
    workspace_id, _, user_id = rest.rpartition(":")
    if not user_id:
        return None
    return ChatIdentity(platform=platform, workspace_id=workspace_id, user_id=user_id)


def may_be_same_person(recorded: str, actor: str) -> bool:
    """Whether the person ``recorded`` (an author, a requester) may be the one ``actor`` names.

    Equal names are; a chat name without a workspace matches that user id in any workspace.
    """
    if recorded == actor:
        return True
    earlier, now = read_chat_actor(recorded), read_chat_actor(actor)
    if earlier is None or now is None:
        return False
    if (earlier.platform, earlier.user_id) != (now.platform, now.user_id):
        return False
    return not earlier.workspace_id or not now.workspace_id


def may_be_member(recorded: str, member: Member, actor: str) -> bool:
    """Whether the person ``recorded`` may be ``member``, now acting as ``actor``: the actor
    itself or any identity of the member (:func:`may_be_same_person` for each)."""
    names = {actor, *(chat_actor(identity) for identity in member.identities)}
    return any(may_be_same_person(recorded, name) for name in names)


def names_member(recorded: str, member: Member) -> bool:
    """Whether ``recorded`` is exactly the name of one of ``member``'s identities (a grant)."""
    return recorded in {chat_actor(identity) for identity in member.identities}
