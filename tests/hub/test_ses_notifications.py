"""SES bounces and complaints through Amazon SNS: verified (signature versions 1 and 2, a
certificate from an SNS host only, our topic only) before any address is suppressed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from integrations.email.sns import SnsVerifier
from postflow.config import Settings
from postflow.email.message import SuppressionReason
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.serving import serving
from tests.fakes.sns import FakeSns, bounce, complaint
from tests.fakes.tls_certs import make_self_signed
from tests.hub.conftest import HubClient

TOPIC = "arn:aws:sns:eu-west-1:123456789012:postflow-ses"


@pytest.fixture
async def sns(tmp_path: Path) -> AsyncIterator[FakeSns]:
    fake = FakeSns(make_self_signed(tmp_path / "sns"))
    async with serving(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake


@pytest.fixture
async def elsewhere(sns: FakeSns) -> AsyncIterator[FakeSns]:
    """Another server with the same certificate, on a URL that is not SNS's: what a forger
    who got hold of a signing key would point SigningCertURL or SubscribeURL at."""
    fake = FakeSns(sns.cert)
    async with serving(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake


@pytest.fixture
def settings(tmp_path: Path, sns: FakeSns) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    ses_sns_topic_arn=TOPIC, ses_sns_test_url_prefix=f"{sns.base_url}/")


async def post(client: HubClient, message: dict[str, str]) -> int:
    answer = await client.post("/ses/notifications", data=json.dumps(message),
                               headers={"Content-Type": "text/plain; charset=UTF-8",
                                        "x-amz-sns-message-type": message["Type"]})
    return answer.status


async def suppressed(rt: Runtime, address: str) -> SuppressionReason | None:
    found = await rt.store.find_email_suppression(address)
    return None if found is None else found.reason


async def test_a_permanent_bounce_signed_v1_suppresses_the_address(
        rt: Runtime, client: HubClient, sns: FakeSns) -> None:
    assert await post(client, sns.signed(bounce(TOPIC, "gone@example.test"))) == 200

    assert await suppressed(rt, "gone@example.test") is SuppressionReason.BOUNCE


async def test_a_complaint_signed_v2_suppresses_the_address(
        rt: Runtime, client: HubClient, sns: FakeSns) -> None:
    assert await post(client, sns.signed(complaint(TOPIC, "angry@example.test"),
                                         version="2")) == 200

    assert await suppressed(rt, "angry@example.test") is SuppressionReason.COMPLAINT


async def test_a_transient_bounce_suppresses_nothing(rt: Runtime, client: HubClient,
                                                     sns: FakeSns) -> None:
    await post(client, sns.signed(bounce(TOPIC, "full@example.test", bounce_type="Transient")))

    assert await suppressed(rt, "full@example.test") is None


async def test_a_forged_signature_is_refused_and_suppresses_nothing(
        rt: Runtime, client: HubClient, sns: FakeSns) -> None:
    message = sns.signed(bounce(TOPIC, "ada@example.test"))
    message["Message"] = message["Message"].replace("ada@", "bob@")

    assert await post(client, message) == 403
    assert await suppressed(rt, "bob@example.test") is None


async def test_a_certificate_from_a_host_that_is_not_sns_is_refused(
        rt: Runtime, client: HubClient, sns: FakeSns, elsewhere: FakeSns) -> None:
    # A valid signature, checkable with the certificate served elsewhere: only where the
    # certificate comes from is wrong.
    message = sns.signed(bounce(TOPIC, "ada@example.test"),
                         cert_url=f"{elsewhere.base_url}/cert.pem")

    assert await post(client, message) == 403
    assert await suppressed(rt, "ada@example.test") is None
    assert elsewhere.cert_fetches == 0


async def test_a_message_for_another_topic_is_refused(rt: Runtime, client: HubClient,
                                                      sns: FakeSns) -> None:
    other = "arn:aws:sns:eu-west-1:999999999999:someone-else"

    assert await post(client, sns.signed(bounce(other, "ada@example.test"))) == 403
    assert await suppressed(rt, "ada@example.test") is None


async def test_a_body_that_is_not_sns_is_a_400(client: HubClient) -> None:
    answer = await client.post("/ses/notifications", data=b"not json")

    assert answer.status == 400


async def test_a_subscription_is_confirmed_once_verified(client: HubClient,
                                                         sns: FakeSns) -> None:
    message = sns.signed({"Type": "SubscriptionConfirmation", "MessageId": "m-3",
                          "TopicArn": TOPIC, "Token": "tok-1", "Message": "confirm?",
                          "SubscribeURL": f"{sns.base_url}/confirm?token=tok-1",
                          "Timestamp": "2026-11-25T12:00:00.000Z"})

    assert await post(client, message) == 200
    assert sns.confirmations == ["tok-1"]


async def test_a_subscribe_url_that_is_not_sns_is_never_fetched(
        client: HubClient, sns: FakeSns, elsewhere: FakeSns) -> None:
    message = sns.signed({"Type": "SubscriptionConfirmation", "MessageId": "m-4",
                          "TopicArn": TOPIC, "Token": "tok-2", "Message": "confirm?",
                          "SubscribeURL": f"{elsewhere.base_url}/confirm?token=tok-2",
                          "Timestamp": "2026-11-25T12:00:00.000Z"})

    assert await post(client, message) == 403
    assert elsewhere.confirmations == []


async def test_the_certificate_is_fetched_once(client: HubClient, sns: FakeSns) -> None:
    for address in ("a@example.test", "b@example.test"):
        await post(client, sns.signed(bounce(TOPIC, address)))

    assert sns.cert_fetches == 1


def test_only_https_sns_hosts_may_serve_certificates() -> None:
    verifier = SnsVerifier()

    assert verifier.url_allowed("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem")
    assert verifier.url_allowed("https://sns.cn-north-1.amazonaws.com.cn/cert.pem")
    assert not verifier.url_allowed("http://sns.us-east-1.amazonaws.com/cert.pem")
    assert not verifier.url_allowed("https://sns.us-east-1.amazonaws.com.evil.test/cert.pem")
    assert not verifier.url_allowed("https://evil.test/sns.us-east-1.amazonaws.com/cert.pem")
    assert not verifier.url_allowed("https://sns.us-east-1.amazonaws.com:8443/cert.pem")
    assert not verifier.url_allowed("https://user@sns.us-east-1.amazonaws.com/cert.pem")


async def test_without_a_topic_setting_the_route_is_not_served(rt: Runtime) -> None:
    from dataclasses import replace

    from aiohttp.test_utils import TestClient, TestServer

    from composition.hub import build_hub
    from tests.hub.conftest import Broker, RecordingQueue

    plain = replace(rt, settings=rt.settings.model_copy(update={"ses_sns_topic_arn": None}))
    async with TestClient(TestServer(build_hub(plain, RecordingQueue(), Broker().ping),
                                     host="127.0.0.1")) as other:
        answer = await other.post("/ses/notifications", data=b"{}")
    assert answer.status in (404, 405)
