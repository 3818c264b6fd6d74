"""The one registry of networks: ``network name -> provider``.

The built-in networks are listed here. More can be added without forking PostFlow through
``POSTFLOW_PROVIDER_PLUGINS``: each ``module:function`` named there is called with the store, the
clock and the settings and returns its own ``network -> provider`` mapping (docs/networks.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Protocol

from pydantic import SecretStr

from integrations.facebook import FacebookConfig, FacebookProvider
from integrations.linkedin import LinkedInConfig, LinkedInProvider
from integrations.sandbox import SandboxProvider
from integrations.sandbox.records import SandboxPostRecords
from integrations.x import XConfig, XProvider
from integrations.x.media import XMediaSettings
from postflow.clock import Clock
from postflow.config import Settings
from postflow.errors import ConfigurationError
from postflow.providers import Provider, ProviderRegistry
from postflow.store.port import Store

#: What a provider plugin's function looks like.
ProviderPlugin = Callable[[Store, Clock, Settings], Mapping[str, Provider]]

PLUGINS_SETTING = "POSTFLOW_PROVIDER_PLUGINS"


class StoreWithSandboxPosts(Store, SandboxPostRecords, Protocol):
    """The core store, which also keeps the sandbox network's records (SQLite and MongoDB do)."""


def build_provider_registry(store: StoreWithSandboxPosts, clock: Clock,
                            settings: Settings) -> ProviderRegistry:
    """The built-in networks plus those of the configured plugins, which may only add."""
    providers = built_in_providers(store, clock, settings)
    built_in = set(providers)
    added_by: dict[str, str] = {}
    for spec in settings.provider_plugins:
        offered = load_provider_plugin(spec)(store, clock, settings)
        if not isinstance(offered, Mapping):
            raise _plugin_error(spec, "must return a mapping of network name to provider, "
                                      f"not {type(offered).__name__}")
        for network, provider in offered.items():
            if network in built_in:
                raise _plugin_error(spec, f"may not replace the built-in network {network!r}")
            if network in added_by:
                raise _plugin_error(spec, f"adds the network {network!r}, which "
                                          f"{added_by[network]} already added")
            if getattr(provider, "network", None) != network:
                raise _plugin_error(spec, f"registers {network!r} with a provider whose "
                                          f"network is {getattr(provider, 'network', None)!r}")
            providers[network] = provider
            added_by[network] = spec
    return ProviderRegistry(providers)


def built_in_providers(store: StoreWithSandboxPosts, clock: Clock,
                       settings: Settings) -> dict[str, Provider]:
    """The sandbox, which keeps its posts in ``store``, and the networks whose app is
    configured."""
    providers: dict[str, Provider] = {
        "sandbox": SandboxProvider(store, clock, settings.base_url),
    }
    return providers | network_app_providers(clock, settings)


def network_app_providers(clock: Clock, settings: Settings, *,
                          offline: bool = False) -> dict[str, Provider]:
    """The built-in networks with an app of their own, whose app is configured. ``offline``:
    every one, those without an app built with empty credentials, fit only to validate
    (counting needs none)."""
    unset = SecretStr("")
    providers: dict[str, Provider] = {}
    if offline or (settings.x_client_id and settings.x_client_secret is not None):
        providers["x"] = XProvider(XConfig(
            client_id=settings.x_client_id or "", client_secret=settings.x_client_secret or unset,
            api_url=settings.x_api_url, authorize_url=settings.x_authorize_url,
            scopes=tuple(settings.x_scopes.split()), media=x_media_settings(settings)), clock)
    if offline or (settings.facebook_app_id and settings.facebook_app_secret is not None):
        providers["facebook"] = FacebookProvider(FacebookConfig(
            app_id=settings.facebook_app_id or "",
            app_secret=settings.facebook_app_secret or unset,
            graph_url=settings.facebook_graph_url, dialog_url=settings.facebook_dialog_url,
            api_version=settings.facebook_api_version), clock)
    if offline or (settings.linkedin_client_id and settings.linkedin_client_secret is not None):
        providers["linkedin"] = LinkedInProvider(LinkedInConfig(
            client_id=settings.linkedin_client_id or "",
            client_secret=settings.linkedin_client_secret or unset,
            api_url=settings.linkedin_api_url, auth_url=settings.linkedin_auth_url,
            api_version=settings.linkedin_api_version,
            scopes=tuple(settings.linkedin_scopes.split())), clock)
    return providers


def build_validation_registry(configured: ProviderRegistry, clock: Clock,
                              settings: Settings) -> ProviderRegistry:
    """Every network ``postflow validate`` can check offline: the ``configured`` ones (plugins
    and the sandbox too), and each built-in network whose app is not configured."""
    offline = network_app_providers(clock, settings, offline=True)
    return ProviderRegistry(offline | {n: configured.get(n) for n in configured.networks()})


def load_provider_plugin(spec: str) -> ProviderPlugin:
    """Import the function a ``module:function`` spec names."""
    module_name, colon, function_name = spec.partition(":")
    if not colon or not module_name.strip() or not function_name.strip():
        raise _plugin_error(spec, "must be written module:function, "
                                  "e.g. mycompany.postflow_networks:providers")
    try:
        module = importlib.import_module(module_name.strip())
    except ImportError as err:
        raise _plugin_error(spec, f"cannot be imported ({err})") from err
    plugin = getattr(module, function_name.strip(), None)
    if not callable(plugin):
        raise _plugin_error(spec, f"names no function {function_name.strip()!r} in "
                                  f"{module_name.strip()}")
    return plugin  # type: ignore[no-any-return]


def _plugin_error(spec: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"The provider plugin {spec!r} in {PLUGINS_SETTING} {problem}.",
                              details={"setting": PLUGINS_SETTING, "plugin": spec})


def x_media_settings(settings: Settings) -> XMediaSettings:
    """X's media limits and upload knobs from the settings (docs/configuration.md, X)."""
    return XMediaSettings(
        image_max_bytes=settings.x_image_max_bytes, gif_max_bytes=settings.x_gif_max_bytes,
        video_max_bytes=settings.x_video_max_bytes, chunk_bytes=settings.x_media_chunk_bytes,
        video_category=settings.x_video_media_category,
        processing_timeout_seconds=settings.x_media_processing_timeout_seconds,
        video_max_seconds=settings.x_video_max_seconds)
