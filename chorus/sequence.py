"""The one sequence of publishing, in one place (DESIGN.md rule 13).

``publish_recording`` runs the named steps of ``chorus.steps`` in order::

    [fetch →] claim → probe → master → transcribe → notes → draft → release [→ drop-copy]

and ``release_episode`` (also what a republish after a volunteer's edit runs) goes on::

    load → remaster → review → render → publish-objects → hold | (record → feed → finish) → purge → verify

``review`` flags personal data and applies the show's review policy (``chorus.review``): a held episode's
objects go to the bucket's private prefix and it gets no feed item or page (status ``in_review``, outcome
``in_review``) until an organiser approves it. On a ``chorus worker`` the recording was staged in the
bucket by the watcher (``chorus.staging``): ``fetch`` downloads it first, and ``drop-copy`` removes the
worker's copy and work files once the episode is released (the organisers' machine keeps the original). ``purge`` deletes every version of replaced objects, and
``verify`` checks each new redaction (the audio transcribed again, every text object and version searched);
a failed check withdraws the episode from its feed and holds it.

Each step is called through ``run(name, fn, *args)``. The default runner just calls the function;
the Prefect flows (``flows/``) pass a runner that wraps each named step in a task with retries,
concurrency and a name, and add nothing else. The CLI, ``chorus regenerate``, the benchmarks and
the tests call these functions; no other copy of the order exists.

An episode is ``published`` only once the feed that lists it has been written: a crash anywhere
before ``finish`` leaves it ``releasing`` (or earlier), and the same recording offered again
resumes it (cached steps are not run again) instead of being called a duplicate.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from feeds import FeedError
from media import MediaError
from transcripts import LanguageUnsure, TranscriptError

from chorus import review, staging, steps
from chorus.catalog import Episode
from chorus.errors import ChorusError
from chorus.showfeed import episode_page_key, feed_url
from chorus.steps import Context
from chorus.storage import StoreUnavailable

__all__ = ["Runner", "call", "Outcome", "STEPS", "publish_recording", "release_episode", "rebuild_show",
           "KNOWN_ERRORS"]

Runner = Callable[..., Any]
"""``run(step_name, fn, *args, **kwargs) -> fn(*args, **kwargs)``, perhaps with orchestration around it."""

STEPS = ("fetch", "claim", "set-aside", "probe", "master", "transcribe", "notes", "draft",
         "load", "remaster", "review", "render", "publish-objects", "hold", "record", "feed", "finish",
         "purge", "verify", "withdraw", "drop-copy")
"""Every step name, in the order ``publish_recording`` runs them."""


def call(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: ARG001 - the name is for runners that log
    """The plain runner: call the step."""
    return fn(*args, **kwargs)


KNOWN_ERRORS = (MediaError, TranscriptError, FeedError, ChorusError, FileNotFoundError, ValueError)
"""Errors that are about the input or the settings (one line, no traceback); anything else is a bug."""


@dataclass
class Outcome:
    """What happened to one input: what ``chorus run --json`` prints and the flows return."""

    source: str
    status: str = "failed"
    """published | scheduled | in_review (held for review: see ``error``) | duplicate | waiting (store unreachable; kept, tried again) | held (its language
    is unsure; kept until a person names it and runs ``chorus retry``) | failed"""
    episode_id: int | None = None
    feed_url: str | None = None
    audio_url: str | None = None
    episode_url: str | None = None
    error: str | None = None
    kept_at: str | None = None
    """Where the pipeline's copy of the recording is now (archive/, failed/ or claimed/)."""
    publish_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _urls(ctx: Context, out: Outcome, episode_id: int) -> Outcome:
    with ctx.catalog.session() as s:
        ep = s.get_one(Episode, episode_id)
        show, slug, audio, when, kept = ep.show.slug, ep.slug, ep.url("mp3"), ep.published_at, ep.source_path
    out.episode_id, out.audio_url, out.kept_at = episode_id, audio, kept
    out.feed_url = feed_url(ctx.bucket, ctx.settings, show)
    out.episode_url = ctx.bucket.url(episode_page_key(ctx.settings, show, slug))
    out.publish_at = when.isoformat() if when else None
    return out


def publish_recording(ctx: Context, source: Path, show: str | None = None, run: Runner = call,
                      staged: str | None = None) -> Outcome:
    """Turn one recording into a published episode and an updated feed; never raises for bad input.

    ``staged`` (a manifest key of ``chorus.staging``) names a recording the watcher staged in the bucket:
    it is fetched first, and ``source`` is only its name.

    A bad recording or sidecar is quarantined (``failed``, moved to ``failed/``). Once the recording
    is mastered and transcribed, nothing after is its fault: an unreachable store parks it
    (``waiting``, run again by ``chorus up``), and any other failure (credentials, an invalid feed)
    leaves it ``failed`` but claimed, for ``chorus retry`` after the fix.
    """
    out = Outcome(str(source))
    claim, drafted = None, False
    try:
        if staged:
            source = run("fetch", staging.fetch, ctx.bucket, ctx.settings, staged, steps.claimed_root(ctx.settings))
        claim = run("claim", steps.claim, ctx, Path(source), show, bool(staged))
        if claim.duplicate:
            run("set-aside", steps.set_aside, ctx, claim)
            if staged:
                run("drop-copy", steps.drop_copy, ctx, claim)
            kept = _urls(ctx, out, claim.episode_id)
            kept.status = "duplicate"
            return kept
        out.episode_id = claim.episode_id
        run("probe", steps.probe, claim)
        mastered = run("master", steps.master, ctx, claim)
        transcript = run("transcribe", steps.transcribe, ctx, claim, mastered)
        notes = run("notes", steps.notes, ctx, claim, transcript)
        run("draft", steps.draft, ctx, claim, mastered, transcript, notes)
        drafted = True
        out = release_episode(ctx, claim.episode_id, run, mastered=mastered, out=out)
        if staged:
            run("drop-copy", steps.drop_copy, ctx, claim)
        return out
    except StoreUnavailable as e:
        out.status, out.error = "waiting", steps.one_line(e)
        steps.park(ctx, claim, out.error)
        out.kept_at = str(claim.source) if claim else str(source)
        return out
    except LanguageUnsure as e:  # the recording is fine; a person must say which of the show's languages it is in
        out.status, out.error, out.kept_at = "held", steps.hold(ctx, claim, e), str(claim.source)
        return out
    except KNOWN_ERRORS as e:
        out.status, out.error = "failed", steps.one_line(e)
        if drafted:  # mastered and transcribed: the recording is good; the store or the settings are not
            steps.park(ctx, claim, out.error, status="failed")
            out.kept_at = str(claim.source)
            return out
        moved = steps.fail(ctx, claim, Path(source), out.error)
        out.kept_at = str(moved) if moved else None
        return out


def release_episode(ctx: Context, episode_id: int, run: Runner = call, mastered=None,
                    out: Outcome | None = None) -> Outcome:
    """Render the episode from the catalog's current revisions, upload it, write the feed, finish.

    This is the whole of a republish (after a volunteer's edit, a new notes draft or approval): it
    never masters or transcribes again (the mastered audio comes from the step cache).
    Raises ``ChorusError``/``StoreUnavailable`` (``publish_recording`` turns them into an outcome).
    """
    out = out or Outcome(str(episode_id))
    release = run("load", steps.load_release, ctx, episode_id)
    out.source = out.source if out.source != str(episode_id) else (str(release.source) if release.source else "")
    if mastered is None:
        mastered = run("remaster", steps.remaster, ctx, release)
    held = run("review", review.review, ctx, release)
    files = run("render", steps.render, ctx, release, mastered)
    stored = run("publish-objects", steps.publish_objects, ctx, release, files, bool(held))
    if held:  # not public in any form: private objects, no feed item, no page
        run("hold", review.hold_for_review, ctx, release, stored, held)
    else:
        run("record", steps.record, ctx, release, stored)
        run("feed", steps.feed, ctx, release.show)
        out.status = run("finish", steps.finish, ctx, episode_id)
    run("purge", review.purge, ctx, release, stored)
    check = run("verify", review.verify, ctx, release, files)
    if check is not None and not check.passed and not held:
        held = f"held for review: {review.failed_line(check)}"
        run("withdraw", review.withdraw, ctx, episode_id, held)
    if held:
        out.status, out.error = "in_review", held
        return _held_urls(ctx, out, episode_id)
    return _urls(ctx, out, episode_id)


def _held_urls(ctx: Context, out: Outcome, episode_id: int) -> Outcome:
    """A held episode has no public URL: the editor page where reviewers find it instead."""
    out.episode_id = episode_id
    editor = ctx.settings.editor
    out.episode_url = f"http://{editor.host}:{editor.port}/episodes/{episode_id}"
    with ctx.catalog.session() as s:
        out.kept_at = s.get_one(Episode, episode_id).source_path
    return out


def rebuild_show(ctx: Context, show: str, run: Runner = call) -> list[int]:
    """Write a show's pages and feed again from the catalog, and finish scheduled episodes whose time
    has come. Returns the ids of the episodes that went public."""
    ctx.settings.get_show(show)
    run("feed", steps.feed, ctx, show)
    with ctx.catalog.session() as s:
        due = [ep.id for ep in ctx.catalog.due(s) if ep.show.slug == show]
    for episode_id in due:
        run("finish", steps.finish, ctx, episode_id, "released at its publish_at time")
    return due
