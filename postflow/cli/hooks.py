"""``postflow hook create|rotate|list``: signed webhook URLs that create posts.

A hook's secret is printed twice in its life: when it is made and when it is rotated.
"""

from __future__ import annotations

import argparse

from postflow.cli.context import CLI_ACTOR, CommandContext, Subcommands
from postflow.cli.output import iso, table, when
from postflow.config import Settings
from postflow.hooks import IncomingHook
from postflow.usecases.hooks import CreatedHook, create_hook, rotate_hook_secret

SHOWN_ONCE = "Keep this secret now: PostFlow shows it only once and cannot show it again."


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("hook", help="create, rotate and list incoming webhooks")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", parents=[common],
                                help="create a hook; prints its URL and secret once")
    create.add_argument("--org", required=True, help="organization id or name")
    create.add_argument("--name", required=True, help="what the hook is for, e.g. ci")
    create.add_argument("--review", action="store_true",
                        help="posts from this hook wait for review before they are scheduled")
    create.set_defaults(handler=create_webhook)

    rotate = actions.add_parser("rotate", parents=[common],
                                help="issue a new secret; the old one works for 24 more hours")
    rotate.add_argument("hook_id", metavar="HOOK_ID")
    rotate.add_argument("--org", required=True, help="organization id or name")
    rotate.set_defaults(handler=rotate_webhook_secret)

    listing = actions.add_parser("list", parents=[common], help="list hooks (never secrets)")
    listing.add_argument("--org", required=True, help="organization id or name")
    listing.set_defaults(handler=list_webhooks)


def create_webhook(args: argparse.Namespace, ctx: CommandContext) -> None:
    created = ctx.run_in_org(args.org, lambda rt, org: create_hook(
        rt, org.id, args.name, actor=CLI_ACTOR, review_required=args.review))
    _print_secret(ctx, created, f"Created hook {created.hook.name!r} ({created.hook.id}).")


def rotate_webhook_secret(args: argparse.Namespace, ctx: CommandContext) -> None:
    rotated = ctx.run_in_org(args.org, lambda rt, org: rotate_hook_secret(
        rt, org.id, args.hook_id, actor=CLI_ACTOR))
    _print_secret(ctx, rotated,
                  f"Rotated the secret of hook {rotated.hook.name!r} ({rotated.hook.id}). "
                  f"The old secret works until {when(rotated.hook.previous_secret_expires_at)}.")


def list_webhooks(args: argparse.Namespace, ctx: CommandContext) -> None:
    hooks = ctx.run_in_org(args.org, lambda rt, org: rt.store.list_hooks(org.id))
    lines = table(["ID", "NAME", "REVIEW", "DISABLED", "URL", "CREATED"],
                  [[h.id, h.name, _yes(h.review_required), _yes(h.disabled),
                    hook_url(ctx.settings, h), when(h.created_at)] for h in hooks])
    ctx.out.result({"hooks": [hook_view(ctx.settings, h) for h in hooks]},
                   lines if hooks else ["No hooks yet."])


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
            "disabled": hook.disabled,
            "previous_secret_expires_at": iso(hook.previous_secret_expires_at),
            "created_at": iso(hook.created_at)}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
