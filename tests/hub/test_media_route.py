"""``GET /media/{id}``: local media at signed, expiring URLs."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock
from tests.hub.conftest import HubClient

PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 100


async def signed_path(rt: Runtime, minutes: int = 10) -> tuple[str, str]:
    assert rt.media_store is not None
    stored = await rt.media_store.put(PNG, "image/png")
    parts = urlsplit(await rt.media_store.url(stored.id, timedelta(minutes=minutes)))
    return stored.id, f"{parts.path}?{parts.query}"


async def test_a_signed_link_serves_the_bytes_with_their_type(client: HubClient,
                                                              rt: Runtime) -> None:
    _, path = await signed_path(rt)

    response = await client.get(path)

    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    assert await response.read() == PNG


async def test_an_expired_link_is_refused(client: HubClient, rt: Runtime,
                                          clock: ManualClock) -> None:
    _, path = await signed_path(rt, minutes=10)
    clock.advance(11 * 60)

    response = await client.get(path)

    assert response.status == 403
    assert (await response.json())["error"]["details"]["reason"] == "expired"


async def test_a_tampered_link_is_refused(client: HubClient, rt: Runtime) -> None:
    media_id, path = await signed_path(rt)
    later_expiry = path.replace("exp=", "exp=9")
    other_sig = path[:-4] + ("0000" if not path.endswith("0000") else "1111")

    for tampered in (later_expiry, other_sig, f"/media/{media_id}"):
        response = await client.get(tampered)
        assert response.status == 403, tampered
        assert (await response.json())["error"]["details"]["reason"] == "invalid"


async def test_an_unknown_medium_is_not_found(client: HubClient) -> None:
    assert (await client.get("/media/not-an-id?exp=1&sig=x")).status == 404
