"""What every command handler gets: the settings, the output, and a way to run a use case."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

from pydantic import ValidationError

from cli.output import Output
from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.errors import ConfigurationError, Conflict, NotFound
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.organizations import describe_organizations, organizations_matching

#: The audit log's actor for everything done at the shell.
CLI_ACTOR = "cli"

T = TypeVar("T")

#: What a command group adds its commands to.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def load_settings() -> Settings:
    """Read ``POSTFLOW_*``; a bad value becomes one ConfigurationError naming the variable."""
    try:
        return Settings()
    except ValidationError as err:
        first = err.errors()[0]
        name = "POSTFLOW_" + str(first["loc"][0]).upper() if first["loc"] else "a setting"
        # pydantic's message, never the input: the value may be a secret.
        raise ConfigurationError(f"{name} is not valid: {first['msg']}.",
                                 details={"setting": name}) from None


@dataclass(frozen=True)
class CommandContext:
    settings: Settings
    out: Output

    def run(self, work: Callable[[Runtime], Awaitable[T]]) -> T:
        """Open a runtime, await ``work`` with it, and close the store whatever happens."""
        return asyncio.run(_with_runtime(self.settings, work))

    def run_in_org(self, org_ref: str,
                   work: Callable[[Runtime, Organization], Awaitable[T]]) -> T:
        """Like :meth:`run`, for work on the organization ``--org`` named (see :func:`org_for`)."""

        async def in_org(rt: Runtime) -> T:
            return await work(rt, await org_for(rt, org_ref))

        return self.run(in_org)


async def org_for(rt: Runtime, org_ref: str) -> Organization:
    """The organization of ``--org``: an id, or a name exactly one organization answers to;
    otherwise an error that lists the ids to choose from."""
    found = await organizations_matching(rt, org_ref)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"No organization is named {org_ref!r}: `postflow org list` shows every "
                       "organization and its id.", details={"org": org_ref})
    raise Conflict(f"{len(found)} organizations are named like {org_ref!r}: "
                   f"{describe_organizations(found)}. Pass the id of the one you mean: "
                   "--org ORG_ID.", details={"org": org_ref, "matching_ids": [o.id for o in found]})


#: A command: reads its parsed arguments, does the work, prints through ``ctx.out``.
Handler = Callable[[argparse.Namespace, CommandContext], None]


async def _with_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[T]]) -> T:
    rt = await open_runtime(settings)
    try:
        return await work(rt)
    finally:
        try:
            if rt.billing is not None:
                await rt.billing.close()
        finally:
            await rt.store.close()
