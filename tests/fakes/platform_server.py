"""A fake social network on loopback that counts what it creates and fails when told to.

It is modelled on a typical social API, and on what makes publishing hard with one:

- ``POST /posts`` (JSON ``{"text": ...}``, ``Authorization: Bearer ...``) creates a post and
  answers ``201 {"id", "url"}``. Its ``Idempotency-Key`` header is recorded as the post's
  ``client_ref`` but **not** deduplicated, like most real networks: the same key sent twice
  creates two posts. That is what lets a test see a duplicate.
- ``GET /posts?client_ref=KEY`` finds the posts created with a key (what a provider's ``check``
  uses).
- ``GET /stats`` counts created posts, per key and in total.
- ``POST /admin/faults`` (a :class:`Fault` as JSON) and ``POST /admin/release`` script it over
  HTTP; in-process, :meth:`PlatformServer.script` and :meth:`PlatformServer.release` do the same.

The server runs in a thread with its own event loop, so workers in other processes reach it over
HTTP while the test reads its state directly, and a test that blocks its own loop for a moment
(a subprocess call, a database lock) never stalls the platform.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiohttp import web

HOST = "127.0.0.1"
#: How long stopping waits for requests still being answered (held ones are released first).
SHUTDOWN_SECONDS = 1.0


@dataclass(frozen=True)
class Fault:
    """What the platform does with each of the next ``times`` ``POST /posts`` requests.

    The post is created on arrival when ``creates`` (before any delay or hold), then the answer
    waits ``delay`` seconds, then (with ``hold``) until :meth:`PlatformServer.release`, then
    ``status`` is sent — to a client that may have given up or died meanwhile.
    """

    times: int = 1
    status: int = 201
    creates: bool = True
    delay: float = 0.0
    hold: bool = False
    retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.status == 201 and not self.creates:
            raise ValueError("A 201 answer means the post was created.")

    @classmethod
    def rate_limited(cls, times: int, retry_after: float) -> Fault:
        """429 with ``Retry-After``; nothing created."""
        return cls(times=times, status=429, creates=False, retry_after=retry_after)

    @classmethod
    def unavailable(cls, times: int, status: int = 503) -> Fault:
        """A 5xx that created nothing (an overloaded platform)."""
        return cls(times=times, status=status, creates=False)

    @classmethod
    def slow(cls, times: int, seconds: float, *, creates: bool) -> Fault:
        """Answers only after ``seconds``; the post is created (at once) or not at all."""
        return cls(times=times, status=201 if creates else 503, creates=creates, delay=seconds)

    @classmethod
    def created_then_error(cls, times: int, status: int = 502) -> Fault:
        """Creates the post, then answers an error (a gateway losing the answer)."""
        return cls(times=times, status=status, creates=True)

    @classmethod
    def hang_after_create(cls, times: int = 1) -> Fault:
        """Creates the post, then holds the 201 until released."""
        return cls(times=times, status=201, creates=True, hold=True)

    @classmethod
    def hang_without_create(cls, times: int = 1) -> Fault:
        """Takes the request and holds it until released; then answers 503, having created
        nothing."""
        return cls(times=times, status=503, creates=False, hold=True)


@dataclass(frozen=True)
class CreatedPost:
    id: str
    client_ref: str | None
    text: str


@dataclass
class ReceivedPublish:
    """One ``POST /posts`` as the platform saw it; times are ``time.monotonic()``."""

    client_ref: str | None
    text: str
    arrived_at: float
    created_id: str | None = None
    held: bool = False
    #: The status sent and when its last byte was handed to the socket; None until then (or
    #: forever, when the client was gone).
    status: int | None = None
    answered_at: float | None = None


@dataclass
class _Scripted:
    fault: Fault
    left: int


@dataclass
class _State:
    created: list[CreatedPost] = field(default_factory=list)
    received: list[ReceivedPublish] = field(default_factory=list)
    faults: list[_Scripted] = field(default_factory=list)
    latency: float = 0.0


class PlatformServer:
    """The fake platform; :meth:`start` it, read and script it from any thread, :meth:`stop`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._held: list[asyncio.Event] = []
        self._stopped: asyncio.Event | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve(ready))
            except BaseException as err:  # reported to start(), which re-raises it
                failure.append(err)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=serve, name="fake-platform", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            raise RuntimeError("the fake platform did not start") from (
                failure[0] if failure else None)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or self._stopped is None:
            return
        loop.call_soon_threadsafe(self._release_all)
        loop.call_soon_threadsafe(self._stopped.set)
        thread.join(10)

    async def _serve(self, ready: threading.Event) -> None:
        self._stopped = asyncio.Event()
        app = web.Application()
        app.router.add_post("/posts", self._create)
        app.router.add_get("/posts", self._lookup)
        app.router.add_get("/stats", self._stats)
        app.router.add_post("/admin/faults", self._admin_fault)
        app.router.add_post("/admin/release", self._admin_release)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        self.port = int(runner.addresses[0][1])
        ready.set()
        try:
            await self._stopped.wait()
        finally:
            await runner.cleanup()

    # -- the test's side ------------------------------------------------------------------

    def script(self, *faults: Fault) -> None:
        """Apply ``faults`` in order to the next ``POST /posts`` requests."""
        with self._lock:
            self._state.faults.extend(_Scripted(f, f.times) for f in faults if f.times > 0)

    def set_latency(self, seconds: float) -> None:
        """Every answer without a scripted fault waits this long (a busy platform)."""
        with self._lock:
            self._state.latency = seconds

    def release(self) -> int:
        """Let every held request answer; returns how many were held."""
        loop = self._loop
        with self._lock:
            held = len(self._held)
        if loop is not None:
            loop.call_soon_threadsafe(self._release_all)
        return held

    def received(self) -> list[ReceivedPublish]:
        """Every ``POST /posts`` so far, in arrival order (copies)."""
        with self._lock:
            return [dataclasses.replace(r) for r in self._state.received]

    def created(self) -> list[CreatedPost]:
        with self._lock:
            return list(self._state.created)

    def created_with(self, client_refs: Iterable[str]) -> list[CreatedPost]:
        """The posts created with any of ``client_refs`` (a post's attempt ids)."""
        refs = set(client_refs)
        return [p for p in self.created() if p.client_ref in refs]

    def stats(self) -> dict[str, object]:
        """What ``GET /stats`` answers: created posts in total and per key."""
        created = self.created()
        return {"total": len(created),
                "by_client_ref": dict(Counter(p.client_ref or "" for p in created))}

    # -- the HTTP side --------------------------------------------------------------------

    def _take_fault(self) -> Fault:
        with self._lock:
            state = self._state
            if not state.faults:
                return Fault(delay=state.latency)
            scripted = state.faults[0]
            scripted.left -= 1
            if scripted.left <= 0:
                state.faults.pop(0)
            return scripted.fault

    async def _create(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"error": "unauthorized"}, status=401)
        try:
            body = await request.json()
            text = str(body["text"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "a JSON body with `text` is required"},
                                     status=400)
        fault = self._take_fault()
        received = ReceivedPublish(client_ref=request.headers.get("Idempotency-Key"),
                                   text=text, arrived_at=arrived)
        created: CreatedPost | None = None
        released = asyncio.Event()
        with self._lock:
            if fault.hold:
                self._held.append(released)
            if fault.creates:
                created = CreatedPost(id=f"lp_{next(self._ids)}", client_ref=received.client_ref,
                                      text=text)
                self._state.created.append(created)
                received.created_id = created.id
            received.held = fault.hold
            self._state.received.append(received)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.hold:
            await released.wait()
        if fault.status == 201 and created is not None:
            payload: dict[str, object] = {"id": created.id,
                                          "url": f"{self.url}/posts/{created.id}"}
        else:
            payload = {"error": f"scripted {fault.status}"}
        headers = ({"Retry-After": f"{fault.retry_after:g}"}
                   if fault.retry_after is not None else None)
        response = web.json_response(payload, status=fault.status, headers=headers)
        try:
            await response.prepare(request)
            await response.write_eof()
        except (ConnectionError, RuntimeError):  # the client gave up or died meanwhile
            return response
        with self._lock:
            received.status, received.answered_at = fault.status, time.monotonic()
        return response

    async def _lookup(self, request: web.Request) -> web.Response:
        ref = request.query.get("client_ref")
        found = [{"id": p.id, "client_ref": p.client_ref, "text": p.text,
                  "url": f"{self.url}/posts/{p.id}"}
                 for p in self.created() if ref is not None and p.client_ref == ref]
        return web.json_response({"posts": found})

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _admin_fault(self, request: web.Request) -> web.Response:
        try:
            fault = Fault(**await request.json())
        except (ValueError, TypeError) as err:
            return web.json_response({"error": str(err)}, status=400)
        self.script(fault)
        return web.Response(status=204)

    async def _admin_release(self, request: web.Request) -> web.Response:
        return web.json_response({"released": self.release()})

    def _release_all(self) -> None:
        with self._lock:
            held, self._held = self._held, []
        for event in held:
            event.set()
