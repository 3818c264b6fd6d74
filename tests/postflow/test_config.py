"""Settings from POSTFLOW_* variables, and the secret key's life cycle."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from postflow.config import SECRET_KEY_FILE, Settings, resolve_secret_key
from postflow.errors import ConfigurationError

SECRET = "configured-secret-key-0123456789"
MONGO_PASSWORD = "hunter2-mongo-password"


def test_settings_read_postflow_prefixed_variables(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("POSTFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("POSTFLOW_HTTP_PORT", "9191")
    monkeypatch.setenv("POSTFLOW_SECRET_KEY", SECRET)

    settings = Settings()

    assert (settings.data_dir, settings.http_port) == (tmp_path, 9191)
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == SECRET


def test_variables_without_the_prefix_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PORT", "9191")

    assert Settings().http_port == 8080


def test_previous_secret_keys_are_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_PREVIOUS_SECRET_KEYS",
                       " old-key-one-0123456789 ,,old-key-two-0123456789,")

    settings = Settings()

    assert [k.get_secret_value() for k in settings.previous_secret_keys] == [
        "old-key-one-0123456789", "old-key-two-0123456789"]


def test_secret_keys_put_the_current_key_before_the_previous_ones(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SECRET,
                        previous_secret_keys="old-key-one-0123456789")

    assert settings.secret_keys() == [SECRET, "old-key-one-0123456789"]


def test_a_missing_secret_key_is_generated_into_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")

    key = resolve_secret_key(settings)

    path = tmp_path / "var" / SECRET_KEY_FILE
    assert path.read_text(encoding="utf-8").strip() == key
    assert len(key) >= 32


def test_the_generated_secret_key_file_is_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    resolve_secret_key(settings)

    assert stat.S_IMODE((tmp_path / SECRET_KEY_FILE).stat().st_mode) == 0o600


def test_the_generated_secret_key_is_reused_on_the_next_run(tmp_path: Path) -> None:
    first = resolve_secret_key(Settings(data_dir=tmp_path))

    assert resolve_secret_key(Settings(data_dir=tmp_path)) == first


def test_a_configured_secret_key_wins_over_the_file(tmp_path: Path) -> None:
    resolve_secret_key(Settings(data_dir=tmp_path))

    settings = Settings(data_dir=tmp_path, secret_key=SECRET)

    assert resolve_secret_key(settings) == SECRET


def test_mongodb_without_a_secret_key_is_a_configuration_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path,
                        mongodb_url=f"mongodb://app:{MONGO_PASSWORD}@db/")

    with pytest.raises(ConfigurationError, match="POSTFLOW_SECRET_KEY"):
        resolve_secret_key(settings)
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_the_configuration_error_does_not_show_the_mongodb_url(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path,
                        mongodb_url=f"mongodb://app:{MONGO_PASSWORD}@db/")

    with pytest.raises(ConfigurationError) as caught:
        resolve_secret_key(settings)

    assert MONGO_PASSWORD not in str(caught.value)


def test_secrets_never_appear_in_the_settings_repr(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SECRET,
                        previous_secret_keys="old-key-one-0123456789",
                        mongodb_url=f"mongodb://app:{MONGO_PASSWORD}@db/",
                        redis_url="redis://:redis-password-42@cache/0")

    shown = repr(settings) + str(settings)

    for secret in (SECRET, "old-key-one-0123456789", MONGO_PASSWORD, "redis-password-42"):
        assert secret not in shown


def test_a_generated_secret_key_never_appears_in_the_settings_repr(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    key = resolve_secret_key(settings)

    assert key not in repr(settings)


def test_base_url_defaults_to_host_and_port() -> None:
    assert Settings(http_host="0.0.0.0", http_port=81).base_url == "http://0.0.0.0:81"  # noqa: S104


def test_base_url_drops_a_trailing_slash_from_the_public_url() -> None:
    assert Settings(public_url="https://post.example/").base_url == "https://post.example"


def test_network_caps_default_to_the_built_in_ones() -> None:
    settings = Settings()

    assert (settings.network_concurrency, settings.network_concurrency_default) == (
        {"sandbox": None}, 16)


def test_network_caps_are_read_as_json_over_the_built_in_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_NETWORK_CONCURRENCY", '{"x": 4, "linkedin": null}')
    monkeypatch.setenv("POSTFLOW_NETWORK_CONCURRENCY_DEFAULT", "8")

    settings = Settings()

    assert settings.network_concurrency == {"sandbox": None, "x": 4, "linkedin": None}
    assert settings.network_concurrency_default == 8


@pytest.mark.parametrize(("value", "message"), [
    ('{"x": 0}', "at least 1"),
    ('{"x": ', "not JSON"),
    ('[4]', "dictionary"),
])
def test_a_bad_network_cap_is_refused_saying_why(monkeypatch: pytest.MonkeyPatch, value: str,
                                                 message: str) -> None:
    monkeypatch.setenv("POSTFLOW_NETWORK_CONCURRENCY", value)

    with pytest.raises(ValidationError, match=message):
        Settings()


@pytest.mark.parametrize("value", ["off", "OFF", ""])
def test_a_readiness_threshold_can_be_turned_off(monkeypatch: pytest.MonkeyPatch,
                                                 value: str) -> None:
    monkeypatch.setenv("POSTFLOW_READY_MAX_SCHEDULER_LAG_SECONDS", value)
    monkeypatch.setenv("POSTFLOW_READY_MAX_QUEUE_DEPTH", value)
    settings = Settings()
    assert settings.ready_max_scheduler_lag_seconds is None
    assert settings.ready_max_queue_depth is None


def test_readiness_thresholds_have_defaults() -> None:
    settings = Settings()
    assert (settings.ready_max_scheduler_lag_seconds, settings.ready_max_queue_depth) == (
        300.0, 10_000)
