"""A PublishQueue that records what it was sent, and can play a broker that is down."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PublishJob:
    org_id: str
    post_id: str
    version: int
    trigger: str


@dataclass
class RecordingQueue:
    jobs: list[PublishJob] = field(default_factory=list)
    canaries: int = 0
    #: While True every send raises, as a publish queue whose broker is unreachable does.
    down: bool = False

    async def enqueue_publish(self, org_id: str, post_id: str, version: int,
                              trigger: str) -> None:
        if self.down:
            raise ConnectionError("the broker is down")
        self.jobs.append(PublishJob(org_id, post_id, version, trigger))

    async def enqueue_canary(self) -> None:
        if self.down:
            raise ConnectionError("the broker is down")
        self.canaries += 1

    def post_ids(self) -> list[str]:
        return [job.post_id for job in self.jobs]
