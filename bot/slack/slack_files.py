"""Downloading files uploaded in a Slack modal (``file_input``), with the bot token.

Slack serves an uploaded file at its ``url_private_download`` (or ``url_private``) to a request
carrying ``Authorization: Bearer xoxb-...`` when the app has ``files:read``. The token goes only
to Slack's file host (``files.slack.com``, or the host of ``POSTFLOW_SLACK_API_URL`` when a test
points it at a fake): a URL or a redirect anywhere else is refused, never followed with the
token. The file is streamed to a temporary file as media fetched from URLs are
(``integrations/media/staging.py``: size limits checked on ``Content-Length`` and on the bytes as
they arrive, the type checked on the first bytes), never held whole in memory. Refusals are
:class:`BadInput` naming the file, never its URL or the token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from integrations.media.staging import IDENTITY, staging_dir, staging_file, stream_to_file
from postflow.chatops.compose import UploadedFile
from postflow.config import Settings
from postflow.errors import BadInput
from postflow.media import MEDIA_KINDS, FetchedMedia, FetchSizeLimits, base_content_type

SLACK_FILES_HOST = "files.slack.com"
REDIRECTS = (301, 302, 303, 307, 308)


def uploaded_files(element: dict[str, Any]) -> tuple[UploadedFile, ...]:
    """The files of a ``file_input`` element's state (``view.state.values``)."""
    files = []
    for item in element.get("files") or []:
        if not isinstance(item, dict):
            continue
        files.append(UploadedFile(
            id=str(item.get("id", "")), name=str(item.get("name") or item.get("title") or "file"),
            content_type=base_content_type(str(item.get("mimetype", ""))),
            size=int(item.get("size") or 0),
            url=str(item.get("url_private_download") or item.get("url_private") or "")))
    return tuple(files)


@dataclass(frozen=True)
class SlackFileLimits:
    timeout_seconds: float
    max_redirects: int
    #: Hosts the bot token may be sent to; plain http only for the configured API host (tests).
    hosts: frozenset[str]
    http_hosts: frozenset[str]
    #: Where downloads are staged until they are stored.
    temp_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackFileLimits:
        api = URL(settings.slack_api_url)
        api_host = (api.host or "").lower()
        hosts = {SLACK_FILES_HOST}
        http_hosts: set[str] = set()
        if api_host and api_host not in ("slack.com", "www.slack.com"):
            hosts.add(api_host)
            if api.scheme == "http":
                http_hosts.add(api_host)
        return cls(timeout_seconds=min(settings.media_fetch_timeout_seconds, 60.0),
                   max_redirects=settings.media_fetch_max_redirects,
                   hosts=frozenset(hosts), http_hosts=frozenset(http_hosts),
                   temp_dir=staging_dir(settings))


class SlackFileDownloader:
    """Reads a Slack-hosted upload's bytes with the bot token."""

    def __init__(self, limits: SlackFileLimits) -> None:
        self._limits = limits

    @asynccontextmanager
    async def download(self, upload: UploadedFile, token: str,
                       sizes: FetchSizeLimits) -> AsyncIterator[FetchedMedia]:
        """The upload in a temporary file under ``sizes``, deleted when the block ends."""
        async with staging_file(self._limits.temp_dir) as path:
            yield await self._download_into(upload, token, sizes, path)

    async def _download_into(self, upload: UploadedFile, token: str, sizes: FetchSizeLimits,
                             path: Path) -> FetchedMedia:
        name = upload.name[:80]
        current = self._checked(upload.url, name)
        timeout = aiohttp.ClientTimeout(total=self._limits.timeout_seconds)
        try:
            async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as session:
                for _hop in range(self._limits.max_redirects + 1):
                    async with session.get(current, allow_redirects=False, headers={
                            "Authorization": f"Bearer {token}", **IDENTITY}) as response:
                        if response.status in REDIRECTS:
                            location = response.headers.get("Location", "")
                            current = self._checked(str(current.join(URL(location))), name)
                            continue
                        return await self._read(response, name, sizes, path)
        except TimeoutError:
            raise BadInput(f"Downloading {name} from Slack took too long; try again.",
                           details={"file": name, "reason": "timeout"}) from None
        except aiohttp.ClientError as err:
            raise BadInput(f"{name} could not be downloaded from Slack ({type(err).__name__}).",
                           details={"file": name, "reason": "unreachable"}) from None
        raise BadInput(f"Slack redirected the download of {name} too many times.",
                       details={"file": name, "reason": "too_many_redirects"})

    def _checked(self, url: str, name: str) -> URL:
        """``url`` if the token may go there; BadInput otherwise (the URL is not shown)."""
        try:
            parsed = URL(url)
        except ValueError:
            parsed = URL()
        host = (parsed.host or "").lower()
        allowed = host in self._limits.hosts and (
            parsed.scheme == "https" or (parsed.scheme == "http"
                                         and host in self._limits.http_hosts))
        if not url or not allowed or parsed.user or parsed.password:
            raise BadInput(f"{name} is not served by Slack's file host; PostFlow did not "
                           "download it.", details={"file": name, "reason": "not_slack_host"})
        return parsed

    async def _read(self, response: aiohttp.ClientResponse, name: str, sizes: FetchSizeLimits,
                    path: Path) -> FetchedMedia:
        if response.status != 200:
            raise BadInput(f"Slack answered HTTP {response.status} for {name}.",
                           details={"file": name, "status": response.status,
                                    "reason": "http_status"})
        content_type = base_content_type(response.headers.get("Content-Type"))
        if content_type not in MEDIA_KINDS and content_type != "application/octet-stream":
            # A login page instead of the file: the app lacks files:read, or the token is wrong.
            raise BadInput(f"Slack gave {content_type or 'no file'} for {name}, not an image or "
                           "video; is the files:read scope granted to PostFlow?",
                           details={"file": name, "content_type": content_type,
                                    "reason": "content_type"})
        return await stream_to_file(response, path, content_type, sizes,
                                    source=f"The file {name}", details={"file": name})
