"""Queue depths are read from the broker the process uses: Redis's lists or the in-process
queues, with the known queues always reported."""

from __future__ import annotations

from dramatiq import Message
from dramatiq.brokers.stub import StubBroker

from composition.queue_depths import queue_depths
from workers.broker import PUBLISH_QUEUE, PostFlowRedisBroker


def _message(queue: str) -> Message[object]:
    return Message(queue_name=queue, actor_name="publish_post", args=(), kwargs={}, options={})


async def test_the_in_process_broker_counts_its_waiting_messages() -> None:
    broker = StubBroker()
    broker.declare_queue(PUBLISH_QUEUE)
    for _ in range(3):
        broker.enqueue(_message(PUBLISH_QUEUE))
    depths = await queue_depths(broker)
    assert depths["publish"] == 3
    assert depths["chat"] == depths["canary"] == 0


async def test_redis_queues_are_counted_in_redis(redis_url: str) -> None:
    broker = PostFlowRedisBroker(url=redis_url)
    try:
        broker.declare_queue(PUBLISH_QUEUE)
        for _ in range(2):
            broker.enqueue(_message(PUBLISH_QUEUE))
        depths = await queue_depths(broker)
    finally:
        broker.close()
        broker.client.close()
    assert depths["publish"] == 2
    assert depths["chat"] == 0
