"""The X provider against the fake X: consent URL, code exchange, refresh, publish, errors."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from pydantic import SecretStr

from integrations.x import XConfig, XProvider
from postflow.providers import (
    AccountContext,
    ErrorKind,
    ProviderError,
    PublishContent,
    TokenSet,
)
from tests.fakes.clock import ManualClock
from tests.fakes.x_api import FakeX, Scripted

REDIRECT = "http://127.0.0.1:8080/oauth/x/callback"
VERIFIER = "v" * 43


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode() \
        .rstrip("=")


async def consent(provider: XProvider, state: str = "st.1.sig") -> str:
    """Go through the fake consent screen; the code it sends back."""
    url = provider.consent_url(state=state, redirect_uri=REDIRECT,
                               code_challenge=challenge(VERIFIER))
    async with aiohttp.ClientSession() as session, session.get(
            url, allow_redirects=False) as response:
        assert response.status == 302
        back = parse_qs(urlsplit(response.headers["Location"]).query)
    assert back["state"] == [state]
    return back["code"][0]


async def connected(provider: XProvider, fake_x: FakeX) -> AccountContext:
    account = await provider.exchange_code(code=await consent(provider), redirect_uri=REDIRECT,
                                           code_verifier=VERIFIER)
    return AccountContext(connection_id="conn_1", account_id=account.account_id,
                          tokens=account.tokens)


def test_the_consent_url_asks_for_code_with_pkce_s256_and_every_scope(
        provider: XProvider, fake_x: FakeX) -> None:
    url = provider.consent_url(state="abc.123.sig", redirect_uri=REDIRECT,
                               code_challenge="chal")

    query = parse_qs(urlsplit(url).query)
    assert url.startswith(fake_x.authorize_url + "?")
    assert query == {"response_type": ["code"], "client_id": [fake_x.client_id],
                     "redirect_uri": [REDIRECT], "state": ["abc.123.sig"],
                     "code_challenge": ["chal"], "code_challenge_method": ["S256"],
                     "scope": ["tweet.read tweet.write users.read offline.access media.write"]}


async def test_the_exchange_uses_basic_auth_and_the_verifier_and_reads_the_account(
        provider: XProvider, fake_x: FakeX, clock: ManualClock) -> None:
    code = await consent(provider)

    account = await provider.exchange_code(code=code, redirect_uri=REDIRECT,
                                           code_verifier=VERIFIER)

    [request] = fake_x.token_requests
    assert request == {"grant_type": "authorization_code", "code": code,
                       "redirect_uri": REDIRECT, "code_verifier": VERIFIER,
                       "client_id": fake_x.client_id}
    assert fake_x.token_auth_headers[0].startswith("Basic ")
    assert (account.account_id, account.display_name) == (fake_x.user_id, fake_x.username)
    assert account.avatar_url == fake_x.avatar_url
    assert account.missing_scopes == []
    assert account.tokens.refresh_token is not None
    assert account.tokens.expires_at is not None
    assert (account.tokens.expires_at - clock.now()).total_seconds() == 7200
    assert "offline.access" in account.tokens.scopes


async def test_a_wrong_verifier_is_refused(provider: XProvider) -> None:
    code = await consent(provider)

    with pytest.raises(ProviderError) as refused:
        await provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier="w" * 43)
    assert refused.value.kind is ErrorKind.BAD_INPUT


async def test_scopes_not_granted_are_reported_by_name(provider: XProvider,
                                                       fake_x: FakeX) -> None:
    fake_x.granted_scopes = ["tweet.read", "users.read", "offline.access"]

    account = await provider.exchange_code(code=await consent(provider), redirect_uri=REDIRECT,
                                           code_verifier=VERIFIER)

    assert account.missing_scopes == ["tweet.write", "media.write"]


async def test_wrong_client_credentials_are_an_operator_problem_not_a_reconnect(
        fake_x: FakeX, clock: ManualClock) -> None:
    wrong = XProvider(XConfig(client_id=fake_x.client_id, client_secret=SecretStr("nope"),
                              api_url=fake_x.base_url, authorize_url=fake_x.authorize_url),
                      clock)

    with pytest.raises(ProviderError) as refused:
        await wrong.refresh(TokenSet.model_validate({"access_token": "a",
                                                     "refresh_token": "r"}))
    assert refused.value.kind is ErrorKind.RETRY_AFTER
    assert "POSTFLOW_X_CLIENT_SECRET" in refused.value.message
    assert "nope" not in refused.value.message


async def test_a_refresh_rotates_the_refresh_token(provider: XProvider, fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)

    fresh = await provider.refresh(account.tokens)

    assert fresh.refresh_token is not None and account.tokens.refresh_token is not None
    assert fresh.refresh_token.get_secret_value() != \
        account.tokens.refresh_token.get_secret_value()
    assert fresh.access_token.get_secret_value() in fake_x.access_tokens
    assert fake_x.token_requests[-1]["grant_type"] == "refresh_token"


async def test_a_spent_refresh_token_means_reconnect(provider: XProvider,
                                                     fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)
    await provider.refresh(account.tokens)

    with pytest.raises(ProviderError) as refused:
        await provider.refresh(account.tokens)  # the old one, spent by the rotation
    assert refused.value.kind is ErrorKind.RECONNECT


async def test_invalid_grant_on_refresh_means_reconnect(provider: XProvider,
                                                        fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)
    fake_x.revoked = True

    with pytest.raises(ProviderError) as refused:
        await provider.refresh(account.tokens)
    assert refused.value.kind is ErrorKind.RECONNECT
    assert refused.value.platform_code == "invalid_grant"


async def test_a_refresh_answer_without_refresh_token_leaves_it_to_the_caller(
        provider: XProvider, fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)
    fake_x.omit_refresh_token = True

    fresh = await provider.refresh(account.tokens)

    assert fresh.refresh_token is None  # store_refreshed_tokens keeps the stored one


async def test_publish_creates_a_post_and_gives_its_id_and_url(provider: XProvider,
                                                               fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)

    result = await provider.publish(account, PublishContent("Release 1.2 is out"),
                                    idempotency_key="att_1")

    [tweet] = fake_x.tweets
    assert result.platform_post_id == tweet["id"]
    assert result.url == f"https://x.com/i/web/status/{tweet['id']}"
    assert fake_x.tweet_requests == [{"text": "Release 1.2 is out"}]


async def test_a_thread_is_published_as_replies_in_order(provider: XProvider,
                                                         fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)

    result = await provider.publish(account, PublishContent("1/3", thread=("2/3", "3/3")),
                                    idempotency_key="att_1")

    first, second, third = fake_x.tweets
    assert result.platform_post_id == first["id"]
    assert [t["reply_to"] for t in fake_x.tweets] == [None, first["id"], second["id"]]
    assert third["text"] == "3/3"


async def test_a_thread_cut_short_is_not_retried(provider: XProvider, fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)
    fake_x.tweet_script = [Scripted(201, {"data": {"id": "1", "text": "1/2"}}),
                           Scripted(503, {"title": "Service Unavailable"})]

    with pytest.raises(ProviderError) as failed:
        await provider.publish(account, PublishContent("1/2", thread=("2/2",)),
                               idempotency_key="att_1")
    assert failed.value.kind is ErrorKind.BAD_INPUT
    assert failed.value.platform_code == "thread_partial"
    assert "1 of the thread's 2 parts" in failed.value.message


async def test_429_waits_until_x_rate_limit_reset(provider: XProvider, fake_x: FakeX,
                                                  clock: ManualClock) -> None:
    account = await connected(provider, fake_x)
    reset = int(clock.now().timestamp()) + 420
    fake_x.tweet_script = [Scripted(429, {"title": "Too Many Requests", "status": 429},
                                    {"x-rate-limit-reset": str(reset)})]

    with pytest.raises(ProviderError) as limited:
        await provider.publish(account, PublishContent("hi"), idempotency_key="att_1")
    assert limited.value.kind is ErrorKind.RETRY_AFTER
    assert limited.value.retry_after == pytest.approx(420, abs=1)


async def test_an_expired_access_token_asks_for_a_refresh(provider: XProvider,
                                                          fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)
    fake_x.expire_access_tokens()

    with pytest.raises(ProviderError) as expired:
        await provider.publish(account, PublishContent("hi"), idempotency_key="att_1")
    assert expired.value.kind is ErrorKind.REFRESH_TOKEN


async def test_duplicate_content_is_refused_for_good(provider: XProvider,
                                                     fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)
    await provider.publish(account, PublishContent("same"), idempotency_key="att_1")

    with pytest.raises(ProviderError) as duplicate:
        await provider.publish(account, PublishContent("same"), idempotency_key="att_2")
    assert duplicate.value.kind is ErrorKind.BAD_INPUT
    assert duplicate.value.platform_code == "duplicate"
    assert "same text" in duplicate.value.message


@pytest.mark.parametrize(("status", "kind"), [
    (500, ErrorKind.UNKNOWN), (502, ErrorKind.UNKNOWN), (504, ErrorKind.UNKNOWN),
    (503, ErrorKind.RETRY_AFTER),
])
async def test_server_errors_after_sending_a_post(provider: XProvider, fake_x: FakeX,
                                                  status: int, kind: ErrorKind) -> None:
    account = await connected(provider, fake_x)
    fake_x.tweet_script = [Scripted(status, {"title": "Internal Error"})]

    with pytest.raises(ProviderError) as failed:
        await provider.publish(account, PublishContent("hi"), idempotency_key="att_1")
    assert failed.value.kind is kind


async def test_a_success_without_an_id_is_an_unknown_outcome(provider: XProvider,
                                                             fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)
    fake_x.tweet_script = [Scripted(201, {"data": {"text": "hi"}})]

    with pytest.raises(ProviderError) as failed:
        await provider.publish(account, PublishContent("hi"), idempotency_key="att_1")
    assert failed.value.kind is ErrorKind.UNKNOWN
    assert failed.value.platform_code == "no_id"


async def test_other_refusals_carry_x_detail(provider: XProvider, fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)
    fake_x.tweet_script = [Scripted(400, {"errors": [{"message": "Text is too long"}],
                                          "title": "Invalid Request"})]

    with pytest.raises(ProviderError) as refused:
        await provider.publish(account, PublishContent("hi"), idempotency_key="att_1")
    assert refused.value.kind is ErrorKind.BAD_INPUT
    assert "Invalid Request" in refused.value.message


async def test_x_out_of_reach_before_sending_is_retried(clock: ManualClock) -> None:
    nowhere = XProvider(XConfig(client_id="c", client_secret=SecretStr("s"),
                                api_url="http://127.0.0.1:9"), clock)
    account = AccountContext("conn_1", "1", TokenSet.model_validate({"access_token": "t"}))

    with pytest.raises(ProviderError) as failed:
        await nowhere.publish(account, PublishContent("hi"), idempotency_key="att_1")
    assert failed.value.kind is ErrorKind.RETRY_AFTER


async def test_check_cannot_find_a_post_so_the_outcome_stays_unknown(
        provider: XProvider, fake_x: FakeX) -> None:
    account = await connected(provider, fake_x)

    with pytest.raises(ProviderError) as unknown:
        await provider.check(account, idempotency_key="att_1")
    assert unknown.value.kind is ErrorKind.UNKNOWN


def test_validate_counts_as_x_does_and_names_every_problem(provider: XProvider) -> None:
    report = provider.validate(PublishContent("日本" * 100 + " https://example.com",
                                              media_urls=tuple(f"https://a/{i}.png"
                                                               for i in range(5)),
                                              thread=("",)))

    assert (report.length, report.limit) == (400 + 1 + 23, 280)
    assert [p.code for p in report.problems] == ["too_long", "empty", "too_many_media"]


def test_a_post_that_fits_is_valid(provider: XProvider) -> None:
    report = provider.validate(PublishContent("Release 1.2 is out 🎉 https://example.com/r"))

    assert report.valid
    assert report.length == 19 + 2 + 1 + 23
