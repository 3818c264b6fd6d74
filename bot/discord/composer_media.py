"""Media given to ``/postflow new`` as its ``media`` attachment option: read from the command's
resolved attachments, downloaded from Discord's CDN and stored once through the media pipeline
(the same temporary-file streaming, size limits and type check as any fetched medium).

Only Discord's attachment hosts are read (``cdn.discordapp.com``, ``media.discordapp.net``, or
the host of ``POSTFLOW_DISCORD_API_URL`` when a test points it at a fake); a URL anywhere else,
and any redirect, is refused. Refusals are :class:`BadInput` naming the file, never its URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from integrations.media.staging import IDENTITY, staging_dir, staging_file, stream_to_file
from postflow.chatops.compose import MAX_UPLOADS, UploadedFile
from postflow.config import Settings
from postflow.errors import BadInput
from postflow.media import MEDIA_KINDS, FetchSizeLimits, base_content_type
from postflow.runtime import Runtime
from postflow.usecases.media import add_media_from_file

#: The command option that carries an attachment.
MEDIA_OPTION = "media"
ATTACHMENT_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})
ATTACHMENT_OPTION_TYPE = 11


def command_attachments(payload: Mapping[str, Any]) -> tuple[UploadedFile, ...]:
    """The attachments given in the command's ``media`` option(s), from
    ``data.resolved.attachments``; none when the option is absent or names no resolved file."""
    data = payload.get("data")
    if not isinstance(data, dict):
        return ()
    resolved = (data.get("resolved") or {}).get("attachments") or {}
    if not isinstance(resolved, dict):
        return ()
    files = []
    for option in _options(data.get("options")):
        if option.get("name") != MEDIA_OPTION or option.get("type") != ATTACHMENT_OPTION_TYPE:
            continue
        found = resolved.get(str(option.get("value")))
        if not isinstance(found, dict):
            continue
        size = found.get("size")
        files.append(UploadedFile(
            id=str(found.get("id", "")), name=str(found.get("filename") or "file")[:200],
            content_type=base_content_type(str(found.get("content_type") or "")),
            size=size if isinstance(size, int) else 0, url=str(found.get("url") or "")))
    return tuple(files[:MAX_UPLOADS])


def _options(options: Any, depth: int = 0) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if not isinstance(options, list) or depth > 3:
        return found
    for option in options:
        if isinstance(option, dict):
            found.append(option)
            found += _options(option.get("options"), depth + 1)
    return found


@dataclass(frozen=True)
class AttachmentHosts:
    """Where attachments may be read from; plain http only for a test's fake API host."""

    hosts: frozenset[str]
    http_hosts: frozenset[str]
    timeout_seconds: float
    temp_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> AttachmentHosts:
        api = URL(settings.discord_api_url)
        host = (api.host or "").lower()
        hosts, http_hosts = set(ATTACHMENT_HOSTS), set()
        if host and host not in ("discord.com", "discordapp.com"):
            hosts.add(host)
            if api.scheme == "http":
                http_hosts.add(host)
        return cls(hosts=frozenset(hosts), http_hosts=frozenset(http_hosts),
                   timeout_seconds=min(settings.media_fetch_timeout_seconds, 60.0),
                   temp_dir=staging_dir(settings))


async def store_attachment(rt: Runtime, upload: UploadedFile, limits: FetchSizeLimits, *,
                           org_id: str) -> str:
    """Download ``upload`` from Discord and store it once, held by ``org_id``; its media id.
    BadInput (naming the file) when it is refused."""
    name = upload.name[:80]
    if upload.content_type and upload.content_type not in MEDIA_KINDS:
        raise BadInput(f"{name} is {upload.content_type}; give JPEG, PNG, WebP or GIF "
                       "images, or an MP4 or MOV video.", details={"file": name})
    hosts = AttachmentHosts.from_settings(rt.settings)
    url = _checked(upload.url, name, hosts)
    timeout = aiohttp.ClientTimeout(total=hosts.timeout_seconds)
    source = f"The file {name}"
    try:
        async with staging_file(hosts.temp_dir) as path, \
                aiohttp.ClientSession(timeout=timeout, trust_env=False) as session, \
                session.get(url, allow_redirects=False, headers=IDENTITY) as response:
            if response.status != 200:
                raise BadInput(f"Discord answered HTTP {response.status} for {name}.",
                               details={"file": name, "status": response.status})
            declared = base_content_type(response.headers.get("Content-Type"))
            fetched = await stream_to_file(response, path, declared or upload.content_type,
                                           limits, source=source, details={"file": name})
            stored = await add_media_from_file(rt, fetched, org_id=org_id, source=source)
    except TimeoutError:
        raise BadInput(f"Downloading {name} from Discord took too long; try again.",
                       details={"file": name, "reason": "timeout"}) from None
    except aiohttp.ClientError as err:
        raise BadInput(f"{name} could not be downloaded from Discord ({type(err).__name__}).",
                       details={"file": name, "reason": "unreachable"}) from None
    return stored.id


def _checked(url: str, name: str, hosts: AttachmentHosts) -> URL:
    try:
        parsed = URL(url)
    except ValueError:
        parsed = URL()
    host = (parsed.host or "").lower()
    allowed = host in hosts.hosts and (
        parsed.scheme == "https" or (parsed.scheme == "http" and host in hosts.http_hosts))
    if not url or not allowed or parsed.user or parsed.password:
        raise BadInput(f"{name} is not served by Discord's attachment host; PostFlow did not "
                       "download it.", details={"file": name, "reason": "not_discord_host"})
    return parsed
