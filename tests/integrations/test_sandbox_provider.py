"""The sandbox network: validation limits, the scripted failure markers, and check by key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.sandbox.provider import MAX_LENGTH, MAX_MEDIA, SandboxProvider
from postflow.providers import (
    AccountContext,
    ErrorKind,
    ProviderError,
    PublishContent,
    TokenSet,
)
from postflow.store.sqlite import SqliteStore
from tests.fakes.clock import ManualClock

ACCOUNT = AccountContext(connection_id="conn_1", account_id="sbx_1",
                         tokens=TokenSet.model_validate({"access_token": "sbxtok_1"}))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    sqlite_store = await SqliteStore.open(tmp_path / "postflow.db")
    try:
        yield sqlite_store
    finally:
        await sqlite_store.close()


@pytest.fixture
def sandbox(store: SqliteStore) -> SandboxProvider:
    return SandboxProvider(store, ManualClock(), "http://hub.test/")


def problem_codes(sandbox: SandboxProvider, content: PublishContent) -> list[str]:
    return [p.code for p in sandbox.validate(content).problems]


# -- validate ---------------------------------------------------------------------------------

def test_text_up_to_the_limit_is_valid(sandbox: SandboxProvider) -> None:
    report = sandbox.validate(PublishContent(text="x" * MAX_LENGTH))

    assert report.valid
    assert (report.network, report.length, report.limit) == ("sandbox", MAX_LENGTH, MAX_LENGTH)


def test_text_over_the_limit_is_too_long(sandbox: SandboxProvider) -> None:
    assert problem_codes(sandbox, PublishContent(text="x" * (MAX_LENGTH + 1))) == ["too_long"]


def test_more_media_than_allowed_is_refused(sandbox: SandboxProvider) -> None:
    urls = tuple(f"https://cdn.test/{i}.png" for i in range(MAX_MEDIA + 1))

    assert problem_codes(sandbox, PublishContent(text="hi", media_urls=urls)) == ["too_many_media"]


def test_media_that_is_not_an_http_url_is_refused(sandbox: SandboxProvider) -> None:
    content = PublishContent(text="hi", media_urls=("file:///etc/passwd", "https://cdn.test/a"))

    assert problem_codes(sandbox, content) == ["bad_media_url"]


# -- consent and tokens -------------------------------------------------------------------------

def test_consent_sends_the_person_straight_back_with_a_code(sandbox: SandboxProvider) -> None:
    url = sandbox.consent_url(state="st4te", redirect_uri="http://hub.test/cb", code_challenge="c")

    query = parse_qs(urlsplit(url).query)
    assert url.startswith("http://hub.test/cb?")
    assert (query["code"], query["state"]) == (["sandbox:st4te"], ["st4te"])


async def test_exchanging_a_code_yields_an_account_named_after_it(
        sandbox: SandboxProvider) -> None:
    account = await sandbox.exchange_code(code="sandbox:Acme", redirect_uri="", code_verifier="")

    assert account.display_name == "Acme"
    assert account.tokens.refresh_token is not None


async def test_a_refresh_answer_carries_no_refresh_token(sandbox: SandboxProvider) -> None:
    tokens = await sandbox.refresh(ACCOUNT.tokens)

    assert tokens.refresh_token is None
    assert tokens.access_token.get_secret_value() != "sbxtok_1"


# -- publish and check ----------------------------------------------------------------------------

async def test_publishing_records_a_sandbox_post_with_a_url(sandbox: SandboxProvider,
                                                            store: SqliteStore) -> None:
    result = await sandbox.publish(ACCOUNT, PublishContent(text="Hello"), idempotency_key="att_1")

    records = await store.find_sandbox_posts("conn_1")
    assert [(r.id, r.text, r.outcome) for r in records] == [
        (result.platform_post_id, "Hello", "published")]
    assert result.url == f"http://hub.test/sandbox/posts/{result.platform_post_id}"


async def test_the_reject_marker_is_a_bad_input_error_and_creates_nothing(
        sandbox: SandboxProvider, store: SqliteStore) -> None:
    with pytest.raises(ProviderError) as caught:
        await sandbox.publish(ACCOUNT, PublishContent(text="no [sandbox:reject]"),
                              idempotency_key="att_1")

    assert caught.value.kind is ErrorKind.BAD_INPUT
    assert await store.find_sandbox_posts("conn_1") == []


async def test_the_revoked_marker_asks_for_a_reconnect(sandbox: SandboxProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        await sandbox.publish(ACCOUNT, PublishContent(text="[sandbox:revoked]"),
                              idempotency_key="att_1")

    assert caught.value.kind is ErrorKind.RECONNECT


async def test_the_rate_limit_marker_limits_the_first_try_with_retry_after(
        sandbox: SandboxProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        await sandbox.publish(ACCOUNT, PublishContent(text="[sandbox:rate-limit]"),
                              idempotency_key="att_1")

    assert (caught.value.kind, caught.value.retry_after) == (ErrorKind.RETRY_AFTER, 1.0)


async def test_the_rate_limit_marker_lets_the_second_try_through(
        sandbox: SandboxProvider) -> None:
    content = PublishContent(text="[sandbox:rate-limit]")
    with pytest.raises(ProviderError):
        await sandbox.publish(ACCOUNT, content, idempotency_key="att_1")

    result = await sandbox.publish(ACCOUNT, content, idempotency_key="att_2")

    assert await sandbox.check(ACCOUNT, idempotency_key="att_2") == result


async def test_a_rate_limited_try_is_not_found_by_check(sandbox: SandboxProvider) -> None:
    with pytest.raises(ProviderError):
        await sandbox.publish(ACCOUNT, PublishContent(text="[sandbox:rate-limit]"),
                              idempotency_key="att_1")

    assert await sandbox.check(ACCOUNT, idempotency_key="att_1") is None


async def test_the_lost_answer_marker_publishes_then_reports_an_unknown_outcome(
        sandbox: SandboxProvider, store: SqliteStore) -> None:
    with pytest.raises(ProviderError) as caught:
        await sandbox.publish(ACCOUNT, PublishContent(text="[sandbox:lost-answer]"),
                              idempotency_key="att_1")

    assert caught.value.kind is ErrorKind.UNKNOWN
    assert [r.outcome for r in await store.find_sandbox_posts("conn_1", "att_1")] == ["published"]


async def test_check_finds_a_post_whose_answer_was_lost(sandbox: SandboxProvider) -> None:
    with pytest.raises(ProviderError):
        await sandbox.publish(ACCOUNT, PublishContent(text="[sandbox:lost-answer]"),
                              idempotency_key="att_1")

    found = await sandbox.check(ACCOUNT, idempotency_key="att_1")

    assert found is not None
    assert found.url is not None and found.platform_post_id in found.url


async def test_check_finds_a_post_by_its_idempotency_key(sandbox: SandboxProvider) -> None:
    first = await sandbox.publish(ACCOUNT, PublishContent(text="one"), idempotency_key="att_1")
    await sandbox.publish(ACCOUNT, PublishContent(text="two"), idempotency_key="att_2")

    assert await sandbox.check(ACCOUNT, idempotency_key="att_1") == first


async def test_check_returns_none_for_an_unknown_key(sandbox: SandboxProvider) -> None:
    await sandbox.publish(ACCOUNT, PublishContent(text="one"), idempotency_key="att_1")

    assert await sandbox.check(ACCOUNT, idempotency_key="att_9") is None


async def test_check_does_not_look_at_other_connections(sandbox: SandboxProvider) -> None:
    await sandbox.publish(ACCOUNT, PublishContent(text="one"), idempotency_key="att_1")
    other = AccountContext(connection_id="conn_2", account_id="sbx_2", tokens=ACCOUNT.tokens)

    assert await sandbox.check(other, idempotency_key="att_1") is None
