"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: it can do its job).

Readiness needs the store, the broker, a worker that consumed a canary recently, a scheduler
lag (how long the oldest due post has waited) within ``ready_max_scheduler_lag_seconds`` and
every queue within ``ready_max_queue_depth`` waiting messages. A failed check is named with the
exception's class only: its text could hold a host name or a URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from hub.routes import BROKER_PING, QUEUE_DEPTHS, RUNTIME
from postflow.usecases.health import worker_health
from postflow.usecases.operations import scheduler_lag_seconds

CHECK_TIMEOUT_SECONDS = 3.0

CheckResult = dict[str, object]


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]

    async def worker() -> CheckResult:
        health = await worker_health(rt)
        seen = health.last_consumed_at
        return {"ok": health.healthy, "last_consumed_at": seen.isoformat() if seen else None}

    async def scheduler() -> CheckResult:
        lag = await scheduler_lag_seconds(rt)
        limit = rt.settings.ready_max_scheduler_lag_seconds
        return {"ok": limit is None or lag <= limit, "lag_seconds": round(lag, 3),
                "max_lag_seconds": limit}

    async def queues() -> CheckResult:
        depths = await request.app[QUEUE_DEPTHS]()
        limit = rt.settings.ready_max_queue_depth
        over = sorted(name for name, depth in depths.items()
                      if limit is not None and depth > limit)
        return {"ok": not over, "depths": depths, "max_depth": limit, "over": over}

    names = ("store", "broker", "worker", "scheduler", "queues")
    results = await asyncio.gather(_passes(rt.store.ping), _passes(request.app[BROKER_PING]),
                                   _run(worker), _run(scheduler), _run(queues))
    checks = dict(zip(names, results, strict=True))
    ready = all(check["ok"] for check in checks.values())
    return web.json_response({"status": "ready" if ready else "not_ready", "checks": checks},
                             status=200 if ready else 503)


async def _passes(ping: Callable[[], Awaitable[object]]) -> CheckResult:
    async def check() -> CheckResult:
        await ping()
        return {"ok": True}

    return await _run(check)


async def _run(check: Callable[[], Awaitable[CheckResult]]) -> CheckResult:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            return await check()
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"}
    except Exception as err:
        return {"ok": False, "error": type(err).__name__}
