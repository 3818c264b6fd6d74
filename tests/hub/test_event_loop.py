from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from hub.event_loop import loop_factory
from postflow.errors import ConfigurationError


def _running_loop_type(factory: object) -> type:
    async def which() -> type:
        return type(asyncio.get_running_loop())

    with asyncio.Runner(loop_factory=factory) as runner:  # type: ignore[arg-type]
        return runner.run(which())


def test_auto_runs_on_uvloop_where_it_is_installed() -> None:
    assert _running_loop_type(loop_factory("auto")) is uvloop.Loop


def test_asyncio_runs_on_asyncios_own_loop() -> None:
    loop_type = _running_loop_type(loop_factory("asyncio"))

    assert not issubclass(loop_type, uvloop.Loop)
    assert issubclass(loop_type, asyncio.BaseEventLoop)


def test_auto_falls_back_to_asyncio_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as on Windows: the import fails

    assert loop_factory("auto") is asyncio.new_event_loop


def test_asking_for_uvloop_without_it_is_a_configuration_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)

    with pytest.raises(ConfigurationError, match="POSTFLOW_EVENT_LOOP is uvloop"):
        loop_factory("uvloop")
