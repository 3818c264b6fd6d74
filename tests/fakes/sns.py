"""Amazon SNS for tests: a loopback server that serves a signing certificate and counts
subscription confirmations, and a signer that makes messages the way SNS does."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from integrations.email.sns import SIGNED_FIELDS
from tests.fakes.tls_certs import SelfSigned


@dataclass
class FakeSns:
    cert: SelfSigned
    base_url: str = ""
    cert_fetches: int = 0
    confirmations: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cert.pem", self._cert)
        app.router.add_get("/confirm", self._confirm)
        return app

    async def _cert(self, request: web.Request) -> web.Response:
        self.cert_fetches += 1
        return web.Response(body=self.cert.cert_pem, content_type="application/x-pem-file")

    async def _confirm(self, request: web.Request) -> web.Response:
        self.confirmations.append(request.query.get("token", ""))
        return web.Response(text="<ConfirmSubscriptionResponse/>")

    def signed(self, fields: dict[str, str], *, version: str = "1",
               cert_url: str | None = None) -> dict[str, Any]:
        """``fields`` with SignatureVersion, SigningCertURL and a valid Signature."""
        message = {**fields, "SignatureVersion": version,
                   "SigningCertURL": cert_url or f"{self.base_url}/cert.pem"}
        text = "".join(f"{name}\n{message[name]}\n" for name in SIGNED_FIELDS[message["Type"]]
                       if name in message)
        # SNS signature version 1 is RSA with SHA1: what SNS does, not a choice.
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
        signature = self.cert.key.sign(text.encode(), padding.PKCS1v15(), algorithm)
        return {**message, "Signature": base64.b64encode(signature).decode()}


def bounce(topic_arn: str, *addresses: str, bounce_type: str = "Permanent") -> dict[str, str]:
    return {"Type": "Notification", "MessageId": "msg-1", "TopicArn": topic_arn,
            "Timestamp": "2026-11-25T12:00:00.000Z",
            "Message": json.dumps({"notificationType": "Bounce", "bounce": {
                "bounceType": bounce_type, "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": a} for a in addresses]}})}


def complaint(topic_arn: str, *addresses: str) -> dict[str, str]:
    return {"Type": "Notification", "MessageId": "msg-2", "TopicArn": topic_arn,
            "Subject": "Amazon SES Email Event Notification",
            "Timestamp": "2026-11-25T12:00:00.000Z",
            "Message": json.dumps({"eventType": "Complaint", "complaint": {
                "complainedRecipients": [{"emailAddress": a} for a in addresses]}})}
