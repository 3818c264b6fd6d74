"""Rotating the secret key: ``reseal_all`` moves every sealed secret to the newest key, so the
old key can be dropped without losing a token, a bot token or a signing secret."""

from __future__ import annotations

import dataclasses

import pytest

from postflow.chat_installations import ChatInstallation
from postflow.ids import new_id
from postflow.organizations import Organization
from postflow.providers import ConnectedAccount, TokenSet
from postflow.runtime import Runtime
from postflow.token_vault import TokenVault, VaultError
from postflow.usecases.connections import add_connection, open_tokens
from postflow.usecases.hooks import create_hook, rotate_hook_secret
from postflow.usecases.organizations import create_organization
from postflow.usecases.secret_keys import reseal_all
from postflow.usecases.webhook_endpoints import add_webhook_endpoint
from tests.conftest import TEST_SECRET_KEY

NEW_SECRET_KEY = "rotated-secret-key-0123456789abc"
BOT_TOKEN = "xoxb-plain-789"


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


def rotated(rt: Runtime) -> Runtime:
    """The runtime after step 1 of a rotation: the new key first, the old one still read."""
    return dataclasses.replace(rt, vault=TokenVault([NEW_SECRET_KEY, TEST_SECRET_KEY]))


def new_key_only(rt: Runtime) -> Runtime:
    """The runtime after step 3: the old key dropped."""
    return dataclasses.replace(rt, vault=TokenVault([NEW_SECRET_KEY]))


async def install_chat_app(rt: Runtime, org_id: str, *, platform: str = "slack",
                           workspace_id: str = "T1", bot_token: str = BOT_TOKEN,
                           ) -> ChatInstallation:
    now = rt.clock.now()
    installation = ChatInstallation(
        id=new_id("inst"), platform=platform, workspace_id=workspace_id, org_id=org_id,
        sealed_bot_token=rt.vault.seal(bot_token) if bot_token else "",
        installed_at=now, updated_at=now)
    await rt.store.save_chat_installation(installation)
    return installation


async def test_reseal_moves_connection_tokens_to_the_new_key(rt: Runtime,
                                                            org: Organization) -> None:
    tokens = TokenSet.model_validate({"access_token": "access-plain-123"})
    connection = await add_connection(
        rt, org.id, "sandbox", ConnectedAccount(account_id="a1", display_name="A", tokens=tokens),
        actor="cli")

    await reseal_all(rotated(rt))

    stored = await rt.store.get_connection(org.id, connection.id)
    assert open_tokens(new_key_only(rt), stored).access_token.get_secret_value() == \
        "access-plain-123"


async def test_reseal_moves_both_secrets_of_a_rotating_hook(rt: Runtime,
                                                           org: Organization) -> None:
    created = await create_hook(rt, org.id, "CI", actor="cli")
    turned = await rotate_hook_secret(rt, org.id, created.hook.id, actor="cli")

    await reseal_all(rotated(rt))

    hook = await rt.store.find_hook(created.hook.id)
    assert hook is not None and hook.sealed_previous_secret is not None
    vault = new_key_only(rt).vault
    assert (vault.open(hook.sealed_secret), vault.open(hook.sealed_previous_secret)) == (
        turned.secret, created.secret)


async def test_reseal_moves_chat_app_bot_tokens_to_the_new_key(rt: Runtime,
                                                              org: Organization) -> None:
    await install_chat_app(rt, org.id, workspace_id="T1", bot_token="xoxb-plain-789")

    await reseal_all(rotated(rt))

    stored = await rt.store.find_chat_installation("slack", "T1")
    assert stored is not None
    assert new_key_only(rt).vault.open(stored.sealed_bot_token) == "xoxb-plain-789"


async def test_reseal_leaves_installations_without_a_bot_token_as_they_are(
        rt: Runtime, org: Organization) -> None:
    removed = await install_chat_app(rt, org.id, workspace_id="T2", bot_token="")
    discord = await install_chat_app(rt, org.id, platform="discord", workspace_id="G1",
                                     bot_token="")

    assert await reseal_all(rotated(rt)) == 0

    assert await rt.store.find_chat_installation("slack", "T2") == removed
    assert await rt.store.find_chat_installation("discord", "G1") == discord


async def test_reseal_moves_webhook_endpoint_secrets_to_the_new_key(rt: Runtime,
                                                                   org: Organization) -> None:
    created = await add_webhook_endpoint(rt, org.id, "https://hooks.example.com/postflow",
                                         ["post.published"], actor="cli")

    await reseal_all(rotated(rt))

    stored = await rt.store.get_webhook_endpoint(org.id, created.endpoint.id)
    assert new_key_only(rt).vault.open(stored.sealed_secret) == created.secret


async def test_reseal_counts_every_record_it_resealed(rt: Runtime, org: Organization) -> None:
    await add_connection(rt, org.id, "sandbox", ConnectedAccount(
        account_id="a1", display_name="A",
        tokens=TokenSet.model_validate({"access_token": "x"})), actor="cli")
    await create_hook(rt, org.id, "CI", actor="cli")
    await install_chat_app(rt, org.id)
    await add_webhook_endpoint(rt, org.id, "https://hooks.example.com/postflow",
                               ["post.published"], actor="cli")

    assert await reseal_all(rotated(rt)) == 4


async def test_after_reseal_the_old_key_alone_opens_no_bot_token(rt: Runtime,
                                                                 org: Organization) -> None:
    await install_chat_app(rt, org.id)

    await reseal_all(rotated(rt))

    stored = await rt.store.find_chat_installation("slack", "T1")
    assert stored is not None
    with pytest.raises(VaultError):
        rt.vault.open(stored.sealed_bot_token)
