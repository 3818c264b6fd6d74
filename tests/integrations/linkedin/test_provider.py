"""The LinkedIn provider against the fake LinkedIn: consent, exchange, Pages, refresh, publish,
images, errors."""

from __future__ import annotations

import struct
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from integrations.linkedin import LinkedInProvider
from integrations.linkedin.text import MAX_COMMENTARY_LENGTH
from integrations.media.local import LocalMediaStore
from postflow.media import MediaAttachment
from postflow.providers import (
    AccountContext,
    AccountPicker,
    ConnectedAccount,
    ErrorKind,
    ProviderError,
    PublishContent,
)
from tests.fakes.clock import ManualClock
from tests.fakes.linkedin_api import SIXTY_DAYS, YEAR, FakeLinkedIn, Scripted

REDIRECT = "http://127.0.0.1:8080/oauth/linkedin/callback"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 640, 480) + b"\x00" * 64


async def consent(provider: LinkedInProvider, state: str = "st.1.sig") -> str:
    url = provider.consent_url(state=state, redirect_uri=REDIRECT, code_challenge="ignored")
    async with aiohttp.ClientSession() as session, session.get(
            url, allow_redirects=False) as response:
        assert response.status == 302
        back = parse_qs(urlsplit(response.headers["Location"]).query)
    assert back["state"] == [state]
    return back["code"][0]


async def accounts(provider: LinkedInProvider) -> list[ConnectedAccount]:
    return await provider.exchange_code_for_accounts(
        code=await consent(provider), redirect_uri=REDIRECT, code_verifier="")


def context(account: ConnectedAccount) -> AccountContext:
    return AccountContext(connection_id="conn_1", account_id=account.account_id,
                          tokens=account.tokens)


def test_the_consent_url_asks_for_a_code_and_the_scopes(provider: LinkedInProvider,
                                                        fake_linkedin: FakeLinkedIn) -> None:
    url = provider.consent_url(state="abc", redirect_uri=REDIRECT, code_challenge="chal")

    query = parse_qs(urlsplit(url).query)
    assert url.startswith(fake_linkedin.auth_url + "/authorization?")
    assert query == {"response_type": ["code"], "client_id": [fake_linkedin.client_id],
                     "redirect_uri": [REDIRECT], "state": ["abc"],
                     "scope": ["openid profile w_member_social r_organization_admin "
                               "w_organization_social"]}


def test_with_page_scopes_the_provider_lets_the_person_pick(provider: LinkedInProvider) -> None:
    assert isinstance(provider, AccountPicker) and provider.picks_accounts is True


async def test_the_exchange_yields_the_member_then_each_administered_page(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn, clock: ManualClock) -> None:
    member, page = await accounts(provider)

    [request] = fake_linkedin.token_requests
    assert request["grant_type"] == "authorization_code"
    assert request["client_secret"] == fake_linkedin.client_secret
    assert (member.account_id, member.display_name) == ("urn:li:person:782bbtaQ", "Jane Doe")
    assert member.avatar_url == fake_linkedin.picture
    assert (page.account_id, page.display_name) == ("urn:li:organization:2414183", "Devtestco")
    assert member.tokens.expires_at == clock.now() + timedelta(seconds=SIXTY_DAYS)
    assert member.tokens.refresh_token is None and member.missing_scopes == []


async def test_without_a_refresh_token_refresh_asks_for_a_reconnect(
        provider: LinkedInProvider) -> None:
    [member, _] = await accounts(provider)

    with pytest.raises(ProviderError) as refused:
        await provider.refresh(member.tokens)

    assert refused.value.kind is ErrorKind.RECONNECT


async def test_a_partner_refresh_keeps_the_refresh_tokens_end(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn, clock: ManualClock) -> None:
    fake_linkedin.partner = True
    [member, _] = await accounts(provider)
    assert member.tokens.refresh_expires_at == clock.now() + timedelta(days=365)

    fresh = await provider.refresh(member.tokens)

    assert fresh.access_token.get_secret_value() != member.tokens.access_token.get_secret_value()
    assert fresh.refresh_expires_at == clock.now() + timedelta(seconds=YEAR // 2)


async def test_a_refused_refresh_token_means_reconnect(provider: LinkedInProvider,
                                                       fake_linkedin: FakeLinkedIn) -> None:
    fake_linkedin.partner = True
    [member, _] = await accounts(provider)
    fake_linkedin.revoked = True

    with pytest.raises(ProviderError) as refused:
        await provider.refresh(member.tokens)

    assert refused.value.kind is ErrorKind.RECONNECT


async def test_a_text_post_as_a_page_goes_out_with_the_versioned_headers(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn) -> None:
    [_, page] = await accounts(provider)

    result = await provider.publish(context(page), PublishContent(text="Hello (world) #news"),
                                    idempotency_key="att_1")

    [post] = fake_linkedin.posts
    assert result.platform_post_id == post["urn"]
    assert result.url == f"https://www.linkedin.com/feed/update/{post['urn']}/"
    assert post["author"] == "urn:li:organization:2414183"
    assert post["commentary"] == "Hello \\(world\\) #news"
    assert post["lifecycleState"] == "PUBLISHED" and post["visibility"] == "PUBLIC"
    headers = fake_linkedin.post_headers[0]
    assert headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert headers["LinkedIn-Version"] == "202605"


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "media", base_url="http://127.0.0.1:8080",
                           secret_key="test-secret-key-0123456789abcdef", clock=clock)


async def stored(store: LocalMediaStore, data: bytes, content_type: str) -> PublishContent:
    attachment = MediaAttachment(media=await store.put(data, content_type), url=None,
                                 store=store)
    return PublishContent(text="With a picture", media_urls=("https://cdn.example.com/a",),
                          media=(attachment,))


async def test_an_image_is_uploaded_from_the_media_store_then_referenced(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn,
        store: LocalMediaStore) -> None:
    [member, _] = await accounts(provider)

    await provider.publish(context(member), await stored(store, PNG, "image/png"),
                           idempotency_key="att_1")

    [post] = fake_linkedin.posts
    [(urn, image)] = fake_linkedin.images.items()
    assert post["content"] == {"media": {"id": urn}}
    assert image == {"owner": member.account_id, "bytes": PNG}
    assert fake_linkedin.upload_auth[0].startswith("Bearer ")  # the API's own host


async def test_an_image_linkedin_does_not_take_is_refused_before_any_upload(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn,
        store: LocalMediaStore) -> None:
    [member, _] = await accounts(provider)
    content = await stored(store, b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp")

    assert [p.code for p in provider.validate(content).problems] == ["unsupported_media_type"]
    with pytest.raises(ProviderError) as refused:
        await provider.publish(context(member), content, idempotency_key="att_1")

    assert refused.value.kind is ErrorKind.BAD_INPUT
    assert fake_linkedin.images == {} and fake_linkedin.posts == []


async def test_a_201_without_x_restli_id_is_an_unknown_outcome(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn) -> None:
    [member, _] = await accounts(provider)
    fake_linkedin.post_script.append(Scripted(201, ""))

    with pytest.raises(ProviderError) as failed:
        await provider.publish(context(member), PublishContent(text="hi"), idempotency_key="k")

    assert failed.value.kind is ErrorKind.UNKNOWN


@pytest.mark.parametrize(("status", "body", "headers", "kind", "retry_after"), [
    (429, {"status": 429, "message": "Too many requests"}, {"Retry-After": "120"},
     ErrorKind.RETRY_AFTER, 120.0),
    (403, {"status": 403, "message": "Not enough permissions to access: partnerApiPostsExternal"
                                     ".CREATE.20240501"}, {}, ErrorKind.BAD_INPUT, None),
    (500, {"status": 500, "message": "Internal Server Error"}, {}, ErrorKind.UNKNOWN, None),
    (503, {"status": 503, "message": "Service Unavailable"}, {}, ErrorKind.RETRY_AFTER, 30.0),
    (426, {"status": 426, "message": "Requested version 202001 is not active"}, {},
     ErrorKind.RETRY_AFTER, 300.0),
])
async def test_documented_errors_map_onto_the_closed_set(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn, status: int,
        body: dict[str, object], headers: dict[str, str], kind: ErrorKind,
        retry_after: float | None) -> None:
    [member, _] = await accounts(provider)
    fake_linkedin.post_script.append(Scripted(status, body, headers))

    with pytest.raises(ProviderError) as failed:
        await provider.publish(context(member), PublishContent(text="hi"), idempotency_key="k")

    assert (failed.value.kind, failed.value.retry_after) == (kind, retry_after)


async def test_the_same_text_twice_is_refused_as_a_duplicate(
        provider: LinkedInProvider) -> None:
    [member, _] = await accounts(provider)
    await provider.publish(context(member), PublishContent(text="Same"), idempotency_key="a")

    with pytest.raises(ProviderError) as refused:
        await provider.publish(context(member), PublishContent(text="Same"), idempotency_key="b")

    assert (refused.value.kind, refused.value.platform_code) == (ErrorKind.BAD_INPUT,
                                                                 "duplicate")


async def test_an_expired_token_asks_for_a_refresh_and_a_revoked_one_for_a_reconnect(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn) -> None:
    [member, _] = await accounts(provider)
    fake_linkedin.expired.add(member.tokens.access_token.get_secret_value())
    with pytest.raises(ProviderError) as expired:
        await provider.publish(context(member), PublishContent(text="a"), idempotency_key="a")
    fake_linkedin.revoked = True
    with pytest.raises(ProviderError) as revoked:
        await provider.publish(context(member), PublishContent(text="b"), idempotency_key="b")

    assert expired.value.kind is ErrorKind.REFRESH_TOKEN
    assert revoked.value.kind is ErrorKind.RECONNECT


async def test_check_says_the_outcome_cannot_be_known(provider: LinkedInProvider) -> None:
    [member, _] = await accounts(provider)

    with pytest.raises(ProviderError) as unknown:
        await provider.check(context(member), idempotency_key="att_1")

    assert unknown.value.kind is ErrorKind.UNKNOWN


def test_validate_counts_3000_and_refuses_mixed_video_other_formats_and_threads(
        provider: LinkedInProvider) -> None:
    fits = provider.validate(PublishContent(text="a" * MAX_COMMENTARY_LENGTH))
    report = provider.validate(PublishContent(
        text="a" * (MAX_COMMENTARY_LENGTH + 1), thread=("more",),
        media_urls=("https://cdn.example.com/v.mp4", "https://cdn.example.com/a.webp",
                    "https://cdn.example.com/b.mov")))

    assert fits.valid and fits.limit == 3000
    assert [p.code for p in report.problems] == ["too_long", "thread_not_supported",
                                                 "media_mix", "unsupported_media_type",
                                                 "unsupported_media_type"]


async def test_media_that_were_not_stored_are_never_fetched_by_the_provider(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn) -> None:
    [member, _] = await accounts(provider)

    with pytest.raises(ProviderError) as refused:
        await provider.publish(context(member), PublishContent(
            text="x", media_urls=(f"{fake_linkedin.base_url}/media/a.png",)),
            idempotency_key="att_1")

    assert (refused.value.kind, refused.value.platform_code) == (ErrorKind.BAD_INPUT,
                                                                 "media_not_stored")
    assert fake_linkedin.images == {} and fake_linkedin.posts == []
