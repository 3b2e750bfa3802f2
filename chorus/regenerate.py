"""Regenerate an episode's show notes and chapters, never over a volunteer's edit.

Used when Chorus's notes improve, when a volunteer has corrected the transcript (notes are drafted
from the *current* transcript, corrections included), or when an organiser changed the sidecar
next to the archived original. The new draft is always stored as a ``machine`` notes revision;
it is published only when nobody has edited the notes by hand (``Catalog.current_revision``).
Publishing it rewrites everything that carries chapters: the MP3's ID3 chapter frames, the
chapters JSON, the episode page and the feed (new objects under new content-addressed keys).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chorus import pipeline
from chorus.catalog import Catalog, Episode, NotesRevision, TranscriptRevision
from chorus.errors import ChorusError
from chorus.settings import Settings
from chorus.storage import Bucket

__all__ = ["regenerate_notes", "RegenerateResult"]


@dataclass
class RegenerateResult:
    episode_id: int
    revision: int
    """Number of the new machine notes revision."""
    published: bool
    """True when the new draft went live; False when a volunteer's edit stays live."""
    kept: tuple[int, str] | None = None
    """(revision, author) of the volunteer edit that stays live, when there is one."""
    chapters: int = 0


def regenerate_notes(bucket: Bucket, settings: Settings, catalog: Catalog, episode_id: int) -> RegenerateResult:
    """Draft new notes for a published episode and publish them unless a volunteer edited the notes.

    Raises ``ChorusError`` (one line) for an unknown or unpublished episode, or when the original
    recording needed to rewrite the MP3's chapters is gone; nothing live changes then.
    """
    from transcripts import Transcript
    from transcripts.notes import NotesOptions, make_notes

    with catalog.session() as s:
        ep = s.get(Episode, episode_id)
        if ep is None:
            raise ChorusError(f"there is no episode {episode_id}; `chorus run --json` prints the ids")
        if ep.status != "published":
            raise ChorusError(f"episode {episode_id} is {ep.status}, not published; only published episodes "
                              "can be regenerated")
        show_slug = ep.show.slug
        source = Path(ep.source_path) if ep.source_path else None
        source_sha256 = ep.source_sha256
        s.expunge(ep)
    transcript = Transcript.from_dict(catalog.current_revision(TranscriptRevision, episode_id).data)
    sidecar = pipeline.read_sidecar(source) if source and source.exists() else {}
    _slug, show = settings.get_show(show_slug)
    notes = make_notes(transcript, NotesOptions(language=transcript.language or show.language), sidecar)
    number = catalog.add_revision(NotesRevision, episode_id, notes.to_dict())
    current = catalog.current_revision(NotesRevision, episode_id)
    if current.number != number:
        return RegenerateResult(episode_id, number, False, (current.number, current.author), len(notes.chapters))
    if source is None or not source.exists():
        raise ChorusError(f"the original of episode {episode_id} is not in archive/ any more, so the chapters "
                          f"in its MP3 cannot be rewritten; the new notes are kept as revision {number} "
                          "but nothing was republished")
    work = settings.path("work") / str(episode_id)
    m_opts = pipeline.master_options(show)
    # the mastered audio cached when the episode was published (mastered again only if it was cleaned up)
    mastered = pipeline.master_step(work, source, m_opts, pipeline.step_key(source_sha256, m_opts))
    files = pipeline.render_files(work, ep, mastered, transcript, notes, show)
    stored = pipeline.publish_objects(bucket, settings, show_slug, ep.slug, files)
    catalog.set_status(episode_id, "published", detail=f"notes regenerated (revision {number})",
                       objects=pipeline.object_records(stored))
    pipeline.rebuild_show(bucket, settings, catalog, show_slug)
    return RegenerateResult(episode_id, number, True, None, len(notes.chapters))
