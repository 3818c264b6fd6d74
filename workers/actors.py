"""The Dramatiq actors: thin wrappers that load the runtime and call a postflow use case.

Import this module only after :func:`workers.broker.configure_broker`; it refuses otherwise.

Dramatiq retries here cover infrastructure faults only (the database briefly unreachable, a
locked SQLite file). Platform failures never raise out of the publisher: it records them and
schedules its own retry through the post's ``due_at``, so a publish is never repeated blindly.
"""

from __future__ import annotations

import dramatiq

from postflow.config import Settings
from postflow.errors import PostFlowError
from postflow.usecases.health import record_canary
from postflow.usecases.publish_post import PostPublisher
from workers.broker import CANARY_QUEUE, PUBLISH_QUEUE, configured_broker
from workers.worker_runtime import get_runtime

#: The longest a publish job may run.
MAX_PUBLISH_SECONDS = 600.0
MIN_PUBLISH_SECONDS = 1.0


def publish_time_limit_ms(settings: Settings) -> int:
    """Half the reconcile delay (capped at 10 min): a job is stopped well before the reconciler
    would consider its post stuck and hand it to another worker while the first still runs."""
    seconds = min(MAX_PUBLISH_SECONDS, settings.reconcile_after_seconds / 2)
    return int(max(MIN_PUBLISH_SECONDS, seconds) * 1000)


_configured = configured_broker()


@dramatiq.actor(
    broker=_configured.broker, queue_name=PUBLISH_QUEUE,
    max_retries=3, min_backoff=1_000, max_backoff=30_000,
    # A domain error (NotFound, InvalidTransition, ...) is an answer, not a fault: no retry.
    throws=(PostFlowError,),
    time_limit=publish_time_limit_ms(_configured.settings),
)
async def publish_post(org_id: str, post_id: str, version: int, trigger: str) -> None:
    """Publish a claimed post; a stale message (post edited, taken or done) does nothing."""
    rt = await get_runtime()
    await PostPublisher(rt).run(org_id, post_id, expected_version=version, trigger=trigger)


@dramatiq.actor(broker=_configured.broker, queue_name=CANARY_QUEUE, max_retries=0,
                time_limit=30_000)
async def consume_canary() -> None:
    """Record that a worker took work: /readyz reads this heartbeat."""
    await record_canary(await get_runtime())


ACTORS = (publish_post, consume_canary)

# The chat queue's actor is declared wherever the publish actors are, so every worker consumes it.
import workers.billing_actors  # noqa: E402
import workers.chat_actors  # noqa: E402

# ... and so is the webhooks queue's.
import workers.webhook_actors  # noqa: E402,F401


def bind_actors(broker: dramatiq.Broker, settings: Settings) -> None:
    """Move the actors to a newly configured broker (called by ``configure_broker``)."""
    publish_post.options["time_limit"] = publish_time_limit_ms(settings)
    for actor in ACTORS:
        actor.broker = broker
        broker.declare_actor(actor)
