"""``/postflow email``: a member sets their own address (confirmed by a mailed link) and
chooses what PostFlow mails them."""

from __future__ import annotations

from postflow.chatops.commands import run_command
from postflow.email.message import EmailSuppression, SuppressionReason
from postflow.email.preferences import DigestFrequency, EmailKind
from postflow.mailing.recipients import effective_preferences
from postflow.organizations import Member
from postflow.runtime import Runtime
from tests.postflow.chatops.conftest import Team


async def member_of(rt: Runtime, team: Team, user_id: str) -> Member:
    found = await rt.store.find_member(team.org.id, "slack", "T0001", user_id)
    assert found is not None
    return found


async def test_setting_an_address_mails_a_confirmation_and_waits_for_it(
        rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.viewer, "email set viewer@example.test")

    assert not reply.error and "confirmation link to viewer@example.test" in reply.text
    member = await member_of(rt, team, "UVIEWER")
    assert member.email is not None and not member.email.confirmed
    [mail] = await rt.store.list_outgoing_emails(team.org.id, 10)
    assert (mail.to, mail.kind) == ("viewer@example.test", "confirm_address")
    assert "List-Unsubscribe" not in mail.headers  # nobody unsubscribes from a confirmation


async def test_a_bad_address_is_refused_with_how_to_write_it(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.member, "email set not-an-address")

    assert reply.error and "name@example.com" in reply.text


async def test_a_failing_address_is_not_mailed_and_the_member_is_told(
        rt: Runtime, team: Team) -> None:
    await rt.store.suppress_email_address(EmailSuppression(
        address="gone@example.test", reason=SuppressionReason.BOUNCE, at=rt.clock.now()))

    reply = await run_command(rt, None, team.member, "email set gone@example.test")

    assert reply.error and "keeps failing" in reply.text
    assert await rt.store.list_outgoing_emails(team.org.id, 10) == []


async def test_preferences_start_from_the_role_defaults(rt: Runtime, team: Team) -> None:
    admin = await run_command(rt, None, team.admin, "email prefs")
    member = await run_command(rt, None, team.member, "email")

    assert "failed posts (failures): on" in admin.text and "digest: weekly" in admin.text
    assert "failed posts (failures): off" in member.text and "digest: none" in member.text


async def test_a_member_turns_kinds_on_and_off_and_picks_a_digest(rt: Runtime,
                                                                  team: Team) -> None:
    reply = await run_command(rt, None, team.admin,
                              "email prefs failures off security on digest daily")

    assert not reply.error and reply.text.startswith("Saved.")
    prefs = effective_preferences(await member_of(rt, team, "UADMIN"))
    assert not prefs.wants(EmailKind.FAILURES) and prefs.wants(EmailKind.SECURITY)
    assert prefs.digest is DigestFrequency.DAILY


async def test_an_unknown_kind_is_refused_with_the_kinds(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "email prefs spam on")

    assert reply.error and "failures, connections, security, billing" in reply.text


async def test_billing_stays_off_for_someone_who_is_not_an_owner(rt: Runtime,
                                                                 team: Team) -> None:
    await run_command(rt, None, team.admin, "email prefs billing on")

    assert not effective_preferences(await member_of(rt, team, "UADMIN")).wants(
        EmailKind.BILLING)


async def test_a_member_sets_the_zone_their_digest_comes_in(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "email prefs timezone Asia/Tokyo")

    assert not reply.error and "digest: weekly at 08:00 Asia/Tokyo" in reply.text
    assert (await member_of(rt, team, "UADMIN")).timezone == "Asia/Tokyo"


async def test_a_zone_that_is_not_one_is_refused(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "email prefs timezone Mars/Base")

    assert reply.error and "IANA time zone" in reply.text
    assert (await member_of(rt, team, "UADMIN")).timezone is None
