"""Hub fixtures: the real app on a loopback port over the ``rt`` runtime, a recording queue,
an organization with a sandbox account and a hook, and a helper that signs requests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from composition.hub import build_hub
from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.signatures import HEADER, signature_header
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.hooks import CreatedHook, create_hook
from postflow.usecases.organizations import create_organization
from tests.fakes.clock import ManualClock


@dataclass
class RecordingQueue:
    """A PublishQueue that remembers what it was sent."""

    published: list[tuple[str, str, int, str]] = field(default_factory=list)
    canaries: int = 0

    async def enqueue_publish(self, org_id: str, post_id: str, version: int,
                              trigger: str) -> None:
        self.published.append((org_id, post_id, version, trigger))

    async def enqueue_canary(self) -> None:
        self.canaries += 1


@dataclass
class Broker:
    """The broker_ping the app gets; set ``failure`` to make it raise."""

    failure: Exception | None = None

    async def ping(self) -> None:
        if self.failure is not None:
            raise self.failure


HubClient = TestClient[web.Request, web.Application]


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def broker() -> Broker:
    return Broker()


@asynccontextmanager
async def running_hub(rt: Runtime, queue: RecordingQueue | None = None,
                      broker: Broker | None = None) -> AsyncIterator[HubClient]:
    """The real hub app on a loopback port, and a client for it."""
    app = build_hub(rt, queue or RecordingQueue(), (broker or Broker()).ping)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


@pytest.fixture
async def client(rt: Runtime, queue: RecordingQueue, broker: Broker) -> AsyncIterator[HubClient]:
    async with running_hub(rt, queue, broker) as test_client:
        yield test_client


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="test")


@pytest.fixture
async def sandbox(rt: Runtime, org: Organization) -> Connection:
    return await connect_sandbox(rt, org.id, "acme-sandbox", actor="test")


@pytest.fixture
async def hook(rt: Runtime, org: Organization, sandbox: Connection) -> CreatedHook:
    return await create_hook(rt, org.id, "CI releases", actor="test")


@dataclass
class Sender:
    """Sends signed requests to a hook the way an integrating system would."""

    client: HubClient
    clock: ManualClock
    hook: CreatedHook
    sandbox: Connection

    def body(self, **fields: Any) -> dict[str, Any]:
        return {"text": "Release 1.2 is out", "targets": [self.sandbox.id]} | fields

    def sign(self, payload: bytes, *, secret: str | None = None,
             timestamp: int | None = None) -> str:
        when = int(self.clock.now().timestamp()) if timestamp is None else timestamp
        return signature_header(secret or self.hook.secret, when, payload)

    async def post(self, body: dict[str, Any] | bytes | None = None, *,
                   key: str | None = None, hook_id: str | None = None,
                   signature: str | None = None, unsigned: bool = False,
                   **sign_args: Any) -> ClientResponse:
        """POST ``body`` (JSON-encoded unless bytes), signed unless ``unsigned``."""
        raw = body if isinstance(body, bytes) else json.dumps(
            self.body() if body is None else body).encode()
        headers = {"Content-Type": "application/json"}
        if not unsigned:
            headers[HEADER] = signature or self.sign(raw, **sign_args)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(f"/v1/hooks/{hook_id or self.hook.hook.id}", data=raw,
                                      headers=headers)

    async def get(self, path: str, *, signed: bool = True) -> ClientResponse:
        headers = {HEADER: self.sign(path.encode())} if signed else {}
        return await self.client.get(path, headers=headers)


@pytest.fixture
def sender(client: HubClient, clock: ManualClock, hook: CreatedHook,
           sandbox: Connection) -> Sender:
    return Sender(client, clock, hook, sandbox)


async def no_posts(rt: Runtime, org: Organization) -> bool:
    return await rt.store.list_posts(org.id) == []


async def error_code(response: ClientResponse) -> str:
    """The ``error.code`` of an error answer (checking the one error shape on the way)."""
    body = await response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    code: str = body["error"]["code"]
    return code
