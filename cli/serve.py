"""``postflow up|hub|worker|scheduler``: the long-running processes.

``up`` runs everything in one process on embedded defaults; the others are the same parts as
separate processes for scale-out. SIGINT or SIGTERM asks for a clean shutdown; a second one
falls back to the default behaviour, so a stuck shutdown can still be interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable

from cli.context import CommandContext, Subcommands
from composition import processes
from hub.event_loop import loop_factory
from integrations.email import describe_email
from postflow.config import EventLoopChoice, Settings
from postflow.errors import ConfigurationError

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    commands.add_parser(
        "up", parents=[common],
        help="run the hub, workers and scheduler in one process (embedded defaults)",
    ).set_defaults(handler=up)
    scale_out = "; a separate process for scale-out (needs POSTFLOW_REDIS_URL)"
    commands.add_parser("hub", parents=[common], help="run the HTTP hub" + scale_out,
                        ).set_defaults(handler=hub)
    commands.add_parser("worker", parents=[common], help="run a publish worker" + scale_out,
                        ).set_defaults(handler=worker)
    commands.add_parser("scheduler", parents=[common], help="run the scheduler" + scale_out,
                        ).set_defaults(handler=scheduler)


def up(args: argparse.Namespace, ctx: CommandContext) -> None:
    def ready(url: str) -> None:
        ctx.out.result({"url": url, **_storage(ctx.settings)}, ready_lines(ctx.settings, url))

    _serve_until_signalled(lambda stop: processes.run_embedded(ctx.settings, stop, on_ready=ready),
                           ctx.settings.event_loop)


def hub(args: argparse.Namespace, ctx: CommandContext) -> None:
    _require_shared_broker(ctx.settings, "hub")

    def ready(url: str) -> None:
        ctx.out.result({"url": url}, [f"PostFlow hub listening at {url}"])

    _serve_until_signalled(lambda stop: processes.run_hub(ctx.settings, stop, on_ready=ready),
                           ctx.settings.event_loop)


def scheduler(args: argparse.Namespace, ctx: CommandContext) -> None:
    _require_shared_broker(ctx.settings, "scheduler")
    _serve_until_signalled(lambda stop: processes.run_scheduler(ctx.settings, stop))


def worker(args: argparse.Namespace, ctx: CommandContext) -> None:
    _require_shared_broker(ctx.settings, "worker")
    # Installs its own SIGINT/SIGTERM handlers: it blocks this thread.
    processes.run_worker(ctx.settings)


def _require_shared_broker(settings: Settings, command: str) -> None:
    # Without Redis each process would get its own in-process queue: jobs the hub or the
    # scheduler enqueue would never reach a worker, and posts would silently stay Queued.
    if settings.redis_url is None:
        raise ConfigurationError(
            f"postflow {command} runs beside other PostFlow processes and needs "
            "POSTFLOW_REDIS_URL to share jobs with them. For a single process, run: postflow up",
            details={"setting": "POSTFLOW_REDIS_URL"})


def ready_lines(settings: Settings, url: str) -> list[str]:
    """What ``postflow up`` tells a person once it listens: where it is and what to run next."""
    storage = _storage(settings)
    where = (f"Data directory: {storage['data_dir']} (SQLite database and secret key)"
             if storage["store"] == "sqlite"
             else f"Data: MongoDB database {storage['database']!r}")
    return [
        f"PostFlow is running at {url}",
        where,
        describe_email(settings),
        "",
        "Next steps, in another terminal:",
        '  postflow org create "My team"',
        '  postflow connect sandbox --org "My team" --name demo',
        '  postflow hook create --org "My team" --name ci',
        '  postflow posts list --org "My team"',
        "",
        "Press Ctrl+C to stop.",
    ]


def _storage(settings: Settings) -> dict[str, str]:
    # Never the MongoDB URL itself: it may hold a password.
    if settings.mongodb_url is not None:
        return {"store": "mongodb", "database": settings.mongodb_database}
    return {"store": "sqlite", "data_dir": str(settings.data_dir.resolve())}


def _serve_until_signalled(serve: Callable[[asyncio.Event], Awaitable[None]],
                           event_loop: EventLoopChoice | None = None) -> None:
    """Run ``serve`` until a signal; on the chosen loop, or as ``asyncio.run`` would."""
    factory = None if event_loop is None else loop_factory(event_loop)
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(_until_signalled(serve))


async def _until_signalled(serve: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signum: signal.Signals) -> None:
        log.info("Received %s; shutting down (send it again to force).", signum.name)
        stop.set()
        for each in STOP_SIGNALS:
            loop.add_signal_handler(each, force, each)

    def force(signum: signal.Signals) -> None:
        # A second signal stops at once: in-flight jobs stay Queued or Publishing in the store
        # and are handed out again at the next start. (Raising KeyboardInterrupt here instead
        # would leave the store's connection threads running, and the process with them.)
        log.warning("Received %s again; stopping now.", signum.name)
        logging.shutdown()
        os._exit(128 + signum)

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await serve(stop)
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
