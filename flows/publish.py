"""Prefect flow ``publish-episode``: one recording in, one published episode (and feed) out.

Thin by design (DESIGN.md rule 3): every task calls one plain function from ``chorus.pipeline``,
``media``, ``transcripts`` or ``chorus.showfeed``; tests call those directly.
"""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator

from prefect import flow, get_client, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed

from chorus import pipeline
from chorus.catalog import Catalog
from chorus.runtime import open_bucket
from chorus.settings import load_settings
from chorus.showfeed import episode_page_key, feed_url

__all__ = ["publish_episode", "show_feed_slot", "feed_lock_name"]

_KNOWN_ERRORS: tuple[type[BaseException], ...] = ()


def _known_errors() -> tuple[type[BaseException], ...]:
    global _KNOWN_ERRORS
    if not _KNOWN_ERRORS:
        from feeds import FeedError
        from media import MediaError
        from transcripts import TranscriptError

        from chorus.errors import ChorusError

        _KNOWN_ERRORS = (MediaError, TranscriptError, FeedError, ChorusError, FileNotFoundError, ValueError)
    return _KNOWN_ERRORS


@task(name="claim", cache_policy=NO_CACHE)
def claim_task(settings, catalog, source: Path, show: str | None):
    return pipeline.claim(settings, catalog, source, show)


@task(name="probe", cache_policy=NO_CACHE)
def probe_task(source: Path):
    from media import probe

    return probe(source)


@task(name="master", cache_policy=NO_CACHE)
def master_task(source: Path, work: Path, options, key: str):
    return pipeline.master_step(work, source, options, key)


@task(name="transcribe", cache_policy=NO_CACHE)
def transcribe_task(work: Path, audio: Path, options, key: str, timeline=None):
    from transcripts import transcribe

    return pipeline.cached_step(work, "transcribe", key, lambda: transcribe(audio, options, timeline=timeline))


@task(name="notes", cache_policy=NO_CACHE)
def notes_task(transcript, sidecar: dict[str, Any]):
    from transcripts.notes import NotesOptions, make_notes

    return make_notes(transcript, NotesOptions(), sidecar)


@task(name="render", cache_policy=NO_CACHE)
def render_task(work: Path, episode, mastered, transcript, notes, show_conf):
    return pipeline.render_files(work, episode, mastered, transcript, notes, show_conf)


def _transient(task, task_run, state) -> bool:  # noqa: ARG001 - Prefect's retry_condition_fn signature
    """Retry storage errors (network, S3 5xx); never retry bad input or an invalid feed."""
    from chorus.errors import ChorusError

    try:
        state.result()
    except ChorusError:
        return True
    except Exception:
        return False
    return False


@task(name="publish-objects", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[3, 15],
      retry_condition_fn=_transient)
def publish_objects_task(bucket, settings, show: str, slug: str, files):
    return pipeline.publish_objects(bucket, settings, show, slug, files)


@task(name="rebuild-feed", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[3, 15],
      retry_condition_fn=_transient)
def rebuild_feed_task(bucket, settings, catalog, show: str):
    return pipeline.rebuild_show(bucket, settings, catalog, show)


FEED_LOCK_WAIT = 900.0
"""Seconds a flow run waits for its show's feed slot before going on with the conditional write alone."""


def _logger():
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_logger

    try:
        return get_run_logger()
    except MissingContextError:
        return get_logger("chorus.publish")


def feed_lock_name(show: str) -> str:
    """The Prefect global concurrency limit that serialises one show's feed rebuilds.

    >>> feed_lock_name("peer-talk")
    'publish-feed-peer-talk'
    """
    return f"publish-feed-{show}"


def _ensure_limit(name: str) -> None:
    """Create the limit with one slot when it does not exist (Prefect 3.8 no longer creates
    limits on acquisition: a missing one is skipped with a warning). A limit an operator
    already set up (another size, inactive) is left as it is."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
            except ObjectAlreadyExists:      # another publisher created it first
                pass


@contextmanager
def show_feed_slot(show: str, timeout: float = FEED_LOCK_WAIT) -> Iterator[bool]:
    """Hold the show's one feed slot (``publish-feed-<show>``, created if missing) for the block.

    Yields True when the slot is held. Concurrent publishers of one show then rebuild its feed
    one after the other instead of racing and losing their conditional writes. The If-Match write
    stays the guarantee: when the slot cannot be had within ``timeout`` (a holder that died keeps
    it until its lease expires) the block runs anyway, yielding False, with a warning.
    """
    from prefect.concurrency.sync import concurrency

    name = feed_lock_name(show)
    _ensure_limit(name)
    with ExitStack() as held:
        try:
            held.enter_context(concurrency(name, occupy=1, timeout_seconds=timeout, strict=True))
        except TimeoutError:
            _logger().warning("no feed slot %r after %.0f s: publishing with the conditional write alone",
                              name, timeout)
            yield False
            return
        yield True


def _run_name() -> str:
    from prefect.runtime import flow_run

    return f"publish {Path(flow_run.parameters.get('source', '?')).name}"


@flow(name="publish-episode", flow_run_name=_run_name, log_prints=True)
def publish_episode(source: str, show: str | None = None, config: str | None = None,
                    data_dir: str | None = None) -> dict[str, Any]:
    """Master, transcribe, annotate and publish one recording, then regenerate its show's feed.

    Returns the run's outcome as a dict (``source``, ``status``: published | failed | duplicate,
    ``episode_id``, ``feed_url``, ``audio_url``, ``episode_url``, ``error``). A failure moves the
    source to ``<data>/failed/`` with a ``.error.txt`` and ends the run in a Failed state.
    """
    log = get_run_logger()
    settings = load_settings(Path(config) if config else None, Path(data_dir) if data_dir else None)
    catalog = Catalog(settings.catalog)
    src = Path(source).resolve()
    result: dict[str, Any] = {"source": str(source), "status": "failed", "episode_id": None,
                              "feed_url": None, "audio_url": None, "episode_url": None, "error": None}
    claim = None
    try:
        with open_bucket(settings, start_embedded=False) as bucket:
            claim = claim_task(settings, catalog, src, show)
            result.update(episode_id=claim.episode_id, feed_url=feed_url(bucket, settings, claim.show))
            if claim.duplicate:
                with catalog.session() as s:
                    from chorus.catalog import Episode

                    ep = s.get_one(Episode, claim.episode_id)
                    result.update(status="duplicate", audio_url=ep.url("mp3"),
                                  episode_url=bucket.url(episode_page_key(settings, ep.show.slug, ep.slug)))
                log.info("%s was already published as episode %s", src.name, claim.episode_id)
                return result
            show_slug, show_conf = settings.get_show(claim.show)
            work = settings.path("work") / str(claim.episode_id)
            probe_task(src)
            catalog.set_status(claim.episode_id, "mastering")
            m_opts = pipeline.master_options(show_conf)
            m_key = pipeline.step_key(claim.sha256, m_opts)
            mastered = master_task(src, work, m_opts, m_key)
            catalog.set_status(claim.episode_id, "transcribing")
            t_opts = pipeline.transcribe_options(show_conf, claim.sidecar)
            transcript = transcribe_task(work, mastered.speech_wav, t_opts, pipeline.step_key(m_key, t_opts),
                                         getattr(mastered, "timeline", None))
            notes = notes_task(transcript, claim.sidecar)
            catalog.set_status(claim.episode_id, "drafted")
            with catalog.session() as s:
                from chorus.catalog import Episode

                episode = s.get_one(Episode, claim.episode_id)
                s.expunge(episode)
            files = render_task(work, episode, mastered, transcript, notes, show_conf)
            catalog.set_status(claim.episode_id, "rendering")
            stored = publish_objects_task(bucket, settings, show_slug, episode.slug, files)
            pipeline.finish(catalog, claim.episode_id, mastered, stored, transcript, notes)
            try:
                with show_feed_slot(show_slug):
                    rebuild_feed_task(bucket, settings, catalog, show_slug)
            except BaseException:
                catalog.set_status(claim.episode_id, "rendering", detail="feed rebuild failed")
                raise
            archived = pipeline.archive(settings, src)
            catalog.set_status(claim.episode_id, "published", source_path=str(archived))
            result.update(status="published", audio_url=stored["mp3"].url,
                          episode_url=bucket.url(episode_page_key(settings, show_slug, episode.slug)))
            create_markdown_artifact(
                key=f"episode-{claim.episode_id}",
                markdown=f"**{episode.title}** published: [audio]({stored['mp3'].url}), feed: {result['feed_url']}",
                description="Published episode")
            return result
    except Exception as e:  # every failure becomes one line, a quarantined source and a Failed state
        if not isinstance(e, _known_errors()):
            log.exception("unexpected error while publishing %s", src.name)
        reason = pipeline.one_line(e)
        result.update(status="failed", error=reason)
        moved = pipeline.fail(settings, catalog, claim, src, reason)
        log.error("%s failed: %s (source kept at %s)", src.name, reason, moved or src)
        return Failed(message=reason, data=result)
