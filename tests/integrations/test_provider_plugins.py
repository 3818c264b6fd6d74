"""Provider plugins: networks added through POSTFLOW_PROVIDER_PLUGINS without forking."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from composition.runtime import open_runtime
from integrations.registry import build_provider_registry
from postflow.clock import Clock
from postflow.config import Settings
from postflow.errors import ConfigurationError
from postflow.providers import Provider
from postflow.store.port import Store
from postflow.store.sqlite import SqliteStore
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.loopback_network import URL_VARIABLE, LoopbackProvider

HERE = "tests.integrations.test_provider_plugins"
#: What the last call of :func:`echo_network` was given.
calls: list[tuple[Store, Clock, Settings]] = []


class EchoProvider(LoopbackProvider):
    """A provider object whose network name the test chooses."""

    def __init__(self, network: str) -> None:
        super().__init__("http://127.0.0.1:9")
        self.network = network


def echo_network(store: Store, clock: Clock, settings: Settings) -> Mapping[str, Provider]:
    calls.append((store, clock, settings))
    return {"echo": EchoProvider("echo")}


def two_networks(store: Store, clock: Clock, settings: Settings) -> Mapping[str, Provider]:
    return {"echo": EchoProvider("echo"), "other": EchoProvider("other")}


def replaces_sandbox(store: Store, clock: Clock, settings: Settings) -> Mapping[str, Provider]:
    return {"sandbox": EchoProvider("sandbox")}


def misnamed(store: Store, clock: Clock, settings: Settings) -> Mapping[str, Provider]:
    return {"echo": EchoProvider("something-else")}


def not_a_mapping(store: Store, clock: Clock, settings: Settings) -> object:
    return [EchoProvider("echo")]


NOT_CALLABLE = "a string"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    sqlite_store = await SqliteStore.open(tmp_path / "postflow.db")
    try:
        yield sqlite_store
    finally:
        await sqlite_store.close()


def with_plugins(settings: Settings, *specs: str) -> Settings:
    return settings.model_copy(update={"provider_plugins": list(specs)})


def test_the_setting_is_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_PROVIDER_PLUGINS", f" {HERE}:echo_network , a.b:c ,")

    assert Settings().provider_plugins == [f"{HERE}:echo_network", "a.b:c"]


def test_no_plugins_by_default() -> None:
    assert Settings().provider_plugins == []


async def test_a_plugin_adds_its_networks_next_to_the_built_in_ones(
        store: SqliteStore, settings: Settings) -> None:
    clock = ManualClock()
    settings = with_plugins(settings, f"{HERE}:echo_network")
    calls.clear()

    registry = build_provider_registry(store, clock, settings)

    assert registry.networks() == ["echo", "sandbox"]
    assert registry.get("echo").network == "echo"
    assert calls == [(store, clock, settings)]


async def test_several_plugins_add_up(store: SqliteStore, settings: Settings,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_VARIABLE, "http://127.0.0.1:9")
    settings = with_plugins(settings, f"{HERE}:two_networks", "tests.fakes.loopback_network:plugin")

    registry = build_provider_registry(store, ManualClock(), settings)

    assert registry.networks() == ["echo", "loopback", "other", "sandbox"]


async def test_the_runtime_finds_a_plugins_network(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_VARIABLE, "http://127.0.0.1:9")
    monkeypatch.setenv("POSTFLOW_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("POSTFLOW_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("POSTFLOW_PROVIDER_PLUGINS", "tests.fakes.loopback_network:plugin")

    rt = await open_runtime(Settings())
    try:
        assert isinstance(rt.providers.get("loopback"), LoopbackProvider)
    finally:
        await rt.store.close()


async def test_a_plugin_may_not_replace_a_built_in_network(store: SqliteStore,
                                                           settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="may not replace the built-in network 'sandbox'"):
        build_provider_registry(store, ManualClock(),
                                with_plugins(settings, f"{HERE}:replaces_sandbox"))


async def test_two_plugins_may_not_add_the_same_network(store: SqliteStore,
                                                        settings: Settings) -> None:
    settings = with_plugins(settings, f"{HERE}:echo_network", f"{HERE}:two_networks")

    with pytest.raises(ConfigurationError, match=r"'echo', which .*echo_network already added"):
        build_provider_registry(store, ManualClock(), settings)


@pytest.mark.parametrize(("spec", "problem"), [
    ("tests.integrations", "must be written module:function"),
    (":echo_network", "must be written module:function"),
    ("tests.no_such_module:plugin", "cannot be imported"),
    (f"{HERE}:no_such_function", "names no function 'no_such_function'"),
    (f"{HERE}:NOT_CALLABLE", "names no function 'NOT_CALLABLE'"),
    (f"{HERE}:not_a_mapping", "must return a mapping"),
    (f"{HERE}:misnamed", "whose network is 'something-else'"),
])
async def test_a_bad_plugin_is_a_configuration_error_naming_it(
        store: SqliteStore, settings: Settings, spec: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem) as raised:
        build_provider_registry(store, ManualClock(), with_plugins(settings, spec))

    assert raised.value.details == {"setting": "POSTFLOW_PROVIDER_PLUGINS", "plugin": spec}
    assert "POSTFLOW_PROVIDER_PLUGINS" in raised.value.message


async def test_a_bad_plugin_stops_the_runtime_from_opening(settings: Settings) -> None:
    with pytest.raises(ConfigurationError):
        await open_runtime(with_plugins(settings, f"{HERE}:replaces_sandbox"))
