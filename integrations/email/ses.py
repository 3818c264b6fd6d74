"""Amazon SES (API v2) through boto3, in a thread (boto3 blocks). The message is sent raw, so
our headers (List-Unsubscribe, Message-ID) go as recorded. Credentials come from boto3's usual
chain (environment, profile, instance role); PostFlow never reads or logs them.

Errors are classified once: SES refusing the message (``MessageRejected``, a bad address) is
permanent; throttling, SES failing on its side or being unreachable is tried again later.
A sender or account problem (``MailFromDomainNotVerifiedException``,
``AccountSuspendedException``, ``SendingPausedException``) is also tried again: the recipient
is not at fault, and the operator fixes it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from integrations.email.mime_bytes import mime_bytes
from postflow.config import Settings
from postflow.email.message import OutgoingEmail
from postflow.email.transport import EmailRefusedError, TransientEmailError

#: SES error codes that refuse this message for good.
REFUSALS = frozenset({"MessageRejected", "BadRequestException", "InvalidParameterValue"})


class SesTransport:
    name = "ses"

    def __init__(self, client: Any, sender: str, region: str,
                 configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._region = region
        self._configuration_set = configuration_set

    @classmethod
    def from_settings(cls, settings: Settings) -> SesTransport:
        assert settings.ses_region
        client = boto3.client("sesv2", region_name=settings.ses_region,
                              endpoint_url=settings.ses_endpoint_url)
        return cls(client, settings.email_from, settings.ses_region,
                   settings.ses_configuration_set)

    def describe(self) -> str:
        return f"sent by Amazon SES in {self._region}"

    async def send(self, email: OutgoingEmail) -> str:
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {"Raw": {"Data": mime_bytes(email, self._sender)}},
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            answer = await asyncio.to_thread(lambda: self._client.send_email(**request))
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", "ClientError"))
            if code in REFUSALS:
                raise EmailRefusedError(code) from err
            raise TransientEmailError(code) from err
        except BotoCoreError as err:
            raise TransientEmailError(type(err).__name__) from err
        return str(answer.get("MessageId", ""))
