"""``postflow hook create|update|test|rotate|disable|enable|delete|list``: signed webhook URLs
that create posts, from PostFlow's post request or, through a template, from any JSON payload.

A hook's secret is printed twice in its life: when it is made and when it is rotated.
"""

from __future__ import annotations

import argparse
import re
from datetime import timedelta
from pathlib import Path

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.output import iso, table, when
from postflow.config import Settings
from postflow.errors import BadInput, NotFound
from postflow.hook_templates import SignatureScheme
from postflow.hooks import IncomingHook
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.hook_templates import RenderedPost, render_hook_post
from postflow.usecases.hooks import (
    MAX_GRACE,
    CreatedHook,
    create_hook,
    delete_hook,
    rotate_hook_secret,
    set_hook_disabled,
    update_hook_template,
)

SHOWN_ONCE = "Keep this secret now: PostFlow shows it only once and cannot show it again."
GRACE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
GRACE_FORMAT = re.compile(r"(\d{1,7})([smhd]?)")


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("hook", help="create, rotate, disable and list incoming webhooks")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", parents=[common],
                                help="create a hook; prints its URL and secret once")
    create.add_argument("--org", required=True, help="organization id or name")
    create.add_argument("--name", required=True, help="what the hook is for, e.g. ci")
    create.add_argument("--review", action="store_true",
                        help="posts from this hook wait for review before they are scheduled")
    _template_options(create)
    create.set_defaults(handler=create_webhook)

    update = actions.add_parser("update", parents=[common],
                                help="give a hook a template (or take it away), change how "
                                     "it is signed")
    update.add_argument("hook_id", metavar="HOOK_ID")
    update.add_argument("--org", required=True, help="organization id or name")
    _template_options(update)
    update.add_argument("--no-template", action="store_true",
                        help="take the template away: the hook reads PostFlow's post request")
    update.set_defaults(handler=update_webhook)

    test = actions.add_parser("test", parents=[common],
                              help="render a payload through the hook's template; posts nothing")
    test.add_argument("hook_id", metavar="HOOK_ID")
    test.add_argument("--org", required=True, help="organization id or name")
    test.add_argument("--payload", required=True, type=Path, metavar="FILE",
                      help="a JSON payload, as the sending system would send it")
    test.set_defaults(handler=test_webhook)

    rotate = actions.add_parser("rotate", parents=[common],
                                help="issue a new secret; the old one works for --grace more")
    rotate.add_argument("hook_id", metavar="HOOK_ID")
    rotate.add_argument("--org", required=True, help="organization id or name")
    rotate.add_argument("--grace", type=parse_grace, default=timedelta(hours=24),
                        metavar="DURATION",
                        help="how long the old secret keeps working: 24h (default), 30m, 7d, "
                             "or 0 to revoke it at once")
    rotate.set_defaults(handler=rotate_webhook_secret)

    for action, helptext, handler in (
            ("disable", "refuse the hook's requests (its secrets are kept)", disable_webhook),
            ("enable", "accept the hook's requests again", enable_webhook),
            ("delete", "delete the hook and its secrets for good", delete_webhook)):
        command = actions.add_parser(action, parents=[common], help=helptext)
        command.add_argument("hook_id", metavar="HOOK_ID")
        command.add_argument("--org", required=True, help="organization id or name")
        command.set_defaults(handler=handler)

    listing = actions.add_parser("list", parents=[common], help="list hooks (never secrets)")
    listing.add_argument("--org", required=True, help="organization id or name")
    listing.set_defaults(handler=list_webhooks)


def _template_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--template", type=Path, metavar="FILE",
                         help="a template turning any JSON payload into the post "
                              "(docs/webhooks.md, Hook templates)")
    command.add_argument("--signature", choices=[s.value for s in SignatureScheme],
                         help="how requests are signed: postflow (PostFlow-Signature, the "
                              "default) or github (X-Hub-Signature-256, for GitHub's webhooks)")


def read_text_file(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"Cannot read the {what} {str(path)!r}: "
                       f"{err.strerror if isinstance(err, OSError) else 'not UTF-8 text'}.",
                       details={"file": str(path)}) from None


def parse_grace(text: str) -> timedelta:
    """``--grace``: a whole number of seconds, minutes, hours or days (``90s``, ``30m``,
    ``24h``, ``7d``); ``0`` revokes the old secret at once."""
    match = GRACE_FORMAT.fullmatch(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration; write it like 24h, 30m, 7d or 0")
    grace = timedelta(seconds=int(match[1]) * GRACE_UNITS[match[2] or "s"])
    if grace > MAX_GRACE:
        raise argparse.ArgumentTypeError(
            f"{text!r} is longer than {MAX_GRACE.days} days; write it like 24h or 7d")
    return grace


def create_webhook(args: argparse.Namespace, ctx: CommandContext) -> None:
    template = read_text_file(args.template, "template") if args.template else None
    scheme = SignatureScheme(args.signature or SignatureScheme.POSTFLOW)
    created = ctx.run_in_org(args.org, lambda rt, org: create_hook(
        rt, org.id, args.name, actor=CLI_ACTOR, review_required=args.review,
        template=template, signature_scheme=scheme))
    _print_secret(ctx, created, f"Created hook {created.hook.name!r} ({created.hook.id}).")


def update_webhook(args: argparse.Namespace, ctx: CommandContext) -> None:
    if args.no_template and args.template:
        raise BadInput("Give --template FILE or --no-template, not both.")
    if not (args.no_template or args.template or args.signature):
        raise BadInput("Say what to change: --template FILE, --no-template or --signature.")
    scheme = SignatureScheme(args.signature) if args.signature else None

    async def update(rt: Runtime, org: Organization) -> IncomingHook:
        template = None if args.no_template else (
            read_text_file(args.template, "template") if args.template
            else (await _get_org_hook(rt, org.id, args.hook_id)).template)
        return await update_hook_template(rt, org.id, args.hook_id, template, actor=CLI_ACTOR,
                                          signature_scheme=scheme)

    hook = ctx.run_in_org(args.org, update)
    _print_hook(ctx, hook, f"Hook {hook.name!r} ({hook.id}) "
                           f"{'has a template' if hook.template else 'reads post requests'}, "
                           f"signed with {hook.signature_scheme.value}'s scheme.")


def test_webhook(args: argparse.Namespace, ctx: CommandContext) -> None:
    payload = read_text_file(args.payload, "payload").encode("utf-8")

    async def render(rt: Runtime, org: Organization) -> RenderedPost:
        return await render_hook_post(rt, await _get_org_hook(rt, org.id, args.hook_id),
                                      payload)

    rendered = ctx.run_in_org(args.org, render)
    if rendered.request is None:
        ctx.out.result({"skipped": True, "reason": rendered.skipped, "posted": False},
                       [f"Skipped: {rendered.skipped}", "Nothing was posted."])
        return
    request = rendered.request.model_dump(mode="json", exclude_defaults=True)
    lines = [f"{name}: {value}" for name, value in request.items()]
    ctx.out.result({"skipped": False, "post": request, "posted": False},
                   [*lines, "", "Nothing was posted (a test renders only)."])


async def _get_org_hook(rt: Runtime, org_id: str, hook_id: str) -> IncomingHook:
    hook = await rt.store.find_hook(hook_id)
    if hook is None or hook.org_id != org_id:
        raise NotFound(f"No hook {hook_id!r} in this organization.")
    return hook


def rotate_webhook_secret(args: argparse.Namespace, ctx: CommandContext) -> None:
    rotated = ctx.run_in_org(args.org, lambda rt, org: rotate_hook_secret(
        rt, org.id, args.hook_id, actor=CLI_ACTOR, grace=args.grace))
    expires = rotated.hook.previous_secret_expires_at
    old = (f"The old secret works until {when(expires)}." if expires is not None
           else "The old secret no longer works.")
    _print_secret(ctx, rotated, f"Rotated the secret of hook {rotated.hook.name!r} "
                                f"({rotated.hook.id}). {old}")


def disable_webhook(args: argparse.Namespace, ctx: CommandContext) -> None:
    hook = ctx.run_in_org(args.org, lambda rt, org: set_hook_disabled(
        rt, org.id, args.hook_id, True, actor=CLI_ACTOR))
    _print_hook(ctx, hook, f"Hook {hook.name!r} ({hook.id}) is disabled: its requests are "
                           "refused until `postflow hook enable`.")


def enable_webhook(args: argparse.Namespace, ctx: CommandContext) -> None:
    hook = ctx.run_in_org(args.org, lambda rt, org: set_hook_disabled(
        rt, org.id, args.hook_id, False, actor=CLI_ACTOR))
    _print_hook(ctx, hook, f"Hook {hook.name!r} ({hook.id}) is enabled.")


def delete_webhook(args: argparse.Namespace, ctx: CommandContext) -> None:
    hook = ctx.run_in_org(args.org, lambda rt, org: delete_hook(
        rt, org.id, args.hook_id, actor=CLI_ACTOR))
    ctx.out.result({"deleted": hook.id},
                   [f"Hook {hook.name!r} ({hook.id}) is deleted; its URL answers 404 from now "
                    "on. The posts it created are kept."])


def list_webhooks(args: argparse.Namespace, ctx: CommandContext) -> None:
    hooks = ctx.run_in_org(args.org, lambda rt, org: rt.store.list_hooks(org.id))
    lines = table(["ID", "NAME", "REVIEW", "DISABLED", "TEMPLATE", "SIGNED", "URL", "CREATED"],
                  [[h.id, h.name, _yes(h.review_required), _yes(h.disabled),
                    _yes(h.template is not None), h.signature_scheme.value,
                    hook_url(ctx.settings, h), when(h.created_at)] for h in hooks])
    ctx.out.result({"hooks": [hook_view(ctx.settings, h) for h in hooks]},
                   lines if hooks else ["No hooks yet."])


def _print_hook(ctx: CommandContext, hook: IncomingHook, headline: str) -> None:
    ctx.out.result({"hook": hook_view(ctx.settings, hook)}, [headline])


def _print_secret(ctx: CommandContext, created: CreatedHook, headline: str) -> None:
    url = hook_url(ctx.settings, created.hook)
    ctx.out.result(
        {"hook": hook_view(ctx.settings, created.hook), "url": url, "secret": created.secret,
         "warning": SHOWN_ONCE},
        [headline, f"URL:    {url}", f"Secret: {created.secret}", "", SHOWN_ONCE])


def hook_url(settings: Settings, hook: IncomingHook) -> str:
    return f"{settings.base_url}/v1/hooks/{hook.id}"


def hook_view(settings: Settings, hook: IncomingHook) -> dict[str, object]:
    return {"id": hook.id, "org_id": hook.org_id, "name": hook.name,
            "url": hook_url(settings, hook), "review_required": hook.review_required,
            "disabled": hook.disabled, "templated": hook.template is not None,
            "signature": hook.signature_scheme.value,
            "previous_secret_expires_at": iso(hook.previous_secret_expires_at),
            "created_at": iso(hook.created_at)}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
