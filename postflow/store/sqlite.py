"""The SQLite store: one file, WAL mode, one table per record type holding the model as JSON.

Queried fields are copied into indexed columns; times in those columns are UTC text in one
fixed format, so comparing and sorting the text compares and sorts the instants.

Each store method is one unit of work run on a lane, one connection's thread, in group commits
(:mod:`postflow.store.sqlite_lane`). Other processes on the same file are handled by WAL, and
their write transactions take turns through :class:`~postflow.store.writer_lock.WriterLock`
(``busy_timeout`` stays as the last resort).
"""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from postflow.api_keys import ApiKey
from postflow.approvals import ApprovalPolicy
from postflow.attempts import AttemptOutcome, PublishAttempt
from postflow.audit import AuditEvent
from postflow.billing.events import BillingEvent, EventOutcome
from postflow.chat_drafts import ChatDraft
from postflow.chat_installations import ChatInstallation
from postflow.clock import as_utc
from postflow.connections import Connection, ConnectionStatus
from postflow.email.message import EmailStatus, EmailSuppression, OutgoingEmail, address_key
from postflow.errors import Conflict, NotFound
from postflow.hooks import IdempotencyRecord, IdempotencyState, IncomingHook
from postflow.inbox import InboxEntry
from postflow.org_media import MEDIA_BYTES_METRIC, MEDIA_BYTES_PERIOD, OrgMedia
from postflow.organizations import Member, Organization, Workspace
from postflow.pages import PageAfter, PostFilter
from postflow.posts import Post, PostStatus
from postflow.queues import QueueSettings
from postflow.recurrence import RecurringSeries, SeriesStatus
from postflow.reviews import ReviewRequest, ReviewState
from postflow.sandbox_posts import SandboxPost
from postflow.store.port import UsageCharge, UsageExhausted
from postflow.store.sqlite_invitations import INVITATIONS_MIGRATION, SqliteInvitationRecords
from postflow.store.sqlite_lane import Lane, Work, connect
from postflow.store.sqlite_webhooks import SqliteWebhookRecords
from postflow.store.writer_lock import WriterLock

ModelT = TypeVar("ModelT", bound=BaseModel)
ResultT = TypeVar("ResultT")
Params = Sequence[object]

#: Posts :meth:`SqliteStore.list_posts_page` keeps parsed, by their stored JSON.
PAGED_POSTS_KEPT = 2048

#: Schema migrations, applied in order; ``PRAGMA user_version`` counts the ones applied.
#: Never edit a released migration: append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
           created_at TEXT NOT NULL, doc TEXT NOT NULL)""",
        """CREATE TABLE members (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           platform TEXT NOT NULL, workspace_id TEXT NOT NULL, user_id TEXT NOT NULL,
           created_at TEXT NOT NULL, doc TEXT NOT NULL,
           UNIQUE (org_id, platform, workspace_id, user_id))""",
        """CREATE TABLE workspaces (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           platform TEXT NOT NULL, external_id TEXT NOT NULL, created_at TEXT NOT NULL,
           doc TEXT NOT NULL, UNIQUE (platform, external_id))""",
        "CREATE INDEX workspaces_org ON workspaces (org_id, created_at)",
        """CREATE TABLE connections (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           network TEXT NOT NULL, account_id TEXT NOT NULL, status TEXT NOT NULL,
           created_at TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (org_id, network, account_id))""",
        """CREATE TABLE hooks (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           created_at TEXT NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX hooks_org ON hooks (org_id, created_at)",
        """CREATE TABLE idempotency (hook_id TEXT NOT NULL, key TEXT NOT NULL,
           expires_at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (hook_id, key))""",
        "CREATE INDEX idempotency_expires ON idempotency (expires_at)",
        """CREATE TABLE posts (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, status TEXT NOT NULL,
           due_at TEXT, scheduled_at TEXT, from_queue INTEGER NOT NULL,
           created_at TEXT NOT NULL, updated_at TEXT NOT NULL, version INTEGER NOT NULL,
           doc TEXT NOT NULL)""",
        "CREATE INDEX posts_org_created ON posts (org_id, created_at)",
        "CREATE INDEX posts_status_due ON posts (status, due_at)",
        "CREATE INDEX posts_status_updated ON posts (status, updated_at)",
        """CREATE TABLE attempts (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           post_id TEXT NOT NULL, outcome TEXT NOT NULL, started_at TEXT NOT NULL,
           doc TEXT NOT NULL)""",
        "CREATE INDEX attempts_post ON attempts (org_id, post_id, started_at)",
        """CREATE TABLE audit (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           subject_id TEXT NOT NULL, at TEXT NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX audit_org_at ON audit (org_id, at)",
        "CREATE INDEX audit_subject_at ON audit (org_id, subject_id, at)",
        """CREATE TABLE usage (org_id TEXT NOT NULL, metric TEXT NOT NULL,
           period TEXT NOT NULL, count INTEGER NOT NULL,
           PRIMARY KEY (org_id, metric, period))""",
        "CREATE TABLE heartbeats (name TEXT PRIMARY KEY, at TEXT NOT NULL)",
        """CREATE TABLE sandbox_posts (id TEXT PRIMARY KEY, connection_id TEXT NOT NULL,
           idempotency_key TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX sandbox_posts_connection ON sandbox_posts (connection_id, created_at)",
    ),
    (
        """CREATE TABLE queue_settings (org_id TEXT NOT NULL, connection_id TEXT NOT NULL,
           doc TEXT NOT NULL, PRIMARY KEY (org_id, connection_id))""",
    ),
    (  # chat app installations (Slack) and used OAuth states
        """CREATE TABLE chat_installations (id TEXT PRIMARY KEY, platform TEXT NOT NULL,
           workspace_id TEXT NOT NULL, org_id TEXT NOT NULL, doc TEXT NOT NULL,
           UNIQUE (platform, workspace_id))""",
        """CREATE TABLE oauth_states (id TEXT PRIMARY KEY, expires_at TEXT NOT NULL)""",
        "CREATE INDEX oauth_states_expires ON oauth_states (expires_at)",
    ),
    (  # recurring series
        """CREATE TABLE recurring_series (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           status TEXT NOT NULL, next_at TEXT, created_at TEXT NOT NULL,
           version INTEGER NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX recurring_series_org ON recurring_series (org_id, created_at)",
        "CREATE INDEX recurring_series_due ON recurring_series (status, next_at)",
    ),
    (  # approval policies and review requests
        """CREATE TABLE approval_policies (org_id TEXT NOT NULL, scope TEXT NOT NULL,
           doc TEXT NOT NULL, PRIMARY KEY (org_id, scope))""",
        """CREATE TABLE reviews (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           post_id TEXT NOT NULL, state TEXT NOT NULL, expires_at TEXT,
           requested_at TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX reviews_post ON reviews (org_id, post_id, requested_at)",
        "CREATE INDEX reviews_expiry ON reviews (state, expires_at)",
    ),
    (  # media held by organizations
        """CREATE TABLE org_media (org_id TEXT NOT NULL, media_id TEXT NOT NULL,
           last_used_at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (org_id, media_id))""",
        "CREATE INDEX org_media_last_used ON org_media (last_used_at)",
        "CREATE INDEX org_media_media ON org_media (media_id)",
    ),
    (  # signatures of requests already seen, refused if replayed
        """CREATE TABLE seen_signatures (scope TEXT NOT NULL, signature TEXT NOT NULL,
           expires_at TEXT NOT NULL, PRIMARY KEY (scope, signature))""",
        "CREATE INDEX seen_signatures_expires ON seen_signatures (expires_at)",
    ),
    (  # the digest of the chat commands last registered, per platform and scope
        """CREATE TABLE chat_commands (platform TEXT NOT NULL, scope TEXT NOT NULL,
           digest TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (platform, scope))""",
    ),
    (  # Stripe events, recorded before they are applied
        """CREATE TABLE billing_events (id TEXT PRIMARY KEY, outcome TEXT NOT NULL,
           org_id TEXT, org_hint TEXT, received_at TEXT NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX billing_events_pending ON billing_events (outcome, received_at)",
        "CREATE INDEX billing_events_received ON billing_events (received_at)",
    ),
    (  # outbound webhooks: endpoints, events, deliveries and their attempts
        """CREATE TABLE webhook_endpoints (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           created_at TEXT NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at)",
        """CREATE TABLE webhook_events (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           created_at TEXT NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX webhook_events_created ON webhook_events (created_at)",
        """CREATE TABLE webhook_deliveries (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           event_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, status TEXT NOT NULL,
           next_attempt_at TEXT, created_at TEXT NOT NULL, version INTEGER NOT NULL,
           doc TEXT NOT NULL)""",
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
        "CREATE INDEX webhook_deliveries_org ON webhook_deliveries (org_id, created_at)",
        "CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at)",
        """CREATE TABLE webhook_attempts (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           delivery_id TEXT NOT NULL, at TEXT NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX webhook_attempts_delivery ON webhook_attempts (org_id, delivery_id, at)",
        "CREATE INDEX webhook_attempts_at ON webhook_attempts (at)",
    ),
    (  # drafts of multi-step chat forms (Discord's composer)
        """CREATE TABLE chat_drafts (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           actor TEXT NOT NULL, state TEXT NOT NULL, expires_at TEXT NOT NULL)""",
        "CREATE INDEX chat_drafts_expires ON chat_drafts (expires_at)",
    ),
    (  # members' notification centers
        """CREATE TABLE inbox_entries (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           member_id TEXT NOT NULL, created_at TEXT NOT NULL, read_at TEXT,
           doc TEXT NOT NULL)""",
        "CREATE INDEX inbox_entries_member ON inbox_entries (org_id, member_id, created_at)",
        "CREATE INDEX inbox_entries_created ON inbox_entries (created_at)",
    ),
    (  # emails recorded before they are sent, and addresses no longer mailed
        """CREATE TABLE outgoing_emails (id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE,
           org_id TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
           claimed_until TEXT, doc TEXT NOT NULL)""",
        "CREATE INDEX outgoing_emails_unsent ON outgoing_emails (status, created_at)",
        "CREATE INDEX outgoing_emails_org ON outgoing_emails (org_id, created_at)",
        """CREATE TABLE email_suppressions (address TEXT PRIMARY KEY, doc TEXT NOT NULL)""",
    ),
    (  # API keys; keyset pages of posts and audit events (newest first, ties by id)
        """CREATE TABLE api_keys (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
           created_at TEXT NOT NULL, doc TEXT NOT NULL)""",
        "CREATE INDEX api_keys_org ON api_keys (org_id, created_at)",
        "CREATE INDEX posts_org_created_id ON posts (org_id, created_at, id)",
        "CREATE INDEX audit_org_at_id ON audit (org_id, at, id)",
    ),
    (  # digests: an organization's posts written in a period, its open reviews
        "CREATE INDEX posts_org_status_updated ON posts (org_id, status, updated_at)",
        "CREATE INDEX reviews_org_state ON reviews (org_id, state, requested_at)",
    ),
    INVITATIONS_MIGRATION,  # invitations to join an organization
)



def _ts(moment: datetime) -> str:
    """Column text for an instant: UTC, fixed width, so text order is time order."""
    # The text of strftime("%Y-%m-%dT%H:%M:%S.%fZ"), made several times faster.
    return as_utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _status_list(statuses: Sequence[StrEnum]) -> str:
    """Statuses as the JSON array that ``status IN (SELECT value FROM json_each(?))`` reads."""
    return json.dumps([s.value for s in statuses])


def _twice(moment: datetime | None) -> tuple[str | None, str | None]:
    """A ``(? IS NULL OR column op ?)`` pair of parameters."""
    text = _ts_or_none(moment)
    return text, text


def _ts_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else _ts(moment)


def _parse_ts(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text))


def _load(model: type[ModelT], doc: str) -> ModelT:
    # Model datetimes are UtcDatetime: validation hands them back aware UTC.
    return model.model_validate_json(doc)


def _dump(model: BaseModel) -> str:
    return model.model_dump_json()


#: One upsert taking one unit of a usage limit: the WHERE refuses the increment at the limit,
#: RETURNING says whether it ran. Parameters: org_id, metric, period, limit, limit.
_CONSUME_USAGE = (
    "INSERT INTO usage (org_id, metric, period, count) VALUES (?, ?, ?, 1)"
    " ON CONFLICT (org_id, metric, period) DO UPDATE SET count = usage.count + 1"
    " WHERE ? IS NULL OR usage.count < ? RETURNING count")

_INSERT_AUDIT = "INSERT INTO audit (id, org_id, subject_id, at, doc) VALUES (?, ?, ?, ?, ?)"


def _audit_values(event: AuditEvent) -> tuple[object, ...]:
    return (event.id, event.org_id, event.subject_id, _ts(event.at), _dump(event))


def _attempt_writer(attempt: PublishAttempt) -> Work:
    """The unit writing ``attempt`` with a post: inserted if pending, else closing its row."""
    if attempt.outcome is AttemptOutcome.PENDING:
        return _attempt_inserter(attempt)
    return _attempt_finisher(attempt)


def _attempt_inserter(attempt: PublishAttempt) -> Work:
    """The unit inserting ``attempt``; Conflict if its id exists."""
    row = (attempt.id, attempt.org_id, attempt.post_id, attempt.outcome.value,
           _ts(attempt.started_at), _dump(attempt))

    def insert(conn: sqlite3.Connection) -> None:
        try:
            conn.execute("INSERT INTO attempts (id, org_id, post_id, outcome, started_at, doc)"
                         " VALUES (?, ?, ?, ?, ?, ?)", row)
        except sqlite3.IntegrityError as err:
            raise Conflict("That publish attempt already exists.") from err

    return insert


def _attempt_finisher(attempt: PublishAttempt) -> Work:
    """The unit closing the pending row of ``attempt`` with its outcome; Conflict if it was
    closed already, NotFound if there is none."""
    values = (attempt.outcome.value, _dump(attempt), attempt.org_id, attempt.id,
              AttemptOutcome.PENDING.value)

    def finish(conn: sqlite3.Connection) -> None:
        if conn.execute("UPDATE attempts SET outcome = ?, doc = ?"
                        " WHERE org_id = ? AND id = ? AND outcome = ?", values).rowcount:
            return
        if not conn.execute("SELECT 1 FROM attempts WHERE org_id = ? AND id = ?",
                            (attempt.org_id, attempt.id)).fetchall():
            raise NotFound("No such publish attempt.")
        raise Conflict("That publish attempt was closed already.")

    return finish


def _use_held_media(conn: sqlite3.Connection, org_id: str, media_id: str,
                    at: datetime) -> OrgMedia | None:
    """The organization's record of the medium, its ``last_used_at`` moved to ``at`` if later."""
    rows = conn.execute("SELECT doc FROM org_media WHERE org_id = ? AND media_id = ?",
                        (org_id, media_id)).fetchall()
    if not rows:
        return None
    held = _load(OrgMedia, rows[0][0])
    if at > held.last_used_at:
        held = held.model_copy(update={"last_used_at": at})
        conn.execute("UPDATE org_media SET last_used_at = ?, doc = ?"
                     " WHERE org_id = ? AND media_id = ?",
                     (_ts(at), _dump(held), org_id, media_id))
    return held


_INSERT_POST = (
    "INSERT INTO posts (id, org_id, doc, status, due_at, scheduled_at, from_queue, created_at,"
    " updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


@dataclass(frozen=True)
class _NewPost:
    """A post's row, its audit events' rows and its usage charge, to insert together."""

    org_id: str
    row: tuple[object, ...]
    audit_rows: list[tuple[object, ...]]
    charge: UsageCharge | None

    def insert(self, conn: sqlite3.Connection) -> None:
        """Insert this one post (the batch of one); UsageExhausted if its charge is refused."""
        [(inserted, refusal)] = _insert_posts(conn, [self])
        if not inserted:
            raise refusal


def _insert_posts(conn: sqlite3.Connection, posts: list[_NewPost]) -> list[tuple[bool, Any]]:
    """Insert ``posts`` as one at a time would, in a few statements: each usage counter is read
    once and raised once by the posts it admits, in order, and the posts and their audit rows
    go in with one ``executemany`` each. A refused post is (False, UsageExhausted); a post that
    cannot be written (a duplicate id) raises, and the lane reruns the batch one by one."""
    charged: dict[tuple[str, str, str, int | None], list[int]] = {}
    for index, post in enumerate(posts):
        if post.charge is not None:
            key = (post.org_id, post.charge.metric, post.charge.period, post.charge.limit)
            charged.setdefault(key, []).append(index)
    refused: dict[int, UsageExhausted] = {}
    for (org_id, metric, period, limit), indexes in charged.items():
        admitted = len(indexes)
        if limit is not None:
            used = conn.execute("SELECT count FROM usage WHERE org_id = ? AND metric = ?"
                                " AND period = ?", (org_id, metric, period)).fetchall()
            admitted = max(0, min(admitted, limit - (used[0][0] if used else 0)))
        for index in indexes[admitted:]:
            refused[index] = UsageExhausted(metric)
        if admitted:
            conn.execute("INSERT INTO usage (org_id, metric, period, count) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT (org_id, metric, period)"
                         " DO UPDATE SET count = usage.count + excluded.count",
                         (org_id, metric, period, admitted))
    kept = [post for index, post in enumerate(posts) if index not in refused]
    conn.executemany(_INSERT_POST, [post.row for post in kept])
    conn.executemany(_INSERT_AUDIT, [row for post in kept for row in post.audit_rows])
    return [(False, refused[index]) if index in refused else (True, None)
            for index in range(len(posts))]


def _stale(what: str, record_id: str, version: int, expected_version: int) -> Conflict:
    return Conflict(f"The {what} changed since it was read (version {version}, expected "
                    f"{expected_version}).",
                    details={"id": record_id, "version": version,
                             "expected_version": expected_version})


def _post_values(post: Post) -> tuple[object, ...]:
    """The values of a post's row from ``doc`` to ``version``, in column order."""
    return (_dump(post), post.status.value, _ts_or_none(post.due_at),
            _ts_or_none(post.scheduled_at), int(post.from_queue), _ts(post.created_at),
            _ts(post.updated_at), post.version)


class SqliteStore(SqliteWebhookRecords, SqliteInvitationRecords):
    """The :class:`~postflow.store.port.Store` over one SQLite file.

    Two connections: writes (and the reads inside them) go through one, plain reads through
    the other. In WAL mode a read never waits for a write transaction, so a job reading a post
    is not queued behind the other jobs' writes; each read statement sees the last commit.
    """

    def __init__(self, writer: Lane, reader: Lane, writer_lock: WriterLock) -> None:
        self._writer = writer
        self._reader = reader
        self._writer_lock = writer_lock
        #: Posts of recent list pages by their stored JSON (see :meth:`list_posts_page`).
        self._paged_posts: OrderedDict[str, Post] = OrderedDict()

    @classmethod
    async def open(cls, path: Path) -> SqliteStore:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
        path.parent.mkdir(parents=True, exist_ok=True)
        writer_lock = WriterLock(path)
        lanes: list[Lane] = []
        try:
            lanes.append(Lane(await connect(path, "journal_mode=WAL", "foreign_keys=ON",
                                              "synchronous=NORMAL"), writer_lock))
            await cls(lanes[0], lanes[0], writer_lock)._migrate()
            lanes.append(Lane(await connect(path, "query_only=ON"), writer_lock))
        except BaseException:
            for lane in lanes:
                await lane.close()
            writer_lock.close()
            raise
        return cls(lanes[0], lanes[1], writer_lock)

    async def _migrate(self) -> None:
        def user_version(conn: sqlite3.Connection) -> int:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

        if await self._call(user_version, writes=False) >= len(MIGRATIONS):
            return
        for version, statements in enumerate(MIGRATIONS, start=1):
            def apply(conn: sqlite3.Connection, version: int = version,
                      statements: tuple[str, ...] = statements) -> None:
                # Read inside the write lock: another process may have migrated meanwhile.
                if user_version(conn) >= version:
                    return
                for statement in statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version:d}")

            await self._call(apply)

    async def ping(self) -> None:
        await self._fetch("SELECT 1")

    async def close(self) -> None:
        if self._reader is not self._writer:
            await self._reader.close()
        await self._writer.close()
        self._writer_lock.close()

    # -- plumbing ---------------------------------------------------------------------------
    async def _call(self, work: Callable[[sqlite3.Connection], ResultT], *,
                    writes: bool = True) -> ResultT:
        """Run ``work`` on a connection's thread, batched with whatever else is waiting there:
        the writer's for writes, the reader's for reads."""
        return await (self._writer if writes else self._reader).call(work, writes)

    async def _run(self, sql: str, params: Params = (), *,
                   writes: bool = True) -> tuple[int, list[Any]]:
        """Run one statement; return (rows changed, rows fetched)."""
        def run(conn: sqlite3.Connection) -> tuple[int, list[Any]]:
            cursor = conn.execute(sql, params)
            try:
                return cursor.rowcount, cursor.fetchall()
            finally:
                cursor.close()

        return await self._call(run, writes=writes)

    async def _fetch(self, sql: str, params: Params = ()) -> list[Any]:
        return (await self._run(sql, params, writes=False))[1]

    async def _write(self, sql: str, params: Params = (), conflict: str = "") -> int:
        """Run one write; a uniqueness violation becomes Conflict(``conflict``)."""
        try:
            return (await self._run(sql, params))[0]
        except sqlite3.IntegrityError as err:
            raise Conflict(conflict or "That record already exists.") from err

    async def _docs(self, model: type[ModelT], sql: str, params: Params = ()) -> list[ModelT]:
        return [_load(model, row[0]) for row in await self._fetch(sql, params)]

    async def _doc(self, model: type[ModelT], sql: str, params: Params,
                   missing: str) -> ModelT:
        docs = await self._docs(model, sql, params)
        if not docs:
            raise NotFound(missing)
        return docs[0]

    async def _replace_versioned(self, table: str, columns: str, values: Params, org_id: str,
                                 record_id: str, expected_version: int, what: str,
                                 also: Work | None = None) -> None:
        """Set ``columns`` to ``values`` only if the row is still at ``expected_version``.

        One UPDATE guarded by the version, which SQLite's write lock makes an atomic
        compare-and-swap: of two racers writing the same version, one wins and the other gets
        Conflict. NotFound when the record does not exist in that organization. ``also`` runs
        in the same transaction after a successful UPDATE; if it raises, nothing is written.
        """
        def replace(conn: sqlite3.Connection) -> list[Any] | None:
            changed = conn.execute(
                f"UPDATE {table} SET ({columns}) = ({', '.join('?' * len(values))})"  # noqa: S608
                " WHERE org_id = ? AND id = ? AND version = ?",
                (*values, org_id, record_id, expected_version)).rowcount
            if changed:
                if also is not None:
                    also(conn)
                return None
            return conn.execute(f"SELECT version FROM {table} WHERE org_id = ? AND id = ?",  # noqa: S608
                                (org_id, record_id)).fetchall()

        rows = await self._call(replace)
        if rows is None:
            return
        if not rows:
            raise NotFound(f"No such {what}.")
        raise _stale(what, record_id, int(rows[0][0]), expected_version)

    async def _count(self, sql: str, params: Params) -> int:
        return int((await self._fetch(sql, params))[0][0])

    # -- organizations ----------------------------------------------------------------------
    async def insert_organization(self, org: Organization) -> None:
        await self._write(
            "INSERT INTO organizations (id, name, created_at, doc) VALUES (?, ?, ?, ?)",
            (org.id, org.name, _ts(org.created_at), _dump(org)),
            f"An organization named {org.name!r} already exists.")

    async def get_organization(self, org_id: str) -> Organization:
        return await self._doc(Organization, "SELECT doc FROM organizations WHERE id = ?",
                               (org_id,), "No such organization.")

    async def find_organization_by_name(self, name: str) -> Organization | None:
        docs = await self._docs(Organization, "SELECT doc FROM organizations WHERE name = ?",
                                (name,))
        return docs[0] if docs else None

    async def list_organizations(self) -> list[Organization]:
        return await self._docs(Organization,
                                "SELECT doc FROM organizations ORDER BY created_at, id")

    async def list_suspended_org_ids(self) -> list[str]:
        rows = await self._fetch("SELECT id FROM organizations WHERE"
                                 " json_extract(doc, '$.suspension') IS NOT NULL ORDER BY id")
        return [str(row[0]) for row in rows]

    async def update_organization(self, org: Organization) -> None:
        changed = await self._write(
            "UPDATE organizations SET name = ?, doc = ? WHERE id = ?",
            (org.name, _dump(org), org.id),
            f"An organization named {org.name!r} already exists.")
        if not changed:
            raise NotFound("No such organization.")

    # -- members and workspaces -------------------------------------------------------------
    async def insert_member(self, member: Member) -> None:
        who = member.identity
        await self._write(
            "INSERT INTO members (id, org_id, platform, workspace_id, user_id, created_at, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (member.id, member.org_id, who.platform, who.workspace_id, who.user_id,
             _ts(member.created_at), _dump(member)),
            "That person is already a member of the organization.")

    async def find_member(self, org_id: str, platform: str, workspace_id: str,
                          user_id: str) -> Member | None:
        who = (platform, workspace_id, user_id)
        docs = await self._docs(
            Member, "SELECT doc FROM members WHERE org_id = ? AND ((platform = ?"
            " AND workspace_id = ? AND user_id = ?) OR EXISTS (SELECT 1 FROM"
            " json_each(doc, '$.linked_identities') AS linked WHERE"
            " json_extract(linked.value, '$.platform') = ?"
            " AND json_extract(linked.value, '$.workspace_id') = ?"
            " AND json_extract(linked.value, '$.user_id') = ?))", (org_id, *who, *who))
        return docs[0] if docs else None

    async def list_members(self, org_id: str) -> list[Member]:
        return await self._docs(
            Member, "SELECT doc FROM members WHERE org_id = ? ORDER BY created_at, id", (org_id,))

    async def count_members(self, org_id: str) -> int:
        return await self._count("SELECT COUNT(*) FROM members WHERE org_id = ?", (org_id,))

    async def update_member(self, member: Member) -> None:
        who = member.identity
        changed = await self._write(
            "UPDATE members SET platform = ?, workspace_id = ?, user_id = ?, doc = ?"
            " WHERE org_id = ? AND id = ?",
            (who.platform, who.workspace_id, who.user_id, _dump(member), member.org_id,
             member.id),
            "That person is already a member of the organization.")
        if not changed:
            raise NotFound("No such member.")

    async def insert_workspace(self, workspace: Workspace) -> None:
        await self._write(
            "INSERT INTO workspaces (id, org_id, platform, external_id, created_at, doc)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (workspace.id, workspace.org_id, workspace.platform, workspace.external_id,
             _ts(workspace.created_at), _dump(workspace)),
            "That workspace is already linked to an organization.")

    async def relink_workspace(self, platform: str, external_id: str, from_org_id: str,
                               to_org_id: str) -> None:
        changed = await self._write(
            "UPDATE workspaces SET org_id = ?, doc = json_set(doc, '$.org_id', ?)"
            " WHERE platform = ? AND external_id = ? AND org_id = ?",
            (to_org_id, to_org_id, platform, external_id, from_org_id),
            "That workspace is already linked to an organization.")
        if not changed:
            raise NotFound("That workspace is not linked to that organization.")

    async def list_workspaces(self, org_id: str) -> list[Workspace]:
        return await self._docs(
            Workspace, "SELECT doc FROM workspaces WHERE org_id = ? ORDER BY created_at, id",
            (org_id,))

    async def count_workspaces(self, org_id: str) -> int:
        return await self._count("SELECT COUNT(*) FROM workspaces WHERE org_id = ?", (org_id,))

    async def find_workspace(self, platform: str, external_id: str) -> Workspace | None:
        docs = await self._docs(
            Workspace, "SELECT doc FROM workspaces WHERE platform = ? AND external_id = ?",
            (platform, external_id))
        return docs[0] if docs else None

    # -- chat app installations and OAuth states ---------------------------------------------
    async def save_chat_installation(self, installation: ChatInstallation) -> None:
        await self._write(
            "INSERT INTO chat_installations (id, platform, workspace_id, org_id, doc)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, workspace_id)"
            " DO UPDATE SET id = excluded.id, org_id = excluded.org_id, doc = excluded.doc",
            (installation.id, installation.platform, installation.workspace_id,
             installation.org_id, _dump(installation)),
            "That installation id is taken.")

    async def find_chat_installation(self, platform: str,
                                     workspace_id: str) -> ChatInstallation | None:
        docs = await self._docs(
            ChatInstallation,
            "SELECT doc FROM chat_installations WHERE platform = ? AND workspace_id = ?",
            (platform, workspace_id))
        return docs[0] if docs else None

    async def list_chat_installations(self) -> list[ChatInstallation]:
        return await self._docs(
            ChatInstallation,
            "SELECT doc FROM chat_installations ORDER BY platform, workspace_id", ())

    async def claim_oauth_state(self, state_id: str, expires_at: datetime,
                                now: datetime) -> bool:
        def claim(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM oauth_states WHERE expires_at <= ?", (_ts(now),))
            cursor = conn.execute(
                "INSERT INTO oauth_states (id, expires_at) VALUES (?, ?)"
                " ON CONFLICT (id) DO NOTHING", (state_id, _ts(expires_at)))
            return cursor.rowcount == 1

        return await self._call(claim)

    # -- connections ------------------------------------------------------------------------
    async def insert_connection(self, connection: Connection) -> None:
        await self._write(
            "INSERT INTO connections (id, org_id, network, account_id, status, created_at, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (connection.id, connection.org_id, connection.network, connection.account_id,
             connection.status.value, _ts(connection.created_at), _dump(connection)),
            "That account is already connected.")

    async def get_connection(self, org_id: str, connection_id: str) -> Connection:
        return await self._doc(
            Connection, "SELECT doc FROM connections WHERE org_id = ? AND id = ?",
            (org_id, connection_id), "No such connection.")

    async def list_connections(self, org_id: str,
                               network: str | None = None) -> list[Connection]:
        return await self._docs(
            Connection, "SELECT doc FROM connections WHERE org_id = ?"
            " AND (? IS NULL OR network = ?) ORDER BY created_at, id", (org_id, network, network))

    async def count_connections(self, org_id: str) -> int:
        return await self._count(
            "SELECT COUNT(*) FROM connections WHERE org_id = ? AND status != ?",
            (org_id, ConnectionStatus.DISCONNECTED.value))

    async def update_connection(self, connection: Connection) -> None:
        changed = await self._write(
            "UPDATE connections SET network = ?, account_id = ?, status = ?, doc = ?"
            " WHERE org_id = ? AND id = ?",
            (connection.network, connection.account_id, connection.status.value,
             _dump(connection), connection.org_id, connection.id),
            "That account is already connected.")
        if not changed:
            raise NotFound("No such connection.")

    # -- incoming hooks and idempotency -----------------------------------------------------
    async def insert_hook(self, hook: IncomingHook) -> None:
        await self._write(
            "INSERT INTO hooks (id, org_id, created_at, doc) VALUES (?, ?, ?, ?)",
            (hook.id, hook.org_id, _ts(hook.created_at), _dump(hook)),
            "That hook already exists.")

    async def find_hook(self, hook_id: str) -> IncomingHook | None:
        docs = await self._docs(IncomingHook, "SELECT doc FROM hooks WHERE id = ?", (hook_id,))
        return docs[0] if docs else None

    async def list_hooks(self, org_id: str) -> list[IncomingHook]:
        return await self._docs(
            IncomingHook, "SELECT doc FROM hooks WHERE org_id = ? ORDER BY created_at, id",
            (org_id,))

    async def update_hook(self, hook: IncomingHook) -> None:
        changed = await self._write("UPDATE hooks SET doc = ? WHERE org_id = ? AND id = ?",
                                    (_dump(hook), hook.org_id, hook.id))
        if not changed:
            raise NotFound("No such hook.")

    async def delete_hook(self, org_id: str, hook_id: str) -> None:
        if not await self._write("DELETE FROM hooks WHERE org_id = ? AND id = ?",
                                 (org_id, hook_id)):
            raise NotFound("No such hook.")

    async def reserve_idempotency_key(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        def reserve(conn: sqlite3.Connection) -> str | None:
            changed = conn.execute(
                "INSERT INTO idempotency (hook_id, key, expires_at, doc) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (hook_id, key) DO UPDATE"
                " SET expires_at = excluded.expires_at, doc = excluded.doc"
                " WHERE idempotency.expires_at <= ?",
                (record.hook_id, record.key, _ts(record.expires_at), _dump(record),
                 _ts(record.created_at))).rowcount
            if changed:
                return None
            row = conn.execute("SELECT doc FROM idempotency WHERE hook_id = ? AND key = ?",
                               (record.hook_id, record.key)).fetchone()
            return str(row[0])

        existing = await self._call(reserve)
        return None if existing is None else _load(IdempotencyRecord, existing)

    async def complete_idempotency_key(self, hook_id: str, key: str, status_code: int,
                                       response_body: str) -> None:
        await self._write(
            "UPDATE idempotency SET doc = json_set(doc, '$.state', ?, '$.status_code', ?,"
            " '$.response_body', ?) WHERE hook_id = ? AND key = ?",
            (IdempotencyState.COMPLETE.value, status_code, response_body, hook_id, key))

    async def release_idempotency_key(self, hook_id: str, key: str) -> None:
        await self._write("DELETE FROM idempotency WHERE hook_id = ? AND key = ?",
                          (hook_id, key))

    async def purge_idempotency_keys(self, now: datetime) -> int:
        return await self._write("DELETE FROM idempotency WHERE expires_at <= ?", (_ts(now),))

    # -- seen request signatures ---------------------------------------------------------------
    async def claim_signature(self, scope: str, signature: str, expires_at: datetime,
                              now: datetime) -> bool:
        return bool(await self._write(
            "INSERT INTO seen_signatures (scope, signature, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (scope, signature) DO UPDATE SET expires_at = excluded.expires_at"
            " WHERE seen_signatures.expires_at <= ?",
            (scope, signature, _ts(expires_at), _ts(now))))

    async def purge_seen_signatures(self, now: datetime) -> int:
        return await self._write("DELETE FROM seen_signatures WHERE expires_at <= ?",
                                 (_ts(now),))

    # -- Stripe events --------------------------------------------------------------------------
    async def record_billing_event(self, event: BillingEvent) -> bool:
        return bool(await self._write(
            "INSERT INTO billing_events (id, outcome, org_id, org_hint, received_at, doc)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (event.id, event.outcome.value, event.org_id, event.org_hint,
             _ts(event.received_at), _dump(event))))

    async def get_billing_event(self, event_id: str) -> BillingEvent:
        return await self._doc(BillingEvent, "SELECT doc FROM billing_events WHERE id = ?",
                               (event_id,), "No such billing event.")

    async def save_billing_event(self, event: BillingEvent) -> None:
        changed = await self._write(
            "UPDATE billing_events SET outcome = ?, org_id = ?, org_hint = ?, doc = ?"
            " WHERE id = ?",
            (event.outcome.value, event.org_id, event.org_hint, _dump(event), event.id))
        if not changed:
            raise NotFound("No such billing event.")

    async def list_pending_billing_events(self, received_before: datetime,
                                          limit: int) -> list[BillingEvent]:
        return await self._docs(
            BillingEvent, "SELECT doc FROM billing_events WHERE outcome = ? AND received_at < ?"
            " ORDER BY received_at, id LIMIT ?",
            (EventOutcome.PENDING.value, _ts(received_before), limit))

    async def list_billing_events(self, org_id: str | None = None,
                                  limit: int = 100) -> list[BillingEvent]:
        return await self._docs(
            BillingEvent, "SELECT doc FROM billing_events WHERE ? IS NULL OR org_id = ?"
            " OR org_hint = ? ORDER BY received_at DESC, id DESC LIMIT ?",
            (org_id, org_id, org_id, limit))

    # -- chat drafts ----------------------------------------------------------------------------
    async def save_chat_draft(self, draft: ChatDraft) -> None:
        await self._write(
            "INSERT INTO chat_drafts (id, org_id, actor, state, expires_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, actor = excluded.actor,"
            " state = excluded.state, expires_at = excluded.expires_at",
            (draft.id, draft.org_id, draft.actor, draft.state, _ts(draft.expires_at)))

    async def get_chat_draft(self, draft_id: str, now: datetime) -> ChatDraft | None:
        rows = await self._fetch(
            "SELECT id, org_id, actor, state, expires_at FROM chat_drafts"
            " WHERE id = ? AND expires_at > ?", (draft_id, _ts(now)))
        if not rows:
            return None
        found = rows[0]
        return ChatDraft(id=found[0], org_id=found[1], actor=found[2], state=found[3],
                         expires_at=_parse_ts(found[4]))

    async def delete_chat_draft(self, draft_id: str) -> bool:
        return bool(await self._write("DELETE FROM chat_drafts WHERE id = ?", (draft_id,)))

    async def purge_chat_drafts(self, now: datetime) -> int:
        return await self._write("DELETE FROM chat_drafts WHERE expires_at <= ?", (_ts(now),))

    # -- posts ------------------------------------------------------------------------------
    async def insert_post(self, post: Post, audit: Sequence[AuditEvent] = (), *,
                          charge: UsageCharge | None = None) -> None:
        if charge is not None and charge.limit is not None and charge.limit <= 0:
            raise UsageExhausted(charge.metric)
        item = _NewPost(post.org_id, (post.id, post.org_id, *_post_values(post)),
                        [_audit_values(event) for event in audit], charge)
        try:
            await self._writer.call(item.insert, writes=True, many=_insert_posts, item=item)
        except sqlite3.IntegrityError as err:
            raise Conflict("That post already exists.") from err

    async def get_post(self, org_id: str, post_id: str) -> Post:
        return await self._doc(Post, "SELECT doc FROM posts WHERE org_id = ? AND id = ?",
                               (org_id, post_id), "No such post.")

    async def list_posts(self, org_id: str, statuses: Sequence[PostStatus] | None = None,
                         limit: int = 50) -> list[Post]:
        wanted = None if statuses is None else _status_list(statuses)
        return await self._docs(
            Post, "SELECT doc FROM posts WHERE org_id = ?"
            " AND (? IS NULL OR status IN (SELECT value FROM json_each(?)))"
            " ORDER BY created_at DESC, id DESC LIMIT ?", (org_id, wanted, wanted, limit))

    async def list_posts_page(self, org_id: str, filter_: PostFilter, *,
                              after: PageAfter | None, limit: int) -> list[Post]:
        # API clients poll the same pages: a post whose stored JSON is unchanged since a recent
        # page is handed out as read then (the same object: callers never change records in
        # place), not validated again, which is most of what a page of 50 costs.
        wanted = None if filter_.statuses is None else _status_list(filter_.statuses)
        at, after_id = (None, None) if after is None else (_ts(after.at), after.id)
        rows = await self._fetch(
            "SELECT doc FROM posts WHERE org_id = ?"
            " AND (? IS NULL OR status IN (SELECT value FROM json_each(?)))"
            " AND (? IS NULL OR EXISTS (SELECT 1 FROM json_each(posts.doc, '$.targets') t"
            "      WHERE json_extract(t.value, '$.network') = ?))"
            " AND (? IS NULL OR created_at >= ?) AND (? IS NULL OR created_at < ?)"
            " AND (? IS NULL OR scheduled_at >= ?) AND (? IS NULL OR scheduled_at < ?)"
            " AND (? IS NULL OR created_at < ? OR (created_at = ? AND id < ?))"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (org_id, wanted, wanted, filter_.network, filter_.network,
             *_twice(filter_.created_from), *_twice(filter_.created_before),
             *_twice(filter_.scheduled_from), *_twice(filter_.scheduled_before),
             at, at, at, after_id, max(limit, 0)))
        cache, posts = self._paged_posts, []
        for (doc,) in rows:
            post = cache.get(doc)
            if post is None:
                post = cache[doc] = _load(Post, doc)
                if len(cache) > PAGED_POSTS_KEPT:
                    cache.popitem(last=False)
            else:
                cache.move_to_end(doc)
            posts.append(post)
        return posts

    async def list_posts_soonest_first(self, org_id: str, statuses: Sequence[PostStatus], *,
                                       offset: int, limit: int) -> list[Post]:
        # Instants are fixed-width UTC text (_ts): text order is time order.
        return await self._docs(
            Post, "SELECT doc FROM posts WHERE org_id = ?"
            " AND status IN (SELECT value FROM json_each(?))"
            " ORDER BY COALESCE(due_at, scheduled_at) IS NULL,"
            " COALESCE(due_at, scheduled_at, created_at), id LIMIT ? OFFSET ?",
            (org_id, _status_list(statuses), max(limit, 0), max(offset, 0)))

    async def count_posts(self, org_id: str, statuses: Sequence[PostStatus]) -> int:
        return await self._count(
            "SELECT COUNT(*) FROM posts WHERE org_id = ?"
            " AND status IN (SELECT value FROM json_each(?))",
            (org_id, _status_list(statuses)))

    async def count_posts_updated_between(self, org_id: str, statuses: Sequence[PostStatus],
                                          since: datetime, until: datetime) -> int:
        return await self._count(
            "SELECT COUNT(*) FROM posts WHERE org_id = ?"
            " AND status IN (SELECT value FROM json_each(?)) AND updated_at >= ?"
            " AND updated_at < ?", (org_id, _status_list(statuses), _ts(since), _ts(until)))

    async def replace_post(self, post: Post, expected_version: int, *,
                           audit: Sequence[AuditEvent] = (),
                           attempt: PublishAttempt | None = None) -> None:
        audit_rows = [_audit_values(event) for event in audit]
        write_attempt = None if attempt is None else _attempt_writer(attempt)

        def also(conn: sqlite3.Connection) -> None:
            if write_attempt is not None:
                write_attempt(conn)
            if audit_rows:
                conn.executemany(_INSERT_AUDIT, audit_rows)

        await self._replace_versioned(
            "posts", "doc, status, due_at, scheduled_at, from_queue, created_at, updated_at,"
            " version", _post_values(post), post.org_id, post.id, expected_version, "post",
            also if audit_rows or write_attempt is not None else None)

    async def find_due_posts(self, now: datetime, limit: int, *,
                             excluding_orgs: Sequence[str] = ()) -> list[Post]:
        return await self._docs(
            Post, "SELECT doc FROM posts WHERE status = ? AND due_at IS NOT NULL"
            " AND due_at <= ? AND org_id NOT IN (SELECT value FROM json_each(?))"
            " ORDER BY due_at, id LIMIT ?",
            (PostStatus.SCHEDULED.value, _ts(now), json.dumps(list(excluding_orgs)), limit))

    async def next_due_at(self, *, excluding_orgs: Sequence[str] = ()) -> datetime | None:
        rows = await self._fetch(
            "SELECT due_at FROM posts WHERE status = ? AND due_at IS NOT NULL"
            " AND org_id NOT IN (SELECT value FROM json_each(?)) ORDER BY due_at LIMIT 1",
            (PostStatus.SCHEDULED.value, json.dumps(list(excluding_orgs))))
        return _parse_ts(rows[0][0]) if rows else None

    async def find_stale_posts(self, statuses: Sequence[PostStatus], updated_before: datetime,
                               limit: int) -> list[Post]:
        return await self._docs(
            Post, "SELECT doc FROM posts WHERE status IN (SELECT value FROM json_each(?))"
            " AND updated_at < ? ORDER BY updated_at, id LIMIT ?",
            (_status_list(statuses), _ts(updated_before), limit))

    async def list_queue_times(self, org_id: str, connection_id: str,
                               after: datetime) -> list[datetime]:
        rows = await self._fetch(
            "SELECT scheduled_at FROM posts WHERE org_id = ? AND from_queue = 1"
            " AND status != ? AND scheduled_at IS NOT NULL AND scheduled_at > ?"
            " AND EXISTS (SELECT 1 FROM json_each(posts.doc, '$.targets') AS target"
            "  WHERE json_extract(target.value, '$.connection_id') = ?)"
            " ORDER BY scheduled_at",
            (org_id, PostStatus.CANCELED.value, _ts(after), connection_id))
        return [_parse_ts(row[0]) for row in rows]

    async def list_queue_posts(self, org_id: str, connection_id: str,
                               after: datetime) -> list[Post]:
        return await self._docs(
            Post, "SELECT doc FROM posts WHERE org_id = ? AND from_queue = 1"
            " AND status != ? AND scheduled_at IS NOT NULL AND scheduled_at > ?"
            " AND EXISTS (SELECT 1 FROM json_each(posts.doc, '$.targets') AS target"
            "  WHERE json_extract(target.value, '$.connection_id') = ?)"
            " ORDER BY scheduled_at, id",
            (org_id, PostStatus.CANCELED.value, _ts(after), connection_id))

    # -- queue settings ---------------------------------------------------------------------
    async def get_queue_settings(self, org_id: str,
                                 connection_id: str) -> QueueSettings | None:
        docs = await self._docs(
            QueueSettings, "SELECT doc FROM queue_settings WHERE org_id = ? AND connection_id = ?",
            (org_id, connection_id))
        return docs[0] if docs else None

    async def save_queue_settings(self, settings: QueueSettings) -> None:
        await self._write(
            "INSERT INTO queue_settings (org_id, connection_id, doc) VALUES (?, ?, ?)"
            " ON CONFLICT (org_id, connection_id) DO UPDATE SET doc = excluded.doc",
            (settings.org_id, settings.connection_id, _dump(settings)))

    # -- publish attempts and audit ---------------------------------------------------------
    async def insert_attempt(self, attempt: PublishAttempt) -> None:
        await self._call(_attempt_inserter(attempt))

    async def finish_attempt(self, attempt: PublishAttempt) -> None:
        await self._call(_attempt_finisher(attempt))

    async def list_attempts(self, org_id: str, post_id: str) -> list[PublishAttempt]:
        return await self._docs(
            PublishAttempt, "SELECT doc FROM attempts WHERE org_id = ? AND post_id = ?"
            " ORDER BY started_at, id", (org_id, post_id))

    async def append_audit(self, event: AuditEvent) -> None:
        await self._write(_INSERT_AUDIT, _audit_values(event), "That audit event already exists.")

    async def list_audit(self, org_id: str, subject_id: str | None = None,
                         limit: int = 200) -> list[AuditEvent]:
        return await self._docs(
            AuditEvent, "SELECT doc FROM audit WHERE org_id = ?"
            " AND (? IS NULL OR subject_id = ?) ORDER BY at, id LIMIT ?",
            (org_id, subject_id, subject_id, limit))

    async def list_recent_audit(self, org_id: str, *, offset: int = 0,
                                limit: int = 20) -> list[AuditEvent]:
        return await self._docs(
            AuditEvent, "SELECT doc FROM audit WHERE org_id = ?"
            " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
            (org_id, max(limit, 0), max(offset, 0)))

    async def list_audit_page(self, org_id: str, *, subject_id: str | None,
                              after: PageAfter | None, limit: int) -> list[AuditEvent]:
        at, after_id = (None, None) if after is None else (_ts(after.at), after.id)
        return await self._docs(
            AuditEvent, "SELECT doc FROM audit WHERE org_id = ?"
            " AND (? IS NULL OR subject_id = ?)"
            " AND (? IS NULL OR at < ? OR (at = ? AND id < ?))"
            " ORDER BY at DESC, id DESC LIMIT ?",
            (org_id, subject_id, subject_id, at, at, at, after_id, max(limit, 0)))

    # -- API keys ---------------------------------------------------------------------------
    async def insert_api_key(self, key: ApiKey) -> None:
        await self._write(
            "INSERT INTO api_keys (id, org_id, created_at, doc) VALUES (?, ?, ?, ?)",
            (key.id, key.org_id, _ts(key.created_at), _dump(key)), "That API key already exists.")

    async def find_api_key(self, key_id: str) -> ApiKey | None:
        docs = await self._docs(ApiKey, "SELECT doc FROM api_keys WHERE id = ?", (key_id,))
        return docs[0] if docs else None

    async def list_api_keys(self, org_id: str) -> list[ApiKey]:
        return await self._docs(
            ApiKey, "SELECT doc FROM api_keys WHERE org_id = ? ORDER BY created_at, id",
            (org_id,))

    async def update_api_key(self, key: ApiKey) -> None:
        if not await self._write("UPDATE api_keys SET doc = ? WHERE org_id = ? AND id = ?",
                                 (_dump(key), key.org_id, key.id)):
            raise NotFound("No such API key.")

    async def touch_api_key(self, key_id: str, at: datetime) -> None:
        await self._write(
            "UPDATE api_keys SET doc = json_set(doc, '$.last_used_at', ?) WHERE id = ?",
            (as_utc(at).isoformat().replace("+00:00", "Z"), key_id))

    # -- usage metering ---------------------------------------------------------------------
    async def consume_usage(self, org_id: str, metric: str, period: str,
                            limit: int | None) -> int | None:
        if limit is not None and limit <= 0:
            return None
        _, rows = await self._run(_CONSUME_USAGE, (org_id, metric, period, limit, limit))
        return int(rows[0][0]) if rows else None

    async def release_usage(self, org_id: str, metric: str, period: str) -> None:
        await self._write(
            "UPDATE usage SET count = count - 1"
            " WHERE org_id = ? AND metric = ? AND period = ? AND count > 0",
            (org_id, metric, period))

    async def get_usage(self, org_id: str, metric: str, period: str) -> int:
        rows = await self._fetch(
            "SELECT count FROM usage WHERE org_id = ? AND metric = ? AND period = ?",
            (org_id, metric, period))
        return int(rows[0][0]) if rows else 0

    # -- media held by organizations -------------------------------------------------------------
    async def hold_media(self, media: OrgMedia, limit_bytes: int | None) -> bool:
        row = (media.org_id, media.media_id, _ts(media.last_used_at), _dump(media))
        meter = (media.org_id, MEDIA_BYTES_METRIC, MEDIA_BYTES_PERIOD)

        def hold(conn: sqlite3.Connection) -> bool:
            if not conn.execute("INSERT INTO org_media (org_id, media_id, last_used_at, doc)"
                                " VALUES (?, ?, ?, ?) ON CONFLICT (org_id, media_id) DO NOTHING",
                                row).rowcount:
                _use_held_media(conn, media.org_id, media.media_id, media.last_used_at)
                return False
            if limit_bytes is not None:
                used = conn.execute("SELECT count FROM usage WHERE org_id = ? AND metric = ?"
                                    " AND period = ?", meter).fetchall()
                if (used[0][0] if used else 0) + media.size > limit_bytes:
                    raise UsageExhausted(MEDIA_BYTES_METRIC)  # the lane undoes the insert
            conn.execute("INSERT INTO usage (org_id, metric, period, count) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT (org_id, metric, period)"
                         " DO UPDATE SET count = usage.count + excluded.count",
                         (*meter, media.size))
            return True

        return await self._call(hold)

    async def use_held_media(self, org_id: str, media_id: str,
                             at: datetime) -> OrgMedia | None:
        return await self._call(lambda conn: _use_held_media(conn, org_id, media_id, at))

    async def find_idle_media(self, unused_since: datetime, limit: int) -> list[OrgMedia]:
        return await self._docs(
            OrgMedia, "SELECT doc FROM org_media WHERE last_used_at < ?"
            " ORDER BY last_used_at, org_id, media_id LIMIT ?", (_ts(unused_since), limit))

    async def media_in_use(self, org_id: str, media_ids: Sequence[str],
                           post_statuses: Sequence[PostStatus],
                           series_statuses: Sequence[SeriesStatus]) -> set[str]:
        wanted = json.dumps(list(media_ids))
        named = ("SELECT json_extract(m.value, '$.media_id') FROM {table},"
                 " json_each({table}.doc, '$.media') AS m WHERE {table}.org_id = ?"
                 " AND {table}.status IN (SELECT value FROM json_each(?))"
                 " AND json_extract(m.value, '$.media_id') IN (SELECT value FROM json_each(?))")
        rows = await self._fetch(
            named.format(table="posts") + " UNION " + named.format(table="recurring_series"),
            (org_id, _status_list(post_statuses), wanted,
             org_id, _status_list(series_statuses), wanted))
        return {str(row[0]) for row in rows}

    async def media_last_named(self, org_id: str, media_ids: Sequence[str]) -> dict[str, datetime]:
        rows = await self._fetch(
            "SELECT json_extract(m.value, '$.media_id') AS named, MAX(posts.updated_at)"
            " FROM posts, json_each(posts.doc, '$.media') AS m WHERE posts.org_id = ?"
            " AND named IN (SELECT value FROM json_each(?)) GROUP BY named",
            (org_id, json.dumps(list(media_ids))))
        return {str(named): _parse_ts(last) for named, last in rows}

    async def release_held_media(self, media: OrgMedia) -> bool:
        def release(conn: sqlite3.Connection) -> bool:
            if not conn.execute("DELETE FROM org_media WHERE org_id = ? AND media_id = ?"
                                " AND last_used_at = ?",
                                (media.org_id, media.media_id, _ts(media.last_used_at))
                                ).rowcount:
                return False
            conn.execute("UPDATE usage SET count = MAX(count - ?, 0)"
                         " WHERE org_id = ? AND metric = ? AND period = ?",
                         (media.size, media.org_id, MEDIA_BYTES_METRIC, MEDIA_BYTES_PERIOD))
            return True

        return await self._call(release)

    async def count_media_holders(self, media_id: str) -> int:
        return await self._count("SELECT COUNT(*) FROM org_media WHERE media_id = ?",
                                 (media_id,))

    # -- chat commands registered ------------------------------------------------------------
    async def get_chat_commands_digest(self, platform: str, scope: str) -> str | None:
        rows = await self._fetch("SELECT digest FROM chat_commands WHERE platform = ? AND "
                                 "scope = ?", (platform, scope))
        return str(rows[0][0]) if rows else None

    async def set_chat_commands_digest(self, platform: str, scope: str, digest: str,
                                       at: datetime) -> None:
        await self._write(
            "INSERT INTO chat_commands (platform, scope, digest, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (platform, scope) DO UPDATE SET digest = excluded.digest,"
            " updated_at = excluded.updated_at", (platform, scope, digest, _ts(at)))

    # -- heartbeats (worker canary) ----------------------------------------------------------
    async def set_heartbeat(self, name: str, at: datetime) -> None:
        await self._write(
            "INSERT INTO heartbeats (name, at) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET at = excluded.at", (name, _ts(at)))

    async def get_heartbeat(self, name: str) -> datetime | None:
        rows = await self._fetch("SELECT at FROM heartbeats WHERE name = ?", (name,))
        return _parse_ts(rows[0][0]) if rows else None

    # -- the sandbox network's own records (its port: integrations/sandbox/records.py) --------
    async def insert_sandbox_post(self, post: SandboxPost) -> None:
        await self._write(
            "INSERT INTO sandbox_posts (id, connection_id, idempotency_key, created_at, doc)"
            " VALUES (?, ?, ?, ?, ?)",
            (post.id, post.connection_id, post.idempotency_key, _ts(post.created_at),
             _dump(post)),
            "That sandbox post already exists.")

    async def find_sandbox_posts(self, connection_id: str,
                                 idempotency_key: str | None = None) -> list[SandboxPost]:
        return await self._docs(
            SandboxPost, "SELECT doc FROM sandbox_posts WHERE connection_id = ?"
            " AND (? IS NULL OR idempotency_key = ?) ORDER BY created_at, id",
            (connection_id, idempotency_key, idempotency_key))

    async def get_sandbox_post(self, sandbox_post_id: str) -> SandboxPost | None:
        docs = await self._docs(SandboxPost, "SELECT doc FROM sandbox_posts WHERE id = ?",
                                (sandbox_post_id,))
        return docs[0] if docs else None

    # -- recurring series ---------------------------------------------------------------------
    async def insert_series(self, series: RecurringSeries) -> None:
        await self._write(
            "INSERT INTO recurring_series (id, org_id, status, next_at, created_at, version, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (series.id, series.org_id, series.status.value, _ts_or_none(series.next_at),
             _ts(series.created_at), series.version, _dump(series)),
            "That recurring series already exists.")

    async def get_series(self, org_id: str, series_id: str) -> RecurringSeries:
        return await self._doc(
            RecurringSeries, "SELECT doc FROM recurring_series WHERE org_id = ? AND id = ?",
            (org_id, series_id), "No such recurring series.")

    async def list_series(self, org_id: str,
                          statuses: Sequence[SeriesStatus] | None = None) -> list[RecurringSeries]:
        wanted = None if statuses is None else _status_list(statuses)
        return await self._docs(
            RecurringSeries, "SELECT doc FROM recurring_series WHERE org_id = ?"
            " AND (? IS NULL OR status IN (SELECT value FROM json_each(?)))"
            " ORDER BY created_at, id", (org_id, wanted, wanted))

    async def replace_series(self, series: RecurringSeries, expected_version: int) -> None:
        await self._replace_versioned(
            "recurring_series", "status, next_at, version, doc",
            (series.status.value, _ts_or_none(series.next_at), series.version, _dump(series)),
            series.org_id, series.id, expected_version, "recurring series")

    async def find_due_series(self, before: datetime, limit: int) -> list[RecurringSeries]:
        return await self._docs(
            RecurringSeries, "SELECT doc FROM recurring_series WHERE status = ?"
            " AND next_at IS NOT NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?",
            (SeriesStatus.ACTIVE.value, _ts(before), limit))

    async def list_posts_by_source(self, org_id: str, kind: str, ref: str,
                                   limit: int = 50) -> list[Post]:
        return await self._docs(
            Post, "SELECT doc FROM posts WHERE org_id = ?"
            " AND json_extract(doc, '$.source.kind') = ? AND json_extract(doc, '$.source.ref') = ?"
            " ORDER BY scheduled_at DESC, id DESC LIMIT ?", (org_id, kind, ref, limit))

    # -- approval policies and review requests -------------------------------------------------
    async def get_approval_policies(self, org_id: str) -> dict[str, ApprovalPolicy]:
        rows = await self._fetch("SELECT scope, doc FROM approval_policies WHERE org_id = ?",
                                 (org_id,))
        return {scope: _load(ApprovalPolicy, doc) for scope, doc in rows}

    async def save_approval_policy(self, org_id: str, scope: str,
                                   policy: ApprovalPolicy | None) -> None:
        if policy is None:
            await self._write("DELETE FROM approval_policies WHERE org_id = ? AND scope = ?",
                              (org_id, scope))
            return
        await self._write(
            "INSERT INTO approval_policies (org_id, scope, doc) VALUES (?, ?, ?)"
            " ON CONFLICT (org_id, scope) DO UPDATE SET doc = excluded.doc",
            (org_id, scope, _dump(policy)))

    async def insert_review(self, review: ReviewRequest) -> None:
        await self._write(
            "INSERT INTO reviews (id, org_id, post_id, state, expires_at, requested_at, version,"
            " doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (review.id, review.org_id, review.post_id, review.state.value,
             _ts_or_none(review.expires_at), _ts(review.requested_at), review.version,
             _dump(review)),
            "That review request already exists.")

    async def get_review(self, org_id: str, review_id: str) -> ReviewRequest:
        return await self._doc(
            ReviewRequest, "SELECT doc FROM reviews WHERE org_id = ? AND id = ?",
            (org_id, review_id), "No such review request.")

    async def find_review_for_post(self, org_id: str, post_id: str) -> ReviewRequest | None:
        docs = await self._docs(
            ReviewRequest, "SELECT doc FROM reviews WHERE org_id = ? AND post_id = ?"
            " ORDER BY requested_at DESC, id DESC LIMIT 1", (org_id, post_id))
        return docs[0] if docs else None

    async def replace_review(self, review: ReviewRequest, expected_version: int) -> None:
        await self._replace_versioned(
            "reviews", "state, expires_at, requested_at, version, doc",
            (review.state.value, _ts_or_none(review.expires_at), _ts(review.requested_at),
             review.version, _dump(review)),
            review.org_id, review.id, expected_version, "review request")

    async def list_open_reviews(self, org_id: str, limit: int) -> list[ReviewRequest]:
        return await self._docs(
            ReviewRequest, "SELECT doc FROM reviews WHERE org_id = ? AND state = ?"
            " ORDER BY requested_at, id LIMIT ?", (org_id, ReviewState.OPEN.value, limit))

    async def find_expired_reviews(self, now: datetime, limit: int) -> list[ReviewRequest]:
        return await self._docs(
            ReviewRequest, "SELECT doc FROM reviews WHERE state = ?"
            " AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, id LIMIT ?",
            (ReviewState.OPEN.value, _ts(now), limit))

    # -- members' notification centers -------------------------------------------------------
    async def insert_inbox_entries(self, entries: Sequence[InboxEntry]) -> None:
        rows = [(e.id, e.org_id, e.member_id, _ts(e.created_at), _ts_or_none(e.read_at),
                 _dump(e)) for e in entries]
        if not rows:
            return

        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.executemany("INSERT INTO inbox_entries (id, org_id, member_id, created_at,"
                                 " read_at, doc) VALUES (?, ?, ?, ?, ?, ?)", rows)
            except sqlite3.IntegrityError as err:
                raise Conflict("That inbox entry already exists.") from err

        await self._call(insert)

    async def list_inbox_entries(self, org_id: str, member_id: str, *,
                                 unread_only: bool = False,
                                 limit: int = 20) -> list[InboxEntry]:
        return await self._docs(
            InboxEntry, "SELECT doc FROM inbox_entries WHERE org_id = ? AND member_id = ?"
            " AND (? = 0 OR read_at IS NULL) ORDER BY created_at DESC, id DESC LIMIT ?",
            (org_id, member_id, int(unread_only), max(limit, 0)))

    async def count_unread_inbox_entries(self, org_id: str, member_id: str) -> int:
        return await self._count(
            "SELECT COUNT(*) FROM inbox_entries WHERE org_id = ? AND member_id = ?"
            " AND read_at IS NULL", (org_id, member_id))

    async def mark_inbox_read(self, org_id: str, member_id: str, at: datetime) -> int:
        return await self._write(
            "UPDATE inbox_entries SET read_at = ?, doc = json_set(doc, '$.read_at', ?)"
            " WHERE org_id = ? AND member_id = ? AND read_at IS NULL",
            (_ts(at), _ts(at), org_id, member_id))

    async def purge_inbox_entries(self, created_before: datetime, limit: int) -> int:
        return await self._write(
            "DELETE FROM inbox_entries WHERE id IN (SELECT id FROM inbox_entries"
            " WHERE created_at < ? ORDER BY created_at LIMIT ?)",
            (_ts(created_before), max(limit, 0)))
    # -- outgoing emails and suppressed addresses -------------------------------------------
    async def insert_outgoing_email(self, email: OutgoingEmail) -> None:
        await self._write(
            "INSERT INTO outgoing_emails (id, dedupe_key, org_id, status, created_at,"
            " claimed_until, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (email.id, email.key, email.org_id, email.status.value, _ts(email.created_at),
             _ts_or_none(email.claimed_until), _dump(email)),
            "That email is recorded already.")

    async def get_outgoing_email(self, email_id: str) -> OutgoingEmail:
        return await self._doc(OutgoingEmail, "SELECT doc FROM outgoing_emails WHERE id = ?",
                               (email_id,), "No such email.")

    async def claim_outgoing_email(self, email_id: str, now: datetime,
                                   until: datetime) -> OutgoingEmail | None:
        def claim(conn: sqlite3.Connection) -> OutgoingEmail | None:
            rows = conn.execute(
                "SELECT doc FROM outgoing_emails WHERE id = ? AND status = ?"
                " AND (claimed_until IS NULL OR claimed_until <= ?)",
                (email_id, EmailStatus.PENDING.value, _ts(now))).fetchall()
            if not rows:
                return None
            current = _load(OutgoingEmail, rows[0][0])
            claimed = current.model_copy(update={"claimed_until": until,
                                                 "attempts": current.attempts + 1})
            conn.execute("UPDATE outgoing_emails SET claimed_until = ?, doc = ? WHERE id = ?",
                         (_ts(until), _dump(claimed), email_id))
            return claimed

        return await self._call(claim)

    async def finish_outgoing_email(self, email_id: str, status: EmailStatus, now: datetime,
                                    *, error: str = "", transport_id: str = "") -> None:
        update: dict[str, object] = {"status": status, "claimed_until": None, "error": error,
                                     "transport_id": transport_id}
        if status is EmailStatus.SENT:
            update["sent_at"] = now
        await self._update_email(email_id, update)

    async def release_outgoing_email(self, email_id: str, error: str) -> None:
        await self._update_email(email_id, {"claimed_until": None, "error": error})

    async def _update_email(self, email_id: str, update: dict[str, object]) -> None:
        def apply(conn: sqlite3.Connection) -> bool:
            rows = conn.execute("SELECT doc FROM outgoing_emails WHERE id = ?",
                                (email_id,)).fetchall()
            if not rows:
                return False
            email = _load(OutgoingEmail, rows[0][0]).model_copy(update=update)
            conn.execute("UPDATE outgoing_emails SET status = ?, claimed_until = ?, doc = ?"
                         " WHERE id = ?", (email.status.value,
                                           _ts_or_none(email.claimed_until), _dump(email),
                                           email_id))
            return True

        if not await self._call(apply):
            raise NotFound("No such email.")

    async def find_unsent_emails(self, created_before: datetime, now: datetime,
                                 limit: int) -> list[OutgoingEmail]:
        return await self._docs(
            OutgoingEmail, "SELECT doc FROM outgoing_emails WHERE status = ?"
            " AND created_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)"
            " ORDER BY created_at, id LIMIT ?",
            (EmailStatus.PENDING.value, _ts(created_before), _ts(now), limit))

    async def list_outgoing_emails(self, org_id: str, limit: int) -> list[OutgoingEmail]:
        return await self._docs(
            OutgoingEmail, "SELECT doc FROM outgoing_emails WHERE org_id = ?"
            " ORDER BY created_at DESC, id DESC LIMIT ?", (org_id, limit))

    async def find_recorded_email_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        rows = await self._fetch(
            "SELECT dedupe_key FROM outgoing_emails WHERE dedupe_key IN"
            " (SELECT value FROM json_each(?))", (json.dumps(list(keys)),))
        return {row[0] for row in rows}

    async def suppress_email_address(self, suppression: EmailSuppression) -> None:
        await self._write(
            "INSERT INTO email_suppressions (address, doc) VALUES (?, ?)"
            " ON CONFLICT (address) DO UPDATE SET doc = excluded.doc",
            (address_key(suppression.address), _dump(suppression)))

    async def find_email_suppression(self, address: str) -> EmailSuppression | None:
        docs = await self._docs(EmailSuppression,
                                "SELECT doc FROM email_suppressions WHERE address = ?",
                                (address_key(address),))
        return docs[0] if docs else None

    async def lift_email_suppression(self, address: str) -> bool:
        return bool(await self._write("DELETE FROM email_suppressions WHERE address = ?",
                                      (address_key(address),)))
