"""Publishing a post to each of its targets, exactly once each.

For every target: record the attempt (and the target's ``current_attempt_id``) before the platform
call, call once, then close the attempt. A target found mid-publish (a worker died) is first
reconciled through the provider's ``check`` with the earlier attempt id; only a confirmed "not
published" leads to a new call, and an unanswerable check makes the target Unconfirmed.

Expiring tokens are refreshed first, once per connection however many jobs need them
(``postflow/usecases/token_refresh.py``). The runtime's gates guard the network call itself, after
its attempt is written (so a network slot is never held through a store write): a connection
cooling down after a rate limit is not called at all (its target waits for the cool-down's end;
the attempt is closed as ``not_sent`` and not counted), and calls to one network are capped.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from postflow.account_gates import CoolingDown, NetworkBusy
from postflow.attempts import AttemptOutcome, PublishAttempt, truncate_raw
from postflow.audit import AuditEvent
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import BadInput, Conflict, LimitReached, NotFound
from postflow.ids import new_id
from postflow.media import MediaUploader
from postflow.notices.events import PUBLISH_OUTCOMES
from postflow.post_status import outcome_status, revise, transition
from postflow.posts import Post, PostStatus, PostTarget, TargetStatus
from postflow.providers import (
    ErrorKind,
    Provider,
    ProviderError,
    PublishContent,
    PublishResult,
)
from postflow.runtime import Runtime
from postflow.usecases.audit_log import audit_event
from postflow.usecases.connections import account_context
from postflow.usecases.media import media_attachments
from postflow.usecases.token_refresh import (
    Refreshed,
    RefreshFailed,
    RefreshOutcome,
    Revoked,
    mark_revoked,
    refresh_once,
    token_expiring,
)

log = logging.getLogger(__name__)

DONE = (TargetStatus.PUBLISHED, TargetStatus.FAILED, TargetStatus.UNCONFIRMED)
#: A target whose account the plan paused is looked at again after this long.
PAUSED_RECHECK_SECONDS = 3600.0


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class _TargetRun:
    """What one target's turn decided: its new state, and when to try again if at all."""

    target: PostTarget
    retry_in: float | None = None
    #: The attempt of this turn, closed, to write with the target (one store trip for both).
    closed_attempt: PublishAttempt | None = None


#: Backoff jitter for every job: seeding a generator per job costs more than the job's math.
_JITTER = random.Random()


class PostPublisher:
    """Runs one publish job for one post. ``rng`` is injectable for tests."""

    def __init__(self, rt: Runtime, rng: random.Random | None = None) -> None:
        self.rt = rt
        self.rng = rng or _JITTER
        #: Refreshes that failed for now in this job, so a target is not refreshed twice in a row.
        self._refresh_failures: dict[str, ProviderError] = {}
        #: The post's version in the store, and the events of this job not written yet.
        self._stored_version = 0
        self._unsaved_events: list[AuditEvent] = []

    async def run(self, org_id: str, post_id: str, *, expected_version: int | None,
                  trigger: str) -> Post | None:
        """Publish if the post is still Queued at ``expected_version``; else do nothing.

        Returns the post as left, or None when the job was stale (edited, canceled, or taken by
        another worker).
        """
        try:
            post = await self.rt.store.get_post(org_id, post_id)
        except NotFound:
            log.info("publish job for missing post %s dropped", post_id)
            return None
        if post.status is not PostStatus.QUEUED:
            return None
        if expected_version is not None and post.version != expected_version:
            return None
        if await self._organization_suspended(post):
            return await self._hold_for_suspension(post)
        self._refresh_failures = {}
        # Publishing travels with the job's first write (the first attempt, recorded before its
        # call, or the final status): the compare-and-swap on the Queued version in that write
        # is what makes this job the only one acting on the post, before any platform call.
        self._stored_version = post.version
        self._unsaved_events = [audit_event(
            self.rt, post.org_id, "worker", "post.status_changed", post.id,
            **{"from": post.status.value, "to": PostStatus.PUBLISHING.value,
               "reason": f"trigger: {trigger}"})]
        post = transition(post, PostStatus.PUBLISHING, at=self.rt.clock.now())
        retry_delays: list[float] = []
        to_publish = [t.connection_id for t in post.targets if t.status not in DONE]
        last: _TargetRun | None = None
        for number, connection_id in enumerate(to_publish, start=1):
            stepped = await self._publish_target(post, post.target(connection_id), trigger)
            if stepped is None:
                return None
            post, run = stepped
            if run.retry_in is not None:
                retry_delays.append(run.retry_in)
            if number == len(to_publish):
                last = run  # written with the post's final status: one write for both
                break
            updated = await self._save(post, self._with_target(post, run.target),
                                       attempt=run.closed_attempt)
            if updated is None:
                return None
            post = updated
        return await self._finish(post, retry_delays, last)

    async def _organization_suspended(self, post: Post) -> bool:
        org = await self.rt.store.get_organization(post.org_id)
        return org.suspension is not None

    async def _hold_for_suspension(self, post: Post) -> Post | None:
        """A post claimed just before its organization was suspended goes back to Scheduled
        at its time, untouched: the scheduler leaves it out until the organization is
        resumed."""
        held = transition(post, PostStatus.SCHEDULED, at=self.rt.clock.now(),
                          reason="waiting: the organization is suspended",
                          due_at=post.due_at or self.rt.clock.now())
        try:
            await self.rt.store.replace_post(held, expected_version=post.version, audit=[
                audit_event(self.rt, post.org_id, "worker", "post.status_changed", post.id,
                            **{"from": post.status.value, "to": held.status.value,
                               "reason": held.status_reason})])
        except Conflict:
            return None
        return held

    # -- one target ---------------------------------------------------------------------------

    async def _publish_target(self, post: Post, target: PostTarget,
                              trigger: str) -> tuple[Post, _TargetRun] | None:
        """Publish to one target; returns the post as stored and the target's new state, or
        None when the post changed under us."""
        try:
            connection = await self.rt.store.get_connection(post.org_id, target.connection_id)
        except NotFound:
            return post, _TargetRun(self._failed(target, ErrorKind.RECONNECT,
                                                 "The account was removed from PostFlow."))
        if connection.status is ConnectionStatus.DISCONNECTED:
            return post, _TargetRun(self._failed(
                target, ErrorKind.RECONNECT, "The account was disconnected from PostFlow; "
                "reconnect it, then publish this post again."))
        if connection.status is not ConnectionStatus.ACTIVE:
            return post, _TargetRun(self._failed(target, ErrorKind.RECONNECT,
                                                 "The account must be reconnected."))
        if connection.paused_by_plan:
            return post, self._paused(target)
        if token_expiring(connection, self.rt.clock.now()):
            # A cooling account is not even refreshed (acquire checks it again below).
            cooling = await self._cooling(target, connection)
            if cooling is not None:
                return post, cooling
            outcome = await self._refresh(connection)
            if isinstance(outcome, Revoked):
                return post, _TargetRun(self._failed(target, ErrorKind.RECONNECT,
                                                     outcome.message))
            if isinstance(outcome, Refreshed):
                connection = outcome.connection
            # On a failure for now, call with the tokens as they are: the network is the judge,
            # and its refusal is a recorded attempt, so retries stay bounded.
        provider = self.rt.providers.get(connection.network)
        if target.status is TargetStatus.PUBLISHING and target.current_attempt_id:
            # A cut-off attempt is settled first; its check is a network call, so it takes a
            # slot too.
            try:
                async with self.rt.gates.acquire(connection.network,
                                                 connection_id=connection.id):
                    reconciled = await self._reconcile(post, target, provider, connection)
            except (CoolingDown, NetworkBusy) as held:
                return post, self._held_back(post, target, held)
            if reconciled is not None:
                return post, reconciled
        return await self._call_network(post, target, trigger, connection, provider)

    async def _call_network(self, post: Post, target: PostTarget, trigger: str,
                            connection: Connection,
                            provider: Provider) -> tuple[Post, _TargetRun] | None:
        """Record a new attempt, then publish once with a slot of the network.

        The attempt is written before the slot is taken, so a slot is held for the network call
        only, never for a store write. When the gates hold the call back (the account cools
        down, or every slot stays taken), the attempt is closed as not sent and does not count.
        """

        try:
            content = await self._content(post, connection.network, provider)
        except (BadInput, NotFound, LimitReached) as err:
            return post, _TargetRun(self._failed(
                target, ErrorKind.BAD_INPUT, f"The post's media could not be used: {err.message}"))
        except Exception as err:  # the media store is out of reach: try again later
            log.warning("media of post %s could not be read: %s", post.id, type(err).__name__)
            return post, self._retry_or_fail(target, ProviderError(
                ErrorKind.RETRY_AFTER, "PostFlow could not read the post's media.",
                retry_after=self.rt.settings.retry_base_seconds))

        attempt = PublishAttempt(
            id=new_id("att"), org_id=post.org_id, post_id=post.id,
            connection_id=connection.id, network=connection.network, trigger=trigger,
            started_at=self.rt.clock.now())
        before = target  # what the target goes back to if the gates hold the call back
        target = target.model_copy(update={
            "status": TargetStatus.PUBLISHING, "current_attempt_id": attempt.id,
            "attempt_count": target.attempt_count + 1})
        # The attempt is recorded with the target that names it, before the call, or not at all
        # (the post changed under us: nothing was called, nothing to record).
        saved = await self._save(post, self._with_target(post, target), attempt=attempt)
        if saved is None:
            return None

        try:
            async with self.rt.gates.acquire(connection.network, connection_id=connection.id):
                try:
                    result = await provider.publish(account_context(self.rt, connection),
                                                    content, idempotency_key=attempt.id)
                except ProviderError as err:
                    return saved, await self._on_error(saved, target, attempt, err, provider,
                                                       connection)
                except Exception as err:  # a bug or a fault after sending: outcome unknown
                    log.exception("provider %s raised unexpectedly", connection.network)
                    unknown = ProviderError(ErrorKind.UNKNOWN,
                                            "The network call ended unexpectedly.",
                                            raw=type(err).__name__)
                    return saved, await self._on_error(saved, target, attempt, unknown,
                                                       provider, connection)
        except (CoolingDown, NetworkBusy) as held:
            pending = before.model_copy(update={"status": TargetStatus.PENDING})
            return saved, self._not_sent(attempt, self._held_back(saved, pending, held))
        return saved, _TargetRun(self._published(target, result), closed_attempt=self._closed(
            attempt, AttemptOutcome.PUBLISHED, result=result))

    async def _content(self, post: Post, network: str, provider: Provider) -> PublishContent:
        """What to publish on ``network``; a provider that uploads media also gets the stored
        media (those never stored, e.g. after an edit, are fetched and stored now)."""
        media = (await media_attachments(self.rt, post.media, (network,), org_id=post.org_id)
                 if post.media and isinstance(provider, MediaUploader) and provider.uploads_media
                 else ())
        return PublishContent(text=post.text_for(network),
                              media_urls=tuple(m.url for m in post.media), media=media)

    async def _reconcile(self, post: Post, target: PostTarget, provider: Provider,
                         connection: Connection) -> _TargetRun | None:
        """Settle an attempt that was cut off; None means "not published, go ahead"."""
        attempt_id = target.current_attempt_id or ""
        earlier = next((a for a in await self.rt.store.list_attempts(post.org_id, post.id)
                        if a.id == attempt_id), None)
        if (earlier is not None and earlier.platform_post_id is not None
                and earlier.outcome in (AttemptOutcome.PUBLISHED, AttemptOutcome.RECONCILED)):
            # The worker recorded the platform's answer, then stopped before saving the post.
            return _TargetRun(self._published(target, PublishResult(
                platform_post_id=earlier.platform_post_id, url=earlier.url)))
        try:
            found = await provider.check(account_context(self.rt, connection),
                                         idempotency_key=attempt_id)
        except ProviderError as err:
            if err.kind is ErrorKind.RETRY_AFTER:
                # The check itself was throttled: ask again later, still without publishing.
                await self._cool_down(connection, err.retry_after)
                delay = backoff_seconds(target.attempt_count, self.rt.settings.retry_base_seconds,
                                        self.rt.settings.retry_max_seconds, self.rng)
                return _TargetRun(target, retry_in=max(delay, err.retry_after or 0.0))
            if earlier is not None and earlier.outcome is AttemptOutcome.PENDING:
                await self._close(earlier, AttemptOutcome.UNCONFIRMED, error=err)
            return _TargetRun(target.model_copy(update={
                "status": TargetStatus.UNCONFIRMED, "error_kind": ErrorKind.UNKNOWN.value,
                "error_message": "A publish was cut off and the network cannot tell whether it "
                                 "went out. Check the account, then mark it published or retry."}))
        if found is not None:
            if earlier is not None and earlier.outcome is AttemptOutcome.PENDING:
                await self._close(earlier, AttemptOutcome.RECONCILED, result=found)
            return _TargetRun(self._published(target, found))
        if earlier is not None and earlier.outcome is AttemptOutcome.PENDING:
            await self._close(earlier, AttemptOutcome.RETRY, error=ProviderError(
                ErrorKind.RETRY_AFTER, "Cut off before the network published it."))
        return None

    async def _on_error(self, post: Post, target: PostTarget, attempt: PublishAttempt,
                        err: ProviderError, provider: Provider,
                        connection: Connection) -> _TargetRun:
        if err.kind is ErrorKind.UNKNOWN:
            reconciled = await self._reconcile(post, target, provider, connection)
            if reconciled is not None:
                return reconciled
            return self._retry_or_fail(target, err)
        await self._close(attempt, AttemptOutcome.FAILED if err.kind in (
            ErrorKind.BAD_INPUT, ErrorKind.RECONNECT) else AttemptOutcome.RETRY, error=err)
        if err.kind is ErrorKind.BAD_INPUT:
            return _TargetRun(self._failed(target, err.kind, err.message, err.platform_code))
        if err.kind is ErrorKind.RECONNECT:
            await mark_revoked(self.rt, connection, err.message)
            return _TargetRun(self._failed(target, err.kind, err.message, err.platform_code))
        if err.kind is ErrorKind.RETRY_AFTER:
            await self._cool_down(connection, err.retry_after)
        if err.kind is ErrorKind.REFRESH_TOKEN:
            outcome = await self._refresh(connection)
            if isinstance(outcome, Revoked):
                return _TargetRun(self._failed(target, ErrorKind.RECONNECT, outcome.message))
            if isinstance(outcome, RefreshFailed):
                return self._retry_or_fail(target, outcome.error)
            # Fresh tokens: due again at once (no attempt was spent on the platform's side).
            err = ProviderError(ErrorKind.REFRESH_TOKEN, err.message, retry_after=0)
        return self._retry_or_fail(target, err)

    # -- gates ----------------------------------------------------------------------------------

    async def _cooling(self, target: PostTarget, connection: Connection) -> _TargetRun | None:
        """The target's turn if its connection is cooling down (no call, no attempt), else None."""
        until = await self.rt.gates.cooling_until(connection.id)
        if until is None or until <= self.rt.clock.now():
            return None
        return self._waiting(target, until)

    def _held_back(self, post: Post, target: PostTarget,
                   held: CoolingDown | NetworkBusy) -> _TargetRun:
        """The target's turn when the gates did not let its call go out."""
        if isinstance(held, CoolingDown):
            return self._waiting(target, held.until)
        log.info("target %s of post %s waits: %s", target.connection_id, post.id, held)
        return _TargetRun(target.model_copy(update={
            "error_kind": ErrorKind.RETRY_AFTER.value, "error_message": str(held)}),
            retry_in=backoff_seconds(1, self.rt.settings.retry_base_seconds,
                                     self.rt.settings.retry_max_seconds, self.rng))

    def _not_sent(self, attempt: PublishAttempt, run: _TargetRun) -> _TargetRun:
        """``run`` (the target as it was before ``attempt``, so the attempt is not counted) with
        the recorded ``attempt``, which never reached the network, closed as not sent."""
        return dataclasses.replace(run, closed_attempt=self._closed(
            attempt, AttemptOutcome.NOT_SENT, error=ProviderError(
                ErrorKind.RETRY_AFTER, f"Not sent: {run.target.error_message}")))

    def _paused(self, target: PostTarget) -> _TargetRun:
        """The target's turn while its account is paused by the plan (billing): it waits,
        looked at again later, and is held back with its post at the next plan pass."""
        waiting = target.model_copy(update={
            "error_kind": ErrorKind.RETRY_AFTER.value,
            "error_message": "The account is paused: the plan allows fewer connected accounts."})
        return _TargetRun(waiting, retry_in=PAUSED_RECHECK_SECONDS)

    def _waiting(self, target: PostTarget, until: datetime) -> _TargetRun:
        """The target's turn while its connection cools down until ``until``."""
        waiting = target.model_copy(update={
            "error_kind": ErrorKind.RETRY_AFTER.value,
            "error_message": f"The network asked to slow down for this account until "
                             f"{until:%Y-%m-%d %H:%M:%S} UTC."})
        return _TargetRun(waiting, retry_in=(until - self.rt.clock.now()).total_seconds())

    async def _cool_down(self, connection: Connection, retry_after: float | None) -> None:
        """Hold every call to the connection until the platform's ``Retry-After`` has passed."""
        if retry_after is None or retry_after <= 0:
            return
        await self.rt.gates.cool_down(
            connection.id, self.rt.clock.now() + timedelta(seconds=retry_after))

    async def _refresh(self, connection: Connection) -> RefreshOutcome:
        """Single-flight refresh; a failure for now is not tried again within this job."""
        failed = self._refresh_failures.get(connection.id)
        if failed is not None:
            return RefreshFailed(failed)
        outcome = await refresh_once(self.rt, connection)
        if isinstance(outcome, RefreshFailed):
            self._refresh_failures[connection.id] = outcome.error
        return outcome

    def _retry_or_fail(self, target: PostTarget, err: ProviderError) -> _TargetRun:
        settings = self.rt.settings
        if target.attempt_count >= settings.publish_max_attempts:
            return _TargetRun(self._failed(
                target, err.kind, f"Gave up after {target.attempt_count} attempts: {err.message}",
                err.platform_code))
        delay = backoff_seconds(target.attempt_count, settings.retry_base_seconds,
                                settings.retry_max_seconds, self.rng)
        if err.retry_after is not None:
            delay = max(delay, err.retry_after) if err.retry_after > 0 else 0.0
        pending = target.model_copy(update={
            "status": TargetStatus.PENDING, "error_kind": err.kind.value,
            "error_message": err.message, "error_code": err.platform_code})
        return _TargetRun(pending, retry_in=delay)

    # -- helpers --------------------------------------------------------------------------------

    def _published(self, target: PostTarget, result: PublishResult) -> PostTarget:
        return target.model_copy(update={
            "status": TargetStatus.PUBLISHED, "platform_post_id": result.platform_post_id,
            "url": result.url, "published_at": self.rt.clock.now(), "error_kind": None,
            "error_message": None, "error_code": None})

    @staticmethod
    def _failed(target: PostTarget, kind: ErrorKind, message: str,
                code: str | None = None) -> PostTarget:
        return target.model_copy(update={"status": TargetStatus.FAILED,
                                         "error_kind": kind.value, "error_message": message,
                                         "error_code": code})

    @staticmethod
    def _with_target(post: Post, target: PostTarget) -> list[PostTarget]:
        return [target if t.connection_id == target.connection_id else t for t in post.targets]

    async def _save(self, post: Post, change: Post | list[PostTarget], *,
                    audit: list[AuditEvent] | None = None,
                    attempt: PublishAttempt | None = None) -> Post | None:
        """Write a new version of ``post`` (or of its targets) with ``audit`` events and
        ``attempt`` (see ``Store.replace_post``), and what of the job is not written yet (its
        move to Publishing); None if someone else wrote first."""
        new = (change if isinstance(change, Post)
               else revise(post, at=self.rt.clock.now(), targets=change))
        try:
            await self.rt.store.replace_post(
                new, expected_version=self._stored_version,
                audit=[*self._unsaved_events, *(audit or ())], attempt=attempt)
        except Conflict:
            log.info("post %s changed under the publisher; leaving it", post.id)
            if attempt is not None and attempt.outcome is not AttemptOutcome.PENDING:
                # The platform answered: keep its answer on the attempt even so.
                await self._finish_attempt(attempt)
            return None
        self._stored_version, self._unsaved_events = new.version, []
        return new

    async def _close(self, attempt: PublishAttempt, outcome: AttemptOutcome, *,
                     result: PublishResult | None = None,
                     error: ProviderError | None = None) -> None:
        await self._finish_attempt(self._closed(attempt, outcome, result=result, error=error))

    async def _finish_attempt(self, closed: PublishAttempt) -> None:
        try:
            await self.rt.store.finish_attempt(closed)
        except Conflict:
            log.warning("attempt %s was already closed", closed.id)

    def _closed(self, attempt: PublishAttempt, outcome: AttemptOutcome, *,
                result: PublishResult | None = None,
                error: ProviderError | None = None) -> PublishAttempt:
        now = self.rt.clock.now()
        self.rt.telemetry.publish_attempt_closed(
            attempt.network, outcome.value, max(0.0, (now - attempt.started_at).total_seconds()))
        return attempt.model_copy(update={
            "finished_at": now, "outcome": outcome,
            "platform_post_id": result.platform_post_id if result else None,
            "url": result.url if result else None,
            "error_kind": error.kind.value if error else None,
            "error_message": error.message if error else None,
            "error_code": error.platform_code if error else None,
            "raw_response": truncate_raw(result.raw if result else error.raw if error else None)})

    async def _finish(self, post: Post, retry_delays: list[float],
                      last: _TargetRun | None) -> Post | None:
        """Give the post the status its targets add up to, in one write with the last target's
        turn (its new state and closed attempt) and the audit event."""
        now = self.rt.clock.now()
        targets = post.targets if last is None else self._with_target(post, last.target)
        final = outcome_status(targets)
        if final is None:
            due: datetime = now + timedelta(seconds=min(retry_delays, default=0.0))
            pending = [t for t in targets if t.status is TargetStatus.PENDING]
            for target in pending:
                self.rt.telemetry.publish_retry_scheduled(target.network)
            reason = f"retrying: {pending[0].error_message}" if pending else "retrying"
            new = transition(post, PostStatus.SCHEDULED, at=now, reason=reason, due_at=due,
                             targets=targets)
        else:
            failed = [t for t in targets if t.status is not TargetStatus.PUBLISHED]
            reason = failed[0].error_message or "" if failed else ""
            new = transition(post, final, at=now, reason=reason, targets=targets)
        saved = await self._save(post, new, audit=[audit_event(
            self.rt, post.org_id, "worker", "post.status_changed", post.id,
            **{"from": post.status.value, "to": new.status.value,
               "reason": new.status_reason})],
            attempt=None if last is None else last.closed_attempt)
        if saved is not None:
            await self._notify_outcome(saved)
        return saved

    async def _notify_outcome(self, post: Post) -> None:
        """Tell people how a finished publish ended; the outcome is already stored, so a
        notice that fails is only logged."""
        notice = PUBLISH_OUTCOMES.get(post.status)
        if notice is not None:
            await self.rt.notices.notify(notice(post))
