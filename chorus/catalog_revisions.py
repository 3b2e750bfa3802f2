"""The catalog's revision queries: numbering, approval (what an episode publishes), history, drafts and
who is editing.

``chorus.catalog.Catalog`` mixes in ``RevisionQueries``; the tables live in ``chorus.catalog``. A revision
kind is ``"transcript"`` or ``"notes"`` (or the table class, ``TranscriptRevision`` / ``NotesRevision``).

**What an episode publishes** (``current_revision``): the newest *approved* revision, by approval time,
when an organiser has approved one; else the newest ``machine`` revision. A volunteer's revision is
published only once it is approved, and a regenerated machine draft never replaces an approved edit.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from chorus.errors import ChorusError

__all__ = ["RevisionQueries", "RevisionSummary", "MACHINE", "PRESENCE_SECONDS"]

MACHINE = "machine"
"""Author of generated revisions; any other author is a volunteer."""
PRESENCE_SECONDS = 120
"""Someone who has not been seen in the editor for this long is no longer editing."""
_ATTEMPTS = 50


@dataclass(frozen=True)
class RevisionSummary:
    """One line of an episode's history (no words: ``Catalog.revision`` loads those)."""

    number: int
    author: str
    created_at: datetime
    base: int | None
    """The revision it was edited from; None for machine drafts."""
    merged: bool
    """True when it is a three-way merge of two saves from the same base."""
    summary: str | None
    approved_by: str | None
    """Who approved it most recently, if anyone did."""
    approved_at: datetime | None


def _schema():
    """The catalog module, imported when first needed: it mixes this module's class into ``Catalog``."""
    from chorus import catalog

    return catalog


def _kind(kind: Any) -> tuple[str, Any]:
    """``(name, table class)`` for a kind given by name or by class."""
    kinds = _schema().KINDS
    for name, cls in kinds.items():
        if kind == name or kind is cls:
            return name, cls
    raise ValueError(f"unknown revision kind {kind!r}; use one of {', '.join(kinds)}")


def _lost_race(e: Exception) -> bool:
    """True when ``e`` means another writer got there first (try again), not a real error: a unique key
    taken meanwhile (SQLite ``UNIQUE constraint failed``, PostgreSQL ``duplicate key ... unique constraint``),
    a locked SQLite file, or a PostgreSQL deadlock or serialisation failure."""
    text = str(getattr(e, "orig", e)).lower()
    if isinstance(e, IntegrityError):
        return "unique" in text
    return any(word in text for word in ("locked", "busy", "deadlock detected", "could not serialize"))


def _retrying(fn):
    """``fn()`` again while concurrent writers collide, with a short random back-off."""
    for attempt in range(_ATTEMPTS):
        try:
            return fn()
        except (IntegrityError, OperationalError) as e:
            if attempt == _ATTEMPTS - 1 or not _lost_race(e):
                raise
            time.sleep(random.uniform(0.001, 0.02))


class RevisionQueries:
    """Revisions, approvals, drafts and presence; needs ``self.session()`` (``Catalog``)."""

    def add_revision(self, kind: Any, episode_id: int, data: dict[str, Any], author: str = MACHINE,
                     base: int | None = None, merged: bool = False, summary: str | None = None) -> int:
        """Append a revision and return its number (1, 2, ...).

        Numbers are unique per episode and kind even when several savers write at once: a saver that
        loses the race for a number takes the next one; nothing is ever overwritten.
        """
        name, cls = _kind(kind)
        info = _schema().RevisionInfo

        def attempt() -> int:
            with self.session() as s:
                number = (s.scalar(select(func.max(cls.number)).where(cls.episode_id == episode_id)) or 0) + 1
                s.add(cls(episode_id=episode_id, number=number, author=author, data=data))
                s.add(info(kind=name, episode_id=episode_id, number=number, base=base, merged=merged,
                           summary=summary))
                return number

        return _retrying(attempt)

    def revision(self, kind: Any, episode_id: int, number: int):
        """Revision ``number`` of the episode's transcript or notes, or None."""
        _name, cls = _kind(kind)
        with self.session() as s:
            return s.scalar(select(cls).where(cls.episode_id == episode_id, cls.number == number))

    def latest_revision(self, kind: Any, episode_id: int):
        """The newest revision, whoever wrote it and whether or not it is approved (what editors start from)."""
        _name, cls = _kind(kind)
        with self.session() as s:
            # limit(1): ORM results are buffered, so without it every revision (each a whole transcript)
            # would be read and parsed to return the first one
            return s.scalar(select(cls).where(cls.episode_id == episode_id).order_by(cls.number.desc()).limit(1))

    def approved_revision(self, kind: Any, episode_id: int):
        """The most recently approved revision, or None when none was approved."""
        name, cls = _kind(kind)
        approval = _schema().Approval
        with self.session() as s:
            number = s.scalar(select(approval.number)
                              .where(approval.episode_id == episode_id, approval.kind == name)
                              .order_by(approval.at.desc(), approval.id.desc()).limit(1))
            if number is None:
                return None
            return s.scalar(select(cls).where(cls.episode_id == episode_id, cls.number == number))

    def current_revision(self, kind: Any, episode_id: int):
        """The revision the episode publishes: the newest approved one (by approval time), else the newest
        machine revision. Unapproved volunteer revisions are never published."""
        _name, cls = _kind(kind)
        approved = self.approved_revision(kind, episode_id)
        if approved is not None:
            return approved
        with self.session() as s:
            return s.scalar(select(cls).where(cls.episode_id == episode_id, cls.author == MACHINE)
                            .order_by(cls.number.desc()).limit(1))

    def approve(self, episode_id: int, kind: Any, number: int, by: str):
        """Record that ``by`` (a user name) approved revision ``number``; returns the ``Approval``.

        It becomes what the episode publishes; republishing is the caller's next step.
        """
        name, cls = _kind(kind)
        with self.session() as s:
            if s.scalar(select(cls.id).where(cls.episode_id == episode_id, cls.number == number)) is None:
                raise ChorusError(f"episode {episode_id} has no {name} revision {number}")
            row = _schema().Approval(episode_id=episode_id, kind=name, number=number, approved_by=by)
            s.add(row)
            return row

    def revisions(self, kind: Any, episode_id: int) -> list[RevisionSummary]:
        """The episode's history of one kind, oldest first, with who approved what."""
        name, cls = _kind(kind)
        c = _schema()
        info, approval = c.RevisionInfo, c.Approval
        with self.session() as s:
            approved = {n: (by, at) for n, by, at in s.execute(
                select(approval.number, approval.approved_by, approval.at)
                .where(approval.episode_id == episode_id, approval.kind == name)
                .order_by(approval.at, approval.id))}
            q = (select(cls.number, cls.author, cls.created_at, info.base, info.merged, info.summary)
                 .outerjoin(info, (info.kind == name) & (info.episode_id == cls.episode_id)
                            & (info.number == cls.number))
                 .where(cls.episode_id == episode_id).order_by(cls.number))
            return [RevisionSummary(n, author, at, base, bool(merged), summary, *approved.get(n, (None, None)))
                    for n, author, at, base, merged, summary in s.execute(q)]

    def get_draft(self, episode_id: int, user: str, kind: Any):
        """The user's saved draft for this episode and kind (a ``Draft``), or None."""
        name, _cls = _kind(kind)
        draft = _schema().Draft
        with self.session() as s:
            return s.scalar(select(draft).where(draft.episode_id == episode_id, draft.user == user,
                                                draft.kind == name))

    def put_draft(self, episode_id: int, user: str, kind: Any, data: dict[str, Any], base: int | None = None):
        """Save (replace) the user's draft for this episode and kind; returns the ``Draft``."""
        name, _cls = _kind(kind)
        c = _schema()
        draft = c.Draft

        def attempt():
            with self.session() as s:
                row = s.scalar(select(draft).where(draft.episode_id == episode_id, draft.user == user,
                                                   draft.kind == name))
                if row is None:
                    row = draft(episode_id=episode_id, user=user, kind=name)
                    s.add(row)
                row.base, row.data, row.saved_at = base, data, c.utcnow()
                return row

        return _retrying(attempt)

    def drop_draft(self, episode_id: int, user: str, kind: Any) -> bool:
        """Delete the user's draft (after it was saved as a revision); True if there was one."""
        name, _cls = _kind(kind)
        draft = _schema().Draft
        with self.session() as s:
            gone = s.execute(delete(draft).where(draft.episode_id == episode_id, draft.user == user,
                                                 draft.kind == name))
            return bool(gone.rowcount)

    def drafts_of(self, user: str) -> list:
        """The user's drafts, most recently saved first ("resume where you left off")."""
        draft = _schema().Draft
        with self.session() as s:
            return list(s.scalars(select(draft).where(draft.user == user).order_by(draft.saved_at.desc())))

    def touch_presence(self, episode_id: int, user: str):
        """Note that ``user`` is editing the episode now; returns the ``EditingPresence`` (``since`` is
        when this stretch of editing began)."""
        c = _schema()
        presence = c.EditingPresence

        def attempt():
            now = c.utcnow()
            with self.session() as s:
                row = s.scalar(select(presence).where(presence.episode_id == episode_id, presence.user == user))
                if row is None:
                    row = presence(episode_id=episode_id, user=user, since=now)
                    s.add(row)
                elif row.last_seen < now - timedelta(seconds=PRESENCE_SECONDS):
                    row.since = now
                row.last_seen = now
                return row

        return _retrying(attempt)

    def presence(self, episode_id: int | None = None) -> list:
        """Who is editing (seen in the last ``PRESENCE_SECONDS``): of one episode, or of all; longest first."""
        c = _schema()
        presence = c.EditingPresence
        q = select(presence).where(presence.last_seen >= c.utcnow() - timedelta(seconds=PRESENCE_SECONDS))
        if episode_id is not None:
            q = q.where(presence.episode_id == episode_id)
        with self.session() as s:
            return list(s.scalars(q.order_by(presence.since, presence.id)))

    def leave_presence(self, episode_id: int, user: str) -> None:
        """``user`` closed the episode in the editor."""
        presence = _schema().EditingPresence
        with self.session() as s:
            s.execute(delete(presence).where(presence.episode_id == episode_id, presence.user == user))
