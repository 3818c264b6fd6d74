"""Amazon SES (API v2) against moto, in process: the raw message keeps our headers, SES's
refusal is permanent, an unreachable SES is tried again."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_string

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from integrations.email.ses import SesTransport
from postflow.config import Settings
from postflow.email.transport import EmailRefusedError, TransientEmailError
from tests.integrations.email.emails import make_email

REGION = "eu-west-1"
SENDER = "PostFlow <postflow@example.test>"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def transport() -> SesTransport:
    return SesTransport.from_settings(Settings(ses_region=REGION, email_from=SENDER))


def verify_sender() -> None:
    boto3.client("sesv2", region_name=REGION).create_email_identity(
        EmailIdentity="postflow@example.test")


async def test_a_mail_goes_out_raw_with_its_headers(aws: None) -> None:
    verify_sender()
    email = make_email()

    message_id = await transport().send(email)

    [sent] = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert sent.id == message_id and "ada@example.test" in sent.destinations
    raw = message_from_string(sent.raw_data)
    assert raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert raw["Subject"] == email.subject


async def test_ses_rejecting_the_message_is_a_permanent_refusal(aws: None) -> None:
    # moto rejects mail from an unverified sender with MessageRejected, as SES does.
    with pytest.raises(EmailRefusedError) as refused:
        await transport().send(make_email())

    assert refused.value.code == "MessageRejected"
    assert ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages == []


async def test_an_unreachable_ses_is_tried_again_later() -> None:
    client = boto3.client("sesv2", region_name=REGION, endpoint_url="http://127.0.0.1:9",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.meta.config.retries = {"max_attempts": 0}
    unreachable = SesTransport(client, SENDER, REGION)

    with pytest.raises(TransientEmailError):
        await unreachable.send(make_email())
