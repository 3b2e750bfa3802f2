"""``chorus up``: the embedded services, the three deployments served by Prefect's runner, and the watcher.

- SeaweedFS (unless an S3 endpoint is configured) and a local Prefect server (unless
  ``PREFECT_API_URL`` names one), both stopped with Chorus, even when it is killed;
- ``publish-episode``, ``republish-episode`` and ``rebuild-show`` served by a Prefect ``Runner``
  in a background thread: every run shows in the Prefect UI, named after its recording;
- the volunteer editor (``editor/``) on ``[editor] host``/``port``, announced as ``editor: http://HOST:PORT/``;
- the inbox watcher (``chorus.watcher``): a stable, complete item is moved into
  ``<data>/claimed/<sha256>/`` and a ``publish-episode`` run is started with ``run_deployment``,
  with the content hash as the idempotency key;
- a reconciler on every tick: recordings left claimed by a crash or parked while the store was
  down are started again; scheduled episodes whose time came are released (``rebuild-show``).

With ``--on-workers`` (issue #14), ``publish-episode`` is registered on the work pool ``chorus`` and run by
``chorus worker``s that share no filesystem with this machine: the watcher stages each claimed recording in
the bucket's private prefix (``chorus.staging``) and starts the run with its key; once the catalog says the
episode is done, the reconciler archives the original here and deletes the staged objects. Republishing and
rebuilding feeds stay here (they need the originals and serve the editor). A run whose worker stopped
answering (no heartbeat for three of its intervals) is marked Crashed and started again, once, for another
worker (:meth:`Service._recover_lost_runs`).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from prefect.context import refresh_global_settings_context
from prefect.deployments import run_deployment
from prefect.runner import Runner
from prefect.types.entrypoint import EntrypointType
from sqlalchemy import func, select

from chorus import staging
from chorus.catalog import Catalog, Episode, TranscriptRevision, utcnow
from chorus.catalog_schema import upgrade_url
from chorus.errors import ChorusError
from chorus.runtime import check_privacy, open_bucket, uses_embedded_s3
from chorus.services import PrefectServer, free_port
from chorus.settings import Settings
from chorus.showfeed import feed_url
from chorus.sidecar import SIDECAR_SUFFIXES, SidecarError, find_sidecar, load_sidecar
from chorus.steps import DONE, archive, one_line, quarantine
from chorus.storage import StoreUnavailable
from chorus.watcher import InboxWatcher, WatchOptions, claim_item
from flows.publish import free_stale_slots, publish_episode, rebuild_show, republish_episode

__all__ = ["Service", "DEPLOYMENTS", "deployment_name", "watch_options", "EXAMPLES"]

DEPLOYMENTS = ("publish-episode", "republish-episode", "rebuild-show")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
_MAX_RERUNS = 2
"""Crashed publish runs of one recording started again before a person must look (a recording that kills
its process every time must not loop)."""
_RETRY_WAITING_AFTER = 60.0
"""Seconds before a recording parked while the store was down is tried again."""


def deployment_name(name: str) -> str:
    """Prefect's ``flow/deployment`` name of one of Chorus's deployments (flow and deployment share it).

    >>> deployment_name("publish-episode")
    'publish-episode/publish-episode'
    """
    return f"{name}/{name}"


@dataclass
class Service:
    """One ``chorus up``: call :meth:`run`; :meth:`stop` (or a signal handler calling it) ends it."""

    settings: Settings
    config: Path | None
    inbox: Path
    example: bool = True
    say: Callable[[str], None] = print
    on_workers: bool = False
    """Register the deployments on the work pool ``chorus`` (``chorus deploy``) and leave every flow run to
    ``chorus worker``s, instead of serving them here with a runner."""
    stopping: threading.Event = field(default_factory=threading.Event)
    _runner: object | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _failed: list[BaseException] = field(default_factory=list)
    _pending_names: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """Content hash → (recording name, when it was started), for the one result line per input."""
    _last_reconcile: float = 0.0
    _released: set[int] = field(default_factory=set)
    _bucket: object | None = None
    _unstaged: dict[str, tuple[Path, str | None]] = field(default_factory=dict)
    """Content hash → (claimed recording, show) of recordings whose staging failed (the store was down)."""
    _rerun: set[str] = field(default_factory=set)
    _tries: dict[str, int] = field(default_factory=dict)
    _first_pending: bool = False
    """The first reconcile (after a start) could not ask Prefect what runs: it is done at a later tick."""

    def stop(self) -> None:
        self.stopping.set()

    # -- the whole service -------------------------------------------------------------------------
    def run(self, feed_line: Callable[[str], None]) -> None:
        """Start everything, print the default show's feed URL with ``feed_line``, watch until stopped."""
        settings = self.settings
        self.inbox.mkdir(parents=True, exist_ok=True)
        upgrade_url(settings.catalog, say=self.say)  # pending migrations, after a backup of a SQLite catalog
        server = editor = None
        try:
            with open_bucket(settings) as bucket:
                self._bucket = bucket
                if uses_embedded_s3(settings):
                    self.say(f"S3 store (SeaweedFS) at {bucket.endpoint_url}, data in {settings.path('s3')}")
                self.say(check_privacy(bucket, settings))
                if not os.environ.get("PREFECT_API_URL"):
                    server = self._start_prefect()
                for slug in settings.shows:
                    self.say(f"feed for {slug}: {feed_url(bucket, settings, slug)}")
                feed_line(feed_url(bucket, settings, settings.default_show))
                if self.on_workers:  # publishing goes to `chorus worker`s on the pool (chorus.workers)
                    self.say(self._deploy())
                    self._serve((republish_episode, rebuild_show))
                else:
                    self._serve((publish_episode, republish_episode, rebuild_show))
                catalog = Catalog(settings.catalog)
                editor = self._start_editor(catalog, bucket)
                if self.example and _empty(catalog):
                    self.say(f"first start: publishing the sample recording {_stage_example(self.inbox).name}")
                self._watch(catalog)
        finally:
            if editor is not None:
                editor.stop()
            self._stop_runner()
            if server is not None:
                server.stop()

    def _start_prefect(self) -> PrefectServer:
        home, database = self.settings.path("prefect"), self.settings.embedded.prefect_database
        try:
            server = PrefectServer(home, self.settings.embedded.prefect_port, database=database).start()
        except ChorusError:  # the port is taken: any free one
            server = PrefectServer(home, free_port(), database=database).start()
        os.environ["PREFECT_API_URL"] = server.api_url
        # Prefect read its settings when imported, before this server existed: without this, its clients
        # here ran in ephemeral mode on <data>/prefect/prefect.db, never reaching a server on PostgreSQL
        refresh_global_settings_context()
        self.say(f"Prefect UI at {server.api_url.removesuffix('/api')}" + (f", its database {_hide(database)}"
                                                                            if database else ""))
        freed = free_stale_slots()  # our own server, no run yet: slots still held belong to killed runs
        if freed:
            self.say(f"freed the concurrency slots a stopped run still held: {', '.join(freed)}")
        return server

    def _start_editor(self, catalog: Catalog, bucket):
        """The volunteer editor in a thread; approving starts the ``republish-episode`` deployment.
        A taken port is replaced by a free one (the printed line says which)."""
        from editor.serving import EditorServer, deployment_republisher

        server = EditorServer(self.settings, catalog, bucket, deployment_republisher(self._start))
        try:
            server.start()
        except ChorusError as e:
            self.say(f"{e}; using a free port instead")
            server.port = free_port(self.settings.editor.host)
            server.start()
        self.say(f"editor: {server.url}")
        return server

    # -- deployments ---------------------------------------------------------------------------------
    def _deploy(self) -> str:
        from chorus.workers import deploy

        done = deploy()
        return f"flow runs go to the workers on work pool {done.pool} (`chorus worker`): {', '.join(done.names)}"

    def _serve(self, flows: tuple) -> None:
        self._flows = flows
        thread = threading.Thread(target=self._runner_thread, name="chorus-runner", daemon=True)
        thread.start()
        if not self._ready.wait(180) or self._failed:
            raise ChorusError(f"the Prefect runner did not start: {self._failed[0] if self._failed else 'timeout'}")

    def _runner_thread(self) -> None:
        try:
            asyncio.run(self._runner_main())
        except BaseException as e:  # reported to run() through _failed
            self._failed.append(e)
            self._ready.set()

    async def _runner_main(self) -> None:
        limit = self.settings.processing.max_parallel_episodes
        os.environ["CHORUS_SERVED_BY"] = str(os.getpid())  # flow runs die with this process (flows/publish.py)
        os.environ.setdefault("TQDM_DISABLE", "1")  # no model-loading progress bars from flow runs in the terminal
        runner = Runner(name="chorus-up", limit=limit, pause_on_shutdown=False)
        for flow_ in self._flows:
            deployment = await flow_.ato_deployment(name=flow_.name, entrypoint_type=EntrypointType.MODULE_PATH,
                                                    description=(flow_.description or "").split("\n")[0])
            await runner.aadd_deployment(deployment)
        self._runner, self._loop = runner, asyncio.get_running_loop()
        self._ready.set()
        await runner.start()

    def _stop_runner(self) -> None:
        if self._runner is not None and self._loop is not None and self._loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(self._runner.astop(), self._loop).result(30)
            except Exception:  # noqa: BLE001 - stopping anyway; the subprocesses die with us
                pass

    def _start(self, name: str, parameters: dict, key: str | None = None, again: bool = True) -> None:
        """Start a run of one of the served deployments. With ``key`` (the content hash), Prefect
        returns the run already made for that content instead of a second one; when that run is
        over (it failed, and the organiser dropped the recording again), a new run is started."""
        common = {"config": str(self.config) if self.config else None, "data_dir": str(self.settings.data_dir)}
        params = {**parameters, **common}
        run = run_deployment(deployment_name(name), parameters=params, timeout=0, idempotency_key=key,
                             as_subflow=False)
        if again and key is not None and run.state is not None and run.state.is_final():
            run_deployment(deployment_name(name), parameters=params, timeout=0,
                           idempotency_key=f"{key}-{time.time_ns()}", as_subflow=False)

    # -- the watch loop ------------------------------------------------------------------------------
    def _watch(self, catalog: Catalog) -> None:
        s = self.settings
        opts = watch_options(s)
        watcher = InboxWatcher(self.inbox, s.shows, opts)
        claimed = s.data_dir.resolve() / "claimed"
        self.say(f"watching {self.inbox} (Ctrl+C to stop)")
        self._reconcile(catalog, claimed, first=True)
        try:
            while not self.stopping.is_set():
                for item in watcher.ready(timeout=min(opts.poll_seconds, 1.0)):
                    if self.stopping.is_set():
                        break
                    got = claim_item(item, claimed)
                    if got.duplicate:
                        self.say(f"duplicate {item.path.name}: the same recording is already claimed; kept in "
                                 f"{got.path.parent / 'duplicates'}")
                    elif not item.complete:  # waited max_wait_seconds for a copy that never completed
                        moved = quarantine(self.settings, got.path, item.reason or "the copy never completed")
                        self.say(f"failed {item.path.name}: {item.reason} (kept at {moved})")
                    elif self.on_workers and self._already_done(catalog, got.sha256):
                        self.say(f"duplicate {item.path.name}: already published; kept in "
                                 f"{archive(self.settings, got.path).parent}")
                    else:
                        self._submit(got.path, item.show, got.sha256)
                self._reconcile(catalog, claimed)
                self._report(catalog)
        finally:
            watcher.close()

    def _submit(self, path: Path, show: str | None, sha: str, key: str | None = None) -> None:
        self._pending_names[sha] = (path.name, utcnow())
        key = key or f"publish-{sha}"
        if not self.on_workers:
            self._start("publish-episode", {"source": str(path), "show": show}, key=key)
            return
        try:  # a sidecar the worker would refuse is refused here, where the organisers see failed/
            side = find_sidecar(path)
            self.settings.get_show(show or (load_sidecar(side).show if side else None))
        except (SidecarError, ChorusError) as e:
            self._pending_names.pop(sha, None)
            moved = quarantine(self.settings, path, one_line(e))
            self.say(f"failed {path.name}: {one_line(e)} (kept at {moved})")
            return
        try:  # the workers share no filesystem with this machine: through the bucket's private prefix
            staged = staging.stage(self._bucket, self.settings, path, sha)
        except StoreUnavailable as e:
            if sha not in self._unstaged:  # one line, not one per retry
                self.say(f"waiting {path.name}: {one_line(e)} (staged for the workers once the store answers)")
            self._unstaged[sha] = (path, show)
            return
        self._unstaged.pop(sha, None)
        self._start("publish-episode", {"source": path.name, "show": show, "staged": staged}, key=key)

    @staticmethod
    def _already_done(catalog: Catalog, sha: str) -> bool:
        with catalog.session() as sess:
            ep = catalog.find_by_sha(sess, sha)
            return ep is not None and ep.status in DONE

    def _archive_staged(self, catalog: Catalog, item: Path, episode_id: int) -> None:
        """A worker finished the episode: archive the original here, record where it is, delete the staged copy."""
        self._settle_staged(catalog, episode_id, item.parent.name, archive(self.settings, item))

    def _settle_staged(self, catalog: Catalog, episode_id: int, sha: str, kept: Path | None) -> None:
        """Record where the original now is (archive/ or failed/) and delete the staged copy."""
        with catalog.session() as sess:
            sess.get_one(Episode, episode_id).source_path = str(kept) if kept else None
        try:
            staging.unstage(self._bucket, self.settings, sha)
        except StoreUnavailable:
            pass  # the store is down: the staged copy goes at the next start (_unstage_leftovers)

    def _unstage_leftovers(self, catalog: Catalog, keep: set[str]) -> None:
        """At start: staged copies of recordings that are done or failed, which a store outage kept from
        being deleted when their originals were archived or quarantined."""
        prefix = staging.staging_root(self.settings)
        try:
            shas = {key[len(prefix):].split("/")[0] for key in self._bucket.keys(prefix)} - keep
            for sha in shas:
                with catalog.session() as sess:
                    ep = catalog.find_by_sha(sess, sha)
                    over = ep is not None and (ep.status in DONE or ep.status == "failed")
                if over:
                    staging.unstage(self._bucket, self.settings, sha)
        except (StoreUnavailable, ChorusError) as e:
            self.say(f"could not tidy the staged recordings: {e}")

    def _quarantine_staged(self, catalog: Catalog, item: Path, episode_id: int) -> None:
        """A worker refused the recording (bad media, a bad sidecar): quarantine the original here, in
        ``failed/`` beside its ``.error.txt`` as on one machine, and delete the staged copy."""
        with catalog.session() as sess:
            reason = sess.get_one(Episode, episode_id).error or "the worker could not process it"
        self._settle_staged(catalog, episode_id, item.parent.name, quarantine(self.settings, item, reason))

    def _recover_lost_runs(self, catalog: Catalog) -> None:
        """Start again, once, each publish run whose worker was lost (killed, its machine gone)."""
        from chorus.workers import lost_runs

        try:
            lost = lost_runs()
        except Exception as e:  # noqa: BLE001 - the Prefect server is restarting: next tick
            self.say(f"could not check the workers ({type(e).__name__}); trying again")
            return
        for run in lost:
            if str(run.id) in self._rerun:
                continue
            self._rerun.add(str(run.id))
            staged = (run.parameters or {}).get("staged")
            sha = staging.sha_of_manifest(self.settings, staged) if staged else None
            if sha:
                with catalog.session() as sess:
                    ep = catalog.find_by_sha(sess, sha)
                    if ep is not None and ep.status in DONE:
                        continue  # it was finished before its worker was lost
            tries = self._tries[staged or str(run.id)] = self._tries.get(staged or str(run.id), 0) + 1
            if tries > _MAX_RERUNS:
                self.say(f"not starting {run.name} again: its runs crashed {tries} times "
                         f"({run.state.message if run.state else '?'}); `chorus retry` once the cause is fixed")
                continue
            self.say(f"starting {run.name} again: {run.state.message if run.state else 'its worker was lost'}")
            self._start("publish-episode", {k: v for k, v in (run.parameters or {}).items()
                                            if k not in ("config", "data_dir")}, key=f"rerun-{run.id}", again=False)

    def _reconcile(self, catalog: Catalog, claimed: Path, first: bool = False) -> None:
        """Start again what a crash or an outage left behind; release scheduled episodes whose time came."""
        now = time.monotonic()
        if not first and now - self._last_reconcile < 5:
            return
        self._last_reconcile = now
        first, running = first or self._first_pending, set()
        if first and self.on_workers:  # runs on workers outlive a restart of `chorus up`: never start them twice
            from chorus.workers import active_staged

            try:
                running = {key.split("/")[-2] for key in active_staged()}
            except Exception as e:  # noqa: BLE001 - no answer from Prefect yet: do the first pass at a later tick
                self.say(f"could not list the runs on the workers ({type(e).__name__}); checking again shortly")
                self._first_pending = True
                return
        self._first_pending = False
        folders = [f.name for f in claimed.iterdir()] if claimed.is_dir() else []
        with catalog.session() as sess:
            due = [(ep.show.slug, ep.id, ep.title) for ep in catalog.due(sess)]
            due_shows = {show for show, _id, _title in due}
            # on workers an episode's source_path is the worker's copy: match the claimed folders by content hash
            mine = (Episode.source_sha256.in_(folders) if self.on_workers
                    else Episode.source_path.like(f"{claimed}%"))
            by_sha = {ep.source_sha256: (ep.status, ep.updated_at, ep.id) for ep in sess.scalars(select(Episode)
                                                                                                  .where(mine))}
            # no transcript: a "failed" one was refused (bad media or sidecar), not by the store or the settings
            refused = set(by_sha) - set(sess.scalars(select(Episode.source_sha256).join(
                TranscriptRevision, TranscriptRevision.episode_id == Episode.id).where(mine)))
        if self.on_workers:
            for sha, (path, show) in list(self._unstaged.items()):
                self._submit(path, show, sha)
            self._recover_lost_runs(catalog)
        for show, episode_id, title in due:
            if episode_id not in self._released:
                self._released.add(episode_id)
                self.say(f"releasing {title} (episode {episode_id}): its publish_at time has come")
        for show in due_shows:  # one run per show and set of due episodes, however many ticks see them
            ids = "-".join(str(i) for sh, i, _t in sorted(due) if sh == show)
            self._start("rebuild-show", {"show": show}, key=f"rebuild-{show}-{ids}")
        if first:  # redactions not yet republished and checked (the store was down, or chorus up was not running)
            for episode_id in _unchecked_redactions(catalog):
                self.say(f"republishing episode {episode_id}: a redaction is not checked yet")
                self._start("republish-episode", {"episode_id": episode_id},
                            key=f"republish-{episode_id}-{time.time_ns()}")
        if not claimed.is_dir():
            return
        if first and self.on_workers:
            self._unstage_leftovers(catalog, running | set(folders))
        for folder in claimed.iterdir():
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            items = [p for p in folder.iterdir() if p.name != "duplicates" and not p.name.startswith(".")
                     and not _is_sidecar(p)]
            if not items:
                continue
            status, updated, episode_id = by_sha.get(folder.name, (None, None, None))
            if status in DONE and self.on_workers:
                self._archive_staged(catalog, items[0], episode_id)
                continue
            if status in DONE:
                archive(self.settings, items[0])  # published, but the crash came before archiving
                continue
            if (self.on_workers and status == "failed" and folder.name in refused
                    and updated.timestamp() > folder.stat().st_mtime):
                self._quarantine_staged(catalog, items[0], episode_id)
                continue
            waiting = status == "waiting" and (time.time() - updated.timestamp()) > _RETRY_WAITING_AFTER
            if (first and folder.name not in running) or waiting:
                # left claimed by a crash (at start) or parked during an outage: a new run, reusing finished steps
                self._pending_names.setdefault(folder.name, (items[0].name, utcnow()))
                self._submit(items[0], None, folder.name, key=f"publish-{folder.name}-{time.time_ns()}")

    def _report(self, catalog: Catalog) -> None:
        """One line per input when its episode reaches a final state."""
        if not self._pending_names:
            return
        with catalog.session() as sess:
            rows = sess.execute(select(Episode.source_sha256, Episode.status, Episode.error, Episode.id,
                                       Episode.updated_at)
                                .where(Episode.source_sha256.in_(list(self._pending_names)))).all()
        for sha, status, error, ep_id, updated in rows:
            name, started = self._pending_names.get(sha, ("?", utcnow()))
            if status in DONE and updated < started:  # nothing changed since: the same recording again
                self._pending_names.pop(sha)
                self.say(f"duplicate {name}: already {status} as episode {ep_id} (kept in archive/)")
            elif status in ("published", "scheduled", "failed", "waiting", "held", "in_review"):
                self._pending_names.pop(sha)
                detail = f": {error}" if error else f" (episode {ep_id})"
                if status == "in_review":  # the reason says "held for review: ..."
                    self.say(f"{name}{detail}; review it in the editor (episode {ep_id})")
                else:
                    self.say(f"{status} {name}{detail}")


def _unchecked_redactions(catalog: Catalog) -> list[int]:
    """Episodes with a redaction whose check after republishing has not passed."""
    from chorus.catalog import Redaction

    with catalog.session() as sess:
        q = (select(Redaction.episode_id).join(Episode, Episode.id == Redaction.episode_id)
             .where(Redaction.verified.is_not(True), Episode.status.not_in(("unpublished", "failed")))
             .distinct())
        return sorted(sess.scalars(q))


def watch_options(settings: Settings) -> WatchOptions:
    """The watcher's options from the settings."""
    return WatchOptions(stable_seconds=settings.inbox.stable_seconds, max_wait_seconds=settings.inbox.max_wait_seconds,
                        poll_seconds=settings.inbox.poll_seconds)


def _hide(url: str) -> str:
    """A database URL without its password, for a printed line.

    >>> _hide("postgresql+asyncpg://prefect:s3cret@db:5432/prefect")
    'postgresql+asyncpg://prefect:***@db:5432/prefect'
    """
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: show its scheme only
        return url.split(":", 1)[0] + "://…"


def _is_sidecar(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in SIDECAR_SUFFIXES


def _empty(catalog: Catalog) -> bool:
    with catalog.session() as s:
        return not s.scalar(select(func.count()).select_from(Episode))


def _stage_example(inbox: Path) -> Path:
    samples = sorted(p for p in EXAMPLES.glob("*") if p.is_file() and p.suffix.lower() not in SIDECAR_SUFFIXES)
    if not samples:
        raise ChorusError("the sample recording is missing (run from a checkout of Chorus)", path=EXAMPLES)
    sample = samples[0]
    for side in (sample.with_suffix(s) for s in SIDECAR_SUFFIXES):
        if side.exists():
            shutil.copyfile(side, inbox / side.name)
    target = inbox / sample.name
    shutil.copyfile(sample, target)
    return target

