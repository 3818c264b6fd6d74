"""The composer: a post drafted in a chat form (a Slack modal), as plain data.

The adapter reads the form into a :class:`ComposerState`; this module says what the form offers
(:func:`composer_choices`), counts the text per network the way each provider counts it
(:func:`network_counts`), turns the state into a :class:`PostRequest` with every problem keyed by
the form field it belongs to (:class:`ComposerInvalid`), and submits it (:func:`submit_composer`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import StrEnum

from postflow.chatops.callers import Membership
from postflow.chatops.formatting import channel_mention, local_time
from postflow.chatops.permissions import Permission, allows, require
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import BadInput, Forbidden, PostFlowError
from postflow.local_time import ResolvedTime, resolve_local_time
from postflow.media import MEDIA_KINDS
from postflow.posts import Post, PostSource, PostStatus
from postflow.providers import PublishContent
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.text_caps import validate_within_cap
from postflow.usecases.dispatch import claim_and_enqueue
from postflow.usecases.media import check_media_count, media_size_limits, uploads_media
from postflow.usecases.submit_post import MAX_AHEAD, PostRequest, submit_post

#: The form's fields; the Slack modal uses them as block ids, so errors land under the field.
TEXT = "text"
TARGETS = "targets"
MEDIA = "media"
#: Files uploaded in the form (stored by the adapter before the post is submitted).
MEDIA_FILES = "media_files"
#: At most this many uploads: the smallest per-post media count of the networks (X: 4 images).
MAX_UPLOADS = 4
WHEN = "when"
DATE = "date"
TIME = "time"
MODE = "mode"
VARIANT_PREFIX = "variant_"
#: Problem codes of a provider's report that are about the media, not the text.
MEDIA_CODES = frozenset({
    "too_many_media", "bad_media_url", "invalid_media_url", "media_not_supported", "media_mix",
    "media_too_large", "media_type", "unsupported_media_type", "image_too_large",
    "video_not_supported", "media_not_stored", "video_too_long", "video_too_short",
    "video_too_large", "video_too_small", "video_aspect_ratio", "video_dimensions"})


def variant_field(network: str) -> str:
    """The field holding ``network``'s own text: ``variant_x``."""
    return f"{VARIANT_PREFIX}{network}"


@dataclass(frozen=True)
class UploadedFile:
    """A file given in the form: what the chat platform says of it, where the adapter downloads
    it from (a private URL, read with the bot's token), and once stored, its media id."""

    id: str
    name: str
    content_type: str
    size: int
    url: str = field(default="", repr=False)
    media_id: str | None = None


class When(StrEnum):
    NOW = "now"
    AT = "at"
    QUEUE = "queue"


@dataclass(frozen=True)
class ComposerState:
    """What the form holds right now; empty values are simply not given."""

    text: str = ""
    #: Network -> its own text, only for the networks given one.
    variants: Mapping[str, str] = field(default_factory=dict)
    #: Connection ids.
    targets: tuple[str, ...] = ()
    media_urls: tuple[str, ...] = ()
    #: Files uploaded in the form, in the order given.
    files: tuple[UploadedFile, ...] = ()
    when: When = When.NOW
    date: date | None = None
    time: time | None = None
    #: Ask for a review (True) or schedule directly (Admins and Owners only).
    review: bool = True


@dataclass(frozen=True)
class ComposerChoices:
    """What the form offers one member: their organization's active accounts, the zone their
    times are read in and whether they may skip review."""

    who: Membership
    connections: tuple[Connection, ...]
    #: The author's own IANA zone (from their chat profile), else the organization's.
    timezone: str
    #: False when the chat platform did not say the author's zone.
    own_timezone: bool
    may_schedule: bool
    #: Network -> how its provider names it ("X", "Sandbox").
    network_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def networks(self) -> list[str]:
        return sorted({c.network for c in self.connections})


@dataclass(frozen=True)
class NetworkCount:
    """The text's length on one network, counted by its provider, and what it finds wrong."""

    network: str
    display_name: str
    length: int
    limit: int
    from_variant: bool
    problems: tuple[str, ...] = ()


class ComposerInvalid(BadInput):
    """Raised when the form cannot be submitted as filled; ``fields`` maps a form field to what
    is wrong with it."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__(next(iter(fields.values()), "The post is not valid."),
                         details={"fields": dict(fields)})
        self.fields = dict(fields)


@dataclass(frozen=True)
class Composed:
    """A submitted post and the sentence that confirms it to its author."""

    post: Post
    confirmation: str


async def composer_choices(rt: Runtime, who: Membership, own_timezone: str) -> ComposerChoices:
    """What ``who`` may compose with; Forbidden for a Viewer. ``own_timezone`` is the zone the
    chat platform gives for them ("" when unknown: the organization's is used)."""
    require(who.member.role, Permission.DRAFT)
    known = set(rt.providers.networks())
    connections = tuple(c for c in await rt.store.list_connections(who.org.id)
                        if c.status is ConnectionStatus.ACTIVE and c.network in known)
    return ComposerChoices(who=who, connections=connections,
                           timezone=own_timezone or who.org.timezone,
                           own_timezone=bool(own_timezone),
                           may_schedule=allows(who.member.role, Permission.SCHEDULE_DIRECTLY),
                           network_names={c.network: rt.providers.get(c.network).display_name
                                          for c in connections})


def network_counts(rt: Runtime, choices: ComposerChoices,
                   state: ComposerState) -> list[NetworkCount]:
    """Per network of the chosen accounts (every network offered while none is chosen): the
    length of the text that would go there, as that network's provider counts it."""
    chosen = {c.network for c in choices.connections if c.id in state.targets}
    counts = []
    for network in sorted(chosen or set(choices.networks)):
        provider = rt.providers.get(network)
        variant = state.variants.get(network, "")
        report = validate_within_cap(provider, PublishContent(text=variant or state.text,
                                                              media_urls=state.media_urls))
        counts.append(NetworkCount(
            network=network, display_name=provider.display_name, length=report.length,
            limit=report.limit, from_variant=bool(variant),
            problems=tuple(p.message for p in report.problems if p.code not in MEDIA_CODES)))
    return counts


def resolved_time(state: ComposerState, timezone: str) -> ResolvedTime | None:
    """The chosen date and time read in ``timezone``; None unless both are given for "at"."""
    if state.when is not When.AT or state.date is None or state.time is None:
        return None
    return resolve_local_time(datetime.combine(state.date, state.time), timezone)


def when_summary(state: ComposerState, choices: ComposerChoices) -> str:
    """How the chosen time reads back, with the note when the local time had to be adjusted."""
    if state.when is When.NOW:
        return "As soon as possible" + (" after approval." if state.review else ".")
    if state.when is When.QUEUE:
        return "In the next free slot of the accounts' queues."
    resolved = resolved_time(state, choices.timezone)
    if resolved is None:
        return f"Pick a date and a time; they are read in {choices.timezone}."
    summary = f"{local_time(resolved.utc, choices.timezone)}."
    return f"{summary} {resolved.note}" if resolved.note else summary


def picked_networks(choices: ComposerChoices, state: ComposerState) -> set[str]:
    """The networks of the accounts the form picks (of those still connected)."""
    by_id = {c.id: c for c in choices.connections}
    return {by_id[t].network for t in state.targets if t in by_id}


def post_request(rt: Runtime, choices: ComposerChoices, state: ComposerState) -> PostRequest:
    """The request the form describes; ComposerInvalid naming every field that is wrong."""
    errors: dict[str, str] = {}
    by_id = {c.id: c for c in choices.connections}
    chosen = [by_id[t] for t in state.targets if t in by_id]
    if not state.targets:
        errors[TARGETS] = "Pick at least one account to publish to."
    elif len(chosen) != len(state.targets):
        errors[TARGETS] = "An account you picked is no longer connected; pick again."
    networks = {c.network for c in chosen}
    if not state.text.strip() and not state.media_urls and not state.files:
        errors[TEXT] = "Write the post's text (or give media)."
    for network, _text in sorted(state.variants.items()):
        if network not in networks and chosen:
            errors[variant_field(network)] = ("No account on this network is picked: clear "
                                              "this text or pick such an account.")
    bad_urls = [u for u in state.media_urls if not u.startswith(("https://", "http://"))]
    if bad_urls:
        errors[MEDIA] = f"Media must be http(s) URLs, one a line: {bad_urls[0][:80]}"
    _check_files(rt, state, networks, errors)
    _check_content(rt, state, networks, errors)
    _check_when(rt, choices, state, errors)
    if not state.review and not choices.may_schedule:
        try:
            require(choices.who.member.role, Permission.SCHEDULE_DIRECTLY)
        except Forbidden as err:
            errors[MODE] = err.message
    if errors:
        raise ComposerInvalid(errors)
    wall_clock = None
    if state.when is When.AT and state.date is not None and state.time is not None:
        wall_clock = datetime.combine(state.date, state.time)
    return PostRequest(
        text=state.text.strip(),
        variants={n: t.strip() for n, t in state.variants.items() if t.strip()},
        targets=[c.id for c in chosen], media_urls=list(state.media_urls),
        media_ids=[f.media_id for f in state.files if f.media_id],
        schedule_at=wall_clock, timezone=choices.timezone if wall_clock else None,
        queue=state.when is When.QUEUE)


def _check_content(rt: Runtime, state: ComposerState, networks: set[str],
                   errors: dict[str, str]) -> None:
    """Each chosen network's provider judges the text going there (its variant, else the
    text) and the media; problems go under the field they are about."""
    for network in sorted(networks):
        variant = state.variants.get(network, "").strip()
        report = validate_within_cap(rt.providers.get(network), PublishContent(
            text=variant or state.text.strip(), media_urls=state.media_urls))
        for problem in report.problems:
            where = (MEDIA if problem.code in MEDIA_CODES
                     else variant_field(network) if variant else TEXT)
            errors.setdefault(where, problem.message)


def _check_files(rt: Runtime, state: ComposerState, networks: set[str],
                 errors: dict[str, str]) -> None:
    """What can be told of the uploads before they are downloaded: their count, declared type
    and size, and whether the chosen networks take uploaded bytes at all."""
    if not state.files:
        return
    if len(state.files) + len(state.media_urls) > MAX_UPLOADS:
        errors[MEDIA_FILES] = f"Give at most {MAX_UPLOADS} media in all (files and URLs)."
        return
    try:
        check_media_count(rt, networks, len(state.files) + len(state.media_urls))
    except BadInput as err:
        errors[MEDIA_FILES] = err.message
        return
    # The chosen networks' own limits, as a fetch of the file would hold it to.
    limits = media_size_limits(rt, networks)
    for upload in state.files:
        if upload.content_type.lower() not in MEDIA_KINDS:
            kind = upload.content_type or "of no known type"
            errors[MEDIA_FILES] = (f"{upload.name[:80]} is {kind}; upload JPEG, PNG, WebP or GIF "
                                   "images, or an MP4 or MOV video.")
            return
        limit = limits.for_type(upload.content_type.lower())
        if limit is None:
            errors[MEDIA_FILES] = (f"{upload.name[:80]} is {upload.content_type}, which the "
                                   "picked accounts do not take.")
            return
        if upload.size > limit.max_bytes:
            errors[MEDIA_FILES] = (f"{upload.name[:80]} is larger than the {limit.max_bytes} "
                                   f"bytes allowed ({limit.set_by}).")
            return
    others = sorted(n for n in networks if not uploads_media(rt, [n]))
    if others:
        names = ", ".join(rt.providers.get(n).display_name for n in others)
        errors[MEDIA_FILES] = (f"{names} takes media by public URL only: give a media URL "
                               "instead of a file, or pick only accounts that take uploads.")


def with_stored_file(state: ComposerState, index: int, media_id: str) -> ComposerState:
    """``state`` with its ``index``-th upload stored as ``media_id``."""
    files = list(state.files)
    files[index] = replace(files[index], media_id=media_id)
    return replace(state, files=tuple(files))


def _check_when(rt: Runtime, choices: ComposerChoices, state: ComposerState,
                errors: dict[str, str]) -> None:
    if state.when is not When.AT:
        return
    if state.date is None:
        errors[DATE] = "Pick the day to publish on."
    if state.time is None:
        errors[TIME] = "Pick the time to publish at."
    resolved = resolved_time(state, choices.timezone)
    if resolved is None:
        return
    now = rt.clock.now()
    if resolved.utc <= now:
        errors[TIME] = (f"{local_time(resolved.utc, choices.timezone)} has passed: pick a later "
                        "time, or choose Now.")
    elif resolved.utc > now + MAX_AHEAD:
        errors[DATE] = "That is more than two years ahead."


async def submit_composer(rt: Runtime, queue: PublishQueue | None, choices: ComposerChoices,
                          state: ComposerState) -> Composed:
    """Create the post the form describes, for review or straight onto the schedule.

    Whatever the core refuses comes back as ComposerInvalid on the field it is about, so the
    form shows it and keeps what was typed. A post scheduled for now is handed to a worker at
    once when there is a queue (else the scheduler picks it up on its next tick).
    """
    request = post_request(rt, choices, state)
    who = choices.who
    identity = who.caller.identity
    try:
        post = await submit_post(rt, who.org.id, request,
                                 source=PostSource(kind=identity.platform,
                                                   ref=who.caller.channel_id),
                                 actor=who.actor, review_required=state.review)
    except PostFlowError as err:
        raise ComposerInvalid({_field_for(err, state): err.message}) from None
    if (not state.review and queue is not None and post.status is PostStatus.SCHEDULED
            and post.due_at is not None and post.due_at <= rt.clock.now()):
        post = await claim_and_enqueue(rt, queue, post, trigger="composer") or post
    return Composed(post=post, confirmation=confirmation(post, choices, state))


def confirmation(post: Post, choices: ComposerChoices, state: ComposerState) -> str:
    """What the author is told once the post exists: where it is and when it goes out, in
    their own zone, with the note when their local time had to be adjusted."""
    tz = choices.timezone
    at = post.scheduled_at
    if state.when is When.QUEUE:
        when = f"in the next queue slot, {local_time(at, tz)}"
    elif at is None:
        when = "as soon as it is approved" if state.review else "now"
    else:
        when = f"at {local_time(at, tz)}"
    if post.status is PostStatus.IN_REVIEW:
        channel = choices.who.org.review_channel
        where = (f"in {channel_mention(channel.channel_id)}" if channel is not None else
                 "(no review channel is set: an Admin sets one with `/postflow settings "
                 "review-channel #channel`)")
        text = f"Post `{post.id}` is waiting for review {where}; once approved it goes out {when}."
    elif post.status is PostStatus.QUEUED or when == "now":
        text = f"Post `{post.id}` is being published now."
    else:
        text = f"Post `{post.id}` is scheduled {when}."
    if post.time_note:
        text += f" Note: {post.time_note}"
    if not choices.own_timezone and state.when is When.AT:
        text += (f" Your chat profile has no time zone, so the time was read in the "
                 f"organization's, {tz}.")
    return text


def _field_for(err: PostFlowError, state: ComposerState) -> str:
    """The form field a core refusal is about; the text field when none fits better."""
    details = err.details
    if "problems" in details:
        codes = {p.get("code") for found in details["problems"].values() for p in found}
        if codes and codes <= MEDIA_CODES:
            return MEDIA_FILES if state.files else MEDIA
        return TEXT
    if "size" in details or "content_type" in details:
        return MEDIA_FILES if state.files else MEDIA
    if "schedule_at" in details or "timezones" in details:
        return TIME
    if "targets" in details or "target" in details or "network" in details:
        return TARGETS
    if "variants" in details:
        stray = details["variants"]
        return variant_field(str(stray[0])) if stray else TEXT
    return TEXT
