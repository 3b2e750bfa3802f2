"""Regenerate an episode's show notes and chapters, never over a volunteer's edit.

Used when Chorus's notes improve, when a volunteer has corrected the transcript (notes are drafted
from the *current* transcript, corrections included), or when an organiser changed the sidecar
next to the archived original. The new draft is always stored as a ``machine`` notes revision;
it is published only when no notes revision was approved (``Catalog.current_revision``: an approved
revision, usually a volunteer's edit, stays live until another one is approved).
Publishing it rewrites everything that carries chapters: the MP3's ID3 chapter frames, the
chapters JSON, the episode page and the feed (new objects under new content-addressed keys).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chorus import sequence, steps
from chorus.catalog import Catalog, Episode, NotesRevision, TranscriptRevision
from chorus.errors import ChorusError
from chorus.settings import Settings
from chorus.sidecar import Sidecar, find_sidecar, load_sidecar
from chorus.steps import Context
from chorus.storage import Bucket
from transcripts import Transcript
from transcripts.notes import make_notes

__all__ = ["regenerate_notes", "RegenerateResult"]


@dataclass
class RegenerateResult:
    episode_id: int
    revision: int
    """Number of the new machine notes revision."""
    published: bool
    """True when the new draft went live; False when an approved revision stays live."""
    kept: tuple[int, str] | None = None
    """(revision, author) of the approved revision that stays live, when there is one."""
    chapters: int = 0


def regenerate_notes(bucket: Bucket, settings: Settings, catalog: Catalog, episode_id: int) -> RegenerateResult:
    """Draft new notes for a published episode and publish them unless an approved revision stays live.

    Publishing is ``chorus.sequence.release_episode`` (the same steps as every release). Raises
    ``ChorusError`` (one line) for an unknown or unpublished episode; nothing live changes then.
    """
    with catalog.session() as s:
        ep = s.get(Episode, episode_id)
        if ep is None:
            raise ChorusError(f"there is no episode {episode_id}; `chorus status` lists them")
        if ep.status != "published":
            raise ChorusError(f"episode {episode_id} is {ep.status}, not published; only published episodes "
                              "can be regenerated")
        show_slug = ep.show.slug
        source = Path(ep.source_path) if ep.source_path else None
    transcript = Transcript.from_dict(catalog.current_revision(TranscriptRevision, episode_id).data)
    side = find_sidecar(source) if source and source.exists() else None
    sidecar = load_sidecar(side) if side else Sidecar()
    _slug, show = settings.get_show(show_slug)
    notes = make_notes(transcript, steps.notes_options(show, transcript), sidecar.to_notes_dict())
    number = catalog.add_revision(NotesRevision, episode_id, notes.to_dict())
    current = catalog.current_revision(NotesRevision, episode_id)
    if current.number != number:
        return RegenerateResult(episode_id, number, False, (current.number, current.author), len(notes.chapters))
    out = sequence.release_episode(Context(settings, catalog, bucket), episode_id)
    catalog.set_status(episode_id, out.status, detail=f"notes regenerated (revision {number})")
    return RegenerateResult(episode_id, number, True, None, len(notes.chapters))
