"""Scale-out on Prefect workers: ``chorus deploy`` and ``chorus worker``.

- :func:`deploy` registers the deployments of ``prefect.yaml`` on a Prefect *process* work pool
  (``chorus``, created when missing) with Prefect's own ``RunnerDeployment``: the entrypoints are files
  of this source tree (``flows/publish.py:…``), and the yaml's pull step sets each flow run's working
  directory to ``$CHORUS_HOME``, the Chorus source on the machine that runs it. No image, no git pull.
- :func:`run_worker` runs a Prefect ``ProcessWorker`` on that pool. Its flow runs get Chorus's settings
  through their environment (:func:`worker_environment`): the worker's own work directory as
  ``CHORUS_DATA_DIR`` (work files, caches, archive), the config file as ``CHORUS_CONFIG``, and the
  shared parts, the catalog (``CHORUS_CATALOG_URL``) and the bucket (``[publish]``), from the settings.

Workers share nothing but the Prefect server, the catalog and the bucket: each flow run names the
worker that ran it (Prefect's ``prefect.worker.name`` label, shown in the UI).
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from chorus.errors import ChorusError
from chorus.settings import Settings

__all__ = ["POOL", "CODE_ROOT", "Deployed", "WorkerOptions", "check_server", "deploy", "worker_environment",
           "run_worker", "worker_settings", "default_name", "lost_runs", "active_staged", "MISSED_HEARTBEATS"]

MISSED_HEARTBEATS = 3
"""A worker is lost once this many of its heartbeat intervals pass without one (Prefect's own measure for
marking a worker offline). ``PREFECT_WORKER_HEARTBEAT_SECONDS`` (default 30) sets the interval."""

POOL = "chorus"
"""The Prefect work pool (type ``process``) that Chorus's deployments run on."""
CODE_ROOT = Path(__file__).resolve().parent.parent
"""The Chorus source tree (``prefect.yaml``, ``flows/``): ``CHORUS_HOME`` of the flow runs a worker starts."""


@dataclass
class Deployed:
    """What :func:`deploy` registered: ``flow/deployment`` names, the pool, and whether it made the pool."""

    names: list[str] = field(default_factory=list)
    pool: str = POOL
    created_pool: bool = False


@dataclass
class WorkerOptions:
    """One ``chorus worker``: its name (shown on every flow run it ran) and its own work directory."""

    name: str
    work_dir: Path
    config: Path | None = None
    pool: str = POOL
    limit: int | None = None
    """Flow runs at once (default: ``[processing] max_parallel_episodes``)."""


def check_server() -> str:
    """The API URL of the Prefect server in ``PREFECT_API_URL``; a one-line ``ChorusError`` when none is
    set or it does not answer."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise ChorusError("no Prefect server: set PREFECT_API_URL, or start `chorus up` on this data directory")
    try:
        urllib.request.urlopen(api.rstrip("/") + "/health", timeout=5)
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise ChorusError(f"no Prefect server answers at {api} ({reason}); start it (`chorus up`) or fix "
                          f"PREFECT_API_URL") from None
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()  # the URL may have been set after Prefect was imported
    return api


def _read_yaml(root: Path) -> dict:
    path = root / "prefect.yaml"
    try:
        return yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ChorusError(f"{path}: {e}") from None


async def _ensure_pool(client, name: str) -> bool:
    """Create the process work pool ``name`` when missing; True when it was created. A pool of another
    type is an error (a worker of type process would never get its runs)."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    try:
        pool = await client.read_work_pool(name)
    except ObjectNotFound:
        try:
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))
            return True
        except ObjectAlreadyExists:
            pool = await client.read_work_pool(name)
    if pool.type != "process":
        raise ChorusError(f"the work pool {name!r} is of type {pool.type!r}, not 'process'; remove it or rename it")
    return False


async def _deploy(root: Path) -> Deployed:
    from prefect import get_client
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.deployments.runner import RunnerDeployment

    spec = _read_yaml(root)
    pull = spec.get("pull") or []
    out = Deployed()
    async with get_client() as client:
        for item in spec.get("deployments") or []:
            pool = (item.get("work_pool") or {}).get("name") or POOL
            out.pool = pool
            out.created_pool |= await _ensure_pool(client, pool)
            entry = item["entrypoint"]
            file, _, func = entry.partition(":")
            deployment = RunnerDeployment.from_entrypoint(
                f"{root / file}:{func}", item["name"], description=item.get("description"),
                parameters=item.get("parameters") or {}, concurrency_limit=item.get("concurrency_limit"),
                work_pool_name=pool, work_queue_name=(item.get("work_pool") or {}).get("work_queue_name"))
            deployment.entrypoint = entry  # relative: the pull step puts each run in its machine's CHORUS_HOME
            deployment_id = await deployment.apply(work_pool_name=pool)
            await client.update_deployment(deployment_id, DeploymentUpdate(pull_steps=pull))
            out.names.append(f"{deployment.flow_name}/{deployment.name}")
    if not out.names:
        raise ChorusError(f"{root / 'prefect.yaml'} lists no deployments")
    return out


def deploy(root: Path = CODE_ROOT) -> Deployed:
    """Register ``root/prefect.yaml``'s deployments on the server in ``PREFECT_API_URL``, on the
    process work pool it names (``chorus``), creating the pool when missing. Registering again updates them."""
    check_server()
    return asyncio.run(_deploy(root))


def worker_settings(settings: Settings) -> dict[str, str]:
    """The shared parts a worker's flow runs must use whatever their work directory: the catalog, and
    the embedded S3 store of a ``chorus up`` on this data directory when no endpoint is configured."""
    from chorus.runtime import uses_embedded_s3
    from chorus.services import SeaweedFS, running_seaweed

    env = {"CHORUS_CATALOG_URL": settings.catalog}
    if uses_embedded_s3(settings):
        endpoint = running_seaweed(settings.path("s3"))
        if endpoint is None:
            raise ChorusError("no S3 store for the workers: set [publish] endpoint_url (a shared S3 service), or run "
                              "`chorus up` on this data directory first (its embedded store)")
        key, secret = SeaweedFS(settings.path("s3")).credentials()
        env.update({"CHORUS_PUBLISH__ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": key,
                    "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": settings.publish.region or "us-east-1"})
    return env


def worker_environment(settings: Settings, opts: WorkerOptions) -> dict[str, str]:
    """Environment variables a worker gives its flow runs (on top of its own environment, which carries
    every ``CHORUS_*`` variable and the AWS credentials already)."""
    env = {**worker_settings(settings), "CHORUS_HOME": str(CODE_ROOT), "CHORUS_WORKER": opts.name,
           "CHORUS_WORKER_PID": str(os.getpid()),  # its flow runs die with it (flows.publish._die_with_worker)
           "CHORUS_DATA_DIR": str(opts.work_dir.resolve())}
    if opts.config is not None:
        env["CHORUS_CONFIG"] = str(Path(opts.config).resolve())
    return env


async def _work(opts: WorkerOptions, limit: int) -> None:
    from prefect.workers.process import ProcessWorker

    loop, main = asyncio.get_running_loop(), asyncio.current_task()
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl+C or systemd's stop: leave the pool cleanly
        loop.add_signal_handler(sig, main.cancel)
    async with ProcessWorker(work_pool_name=opts.pool, name=opts.name, limit=limit) as worker:
        await worker.start(printer=lambda *a, **k: None)


def run_worker(settings: Settings, opts: WorkerOptions, say=print) -> None:
    """Run a process worker on the pool until SIGINT or SIGTERM; its flow runs use ``opts.work_dir``.
    A flow run in progress is a process of its own: it goes on and reports to the server."""
    # poll for runs every 2 s, not Prefect's 10 s: a dropped recording should not wait for a worker. Set before
    # check_server(), which makes Prefect read its settings again (after it, the worker would poll every 10 s)
    os.environ.setdefault("PREFECT_WORKER_QUERY_SECONDS", "2")
    os.environ.setdefault("PREFECT_WORKER_PREFETCH_SECONDS", "2")
    os.environ.setdefault("TQDM_DISABLE", "1")  # no model-loading progress bars from its flow runs in the log
    api = check_server()
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(worker_environment(settings, opts))
    say(f"worker {opts.name} on pool {opts.pool} at {api}; work directory {opts.work_dir.resolve()}")
    try:
        asyncio.run(_work(opts, opts.limit or settings.processing.max_parallel_episodes))
    except asyncio.CancelledError:
        say(f"worker {opts.name} stopped")


async def _lost_runs(pool: str) -> list:
    from datetime import datetime, timedelta, timezone

    from prefect import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterName, FlowRunFilter,
                                                FlowRunFilterExpectedStartTime, FlowRunFilterState,
                                                FlowRunFilterStateType, WorkPoolFilter, WorkPoolFilterName)
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.states import Crashed

    now = datetime.now(timezone.utc)
    async with get_client() as client:
        alive = {w.name for w in await client.read_workers_for_work_pool(pool, limit=200, offset=0)
                 if w.last_heartbeat_time is not None and (now - w.last_heartbeat_time).total_seconds()
                 < MISSED_HEARTBEATS * (w.heartbeat_interval_seconds or 30)}
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.CRASHED])),
                expected_start_time=FlowRunFilterExpectedStartTime(after_=now - timedelta(days=2))),
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["publish-episode"])),
            work_pool_filter=WorkPoolFilter(name=WorkPoolFilterName(any_=[pool])), limit=200,
            sort=FlowRunSort.EXPECTED_START_TIME_DESC)
        lost = []
        for run in runs:
            worker = (run.labels or {}).get("prefect.worker.name")
            if run.state.type == StateType.RUNNING:
                if not worker or worker in alive:
                    continue
                message = f"its worker {worker} stopped answering (no heartbeat for {MISSED_HEARTBEATS} intervals)"
                await client.set_flow_run_state(run.id, Crashed(message=message), force=True)
                run = await client.read_flow_run(run.id)
            lost.append(run)
        return lost


def lost_runs(pool: str = POOL) -> list:
    """Publish runs that will never finish: Crashed ones (their process died; the worker said so), and
    Running ones whose worker is lost (:data:`MISSED_HEARTBEATS`), which this marks Crashed first.
    ``chorus up --on-workers`` starts each again, once (``chorus.service``)."""
    return asyncio.run(_lost_runs(pool))


async def _active_staged(pool: str) -> set[str]:
    from prefect import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterName, FlowRunFilter,
                                                FlowRunFilterState, FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED]))),
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["publish-episode"])), limit=200,
            sort=FlowRunSort.EXPECTED_START_TIME_DESC)
    return {str(r.parameters.get("staged")) for r in runs if (r.parameters or {}).get("staged")}


def active_staged(pool: str = POOL) -> set[str]:
    """Staged keys of publish runs not finished yet (waiting, or on a worker): not to be started twice."""
    return asyncio.run(_active_staged(pool))


def default_name() -> str:
    """``<host>-<pid>``: unique on a machine and across machines."""
    return f"{socket.gethostname()}-{os.getpid()}"
