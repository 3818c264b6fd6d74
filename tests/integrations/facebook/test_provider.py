"""The Facebook provider against the fake Graph API: consent URL, code -> long-lived token ->
Pages, publishing text, links, one and several photos, and the error map."""

from __future__ import annotations

import json
from typing import cast
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from pydantic import SecretStr

from integrations.facebook import FacebookConfig, FacebookProvider
from integrations.facebook.provider import MAX_PHOTOS, MAX_TEXT_LENGTH
from postflow.media import MediaAttachment, MediaObject, MediaStore
from postflow.providers import (
    AccountContext,
    AccountPicker,
    ErrorKind,
    ProviderError,
    PublishContent,
    TokenSet,
)
from tests.fakes.clock import ManualClock
from tests.fakes.facebook_api import (
    VERSION,
    FakeFacebook,
    FakePage,
    Scripted,
    graph_error,
)

REDIRECT = "http://127.0.0.1:8080/oauth/facebook/callback"
PHOTO = "https://media.example/launch.jpg"


async def consent(provider: FacebookProvider, state: str = "st.1.sig") -> str:
    """Go through the fake login dialog; the code it sends back."""
    url = provider.consent_url(state=state, redirect_uri=REDIRECT, code_challenge="ignored")
    async with aiohttp.ClientSession() as session, session.get(
            url, allow_redirects=False) as response:
        assert response.status == 302
        back = parse_qs(urlsplit(response.headers["Location"]).query)
    assert back["state"] == [state]
    return back["code"][0]


async def page_account(provider: FacebookProvider, page_id: str = "101") -> AccountContext:
    accounts = await provider.exchange_code_for_accounts(
        code=await consent(provider), redirect_uri=REDIRECT, code_verifier="")
    account = next(a for a in accounts if a.account_id == page_id)
    return AccountContext(connection_id="conn_1", account_id=account.account_id,
                          tokens=account.tokens)


def test_the_provider_picks_accounts(provider: FacebookProvider) -> None:
    assert isinstance(provider, AccountPicker) and provider.picks_accounts


def test_the_consent_url_opens_the_versioned_dialog_with_every_page_permission(
        provider: FacebookProvider, fake_facebook: FakeFacebook) -> None:
    url = provider.consent_url(state="abc.123.sig", redirect_uri=REDIRECT, code_challenge="c")

    assert url.startswith(f"{fake_facebook.base_url}/{VERSION}/dialog/oauth?")
    assert parse_qs(urlsplit(url).query) == {
        "client_id": [fake_facebook.app_id], "redirect_uri": [REDIRECT],
        "state": ["abc.123.sig"], "response_type": ["code"],
        "scope": ["pages_show_list,pages_manage_posts,pages_read_engagement"]}


async def test_the_code_becomes_a_long_lived_token_that_lists_the_pages(
        provider: FacebookProvider, fake_facebook: FakeFacebook) -> None:
    code = await consent(provider)

    accounts = await provider.exchange_code_for_accounts(code=code, redirect_uri=REDIRECT,
                                                         code_verifier="")

    exchange, extend = fake_facebook.token_requests
    assert exchange == {"client_id": fake_facebook.app_id, "redirect_uri": REDIRECT,
                        "code": code}
    assert extend["grant_type"] == "fb_exchange_token"
    assert extend["fb_exchange_token"] in fake_facebook.short_tokens
    [listed_with] = fake_facebook.accounts_tokens
    assert listed_with in fake_facebook.long_tokens
    assert [(a.account_id, a.display_name, a.avatar_url) for a in accounts] == [
        (p.id, p.name, p.picture) for p in fake_facebook.pages]
    for account in accounts:
        token = account.tokens.access_token.get_secret_value()
        assert fake_facebook.page_tokens[token] == account.account_id
        assert account.tokens.expires_at is None and account.tokens.refresh_token is None
        assert account.missing_scopes == []
        assert "pages_manage_posts" in account.tokens.scopes


async def test_every_page_of_the_list_is_followed(provider: FacebookProvider,
                                                  fake_facebook: FakeFacebook) -> None:
    fake_facebook.pages = [FakePage(str(200 + i), f"Page {i}", "https://x.example/p.jpg")
                           for i in range(5)]
    fake_facebook.page_size = 2

    accounts = await provider.exchange_code_for_accounts(
        code=await consent(provider), redirect_uri=REDIRECT, code_verifier="")

    assert [a.account_id for a in accounts] == ["200", "201", "202", "203", "204"]
    assert len(fake_facebook.accounts_tokens) == 3


async def test_permissions_not_granted_are_named(provider: FacebookProvider,
                                                 fake_facebook: FakeFacebook) -> None:
    fake_facebook.granted = ["pages_show_list", "pages_read_engagement"]

    accounts = await provider.exchange_code_for_accounts(
        code=await consent(provider), redirect_uri=REDIRECT, code_verifier="")

    assert accounts[0].missing_scopes == ["pages_manage_posts"]


async def test_a_used_code_is_refused(provider: FacebookProvider) -> None:
    code = await consent(provider)
    await provider.exchange_code_for_accounts(code=code, redirect_uri=REDIRECT,
                                              code_verifier="")

    with pytest.raises(ProviderError) as refused:
        await provider.exchange_code_for_accounts(code=code, redirect_uri=REDIRECT,
                                                  code_verifier="")
    assert refused.value.kind is ErrorKind.BAD_INPUT
    assert "used" in refused.value.message


async def test_a_wrong_app_secret_names_the_settings_and_never_the_secret(
        fake_facebook: FakeFacebook, clock: ManualClock) -> None:
    wrong = FacebookProvider(FacebookConfig(
        app_id=fake_facebook.app_id, app_secret=SecretStr("not-the-secret"),
        graph_url=fake_facebook.base_url, dialog_url=fake_facebook.base_url,
        api_version=VERSION), clock)

    with pytest.raises(ProviderError) as refused:
        await wrong.exchange_code_for_accounts(code=await consent(wrong), redirect_uri=REDIRECT,
                                               code_verifier="")
    assert "POSTFLOW_FACEBOOK_APP_SECRET" in refused.value.message
    assert "not-the-secret" not in f"{refused.value.message} {refused.value.raw}"


async def test_a_page_token_cannot_be_refreshed_only_reconnected(
        provider: FacebookProvider) -> None:
    with pytest.raises(ProviderError) as refused:
        await provider.refresh(TokenSet.model_validate({"access_token": "t"}))
    assert refused.value.kind is ErrorKind.RECONNECT


async def test_a_text_post_goes_to_the_page_feed(provider: FacebookProvider,
                                                 fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)

    result = await provider.publish(account, PublishContent(text="Fresh bread at 7"),
                                    idempotency_key="att_1")

    [post] = fake_facebook.posts
    assert (post["page"], post["message"], post["link"]) == ("101", "Fresh bread at 7", None)
    assert result.platform_post_id == post["id"]
    assert result.url == f"https://www.facebook.com/101/posts/{post['id'].split('_')[1]}"


async def test_a_link_in_the_text_becomes_the_link_preview(provider: FacebookProvider,
                                                           fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)

    await provider.publish(account, PublishContent(
        text="Our menu is out: https://acme.example/menu."), idempotency_key="att_1")

    [post] = fake_facebook.posts
    assert post["link"] == "https://acme.example/menu"


async def test_one_photo_is_posted_with_its_caption(provider: FacebookProvider,
                                                    fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)

    result = await provider.publish(account, PublishContent(text="Launch day",
                                                            media_urls=(PHOTO,)),
                                    idempotency_key="att_1")

    [photo] = fake_facebook.photos
    assert (photo["url"], photo["caption"], photo["published"]) == (PHOTO, "Launch day", True)
    [post] = fake_facebook.posts
    assert result.platform_post_id == post["id"]


async def test_several_photos_are_uploaded_unpublished_then_attached_to_one_post(
        provider: FacebookProvider, fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)
    urls = (PHOTO, "https://media.example/b.png", "https://media.example/c.gif")

    result = await provider.publish(account, PublishContent(text="Three", media_urls=urls),
                                    idempotency_key="att_1")

    assert [(p["url"], p["published"]) for p in fake_facebook.photos] == [
        (u, False) for u in urls]
    [post] = fake_facebook.posts
    assert post["photos"] == [p["id"] for p in fake_facebook.photos]
    assert post["message"] == "Three"
    assert result.platform_post_id == post["id"]
    _, feed_form = fake_facebook.post_requests[-1]
    assert json.loads(feed_form["attached_media[0]"]) == {"media_fbid": post["photos"][0]}


async def test_a_success_without_an_id_is_an_unknown_outcome(
        provider: FacebookProvider, fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)
    fake_facebook.feed_script.append(Scripted(200, {"success": True}))

    with pytest.raises(ProviderError) as failed:
        await provider.publish(account, PublishContent(text="Hi"), idempotency_key="a")
    assert failed.value.kind is ErrorKind.UNKNOWN


@pytest.mark.parametrize(("status", "body", "kind", "words"), [
    (400, graph_error(190, "Session has expired", subcode=463), ErrorKind.RECONNECT, "expired"),
    (400, graph_error(190, "Password changed", subcode=460), ErrorKind.RECONNECT, "password"),
    (400, graph_error(190, "Logged out", subcode=467), ErrorKind.RECONNECT, "logged out"),
    (400, graph_error(190, "Invalid OAuth access token."), ErrorKind.RECONNECT, "no longer"),
    (403, graph_error(200, "(#200) Requires pages_manage_posts permission"),
     ErrorKind.RECONNECT, "pages_manage_posts"),
    (403, graph_error(10, "(#10) Permission denied"), ErrorKind.RECONNECT, "permission"),
    (400, graph_error(4, "(#4) Application request limit reached"), ErrorKind.RETRY_AFTER,
     "limiting"),
    (400, graph_error(32, "(#32) Page request limit reached"), ErrorKind.RETRY_AFTER,
     "limiting"),
    (400, graph_error(368, "The action attempted has been deemed abusive"),
     ErrorKind.BAD_INPUT, "blocked"),
    (400, graph_error(506, "Duplicate status message"), ErrorKind.BAD_INPUT, "same thing"),
    (400, graph_error(100, "Invalid parameter"), ErrorKind.BAD_INPUT, "Invalid parameter"),
    (500, graph_error(2, "Service temporarily unavailable"), ErrorKind.RETRY_AFTER, "trouble"),
    (500, graph_error(1, "An unknown error occurred"), ErrorKind.UNKNOWN, "may have been"),
    (500, "<html>Internal Server Error</html>", ErrorKind.UNKNOWN, "may have been"),
    (502, "", ErrorKind.UNKNOWN, "may have been"),
    (503, "", ErrorKind.RETRY_AFTER, "trouble"),
])
async def test_graph_errors_are_classified(provider: FacebookProvider,
                                           fake_facebook: FakeFacebook, status: int,
                                           body: dict[str, object] | str, kind: ErrorKind,
                                           words: str) -> None:
    account = await page_account(provider)
    fake_facebook.feed_script.append(Scripted(status, body))

    with pytest.raises(ProviderError) as failed:
        await provider.publish(account, PublishContent(text="Hi"), idempotency_key="a")

    assert failed.value.kind is kind
    assert words.lower() in failed.value.message.lower()
    assert account.tokens.access_token.get_secret_value() not in failed.value.message


async def test_a_rate_limit_waits_as_long_as_facebook_says(
        provider: FacebookProvider, fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)
    usage = {"101": [{"type": "pages", "call_count": 100, "total_cputime": 30,
                      "total_time": 40, "estimated_time_to_regain_access": 7}]}
    fake_facebook.feed_script.append(Scripted(
        400, graph_error(32, "Page request limit reached"),
        {"X-Business-Use-Case-Usage": json.dumps(usage)}))

    with pytest.raises(ProviderError) as failed:
        await provider.publish(account, PublishContent(text="Hi"), idempotency_key="a")

    assert failed.value.retry_after == 7 * 60


async def test_a_revoked_page_token_asks_for_a_reconnect(
        provider: FacebookProvider, fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)
    fake_facebook.revoked_page_tokens.add(account.tokens.access_token.get_secret_value())

    with pytest.raises(ProviderError) as failed:
        await provider.publish(account, PublishContent(text="Hi"), idempotency_key="a")

    assert failed.value.kind is ErrorKind.RECONNECT
    assert "password" in failed.value.message


async def test_a_failed_photo_upload_of_a_multi_photo_post_is_retried_not_unknown(
        provider: FacebookProvider, fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)
    fake_facebook.photos_script.append(Scripted(500, ""))

    with pytest.raises(ProviderError) as failed:
        await provider.publish(account, PublishContent(text="Two", media_urls=(PHOTO, PHOTO)),
                               idempotency_key="a")

    assert failed.value.kind is ErrorKind.RETRY_AFTER
    assert fake_facebook.posts == []


async def test_a_duplicate_post_is_refused_and_not_retried(
        provider: FacebookProvider, fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)
    await provider.publish(account, PublishContent(text="Same"), idempotency_key="a")

    with pytest.raises(ProviderError) as failed:
        await provider.publish(account, PublishContent(text="Same"), idempotency_key="b")

    assert failed.value.kind is ErrorKind.BAD_INPUT
    assert len(fake_facebook.posts) == 1


async def test_check_cannot_find_a_post_by_attempt(provider: FacebookProvider) -> None:
    account = AccountContext("conn_1", "101", TokenSet.model_validate({"access_token": "t"}))

    with pytest.raises(ProviderError) as unknown:
        await provider.check(account, idempotency_key="att_1")
    assert unknown.value.kind is ErrorKind.UNKNOWN


@pytest.mark.parametrize(("content", "codes"), [
    (PublishContent(text="Hello"), []),
    (PublishContent(text="", media_urls=(PHOTO,)), []),
    (PublishContent(text="x" * MAX_TEXT_LENGTH), []),
    (PublishContent(text="x" * (MAX_TEXT_LENGTH + 1)), ["too_long"]),
    (PublishContent(text="  "), ["empty"]),
    (PublishContent(text="a", media_urls=(PHOTO,) * (MAX_PHOTOS + 1)), ["too_many_media"]),
    (PublishContent(text="a", media_urls=("https://m.example/clip.mp4",)), []),
    (PublishContent(text="a", media_urls=("https://m.example/clip.mp4", PHOTO)), ["media_mix"]),
    (PublishContent(text="a", media_urls=("https://m.example/doc.pdf",)),
     ["unsupported_media_type"]),
    (PublishContent(text="a", media_urls=("file:///tmp/a.jpg",)), ["invalid_media_url"]),
    (PublishContent(text="a", media_urls=("https://media.example/m/abc123",)), []),
    (PublishContent(text="a", thread=("b",)), ["thread_not_supported"]),
])
def test_validation_follows_facebooks_limits(provider: FacebookProvider,
                                             content: PublishContent,
                                             codes: list[str]) -> None:
    report = provider.validate(content)

    assert [p.code for p in report.problems] == codes
    assert report.limit == MAX_TEXT_LENGTH


def stored(content_type: str, url: str | None) -> MediaAttachment:
    """A medium from the media store, as the publisher hands it over."""
    return MediaAttachment(media=MediaObject(id="a" * 64, content_type=content_type, size=10,
                                             sha256="a" * 64),
                           url=url, store=cast(MediaStore, None))


def test_stored_media_are_checked_by_their_type(provider: FacebookProvider) -> None:
    report = provider.validate(PublishContent(text="a", media=(
        stored("image/jpeg", None), stored("image/webp", None))))

    assert [p.code for p in report.problems] == ["unsupported_media_type"]


async def test_stored_media_are_posted_from_their_store_urls(
        provider: FacebookProvider, fake_facebook: FakeFacebook) -> None:
    account = await page_account(provider)
    signed = "https://media.postflow.example/m/aaaa?sig=1"

    await provider.publish(account, PublishContent(text="Stored", media_urls=(PHOTO,),
                                                   media=(stored("image/png", signed),)),
                           idempotency_key="att_1")

    [photo] = fake_facebook.photos
    assert photo["url"] == signed
