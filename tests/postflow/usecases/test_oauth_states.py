"""OAuth states: signed, short-lived, single-use."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic import SecretStr

from postflow.errors import Unauthorized
from postflow.runtime import Runtime
from postflow.usecases.oauth_states import STATE_TTL, issue_state, redeem_state
from tests.fakes.clock import ManualClock


async def test_a_state_is_accepted_once(rt: Runtime) -> None:
    state = issue_state(rt, "slack-install")

    await redeem_state(rt, state, "slack-install")
    with pytest.raises(Unauthorized, match="already used"):
        await redeem_state(rt, state, "slack-install")


async def test_an_expired_state_is_refused(rt: Runtime, clock: ManualClock) -> None:
    state = issue_state(rt, "slack-install")
    clock.advance(STATE_TTL.total_seconds() + 1)

    with pytest.raises(Unauthorized, match="expired"):
        await redeem_state(rt, state, "slack-install")


@pytest.mark.parametrize("forge", [
    lambda s: s[:-1] + ("0" if s[-1] != "0" else "1"),  # signature changed
    lambda s: s.split(".")[0] + ".9999999999." + s.split(".")[2],  # expiry pushed back
    lambda s: "nonsense",
    lambda s: "",
])
async def test_a_forged_state_is_refused(rt: Runtime, forge: object) -> None:
    state = issue_state(rt, "slack-install")

    with pytest.raises(Unauthorized, match="not valid"):
        await redeem_state(rt, forge(state), "slack-install")  # type: ignore[operator]


async def test_a_state_for_another_purpose_is_refused(rt: Runtime) -> None:
    state = issue_state(rt, "other")

    with pytest.raises(Unauthorized, match="not valid"):
        await redeem_state(rt, state, "slack-install")


def rotated(rt: Runtime, *, keep_old: bool) -> Runtime:
    """``rt`` after a new secret key came in, with or without the old one among the previous."""
    assert rt.settings.secret_key is not None
    return replace(rt, settings=rt.settings.model_copy(update={
        "secret_key": SecretStr("a-new-secret-key-0123456789"),
        "previous_secret_keys": [rt.settings.secret_key] if keep_old else []}))


async def test_a_state_issued_before_a_key_rotation_is_accepted_after_it(rt: Runtime) -> None:
    state = issue_state(rt, "slack-install")

    redeemed = await redeem_state(rotated(rt, keep_old=True), state, "slack-install")

    assert redeemed.state_id


async def test_a_state_signed_with_a_key_no_longer_configured_is_refused(rt: Runtime) -> None:
    state = issue_state(rt, "slack-install")

    with pytest.raises(Unauthorized, match="not valid"):
        await redeem_state(rotated(rt, keep_old=False), state, "slack-install")
