"""Token health against the fake LinkedIn: refresh before expiry, warnings 7/3/1 days before an
unrefreshable grant ends (once each), and a reconnect mark with one notice when it has ended."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from postflow.config import Settings
from postflow.connections import Connection, ConnectionStatus
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import open_tokens
from postflow.usecases.oauth_connect import save_connected_account
from postflow.usecases.organizations import create_organization
from postflow.usecases.token_health import check_token_health
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.linkedin_api import FakeLinkedIn, linkedin_settings_fields, running_fake_linkedin
from tests.fakes.recording_notifier import RecordingNotifier

DAY = 24 * 3600.0


@pytest.fixture
async def fake_linkedin() -> AsyncIterator[FakeLinkedIn]:
    async with running_fake_linkedin() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, fake_linkedin: FakeLinkedIn) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    **linkedin_settings_fields(fake_linkedin, pages=False))


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def rt(rt: Runtime, notifier: RecordingNotifier) -> Runtime:
    """The runtime telling ``notifier``."""
    return dataclasses.replace(rt, notices=notifier)


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="test")


async def connect_member(rt: Runtime, org: Organization, fake: FakeLinkedIn) -> Connection:
    """Connect the member the way the hub does: consent code -> exchange -> store."""
    code = "AQT-test"
    fake.codes[code] = ["openid", "profile", "w_member_social"]
    account = await rt.providers.get("linkedin").exchange_code(
        code=code, redirect_uri="http://127.0.0.1:8080/oauth/linkedin/callback",
        code_verifier="")
    connection, _ = await save_connected_account(rt, org.id, "linkedin", account, actor="cli")
    return connection


async def current(rt: Runtime, connection: Connection) -> Connection:
    return await rt.store.get_connection(connection.org_id, connection.id)


async def test_a_partner_token_is_refreshed_before_it_expires_and_the_success_recorded(
        rt: Runtime, org: Organization, fake_linkedin: FakeLinkedIn, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    fake_linkedin.partner = True
    connection = await connect_member(rt, org, fake_linkedin)
    old = open_tokens(rt, connection).access_token.get_secret_value()
    clock.advance(60 * DAY - 20 * 60)  # 20 minutes before the 60 days end

    report = await check_token_health(rt)

    fresh = await current(rt, connection)
    assert report.refreshed == 1
    assert open_tokens(rt, fresh).access_token.get_secret_value() != old
    assert fresh.token_expires_at == clock.now() + timedelta(days=60)
    assert fresh.last_refresh_at == clock.now() and fresh.last_refresh_error is None
    assert notifier.expiring == []


async def test_a_token_far_from_its_end_is_left_alone(
        rt: Runtime, org: Organization, fake_linkedin: FakeLinkedIn, clock: ManualClock) -> None:
    fake_linkedin.partner = True
    connection = await connect_member(rt, org, fake_linkedin)
    clock.advance(DAY)

    report = await check_token_health(rt)

    assert report.refreshed == 0
    assert len(fake_linkedin.token_requests) == 1  # the exchange only
    assert (await current(rt, connection)).last_refresh_at is None


async def test_a_failed_refresh_is_recorded_and_the_connection_stays_active(
        rt: Runtime, org: Organization, fake_linkedin: FakeLinkedIn, clock: ManualClock) -> None:
    fake_linkedin.partner = True
    connection = await connect_member(rt, org, fake_linkedin)
    clock.advance(60 * DAY - 10 * 60)
    fake_linkedin.client_secret = "rotated"  # PostFlow's credentials are refused

    report = await check_token_health(rt)

    after = await current(rt, connection)
    assert report.refresh_failed == 1
    assert after.status is ConnectionStatus.ACTIVE
    assert "POSTFLOW_LINKEDIN_CLIENT_ID" in (after.last_refresh_error or "")
    assert after.last_refresh_error_at == clock.now()


async def test_warnings_go_out_at_7_3_and_1_days_once_each(
        rt: Runtime, org: Organization, fake_linkedin: FakeLinkedIn, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    connection = await connect_member(rt, org, fake_linkedin)
    end = connection.token_expires_at
    assert end is not None

    for days_before in (8, 7, 6.9, 5, 3, 2.5, 1, 0.5):
        clock.set(end - timedelta(days=days_before))
        await check_token_health(rt)
        await check_token_health(rt)

    assert notifier.expiring == [(connection.id, 7), (connection.id, 3), (connection.id, 1)]
    after = await current(rt, connection)
    assert after.reconnect_by == end and after.expiry_warnings_sent == [7, 3, 1]
    assert after.status is ConnectionStatus.ACTIVE and notifier.reconnects == []


async def test_a_connection_first_seen_late_gets_one_warning(
        rt: Runtime, org: Organization, fake_linkedin: FakeLinkedIn, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    connection = await connect_member(rt, org, fake_linkedin)
    assert connection.token_expires_at is not None
    clock.set(connection.token_expires_at - timedelta(days=2))

    await check_token_health(rt)
    await check_token_health(rt)

    assert notifier.expiring == [(connection.id, 2)]


async def test_an_ended_unrefreshable_token_marks_the_connection_with_one_notice(
        rt: Runtime, org: Organization, fake_linkedin: FakeLinkedIn, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    connection = await connect_member(rt, org, fake_linkedin)
    clock.advance(60 * DAY + 60)

    first = await check_token_health(rt)
    await check_token_health(rt)

    after = await current(rt, connection)
    assert first.expired == 1
    assert after.status is ConnectionStatus.NEEDS_RECONNECT
    assert [c.id for c in notifier.reconnects] == [connection.id]
    assert "cannot be renewed" in (after.last_refresh_error or "")
    assert len(fake_linkedin.token_requests) == 1  # no refresh was tried


async def test_reconnecting_starts_the_warnings_over(
        rt: Runtime, org: Organization, fake_linkedin: FakeLinkedIn, clock: ManualClock,
        notifier: RecordingNotifier) -> None:
    connection = await connect_member(rt, org, fake_linkedin)
    assert connection.token_expires_at is not None
    clock.set(connection.token_expires_at - timedelta(days=6))
    await check_token_health(rt)

    await connect_member(rt, org, fake_linkedin)  # a new 60-day grant
    clock.advance(54 * DAY)
    await check_token_health(rt)

    assert notifier.expiring == [(connection.id, 6), (connection.id, 6)]
    assert (await current(rt, connection)).expiry_warnings_sent == [7]
