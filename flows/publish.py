"""Prefect flows over the one sequence (``chorus.sequence``): orchestration only, no logic.

- ``publish-episode``: one recording in, one published episode and an updated feed out;
- ``republish-episode``: render an episode again from the catalog's current revisions (a
  volunteer's edit, new notes, approval) without mastering or transcribing again;
- ``rebuild-show``: a show's pages and feed again, releasing scheduled episodes whose time came.

Each step of the sequence runs as a Prefect task through :func:`prefect_runner`, which adds what
Prefect is for: names in the UI, retries with backoff for the network steps only (never for bad
media or a 403), a global concurrency limit on transcription and one feed writer per show. Step
results are cached by the hash of their inputs inside the steps themselves (``steps.cached_step``),
so a retry after a failed upload never transcribes again. ``chorus up`` serves these flows as
deployments; ``chorus run`` calls ``publish_episode`` in process.
"""
from __future__ import annotations

import os
import signal
import socket
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from prefect import flow, get_client, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.logging import get_logger
from prefect.runtime import flow_run
from prefect.states import Completed, Failed

from chorus import sequence, steps
from chorus.catalog import Catalog, Episode, NotesRevision, TranscriptRevision
from chorus.runtime import open_bucket
from chorus.services import arm_death_signal
from chorus.settings import Settings, load_settings
from chorus.steps import Context, one_line
from chorus.storage import StoreUnavailable

__all__ = ["publish_episode", "republish_episode", "rebuild_show", "prefect_runner", "show_feed_slot", "free_stale_slots",
           "feed_lock_name", "TRANSCRIBE_LIMIT", "transcribe_limit_name", "NETWORK_STEPS", "retry_delays", "STEP_LISTENERS"]

NETWORK_STEPS = ("fetch", "publish-objects", "feed", "purge", "withdraw")
"""Steps that talk to the store: retried with backoff while it is unavailable (and only then)."""
TRANSCRIBE_LIMIT = "chorus-transcribe"
"""The Prefect global concurrency limit on transcriptions (``transcriptions_at_once`` slots); on a
``chorus worker`` it is per machine (:func:`transcribe_limit_name`)."""
LEASE_SECONDS = 60.0
"""A slot's lease: its holder renews it while alive; a holder that was killed frees it within this time
(Prefect's default, 300 s, held every transcription up for five minutes after a SIGKILL)."""
FEED_LOCK_WAIT = 900.0
"""Seconds a flow run waits for its show's feed slot before going on with the conditional write alone."""
STEP_LISTENERS: list[Callable[[str], None]] = []
"""Called with each step's name as it starts, in this process (``chorus run`` shows progress)."""

_log = get_logger("chorus.flows")


def retry_delays(minutes: float) -> list[float]:
    """Backoff delays (2, 4, 8 … capped at 60 s) that add up to at least ``minutes``.

    >>> retry_delays(1)
    [2, 4, 8, 16, 32]
    >>> sum(retry_delays(10)) >= 600
    True
    """
    delays: list[float] = []
    while sum(delays) < minutes * 60:
        delays.append(min(60, 2 ** (len(delays) + 1)))
    return delays


def _store_down(task, task_run, state) -> bool:  # noqa: ARG001 - Prefect's retry_condition_fn signature
    """Retry only an unreachable store; a 403, a bad file or an invalid feed fails at once."""
    try:
        state.result()
    except StoreUnavailable:
        return True
    except Exception:
        return False
    return False


def feed_lock_name(show: str) -> str:
    """The Prefect global concurrency limit that serialises one show's feed rebuilds.

    >>> feed_lock_name("peer-talk")
    'publish-feed-peer-talk'
    """
    return f"publish-feed-{show}"


def transcribe_limit_name() -> str:
    """``chorus-transcribe``, or ``chorus-transcribe-<host>`` in a flow run of a ``chorus worker``: a
    transcription uses every core of its machine, so the limit is per machine, and workers on other
    machines never wait for each other's slots.

    >>> os.environ.pop("CHORUS_WORKER", None) and None
    >>> transcribe_limit_name()
    'chorus-transcribe'
    """
    if not os.environ.get("CHORUS_WORKER"):
        return TRANSCRIBE_LIMIT
    host = "".join(c if c.isalnum() or c in "-_" else "-" for c in socket.gethostname().lower())[:60]
    return f"{TRANSCRIBE_LIMIT}-{host or 'host'}"


def _ensure_limit(name: str, limit: int) -> None:
    """Create the limit when it does not exist (Prefect 3.8 skips a missing one with a warning).
    A limit an operator already set up (another size, inactive) is left as it is."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=limit))
            except ObjectAlreadyExists:      # another process created it first
                pass


def free_stale_slots() -> list[str]:
    """Set the active slots of Chorus's limits (``chorus-transcribe``, ``publish-feed-*``) back to 0.

    Only for a Prefect server that was just started, before any run: its leases live in the server's
    memory, so the slots a killed run held survive a restart with no lease left to expire, and every
    later transcription would wait for them forever. Returns the names of the limits it freed.
    """
    freed = []
    with get_client(sync_client=True) as client:
        for lim in client.read_global_concurrency_limits(limit=200, offset=0):
            if lim.active_slots and (lim.name.startswith(TRANSCRIBE_LIMIT) or lim.name.startswith(feed_lock_name(""))
                                     or lim.name.startswith("chorus-episode-")):
                client.update_global_concurrency_limit(lim.name, GlobalConcurrencyLimitUpdate(active_slots=0))
                freed.append(lim.name)
    return freed


@contextmanager
def show_feed_slot(show: str, timeout: float = FEED_LOCK_WAIT) -> Iterator[bool]:
    """Hold the show's one feed slot (``publish-feed-<show>``, created if missing) for the block.

    Concurrent publishers of one show then rebuild its feed one after the other. The If-Match write
    stays the guarantee: when the slot cannot be had within ``timeout`` the block runs anyway,
    yielding False, with a warning.
    """
    name = feed_lock_name(show)
    _ensure_limit(name, 1)
    with ExitStack() as held:
        try:
            held.enter_context(concurrency(name, occupy=1, timeout_seconds=timeout, strict=True,
                                           lease_duration=LEASE_SECONDS))
        except TimeoutError:
            _log.warning("no feed slot %r after %.0f s: publishing with the conditional write alone", name, timeout)
            yield False
            return
        yield True


def prefect_runner(settings: Settings) -> sequence.Runner:
    """A runner for ``chorus.sequence`` that runs each step as a Prefect task."""
    delays = retry_delays(settings.processing.store_retry_minutes)
    transcriptions = settings.processing.transcriptions_at_once

    def run(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        for listener in STEP_LISTENERS:
            listener(name)
        options: dict[str, Any] = {"name": name, "cache_policy": NO_CACHE}
        if name in NETWORK_STEPS:
            options.update(retries=len(delays), retry_delay_seconds=delays, retry_condition_fn=_store_down)
        step = task(fn, **options)
        with ExitStack() as held:
            if name == "transcribe" and not steps.transcribed(*args):  # a cached transcription needs no slot
                limit = transcribe_limit_name()
                _ensure_limit(limit, transcriptions)
                held.enter_context(concurrency(limit, occupy=1, strict=True, lease_duration=LEASE_SECONDS))
            elif name == "feed":
                held.enter_context(show_feed_slot(args[1]))
            return step(*args, **kwargs)

    return run


def _die_with_service() -> None:
    """A flow run that ``chorus up`` served runs in a subprocess of it: make it die with ``chorus up``
    (even a SIGKILL of it), so a restarted service never races a leftover run of the same episode."""
    owner = os.environ.get("CHORUS_SERVED_BY")
    if not owner or os.getpid() == int(owner):
        return
    arm_death_signal(signal.SIGKILL)
    if os.getppid() != int(owner):  # the service died before the signal was armed
        os._exit(1)


def _die_with_worker() -> None:
    """A flow run a ``chorus worker`` started dies with that worker, even with a SIGKILL of it: a lost worker's
    runs are started again elsewhere (``chorus up``'s reconciler), and must not race a leftover of themselves.
    Armed only when the worker is this process's parent (Prefect starts the run as its child)."""
    worker = os.environ.get("CHORUS_WORKER_PID")
    if worker and os.getppid() == int(worker):
        arm_death_signal(signal.SIGKILL)
        if os.getppid() != int(worker):  # the worker died before the signal was armed
            os._exit(1)


def _context(config: str | None, data_dir: str | None) -> Context:
    _die_with_service()
    _die_with_worker()
    if os.environ.get("CHORUS_WORKER"):  # on a `chorus worker`: its own config and work directory (chorus.workers)
        config, data_dir = os.environ.get("CHORUS_CONFIG"), None
    settings = load_settings(Path(config) if config else None, Path(data_dir) if data_dir else None)
    return Context(settings, Catalog(settings.catalog))


def _artifact(ctx: Context, out: sequence.Outcome) -> None:
    """A markdown artifact per episode: its links and figures."""
    if out.episode_id is None or out.status not in ("published", "scheduled", "in_review"):
        return
    with ctx.catalog.session() as s:
        ep = s.get_one(Episode, out.episode_id)
        title, duration, media = ep.title, ep.duration or 0.0, dict(ep.media or {})
    t = ctx.catalog.current_revision(TranscriptRevision, out.episode_id)
    n = ctx.catalog.current_revision(NotesRevision, out.episode_id)
    words = sum(len(seg.get("words") or []) for seg in (t.data.get("segments") or [])) if t else 0
    speakers = len({seg.get("speaker") for seg in (t.data.get("segments") or []) if seg.get("speaker")}) if t else 0
    chapters = len((n.data.get("chapters") or [])) if n else 0
    coverage = media.get("coverage")
    cover = "-" if coverage is None else f"{coverage:.1%}"
    gaps = len(media.get("inaudible") or [])
    problems = media.get("caption_problems", "-")
    when = f" (public from {out.publish_at})" if out.status == "scheduled" else ""
    when += f": {out.error}" if out.status == "in_review" else ""
    md = (f"## {title}\n\n{out.status}{when}\n\n"
          f"- audio: {out.audio_url}\n- page: {out.episode_url}\n- feed: {out.feed_url}\n"
          f"{_privacy_lines(ctx, out.episode_id)}\n"
          f"| duration | loudness in → out | words | speech with words | inaudible gaps | caption problems "
          f"| speakers | chapters |\n|---|---|---|---|---|---|---|---|\n"
          f"| {duration / 60:.1f} min | {media.get('input_lufs', 0):.1f} → {media.get('output_lufs', 0):.1f} LUFS "
          f"| {words} | {cover} | {gaps} | {problems} | {speakers} | {chapters} |\n")
    create_markdown_artifact(key=f"episode-{out.episode_id}", markdown=md, description=f"Episode {out.episode_id}")


def _privacy_lines(ctx: Context, episode_id: int) -> str:
    """Flags and redaction checks for the artifact (kinds, counts and results: never the words)."""
    from chorus import privacy_review

    flags = privacy_review.flags(ctx.catalog, episode_id)
    done = privacy_review.redactions(ctx.catalog, episode_id)
    if not flags and not done:
        return "\nPersonal data: nothing flagged.\n"
    states = ", ".join(f"{n} {s}" for s, n in sorted(Counter(f["state"] for f in flags).items()))
    lines = [f"\nPersonal data: {len(flags)} flagged ({states})."]
    for r in done:
        result = {None: "not checked yet", True: "check passed", False: "CHECK FAILED"}[r.get("verified")]
        check = r.get("check") or {}
        lines.append(f"- redaction {r['id']} ({r['kind']}, by {r['by']}): {result}; audio re-transcribed: "
                     f"{check.get('heard', '-')} removed words heard; {check.get('versions', '-')} object versions "
                     f"searched, {check.get('found', '-')} found")
    return "\n".join(lines) + "\n"


def _finish(ctx: Context, out: sequence.Outcome):
    """The flow's final state: Completed for published/duplicate/scheduled, Failed otherwise (with the outcome)."""
    result = out.to_dict()
    if out.status in ("published", "duplicate", "scheduled", "in_review"):
        _artifact(ctx, out)
        return Completed(message=out.error if out.status == "in_review" else out.status, data=result)
    return Failed(message=out.error or out.status, data=result)


def _name(template: str) -> Callable[[], str]:
    def name() -> str:
        p = flow_run.parameters
        return template.format(source=Path(str(p.get("source", "?"))).name.split("/")[-1],
                               episode=p.get("episode_id", "?"), show=p.get("show", "?"))
    return name


def _with_bucket(ctx: Context, out: sequence.Outcome, body: Callable[[], sequence.Outcome]) -> sequence.Outcome:
    try:
        with open_bucket(ctx.settings, start_embedded=False) as bucket:
            ctx.bucket = bucket
            return body()
    except StoreUnavailable as e:
        out.status, out.error = "waiting", one_line(e)
        return out
    except sequence.KNOWN_ERRORS as e:  # settings, credentials, an unknown episode or show: nothing is moved
        out.status, out.error = "failed", one_line(e)
        return out


@flow(name="publish-episode", flow_run_name=_name("publish {source}"), log_prints=True)
def publish_episode(source: str, show: str | None = None, config: str | None = None,
                    data_dir: str | None = None, staged: str | None = None) -> dict[str, Any]:
    """Master, transcribe, annotate and publish one recording, then regenerate its show's feed.

    ``staged``: the bucket key of a recording the watcher staged for the workers (``chorus.staging``);
    ``source`` is then only its name.

    Returns the outcome (``chorus.sequence.Outcome`` as a dict). A bad recording is quarantined to
    ``<data>/failed/`` with a ``.error.txt`` and the run ends Failed; an unreachable store keeps it
    claimed (``waiting``), to be run again.
    """
    ctx = _context(config, data_dir)
    out = sequence.Outcome(str(source))
    out = _with_bucket(ctx, out, lambda: sequence.publish_recording(ctx, Path(source), show,
                                                                    prefect_runner(ctx.settings), staged=staged))
    return _finish(ctx, out)


@flow(name="republish-episode", flow_run_name=_name("republish episode {episode}"), log_prints=True)
def republish_episode(episode_id: int, config: str | None = None, data_dir: str | None = None) -> dict[str, Any]:
    """Render transcripts, notes, pages and the feed of an episode again from the catalog's current
    revisions, without mastering or transcribing again (started by the volunteer editor)."""
    ctx = _context(config, data_dir)
    out = sequence.Outcome(str(episode_id), episode_id=episode_id)

    name = f"chorus-episode-{episode_id}"  # one release of an episode at a time (redactions in quick succession)
    _ensure_limit(name, 1)
    with concurrency(name, occupy=1, strict=True, lease_duration=LEASE_SECONDS):
        out = _with_bucket(ctx, out, lambda: sequence.release_episode(ctx, episode_id, prefect_runner(ctx.settings),
                                                                      out=out))
    return _finish(ctx, out)


@flow(name="rebuild-show", flow_run_name=_name("rebuild {show}"), log_prints=True)
def rebuild_show(show: str, config: str | None = None, data_dir: str | None = None) -> dict[str, Any]:
    """Write a show's pages and feed again from the catalog; release scheduled episodes whose time came."""
    ctx = _context(config, data_dir)
    out = sequence.Outcome(show)

    def body() -> sequence.Outcome:
        released = sequence.rebuild_show(ctx, show, prefect_runner(ctx.settings))
        out.status = "published"
        out.error = None
        out.kept_at = ",".join(map(str, released)) or None
        return out

    out = _with_bucket(ctx, out, body)
    return Completed(data=out.to_dict()) if out.status == "published" else Failed(message=out.error, data=out.to_dict())
