"""A post refused for the plan's monthly limit is a ``PlanLimitReached`` notice, once per
refusal, for the sinks that want it (billing, email later; the log now)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from postflow.errors import LimitReached
from postflow.notices.events import Notice, PlanLimitReached
from postflow.notices.router import NoticeRouter
from postflow.plans import DEFAULT_PLANS, Plan, PlanCatalog, PlanLimits
from postflow.posts import PostSource
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import create_organization
from postflow.usecases.submit_post import PostRequest, submit_post


@dataclass
class Heard:
    name: str = "heard"
    notices: list[Notice] = field(default_factory=list)

    def wants(self, notice: Notice) -> bool:
        return isinstance(notice, PlanLimitReached)

    async def deliver(self, notice: Notice) -> None:
        self.notices.append(notice)


async def test_the_post_past_the_monthly_limit_is_a_plan_limit_notice(rt: Runtime) -> None:
    heard = Heard()
    rt = dataclasses.replace(rt, notices=NoticeRouter([heard]), plans=PlanCatalog(
        default="free", plans=[Plan(key="free", name="Free",
                                    limits=PlanLimits(scheduled_posts_per_month=1)),
                               *DEFAULT_PLANS.plans[1:]]))
    org = await create_organization(rt, "Acme", actor="test")
    account = await connect_sandbox(rt, org.id, "acme", actor="test")

    async def post() -> None:
        await submit_post(rt, org.id, PostRequest(text="Hello", targets=[account.id]),
                          source=PostSource(kind="cli"), actor="cli", review_required=False)

    await post()
    with pytest.raises(LimitReached) as refused:
        await post()

    [notice] = heard.notices
    assert isinstance(notice, PlanLimitReached)
    assert (notice.org_id, notice.limit) == (org.id, "scheduled_posts_per_month")
    assert notice.message == refused.value.message
