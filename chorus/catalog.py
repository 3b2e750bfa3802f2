"""The catalog: shows, episodes, their lifecycle, append-only transcript and notes revisions with
their approvals, and the editor's users, tokens, login sessions, drafts and presence.

SQLite under the data directory by default; any SQLAlchemy URL (PostgreSQL) via ``catalog_url``.
Every status change is written in its own transaction together with an event row, so a crash at
any point leaves a consistent record to resume from.
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import orjson
from sqlalchemy import (JSON, DateTime, ForeignKey, Integer, String, Text, TypeDecorator, UniqueConstraint,
                        create_engine, event, func, select)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from chorus.catalog_revisions import MACHINE, RevisionQueries, RevisionSummary
from chorus.catalog_schema import prepare as prepare_schema

__all__ = [
    "Catalog", "Show", "Episode", "EpisodeEvent", "TranscriptRevision", "NotesRevision", "STATUSES", "utcnow",
    "MACHINE", "KINDS", "User", "ApiToken", "LoginSession", "RevisionInfo", "Approval", "Draft", "EditingPresence",
    "RevisionSummary", "PrivacyFlag", "Redaction",
]

STATUSES = ("claimed", "mastering", "transcribing", "drafted", "in_review", "approved", "rendering", "releasing",
            "scheduled", "published", "waiting", "held", "failed", "unpublished")
"""``releasing``: objects uploaded, feed not yet written; ``scheduled``: released, listed from its
``published_at``; ``waiting``: the store was unreachable, the recording stays claimed and is tried again."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def unique_slug(s: Session, show_id: int, title: str) -> str:
    """A slug for an episode of the show from ``title``, not taken by another of its episodes (``-2``, ``-3``...)."""
    from chorus.settings import slugify

    base = slugify(title)
    taken = set(s.scalars(select(Episode.slug).where(Episode.show_id == show_id, Episode.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


class _UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes, also on SQLite (which stores none): feeds need aware dates."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ARG002
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the catalog; use chorus.catalog.utcnow()")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):  # noqa: ARG002
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None  # PostgreSQL: the session's zone


class _Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: _UTCDateTime}


class Show(_Base):
    __tablename__ = "shows"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    podcast_guid: Mapped[str | None] = mapped_column(String(36))
    """Podcasting 2.0 GUID: computed from the first feed URL, then stored and never changed."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    episodes: Mapped[list["Episode"]] = relationship(back_populates="show", order_by="Episode.id")


class Episode(_Base):
    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("show_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    show_id: Mapped[int] = mapped_column(ForeignKey("shows.id"))
    guid: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: f"urn:uuid:{uuid.uuid4()}")
    """The feed item's guid: assigned once, never changed, so apps never show an episode twice."""
    slug: Mapped[str] = mapped_column(String(100))
    number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="claimed")
    error: Mapped[str | None] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str] = mapped_column(String(64), index=True, unique=True)
    """One episode per content hash: the unique index is what makes one claim of racing watchers win."""
    source_path: Mapped[str | None] = mapped_column(Text)
    """Where the original is now (the inbox while processing, then archive/ or failed/)."""
    duration: Mapped[float | None]
    source_duration: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    media: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """What mastering measured and did (loudness in/out, true peak, options)."""
    objects: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Published objects by kind: {"mp3": {"key", "url", "length", "type", "sha256"}, "vtt": ...}."""
    show: Mapped[Show] = relationship(back_populates="episodes")

    def url(self, kind: str) -> str | None:
        obj = (self.objects or {}).get(kind)
        return obj["url"] if obj else None


class EpisodeEvent(_Base):
    __tablename__ = "episode_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class _Revision:
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    author: Mapped[str] = mapped_column(String(100))
    """'machine' for generated revisions, else the volunteer's user name."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]]


class TranscriptRevision(_Revision, _Base):
    """A transcript as ``Transcript.to_dict()``; rows are only ever added, never updated."""

    __tablename__ = "transcript_revisions"
    __table_args__ = (UniqueConstraint("episode_id", "number"),)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)


class NotesRevision(_Revision, _Base):
    """Show notes as ``ShowNotes.to_dict()``; rows are only ever added, never updated."""

    __tablename__ = "notes_revisions"
    __table_args__ = (UniqueConstraint("episode_id", "number"),)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)


def _append_only(mapper, connection, target):  # noqa: ARG001 - SQLAlchemy event signature
    raise ValueError(f"{type(target).__name__} rows are append-only; add a new revision instead")


for _cls in (TranscriptRevision, NotesRevision):
    event.listen(_cls, "before_update", _append_only)
    event.listen(_cls, "before_delete", _append_only)


KINDS = {"transcript": TranscriptRevision, "notes": NotesRevision}
"""Revision kinds by name, as the editor, approvals and drafts spell them."""


class User(_Base):
    """A volunteer ("editor") or an "organiser". Removal sets ``removed_at`` and keeps the row, so
    revisions and approvals keep their author; ``chorus.accounts`` holds the rules."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(Text)
    """argon2 (``argon2.PasswordHasher``); the password itself is never stored."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]


class ApiToken(_Base):
    """An API token for ``Authorization: Bearer``, stored only as its sha256."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)


class LoginSession(_Base):
    """A browser login: the cookie's token stored as its sha256, with the session's CSRF token."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class RevisionInfo(_Base):
    """What the editor knows about a revision: the revision it was edited from, whether it is a
    three-way merge, and a summary of the change. Machine revisions may have none."""

    __tablename__ = "revision_info"
    __table_args__ = (UniqueConstraint("kind", "episode_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)
    number: Mapped[int]
    base: Mapped[int | None]
    merged: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str | None] = mapped_column(Text)


class Approval(_Base):
    """An organiser approved a revision: the newest approval is what the episode publishes."""

    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    number: Mapped[int]
    approved_by: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(_Base):
    """A user's unsaved work on one episode's transcript or notes, kept on the server (one row,
    replaced at each autosave), so an expired session or a closed laptop loses nothing."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("episode_id", "user", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)
    user: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(12))
    base: Mapped[int | None]
    data: Mapped[dict[str, Any]]
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class EditingPresence(_Base):
    """Who has an episode open in the editor, since when; stale after ``PRESENCE_SECONDS`` unseen."""

    __tablename__ = "editing_presence"
    __table_args__ = (UniqueConstraint("episode_id", "user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)
    user: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class PrivacyFlag(_Base):
    """Personal data found in an episode's transcript (``transcripts.privacy.Flag``), and what a reviewer
    decided: ``open`` until someone redacts it (``redacted``) or dismisses it with a reason (``dismissed``).
    Once redacted, ``text`` is cleared: the catalog never keeps removed words."""

    __tablename__ = "privacy_flags"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)
    revision: Mapped[int]
    """The transcript revision the word indices refer to."""
    first: Mapped[int]
    last: Mapped[int]
    start: Mapped[float]
    end: Mapped[float]
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float] = mapped_column(default=0.0)
    state: Mapped[str] = mapped_column(String(12), default="open")
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it was dismissed (the reviewer's words)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Redaction(_Base):
    """Who redacted what kind of item in an episode, when, where in the audio, and whether the check
    after republishing passed. Never the removed words: ``digests`` holds salted SHA-256 digests of them
    (what the check searches the bucket and the re-transcribed audio for), cleared once the check passes."""

    __tablename__ = "redactions"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    """A flag kind (``person``, ``phone``...) or ``manual``."""
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_flags.id"))
    spans: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """``{"times": [[start, end], ...]}``: every occurrence, in mastered-audio seconds (bleeped or silenced)."""
    redacted_by: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int | None]
    """The transcript revision that carries the redaction."""
    scrubbed: Mapped[int] = mapped_column(default=0)
    """How many earlier revisions and drafts were scrubbed (the audited exception to append-only)."""
    digests: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    """``{"salt": hex, "phrases": [hex digest of each normalised phrase/token, ...], "max_tokens": n}``; None once verified."""
    verified: Mapped[bool | None] = mapped_column(default=None)
    """None: not checked yet; True: the check after republishing passed; False: it failed (the episode stays held)."""
    verified_at: Mapped[datetime | None]
    check: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    """What the last check found: counts per place (never words)."""


class _FeedItemDigest(_Base):
    """A feed item that passed ``feeds.validate_feed``, by show and item guid: the next build of the
    show's feeds checks only new or changed items (a cache: losing rows only costs time)."""

    __tablename__ = "feed_item_digests"
    show_slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    guid: Mapped[str] = mapped_column(String(100), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))


class Catalog(RevisionQueries):
    """Session factory plus the handful of queries the pipeline needs; revisions, approvals, drafts and
    presence are ``chorus.catalog_revisions.RevisionQueries``."""

    def __init__(self, url: str):
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
            db = make_url(url).database
            if db and db != ":memory:":
                Path(db).parent.mkdir(parents=True, exist_ok=True)
        # orjson for the JSON columns: a 20,000-word transcript revision encodes in about 9 ms instead of
        # json's 108 ms (bench/editor.py's save profile), and reads back in about half the time
        self.engine = create_engine(url, json_serializer=_json_dumps, json_deserializer=orjson.loads, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        prepare_schema(self.engine, _Base.metadata)  # create, or upgrade (chorus.catalog_schema)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on error."""
        with self._sessions.begin() as s:
            yield s

    def show(self, s: Session, slug: str) -> Show:
        """The show row for ``slug``, created on first use."""
        show = s.scalar(select(Show).where(Show.slug == slug))
        if show is None:
            show = Show(slug=slug)
            s.add(show)
            s.flush()
        return show

    def find_by_sha(self, s: Session, sha256: str) -> Episode | None:
        """The newest episode made from these exact bytes, if any."""
        return s.scalar(select(Episode).where(Episode.source_sha256 == sha256).order_by(Episode.id.desc()))

    def set_status(self, episode_id: int, status: str, detail: str | None = None, **fields: Any) -> Episode:
        """Move an episode to ``status`` (and set ``fields``) in one transaction, with an event row."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self.session() as s:
            ep = s.get_one(Episode, episode_id)
            ep.status = status
            ep.error = detail if status == "failed" else None
            for k, v in fields.items():
                setattr(ep, k, v)
            s.add(EpisodeEvent(episode_id=episode_id, status=status, detail=detail))
            return ep

    def published(self, s: Session, show_slug: str, now: datetime | None = None) -> list[Episode]:
        """The episodes a show's feed lists, newest first: every episode whose objects are uploaded
        and whose release time has come, unless it was unpublished. That includes one being released
        (its feed not written yet) and one being republished, so no rebuild ever drops it."""
        now = now or utcnow()
        q = (select(Episode).join(Show)
             .where(Show.slug == show_slug, Episode.status != "unpublished", Episode.published_at.is_not(None),
                    Episode.published_at <= now)
             .order_by(Episode.published_at.desc(), Episode.id.desc()))
        # a held episode (in review, its objects under the private prefix) is not public in any form
        return [ep for ep in s.scalars(q) if ep.objects and "mp3" in ep.objects and ep.status != "in_review"
                and not ep.objects["mp3"].get("private")]

    def due(self, s: Session, now: datetime | None = None) -> list[Episode]:
        """Scheduled episodes whose release time has come (their show's feed must be rebuilt)."""
        now = now or utcnow()
        return list(s.scalars(select(Episode).where(Episode.status == "scheduled", Episode.published_at <= now)))

    def next_number(self, s: Session, show_id: int) -> int:
        return (s.scalar(select(func.max(Episode.number)).where(Episode.show_id == show_id)) or 0) + 1

    def forget_removed(self) -> None:
        """Make rows that a redaction overwrote unrecoverable from the database files: SQLite zeroes freed
        content (``secure_delete``) and its write-ahead log is checkpointed and truncated here; PostgreSQL
        keeps old row versions until a ``VACUUM FULL`` rewrites the scrubbed tables."""
        tables = ("transcript_revisions", "notes_revisions", "drafts", "privacy_flags", "episodes", "revision_info",
                  "episode_events")
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in tables:
                    conn.exec_driver_sql(f"VACUUM FULL {table}")

    def feed_item_digests(self, show_slug: str) -> dict[str, str]:
        """Digests of the show's feed items that passed validation, by guid (``feeds.FeedCheck.digests``)."""
        with self.session() as s:
            q = select(_FeedItemDigest.guid, _FeedItemDigest.sha256).where(_FeedItemDigest.show_slug == show_slug)
            return {guid: sha for guid, sha in s.execute(q)}

    def save_feed_item_digests(self, show_slug: str, digests: dict[str, str]) -> None:
        """Make ``digests`` the show's validated feed items: writes only the rows that changed."""
        old = self.feed_item_digests(show_slug)
        with self.session() as s:
            for guid in old.keys() - digests.keys():
                s.delete(s.get_one(_FeedItemDigest, (show_slug, guid)))
            for guid, sha in digests.items():
                if guid not in old:
                    s.add(_FeedItemDigest(show_slug=show_slug, guid=guid, sha256=sha))
                elif old[guid] != sha:
                    s.get_one(_FeedItemDigest, (show_slug, guid)).sha256 = sha


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars (measurements from the media steps)
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json_dumps(value: Any) -> str:
    """JSON text of a column value, as ``json.dumps`` would store it (orjson, numpy scalars as numbers)."""
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # a redaction scrubs revisions in place: deleted and overwritten content is zeroed, never left in free pages
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()
