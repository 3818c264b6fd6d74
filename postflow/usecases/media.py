"""Adding media (an upload, or a URL fetched safely) and handing stored media to providers.

Media given as URLs are fetched and stored **when the post is submitted** when any of its
networks uploads media's bytes (``MediaUploader``): the sender hears at once about a URL that is
unreachable, too large or not an image or video, and what was reviewed is what gets published.
Posts whose media were never stored (edited media, posts from before) have them fetched when
they are published instead (see :func:`media_attachments`).

What the networks declare (``DeclaresMediaLimits``) bounds a post's media before anything is
read: their number (:func:`check_media_count`) and, while a URL is read, its bytes
(:func:`media_size_limits`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable
from datetime import timedelta

from postflow.errors import BadInput, ConfigurationError
from postflow.media import (
    DeclaresMediaLimits,
    FetchedMedia,
    FetchSizeLimits,
    MediaAttachment,
    MediaFetcher,
    MediaKind,
    MediaObject,
    MediaStore,
    MediaUploader,
    SizeLimit,
    check_media_id,
    checked_content_type,
    media_id_of,
    shown_url,
)
from postflow.posts import MediaRef
from postflow.providers import ProviderRegistry
from postflow.runtime import Runtime
from postflow.usecases.media_ledger import holding, use_held_media

#: How a post's media given as an upload (not a URL) is named in ``MediaRef.url``.
UPLOAD_SCHEME = "upload:"


def media_store(rt: Runtime) -> MediaStore:
    if rt.media_store is None:
        raise ConfigurationError("No media store is configured on this runtime.")
    return rt.media_store


def _media_fetcher(rt: Runtime) -> MediaFetcher:
    if rt.media_fetcher is None:
        raise ConfigurationError("No media fetcher is configured on this runtime.")
    return rt.media_fetcher


async def add_media_from_upload(rt: Runtime, data: bytes, content_type: str, *, org_id: str,
                                source: str = "The file") -> MediaObject:
    """Store uploaded bytes once, held by ``org_id``; BadInput when too large, empty or not an
    accepted type, LimitReached when it would take the organization past its media storage."""
    limit = rt.settings.media_max_bytes
    if not data:
        raise BadInput(f"{source} is empty.")
    if len(data) > limit:
        raise BadInput(f"{source} is {len(data)} bytes; the limit is {limit} bytes.",
                       details={"size": len(data), "limit_bytes": limit})
    stored_type = checked_content_type(data, content_type, source=source)
    media_id = await asyncio.to_thread(media_id_of, data)
    async with holding(rt, org_id, media_id, len(data), stored_type):
        return await media_store(rt).put(data, stored_type)


async def add_media_from_url(rt: Runtime, url: str, limits: FetchSizeLimits | None = None, *,
                             org_id: str) -> MediaObject:
    """Fetch ``url`` (public addresses only, checked type) into a temporary file under
    ``limits`` (by default POSTFLOW_MEDIA_MAX_BYTES alone) and store it once, held by
    ``org_id``."""
    async with _media_fetcher(rt).fetch(url, limits or media_size_limits(rt, ())) as fetched:
        return await add_media_from_file(rt, fetched, org_id=org_id,
                                         source=f"The media at {shown_url(url)}")


async def add_media_from_file(rt: Runtime, fetched: FetchedMedia, *, org_id: str,
                              source: str = "The file") -> MediaObject:
    """Store a medium read into a temporary file (a fetched URL, a chat upload) once, held by
    ``org_id`` (LimitReached past its media storage, before anything is stored); the file is
    never read whole, and stays the caller's to delete."""
    stored_type = checked_content_type(fetched.head, fetched.content_type, source=source)
    async with holding(rt, org_id, fetched.sha256, fetched.size, stored_type):
        return await media_store(rt).put_file(fetched.path, stored_type, sha256=fetched.sha256)


def _uploaders(rt: Runtime, networks: Iterable[str]) -> list[str]:
    """Those of ``networks`` that need the media's bytes (so they must be stored)."""
    return [network for network in sorted(set(networks))
            if isinstance(provider := rt.providers.get(network), MediaUploader)
            and provider.uploads_media]


def uploads_media(rt: Runtime, networks: Iterable[str]) -> bool:
    """Whether any of ``networks`` needs the media's bytes (so they must be stored)."""
    return bool(_uploaders(rt, networks))


def media_size_limits(rt: Runtime, networks: Iterable[str]) -> FetchSizeLimits:
    """The largest medium of each kind that every one of ``networks`` storing media takes (as
    its provider declares), never above POSTFLOW_MEDIA_MAX_BYTES; a kind one of them does not
    take is left out, so such a medium is refused before it is read."""
    cap = SizeLimit(rt.settings.media_max_bytes, "POSTFLOW_MEDIA_MAX_BYTES")
    by_kind = dict.fromkeys(MediaKind, cap)
    for network in _uploaders(rt, networks):
        provider = rt.providers.get(network)
        if not isinstance(provider, DeclaresMediaLimits):
            continue
        declared = provider.media_limits.max_bytes
        for kind in list(by_kind):
            if kind not in declared:
                del by_kind[kind]
            elif declared[kind] < by_kind[kind].max_bytes:
                by_kind[kind] = SizeLimit(declared[kind], f"the most {provider.display_name} "
                                          f"takes")
    return FetchSizeLimits(by_kind)


#: Per registry (its providers never change), those that declare media limits: checking a
#: runtime protocol on every provider took ~14 us of each post's ~250.
_DECLARING: weakref.WeakKeyDictionary[ProviderRegistry, dict[str, DeclaresMediaLimits]] = \
    weakref.WeakKeyDictionary()


def _declaring_limits(registry: ProviderRegistry) -> dict[str, DeclaresMediaLimits]:
    declaring = _DECLARING.get(registry)
    if declaring is None:
        declaring = _DECLARING[registry] = {
            network: provider for network in registry.networks()
            if isinstance(provider := registry.get(network), DeclaresMediaLimits)}
    return declaring


def check_media_count(rt: Runtime, networks: Iterable[str], count: int) -> None:
    """BadInput when ``count`` media are more than any of ``networks`` takes in one post (a
    network that declares no count is taken to allow the most any network declares)."""
    declared = {network: provider.media_limits.max_count
                for network, provider in _declaring_limits(rt.providers).items()}
    if not declared:
        return
    most = max(declared.values())
    allowed = {network: declared.get(network, most) for network in sorted(set(networks))}
    limit = max(allowed.values(), default=most)
    if count > limit:
        listed = ", ".join(f"{network} {n}" for network, n in allowed.items())
        raise BadInput(f"This post has {count} media; its networks take at most {limit} "
                       f"({listed}).", details={"reason": "too_many_media", "limit": limit,
                                                "count": count, "per_network": allowed})


async def store_post_media(rt: Runtime, media_urls: list[str],
                           networks: Iterable[str], *, org_id: str) -> list[MediaRef]:
    """The post's media: fetched and stored when a network needs the bytes, else kept as URLs.

    A URL that cannot be used is a BadInput naming it (without its query string)."""
    networks = list(networks)
    if not media_urls or not uploads_media(rt, networks):
        return [MediaRef(url=url) for url in media_urls]
    limits = media_size_limits(rt, networks)
    refs: list[MediaRef] = []
    for url in media_urls:
        stored = await add_media_from_url(rt, url, limits, org_id=org_id)
        refs.append(MediaRef(url=url, content_type=stored.content_type, media_id=stored.id,
                             size=stored.size))
    return refs


async def stored_media_refs(rt: Runtime, media_ids: Iterable[str], *,
                            org_id: str) -> list[MediaRef]:
    """Media already stored (uploads) and held by ``org_id``, as a post's media; BadInput for
    an id it does not hold (see ``media_ledger``). Their ``url`` names the upload
    (``upload:<id>``): it is never fetched, the id is used."""
    store = media_store(rt)
    media_ids = list(media_ids)
    await use_held_media(rt, org_id, media_ids)
    refs: list[MediaRef] = []
    for media_id in media_ids:
        stored = await store.get(check_media_id(media_id))
        refs.append(MediaRef(url=f"{UPLOAD_SCHEME}{stored.id}", content_type=stored.content_type,
                             media_id=stored.id, size=stored.size))
    return refs


async def described_media(rt: Runtime, refs: Iterable[MediaRef]) -> tuple[MediaAttachment, ...]:
    """Stored media as attachments without URLs: enough for a provider's ``validate``."""
    store = media_store(rt)
    return tuple([MediaAttachment(media=await store.get(ref.media_id), url=None, store=store)
                  for ref in refs if ref.media_id])


async def media_attachments(rt: Runtime, refs: Iterable[MediaRef], networks: Iterable[str] = (),
                            *, org_id: str) -> tuple[MediaAttachment, ...]:
    """What a provider that uploads media gets: every medium stored (fetched now if it never
    was, under the limits of ``networks``), with a URL valid for
    ``POSTFLOW_MEDIA_URL_TTL_SECONDS``."""
    store = media_store(rt)
    ttl = timedelta(seconds=rt.settings.media_url_ttl_seconds)
    limits = media_size_limits(rt, networks)
    attachments: list[MediaAttachment] = []
    for ref in refs:
        media = (await store.get(ref.media_id) if ref.media_id
                 else await add_media_from_url(rt, ref.url, limits, org_id=org_id))
        attachments.append(MediaAttachment(media=media, url=await store.url(media.id, ttl),
                                           store=store))
    return tuple(attachments)
