"""The fake platform and the loopback provider in-process: each answer maps to the error kind a
real provider must give it, and the platform counts (and does not deduplicate) what it creates."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aioresponses import aioresponses

from postflow.providers import AccountContext, ErrorKind, ProviderError, PublishContent, TokenSet
from tests.fakes.loopback_network import LoopbackProvider
from tests.fakes.platform_server import Fault, PlatformServer
from tests.faults.harness import free_port
from tests.workers.scenario import eventually

pytestmark = pytest.mark.faults

ACCOUNT = AccountContext(connection_id="conn_1", account_id="lba_1",
                         tokens=TokenSet.model_validate({"access_token": "lbtok_1"}))
HELLO = PublishContent(text="Hello")


@pytest.fixture
def provider(platform: PlatformServer) -> LoopbackProvider:
    return LoopbackProvider(platform.url, timeout_seconds=0.5)


async def _error(provider: LoopbackProvider, key: str = "att_1") -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        await provider.publish(ACCOUNT, HELLO, idempotency_key=key)
    return raised.value


async def test_a_created_post_is_a_result_and_check_finds_it_by_key(
        provider: LoopbackProvider, platform: PlatformServer) -> None:
    result = await provider.publish(ACCOUNT, HELLO, idempotency_key="att_1")

    assert (result.platform_post_id, result.url) == ("lp_1", f"{platform.url}/posts/lp_1")
    found = await provider.check(ACCOUNT, idempotency_key="att_1")
    assert found is not None and (found.platform_post_id, found.url) == ("lp_1", result.url)
    assert await provider.check(ACCOUNT, idempotency_key="att_2") is None
    [received] = platform.received()
    assert (received.client_ref, received.text, received.status) == ("att_1", "Hello", 201)


async def test_the_platform_does_not_deduplicate_a_repeated_key(
        provider: LoopbackProvider, platform: PlatformServer) -> None:
    await provider.publish(ACCOUNT, HELLO, idempotency_key="att_1")
    await provider.publish(ACCOUNT, HELLO, idempotency_key="att_1")

    assert platform.stats() == {"total": 2, "by_client_ref": {"att_1": 2}}


async def test_a_429_is_retry_after_its_seconds(provider: LoopbackProvider,
                                                platform: PlatformServer) -> None:
    platform.script(Fault.rate_limited(1, 7))

    error = await _error(provider)

    assert (error.kind, error.retry_after, error.platform_code) == (ErrorKind.RETRY_AFTER, 7.0,
                                                                    "429")
    assert platform.created() == []


@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_that_created_nothing_is_retry_without_a_time(
        provider: LoopbackProvider, platform: PlatformServer, status: int) -> None:
    platform.script(Fault.unavailable(1, status))

    error = await _error(provider)

    assert (error.kind, error.retry_after) == (ErrorKind.RETRY_AFTER, None)


async def test_created_then_502_is_unknown_and_check_finds_the_post(
        provider: LoopbackProvider, platform: PlatformServer) -> None:
    platform.script(Fault.created_then_error(1, 502))

    assert (await _error(provider)).kind is ErrorKind.UNKNOWN
    found = await provider.check(ACCOUNT, idempotency_key="att_1")
    assert found is not None and found.platform_post_id == "lp_1"


async def test_an_answer_slower_than_the_client_timeout_is_unknown(
        provider: LoopbackProvider, platform: PlatformServer) -> None:
    platform.script(Fault.slow(1, 2.0, creates=True))

    assert (await _error(provider)).kind is ErrorKind.UNKNOWN
    assert [p.client_ref for p in platform.created()] == ["att_1"]


@pytest.mark.parametrize(("status", "kind"), [
    (400, ErrorKind.BAD_INPUT), (422, ErrorKind.BAD_INPUT), (401, ErrorKind.REFRESH_TOKEN),
    (403, ErrorKind.RECONNECT), (504, ErrorKind.UNKNOWN),
])
async def test_other_answers_map_to_their_kind(provider: LoopbackProvider,
                                               platform: PlatformServer, status: int,
                                               kind: ErrorKind) -> None:
    platform.script(Fault(status=status, creates=False))

    assert (await _error(provider)).kind is kind


async def test_a_refused_connection_sent_nothing_and_is_retry() -> None:
    provider = LoopbackProvider(f"http://127.0.0.1:{free_port()}", timeout_seconds=0.5)

    assert (await _error(provider)).kind is ErrorKind.RETRY_AFTER


async def test_a_connection_lost_after_sending_is_unknown() -> None:
    provider = LoopbackProvider("http://platform.test", timeout_seconds=0.5)
    with aioresponses() as mocked:
        mocked.post("http://platform.test/posts",
                    exception=aiohttp.ServerDisconnectedError())

        assert (await _error(provider)).kind is ErrorKind.UNKNOWN


async def test_a_success_without_an_id_is_unknown_not_a_result() -> None:
    provider = LoopbackProvider("http://platform.test", timeout_seconds=0.5)
    with aioresponses() as mocked:
        mocked.post("http://platform.test/posts", status=201, payload={"ok": True})

        error = await _error(provider)

    assert (error.kind, error.platform_code) == (ErrorKind.UNKNOWN, "201")


async def test_a_throttled_lookup_is_retry_after() -> None:
    provider = LoopbackProvider("http://platform.test", timeout_seconds=0.5)
    with aioresponses() as mocked:
        mocked.get("http://platform.test/posts?client_ref=att_1", status=429,
                   headers={"Retry-After": "3"})

        with pytest.raises(ProviderError) as raised:
            await provider.check(ACCOUNT, idempotency_key="att_1")

    assert (raised.value.kind, raised.value.retry_after) == (ErrorKind.RETRY_AFTER, 3.0)


async def test_faults_can_be_scripted_and_stats_read_over_http(
        provider: LoopbackProvider, platform: PlatformServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{platform.url}/admin/faults",
                                json={"status": 503, "creates": False, "times": 1}) as answer:
            assert answer.status == 204
        assert (await _error(provider)).kind is ErrorKind.RETRY_AFTER
        await provider.publish(ACCOUNT, HELLO, idempotency_key="att_2")
        async with session.get(f"{platform.url}/stats") as answer:
            assert await answer.json() == {"total": 1, "by_client_ref": {"att_2": 1}}


async def test_a_held_request_answers_once_released(platform: PlatformServer) -> None:
    platform.script(Fault.hang_after_create())
    provider = LoopbackProvider(platform.url, timeout_seconds=5)

    call = asyncio.create_task(provider.publish(ACCOUNT, HELLO, idempotency_key="att_1"))
    await eventually(lambda: platform.received() or None, what="the request reaching the platform")
    assert platform.release() == 1

    assert (await call).platform_post_id == "lp_1"
    # The platform records an answer as given once it is written, which can be a moment after
    # the client has read it.
    [received] = await eventually(lambda: [r for r in platform.received() if r.status] or None,
                                  what="the platform to record its answer")
    assert (received.status, received.created_id) == (201, "lp_1")
