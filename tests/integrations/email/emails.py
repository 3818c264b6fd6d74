"""An email as the outbox records it, for transport tests."""

from __future__ import annotations

from typing import Any

from postflow.email.message import OutgoingEmail
from postflow.ids import new_id
from tests.postflow.store.factories import T0


def make_email(**fields: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "id": new_id("mail"), "org_id": "org_1", "member_id": "mem_1", "kind": "failures",
        "to": "ada@example.test", "subject": "A post was not published",
        "text": "Post post_1 was not published.\n", "html": "<p>Post post_1</p>",
        "headers": {"List-Unsubscribe": "<https://postflow.test/email/unsubscribe?token=t>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        "created_at": T0}
    return OutgoingEmail(**(values | fields))
