"""No unauthenticated request gets a 5xx or a trace: random headers (signatures, Slack's
headers, cookies), query strings and bodies, thrown at every route of the real hub.

The routes are read from the app's router, so a new route is fuzzed without touching this file;
Slack's routes are there because a Slack signing secret and OAuth client are configured, and
Discord's interactions endpoint because a Discord public key is. The
requests are raw bytes on a socket, so nothing a client library would refuse to send is left out.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composition.hub import build_hub
from composition.runtime import open_runtime
from hub.server import serve
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.hooks import create_hook
from postflow.usecases.organizations import create_organization
from tests.hub.conftest import Broker, RecordingQueue
from tests.security.every_surface import every_surface_settings

#: Random requests per route: the hub has some 90 routes (the REST API, billing, email links,
#: Discord's and Slack's), so ~11,000 requests in all, under a minute on two cores.
EXAMPLES_PER_ROUTE = 120
#: Header names whose values the hub parses before it knows who is asking.
HEADER_NAMES = ["PostFlow-Signature", "X-Slack-Signature", "X-Slack-Request-Timestamp",
                "X-Slack-Retry-Num", "X-Slack-Retry-Reason", "X-Signature-Ed25519",
                "X-Signature-Timestamp", "Idempotency-Key", "Content-Type",
                "Cookie", "Authorization", "Accept", "Accept-Encoding", "Range", "If-None-Match",
                "Origin", "Referer", "X-Forwarded-For"]
QUERY_KEYS = ["state", "code", "error", "token", "exp", "sig", "csrf", "pick", "account",
              "limit", "cursor", "x"]
FORM_KEYS = ["state", "csrf", "pick", "account", "payload", "command", "text", "team_id",
             "user_id", "ssl_check", "type", "token"]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain",
                 "multipart/form-data; boundary=xyz", "application/json; charset=latin-1", ""]
#: 5xx answers that are the route's purpose: readiness says 503 while a worker is missing.
BY_DESIGN = {("/readyz", 503)}
#: Text with every kind of character a header line can hold (no CR, LF or NUL).
HEADER_TEXT = st.text(st.characters(blacklist_characters="\r\n\x00",
                                    blacklist_categories=("Cs",)), max_size=300)
NUMBERS = st.one_of(st.integers(), st.integers(min_value=10**18, max_value=10**400),
                    st.floats(allow_nan=True)).map(str)
#: Shaped like the hub's tokens (``<payload>.<expires>.<signature>``, postflow/signed_tokens.py)
#: and older ones: parts of any text, numbers out of range, digits of other scripts.
TOKEN_PART = st.one_of(
    st.sampled_from(["", "a", "1", "9" * 40, "\u00b2", "\u0661", "\u00e9", "=", "%", "{}"]),
    st.text(max_size=3), NUMBERS, st.text("0123456789abcdef", min_size=64, max_size=64),
    st.text("ABCDEFabcdef0123456789-_", min_size=43, max_size=43),
    st.text(st.characters(whitelist_categories=("Nd",)), min_size=1, max_size=30),
    st.text(max_size=40))
TOKENS = st.lists(TOKEN_PART, min_size=1, max_size=4).map(".".join)


@dataclass(frozen=True)
class Route:
    method: str
    #: The route's path regex (``None`` for a plain path) and a path that matches its shape.
    pattern: re.Pattern[str] | None
    path: str


@dataclass(frozen=True)
class Hub:
    port: int
    routes: tuple[Route, ...]
    #: Values that make a dynamic part name something real, by the part's name.
    known: dict[str, tuple[str, ...]]


def routes_of(app: web.Application) -> tuple[Route, ...]:
    found = []
    for resource in app.router.resources():
        info = resource.get_info()
        for route in resource:
            if route.method == "HEAD":
                continue
            if "pattern" in info:
                found.append(Route(route.method, info["pattern"], info["formatter"]))
            else:
                found.append(Route(route.method, None, info.get("path", resource.canonical)))
    return tuple(found)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The real hub, served once for the module on a loop in its own thread."""
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "var"
    ready: list[Hub] = []
    started, stop = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    async def main() -> None:
        rt = await open_runtime(every_surface_settings(data_dir))
        org = await create_organization(rt, "Acme", actor="test")
        sandbox = await connect_sandbox(rt, org.id, "acme-sandbox", actor="test")
        created = await create_hook(rt, org.id, "CI", actor="test")
        app = build_hub(rt, RecordingQueue(), Broker().ping)
        served = await serve(app, "127.0.0.1", 0, access_log=False)
        known = {"network": tuple(rt.providers.networks()), "hook_id": (created.hook.id,),
                 "media_id": ("0" * 64, "ab" * 32), "post_id": ("pst_0",),
                 "sandbox_post_id": ("sbx_0",), "org_id": (org.id,), "id": (sandbox.id,)}
        ready.append(Hub(port=served.port, routes=routes_of(app), known=known))
        started.set()
        try:
            while not stop.is_set():
                await asyncio.sleep(0.05)
        finally:
            await served.stop()
            await rt.store.close()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as err:
            errors.append(err)
            started.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(30), "the hub did not start"
    if errors:
        raise errors[0]
    yield ready[0]
    stop.set()
    thread.join(30)


def path_for(route: Route, known: dict[str, tuple[str, ...]]) -> st.SearchStrategy[str]:
    """Paths that reach the route's handler (known values of its parts, or any that its regex
    accepts), or only nearly (any text)."""
    if route.pattern is None:
        return st.just(quote(route.path))
    names = re.findall(r"\{([^}:]+)[^}]*\}", route.path)
    everything = tuple(v for values in known.values() for v in values)
    fill = st.tuples(*(st.one_of(st.sampled_from(known.get(name, everything)),
                                 st.sampled_from(known.get(name, everything)),
                                 st.sampled_from(known.get(name, everything)),
                                 st.text(max_size=60)) for name in names))
    by_known = fill.map(lambda values: _format(route.path, list(values)))
    by_regex = st.from_regex(route.pattern, fullmatch=True).map(
        lambda p: quote(p, safe="/")).filter(lambda p: len(p) < 2000)
    return st.one_of(by_known, by_known, by_known, by_regex)


def _format(formatter: str, values: list[str]) -> str:
    parts = iter(values)
    return re.sub(r"\{[^}]+\}", lambda _: quote(next(parts), safe=""), formatter)


def signature_like() -> st.SearchStrategy[str]:
    """Values shaped like the signature headers, with numbers out of any range."""
    return st.one_of(
        HEADER_TEXT,
        st.builds(lambda t, v: f"t={t},v1={v}", NUMBERS, HEADER_TEXT),
        st.builds(lambda v: f"v0={v}", HEADER_TEXT), NUMBERS)


def headers() -> st.SearchStrategy[list[tuple[str, str]]]:
    value = st.one_of(HEADER_TEXT, signature_like(), TOKENS, st.sampled_from(CONTENT_TYPES),
                      st.builds(lambda n, v: f"{n}={v}", st.sampled_from(
                          ["__Host-postflow_browser", "postflow_browser", "postflow_oauth_pick",
                           "postflow_oauth_state", "postflow_slack_state"]), HEADER_TEXT))
    return st.lists(st.tuples(st.sampled_from(HEADER_NAMES), value), max_size=6)


def query() -> st.SearchStrategy[str]:
    value = st.one_of(TOKENS, TOKENS, st.text(max_size=200), NUMBERS)
    pairs = st.one_of(st.dictionaries(st.sampled_from(QUERY_KEYS), value, max_size=4),
                      st.dictionaries(st.text(max_size=10), value, max_size=3))
    encoded = pairs.map(lambda found: "&".join(
        f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in found.items()))
    printable = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e), max_size=200)
    return st.one_of(encoded, encoded, encoded, printable)


def body() -> st.SearchStrategy[bytes]:
    form = st.lists(st.tuples(st.sampled_from(FORM_KEYS), st.one_of(st.text(max_size=200),
                                                                    TOKENS)),
                    max_size=6).map(lambda pairs: "&".join(
                        f"{quote(k)}={quote(v)}" for k, v in pairs).encode())
    json_like = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=50)),
        lambda inner: st.one_of(st.lists(inner, max_size=4),
                                st.dictionaries(st.text(max_size=10), inner, max_size=4)),
        max_leaves=12).map(lambda value: repr(value).encode())
    return st.one_of(st.binary(max_size=2000), form, json_like, st.just(b""))


def send(port: int, method: str, target: str, header_lines: list[tuple[str, str]],
         payload: bytes) -> tuple[int, bytes]:
    """One raw HTTP/1.1 request; the status and the whole answer."""
    head = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
            f"Content-Length: {len(payload)}", *(f"{n}: {v}" for n, v in header_lines)]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "surrogateescape") + payload
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall(raw)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1."), (target, answer[:200])
    return int(status_line.split()[1]), answer


def test_every_route_is_fuzzed_including_slacks_and_discords(hub: Hub) -> None:
    paths = {route.path for route in hub.routes}
    assert {"/slack/events", "/slack/install", "/discord/interactions", "/billing",
            "/healthz"} <= paths
    assert any(p.startswith("/oauth/") for p in paths)
    assert any(p.startswith("/v1/hooks/") for p in paths)


@pytest.mark.timeout(300)
def test_no_route_answers_a_5xx_or_a_trace(hub: Hub) -> None:
    sent = {f"{route.method} {route.path}": _fuzz_route(hub, route) for route in hub.routes}

    # Every route took its share of requests, each answered below 500 without a trace (the
    # checks inside _fuzz_route); a route hypothesis skipped would show here as too few.
    assert all(count >= EXAMPLES_PER_ROUTE // 2 for count in sent.values()), sent


def _fuzz_route(hub: Hub, route: Route) -> int:
    """Throw random requests at ``route``; how many were answered."""
    answered = 0

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(path=path_for(route, hub.known), query_string=query(), header_lines=headers(),
           payload=body())
    def one(path: str, query_string: str, header_lines: list[tuple[str, str]],
            payload: bytes) -> None:
        target = path + (f"?{query_string}" if query_string else "")
        status, answer = send(hub.port, route.method, target, header_lines, payload)
        assert status < 500 or (route.path, status) in BY_DESIGN, (
            route.method, target, header_lines, payload, answer[:2000])
        assert b"Traceback" not in answer, (route.method, target, answer[:2000])
        nonlocal answered
        answered += 1

    one()
    return answered


