"""``/sandbox/posts/{id}``: the sandbox network's "live post"."""

from __future__ import annotations

from postflow.ids import new_id
from postflow.runtime import Runtime
from postflow.sandbox_posts import SandboxPost
from tests.fakes.clock import ManualClock
from tests.hub.conftest import HubClient, error_code


async def test_sandbox_post_is_shown(client: HubClient, rt: Runtime,
                                     clock: ManualClock) -> None:
    record = SandboxPost(id=new_id("sbxpost"), connection_id="conn_x", idempotency_key="att_1",
                         text="Hello sandbox", media_urls=["https://example.com/a.png"],
                         created_at=clock.now())
    await rt.store.insert_sandbox_post(record)
    response = await client.get(f"/sandbox/posts/{record.id}")
    assert response.status == 200
    body = await response.json()
    assert body["text"] == "Hello sandbox"
    assert body["media_urls"] == ["https://example.com/a.png"]
    assert body["outcome"] == "published"


async def test_missing_sandbox_post_is_404(client: HubClient) -> None:
    response = await client.get("/sandbox/posts/sbxpost_nothere")
    assert response.status == 404
    assert await error_code(response) == "not_found"
