"""``/postflow <command> ...``: parse the text, check who asks, run the command, answer with
plain :class:`~postflow.chatops.replies.Reply` data. Every core error becomes a reply saying
what went wrong; nothing else leaves here (adapters map unexpected errors themselves)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from postflow.chatops import accounts, audit_view, inbox, org_settings, post_lists, queue_edits
from postflow.chatops.api_keys import apikey_command
from postflow.chatops.billing_link import billing_link
from postflow.chatops.callers import Caller, Membership, resolve_member
from postflow.chatops.email_settings import email_command
from postflow.chatops.formatting import parse_user, user_mention
from postflow.chatops.invitations import invite_command, join_command
from postflow.chatops.permissions import NEEDED_ROLE, Permission, require, role_name
from postflow.chatops.replies import ButtonAction, Item, Reply
from postflow.chatops.roles import parse_role, set_role
from postflow.chatops.workspace_links import link_command
from postflow.errors import BadInput, PostFlowError
from postflow.organizations import ChatIdentity
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime


@dataclass(frozen=True)
class Request:
    """One command being run: the runtime, the publish queue (None without a broker) and
    the member who asked."""

    rt: Runtime
    queue: PublishQueue | None
    who: Membership


Run = Callable[[Request, list[str]], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    example: str
    #: The permission that running it (in its changing form, if it has one) needs.
    permission: Permission
    #: None for ``help``, ``link`` and ``join``, which answer non-members too.
    run: Run | None


async def _new(req: Request, args: list[str]) -> Reply:
    # Adapters with forms (Slack's modal) answer `new` themselves; this is for the others.
    require(req.who.member.role, Permission.DRAFT)
    return Reply(text="The composer is a form this chat cannot show yet: draft the post from "
                      "Slack with `/postflow new`, or send it through an incoming hook.",
                 error=True)


async def _accounts(req: Request, args: list[str]) -> Reply:
    return await accounts.list_accounts(req.rt, req.who)


async def _list(req: Request, args: list[str]) -> Reply:
    group, page = post_lists.parse_list_args(args)
    return await post_lists.list_posts(req.rt, req.who, group, page)


async def _queue(req: Request, args: list[str]) -> Reply:
    edit = queue_edits.split_edit(args)
    if edit is not None:
        return await queue_edits.edit_queue(req.rt, req.who, *edit)
    return await accounts.show_queue(req.rt, req.who, " ".join(args))


async def _billing(req: Request, args: list[str]) -> Reply:
    return await billing_link(req.rt, req.who)


async def _connect(req: Request, args: list[str]) -> Reply:
    if not args:
        raise BadInput("Say which network: `/postflow connect <network>`. Networks here: "
                       f"{accounts.connectable_networks(req.rt)}.")
    return await accounts.connect(req.rt, req.who, args[0], " ".join(args[1:]))


async def _disconnect(req: Request, args: list[str]) -> Reply:
    return await accounts.disconnect(req.rt, req.who, " ".join(args))


async def _settings(req: Request, args: list[str]) -> Reply:
    return await org_settings.settings_command(req.rt, req.who, args)


async def _apikey(req: Request, args: list[str]) -> Reply:
    return await apikey_command(req.rt, req.who, args)


async def _inbox(req: Request, args: list[str]) -> Reply:
    return await inbox.inbox_command(req.rt, req.who, args)


async def _email(req: Request, args: list[str]) -> Reply:
    return await email_command(req.rt, req.who, args)


async def _invite(req: Request, args: list[str]) -> Reply:
    return await invite_command(req.rt, req.who, args)


async def _audit(req: Request, args: list[str]) -> Reply:
    return await audit_view.audit_command(req.rt, req.who, args)


async def _role(req: Request, args: list[str]) -> Reply:
    if len(args) != 2:
        raise BadInput("Say who and which role: `/postflow role @ada admin` "
                       "(viewer, member, admin or owner).")
    user_id, name = parse_user(args[0])
    role = parse_role(args[1])
    me = req.who.caller.identity
    target = ChatIdentity(platform=me.platform, workspace_id=me.workspace_id, user_id=user_id)
    member = await set_role(req.rt, req.who, target, role, display_name=name)
    return Reply(text=f"{user_mention(user_id)} is now {role_name(member.role)} of "
                      f"{req.who.org.name}.")


#: Commands whose changing form needs more than their showing form, which any member may use.
VIEWABLE = frozenset({"settings", "queue"})

COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("help", "help", "What you can do here.", "/postflow help", Permission.READ, None),
    Command("new", "new", "Compose a post in a form: text with each network's count, "
            "accounts, media links, when; then ask for review (Admins may schedule directly).",
            "/postflow new", Permission.DRAFT, _new),
    Command("accounts", "accounts", "The connected social accounts and whether they work.",
            "/postflow accounts", Permission.READ, _accounts),
    Command("list", "list [upcoming|drafts|review|failed] [page]",
            "Posts on their way, drafts, posts in review or failed posts, five a page; "
            "Admins get Cancel and Publish now buttons.",
            "/postflow list failed", Permission.READ, _list),
    Command("queue", "queue <account> [set <days> <HH:MM> ...|clear]",
            "An account's queue slots and the posts queued on it; Admins change the slots.",
            "/postflow queue sandbox-1 set mon,wed,fri 09:00 13:00", Permission.MANAGE_QUEUES,
            _queue),
    Command("connect", "connect <network> [name]",
            "Connect a social account.",
            "/postflow connect sandbox", Permission.MANAGE_CONNECTIONS, _connect),
    Command("disconnect", "disconnect <account>",
            "Stop posting to an account and forget its access; its posts and queue stay until "
            "it is connected again.",
            "/postflow disconnect sandbox-1", Permission.MANAGE_CONNECTIONS, _disconnect),
    Command("settings", "settings [timezone|review-channel|notify-channel|approval|support "
            "<value>]",
            "Show the organization's settings; Admins change them.",
            "/postflow settings timezone Europe/Paris", Permission.MANAGE_SETTINGS, _settings),
    Command("role", "role @person <viewer|member|admin|owner>",
            "Give someone a role (adds them when they are not a member yet).",
            "/postflow role @ada admin", Permission.MANAGE_MEMBERS, _role),
    Command("invite", "invite EMAIL [viewer|member|admin|owner] | invite list | invite revoke ID",
            "Invite someone by email (a Member unless you say; only Owners invite Owners); "
            "they accept through the mailed link within 7 days. `list` and `revoke` the "
            "pending ones.", "/postflow invite ada@example.com admin",
            Permission.MANAGE_MEMBERS, _invite),
    Command("join", "join CODE",
            "Accept an invitation from here: the code is on the invitation's page "
            "(Join from Slack or Discord).", "/postflow join ABCDE-FGHJK", Permission.READ,
            None),
    Command("apikey", "apikey create <name> <scope,...>|list|revoke <key id>",
            "Keys for the REST API (/v1): a new key is shown once, to you only.",
            "/postflow apikey create cms posts:read,posts:write", Permission.MANAGE_API_KEYS,
            _apikey),
    Command("inbox", "inbox [read]",
            "Your latest notices, unread first, with links to the posts; `read` marks them "
            "all read.", "/postflow inbox", Permission.READ, _inbox),
    Command("email", "email [set ADDRESS | prefs [KIND on|off] [digest daily|weekly|none] "
            "[timezone ZONE]]",
            "Your email address (confirmed by a link mailed to it) and what PostFlow mails "
            "you: failures, connections, security, billing (Owners), a digest (08:00 in your "
            "zone).",
            "/postflow email prefs failures on digest weekly timezone Europe/Paris",
            Permission.READ, _email),
    Command("audit", "audit [page]",
            "The organization's audit log, newest first: who installed, linked, connected, "
            "changed roles, hooks, settings and billing, and when.",
            "/postflow audit 2", Permission.READ_AUDIT, _audit),
    Command("billing", "billing", "A link to the organization's billing page (15 minutes, "
            "for you only).", "/postflow billing", Permission.BILLING, _billing),
    Command("link", "link [CODE]",
            "Link another Slack workspace or Discord server to the organization: get a "
            "one-time code (15 minutes) and run `/postflow link CODE` there yourself.",
            "/postflow link", Permission.LINK_WORKSPACES, None),
)}


async def run_command(rt: Runtime, queue: PublishQueue | None, caller: Caller,
                      text: str) -> Reply:
    """Run the text after ``/postflow`` for ``caller``."""
    words = text.split()
    name = words[0].lower() if words else "help"
    command = COMMANDS.get(name)
    if command is None:
        return Reply(text=f"There is no command `{words[0]}`. `/postflow help` lists them.",
                     error=True)
    try:
        if command.name == "link":
            return await link_command(rt, caller, words[1:])
        if command.name == "join":
            return await join_command(rt, caller, words[1:])
        if command.run is None:
            return await help_reply(rt, caller)
        who = await resolve_member(rt, caller)
        return await command.run(Request(rt, queue, who), words[1:])
    except PostFlowError as err:
        return Reply(text=err.message, error=True)


async def run_button(rt: Runtime, queue: PublishQueue | None, caller: Caller, action: str,
                     value: str) -> Reply:
    """Do what a pressed button says; the caller's role is checked again here, not trusted
    from when the button was shown."""
    try:
        who = await resolve_member(rt, caller)
        if action == ButtonAction.CANCEL:
            return await post_lists.press_cancel(rt, who, value)
        if action == ButtonAction.PUBLISH_NOW:
            return await post_lists.press_publish_now(rt, queue, who, value)
        if action == ButtonAction.LIST_PAGE:
            return await post_lists.list_page(rt, who, value)
        if action == ButtonAction.INBOX_READ:
            return await inbox.read_inbox(rt, who)
        if action == ButtonAction.AUDIT_PAGE:
            return await audit_view.press_audit_page(rt, who, value)
        raise BadInput("That button is out of date; run the command again.")
    except PostFlowError as err:
        return Reply(text=err.message, error=True)


async def help_reply(rt: Runtime, caller: Caller) -> Reply:
    """Every command that works, with the role it needs; the caller's own role first."""
    try:
        who: Membership | None = await resolve_member(rt, caller)
    except PostFlowError:
        who = None
    if who is None:
        intro = ("You are not a member of this workspace's PostFlow organization yet; an "
                 "Admin can add you with `/postflow role @you member`.")
    else:
        intro = f"You are {role_name(who.member.role)} of {who.org.name}."
    items = []
    for command in COMMANDS.values():
        if command.name == "help":
            continue
        needed = NEEDED_ROLE[command.permission]
        summary = command.summary
        if command.name == "connect":
            summary += f" Networks here: {accounts.connectable_networks(rt)}."
        items.append(Item(title=f"`/postflow {command.usage}`",
                          lines=(summary, f"Example: `{command.example}`",
                                 "Needs: an invitation" if command.name == "join" else
                                 f"Needs: {role_name(needed)}" + (
                                     " (viewers may look)" if command.name in VIEWABLE
                                     else ""))))
    roles = ("Roles: Viewer sees posts and accounts; Member also drafts and asks for review; "
             "Admin also approves, schedules without review, cancels, publishes now and manages "
             "accounts, queues, settings and roles, and reads the audit log; Owner also handles "
             "billing and support access.")
    return Reply(text=f"{intro} {roles}", items=tuple(items))
