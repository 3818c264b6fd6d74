"""The port through which the core tells people about a post that needs them.

Today the only implementation writes a log line. The Slack and Discord adapters will implement
:class:`Notifier` to post the message in the channel the post came from.
"""

from __future__ import annotations

import logging
from typing import Protocol

from postflow.posts import Post

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Implemented by each chat adapter (Slack, Discord) once they exist; by the log until then."""

    async def post_late(self, post: Post) -> None:
        """Say that ``post`` became Late and waits for a person (``post.status_reason`` says
        how late). Called once per post, after the status change is stored."""
        ...


class LoggingNotifier:
    """Writes one warning per late post: ids and the reason, never the text or a token."""

    async def post_late(self, post: Post) -> None:
        log.warning("post %s of organization %s is late: %s", post.id, post.org_id,
                    post.status_reason)
