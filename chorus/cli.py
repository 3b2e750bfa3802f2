"""The ``chorus`` command, thin (in the style of datasette's ``cli.py``): parse, call, report.

Commands import what they need when they run: the flows (Prefect), the service, boto3 and the
models are heavy, so ``chorus --help`` and ``chorus status`` stay quick. The work lives in ``chorus.service`` (``up``), ``chorus.sequence`` and the flows (``run``, ``retry``,
``rebuild``), ``chorus.publishing`` and ``chorus.regenerate``. This module (with the editor's HTTP
layer) is the only place that turns exceptions into exit codes. Every message is printed as plain
text: nothing a user typed is read as markup.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import typer
from rich.console import Console

from chorus.catalog import Catalog
from chorus.cli_common import ConfigOpt, DataOpt, err, fail, load
from chorus.cli_db import app as db_app
from chorus.cli_privacy import app as privacy_app
from chorus.cli_users import app as user_app
from chorus.errors import ChorusError
from chorus.reporting import episode_rows, status_table
from chorus.services import PrefectServer, free_port, running_prefect
from chorus.settings import Settings, validate_slug

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Chorus: drop recordings in a folder; get a published, transcribed podcast.")
_fail = fail


def _settings(config: Optional[Path], data_dir: Optional[Path]) -> Settings:
    """Load the settings and point Prefect at this data directory: the server a running ``chorus up``
    serves for it when there is one, else Prefect's ephemeral mode with its home inside the data dir."""
    settings = load(config, data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(settings.path("prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Run logs (with tracebacks of unexpected errors) go to the Prefect server and its UI; the
    # terminal gets Chorus's own one-line reports. PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL=INFO shows all.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # `chorus up`'s runner looks for new deployment runs every 2 s, not Prefect's 10 s (bench/startup.py:
    # the pick-up was 1.6-7.2 s of a dropped recording's latency)
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")
    if not os.environ.get("PREFECT_API_URL"):
        api = running_prefect(settings.path("prefect"))
        if api:
            os.environ["PREFECT_API_URL"] = api
    return settings


def _show(settings: Settings, show: Optional[str]) -> Optional[str]:
    if show is None:
        return None
    try:
        return settings.get_show(validate_slug(show, "--show"))[0]
    except ValueError as e:
        raise _fail(str(e), 2) from e


def _report(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result), flush=True)
        return
    name = Path(result["source"]).name
    status = result["status"]
    if status == "published":
        err.print(f"published {name}: {result['episode_url'] or result['audio_url']}", style="green")
        err.print(f"feed: {result['feed_url']}")
    elif status == "scheduled":
        err.print(f"scheduled {name}: public from {result['publish_at']} at {result['episode_url']}", style="green")
    elif status == "duplicate":
        err.print(f"duplicate {name}: already published as episode {result['episode_id']}", style="yellow")
    elif status == "waiting":
        err.print(f"waiting {name}: {result['error']} (kept at {result['kept_at']}; "
                  f"`chorus up` or `chorus retry {result['episode_id'] or result['kept_at']}` runs it again)",
                  style="yellow")
    elif status == "in_review":  # the show's review policy holds it: private until an organiser approves it
        err.print(f"{name}: {result['error']}; nothing is public yet; review it in the editor: "
                  f"{result['episode_url']}", style="yellow")
    elif status == "held":  # the message says what to set and which `chorus retry` to run
        err.print(f"{name}: {result['error']}", style="yellow")
    else:
        err.print(f"failed {name}: {result['error']}", style="red")


def _publish(path: Path, settings: Settings, config: Optional[Path], show: Optional[str], progress: bool) -> dict:
    """One input through the ``publish-episode`` flow, in this process."""
    from flows.publish import STEP_LISTENERS, publish_episode

    status = err.status(f"{path.name}: starting") if progress else None
    listener = (lambda step: status.update(f"{path.name}: {step}")) if status else None
    if listener:
        STEP_LISTENERS.append(listener)
        status.start()
    try:
        state = publish_episode(source=str(path), show=show, config=str(config) if config else None,
                                data_dir=str(settings.data_dir), return_state=True)
    finally:
        if listener:
            STEP_LISTENERS.remove(listener)
            status.stop()
    result = state.result(raise_on_failure=False)
    if isinstance(result, dict):
        return result
    return {"source": str(path), "status": "failed", "episode_id": None, "feed_url": None, "audio_url": None,
            "episode_url": None, "error": " ".join(str(result or state.message).split()), "kept_at": None,
            "publish_at": None}


@contextmanager
def _with_store(settings: Settings, prefect: bool = True) -> Iterator:
    """The bucket, and a Prefect server, for one command: those a running ``chorus up`` serves for
    this data directory, else ones started for the command. What the command starts dies with it,
    even when it is killed (``PR_SET_PDEATHSIG``), so nothing is ever left running. (Prefect's own
    ephemeral mode would start the same kind of local server, but one Chorus could not stop then.)"""
    from chorus.runtime import check_privacy, open_bucket  # boto3

    with ExitStack() as stack:
        bucket = stack.enter_context(open_bucket(settings))
        check_privacy(bucket, settings)  # a public private prefix stops here, in one line
        if prefect and not os.environ.get("PREFECT_API_URL"):
            server = PrefectServer(settings.path("prefect"), free_port()).start(advertise=False)
            stack.callback(server.stop)
            os.environ["PREFECT_API_URL"] = server.api_url
            stack.callback(os.environ.pop, "PREFECT_API_URL", None)
        yield bucket


@app.command()
def run(
    paths: list[Path] = typer.Argument(..., help="Recordings (files, or folders of per-speaker tracks)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per input on stdout."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
    show: Optional[str] = typer.Option(None, "--show", help="Show slug (default: the sidecar's, else the default show)."),
) -> None:
    """Process recordings once through the publish-episode flow; exit 1 if any failed.

    Files named here are copied into the data directory, never moved: running the same command
    again reports them as duplicates.
    """
    settings = _settings(config, data_dir)
    show = _show(settings, show)
    progress = not as_json and err.is_terminal
    failed = False
    try:
        with _with_store(settings):
            for path in paths:
                result = _publish(path, settings, config, show, progress)
                failed |= result["status"] in ("failed", "waiting", "held")
                _report(result, as_json)
    except ChorusError as e:
        raise _fail(str(e)) from e
    raise typer.Exit(1 if failed else 0)


@app.command()
def retry(
    target: str = typer.Argument(..., help="Episode id, or the path of a recording in failed/ (or anywhere)."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON on stdout."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Run a failed, waiting or held input again, reusing every step that finished (mastering, transcription)."""
    from chorus.retrying import take_back

    settings = _settings(config, data_dir)
    try:
        path, show = take_back(settings, target)
        with _with_store(settings):
            result = _publish(path, settings, config, show, not as_json and err.is_terminal)
    except (ChorusError, ValueError) as e:
        raise _fail(str(e)) from e
    _report(result, as_json)
    raise typer.Exit(0 if result["status"] in ("published", "scheduled", "duplicate") else 1)


@app.command()
def rebuild(
    show: str = typer.Argument(..., help="Show slug."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Write a show's pages and feed again from the catalog (and release scheduled episodes whose time came)."""
    settings = _settings(config, data_dir)
    show = _show(settings, show)
    from flows.publish import rebuild_show
    try:
        with _with_store(settings):
            state = rebuild_show(show=show, config=str(config) if config else None, data_dir=str(settings.data_dir),
                                 return_state=True)
    except ChorusError as e:
        raise _fail(str(e)) from e
    result = state.result(raise_on_failure=False)
    if not isinstance(result, dict) or result.get("status") != "published":
        raise _fail(result.get("error") if isinstance(result, dict) else str(state.message))
    released = f"; released episodes {result['kept_at']}" if result.get("kept_at") else ""
    err.print(f"rebuilt {show}: {result.get('feed_url') or 'feed and pages written'}{released}")


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per episode on stdout."),
    show: Optional[str] = typer.Option(None, "--show", help="Only this show (slug)."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Episodes, newest first: state and current step, duration, when, error or link."""
    settings = _settings(config, data_dir)
    try:
        rows = episode_rows(settings, _show(settings, show))
    except ChorusError as e:  # e.g. a PostgreSQL catalog that needs `chorus db upgrade`
        raise _fail(str(e)) from e
    if as_json:
        for row in rows:
            print(json.dumps(row), flush=True)
        return
    out = Console(markup=False, highlight=False)
    if not out.is_terminal:  # a pipe or a file: wide enough that titles and links are never folded
        out = Console(markup=False, highlight=False, width=240)
    out.print(status_table(rows))


@app.command(name="list")
def list_episodes(
    show: Optional[str] = typer.Option(None, "--show", help="Only this show (slug)."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Episodes in the catalog, newest first, tab-separated: id, show, status, published date, title."""
    settings = _settings(config, data_dir)
    for row in episode_rows(settings, _show(settings, show)):
        print(f"{row['id']}\t{row['show']}\t{row['status']}\t{(row['published_at'] or '-')[:10]}\t{row['title']}")


def _on_store(config: Optional[Path], data_dir: Optional[Path], action):
    """Run ``action(bucket, settings, catalog)`` against the show's store; a ChorusError is one line, exit 1."""
    settings = _settings(config, data_dir)
    try:
        with _with_store(settings, prefect=False) as bucket:
            return action(bucket, settings, Catalog(settings.catalog))
    except ChorusError as e:
        raise _fail(str(e)) from e


@app.command()
def unpublish(
    episode_id: int = typer.Argument(..., help="Episode id (as `chorus status` shows it)."),
    delete_objects: bool = typer.Option(False, "--delete-objects", help="Also delete its audio, transcripts and page."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Remove an episode from its show's feed and pages (the original stays in archive/)."""
    from chorus.publishing import unpublish as unpublish_episode

    result = _on_store(config, data_dir, lambda b, st, c: unpublish_episode(b, st, c, episode_id, delete_objects))
    err.print(f"episode {episode_id} removed from the {result.show} feed; deleted {len(result.deleted)} object(s)")


@app.command()
def regenerate(
    episode_id: int = typer.Argument(..., help="Episode id (as `chorus status` shows it)."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Draft new show notes and chapters from the current transcript; publish them unless a volunteer edited the notes."""
    from chorus.regenerate import regenerate_notes

    r = _on_store(config, data_dir, lambda b, st, c: regenerate_notes(b, st, c, episode_id))
    if r.published:
        err.print(f"episode {episode_id}: new notes (revision {r.revision}, {r.chapters} chapters) published")
    else:
        err.print(f"episode {episode_id}: the volunteer edit (revision {r.kept[0]} by {r.kept[1]}) stays live; "
                  f"the new draft is saved as revision {r.revision}")


@app.command()
def up(
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
    inbox: Optional[Path] = typer.Option(None, "--inbox", help="Folder to watch (default: ./inbox)."),
    example: bool = typer.Option(True, help="Publish the bundled sample episode on first start."),
    prefect_database: Optional[str] = typer.Option(
        None, "--prefect-database", help="Database of the Prefect server it starts (postgresql+asyncpg://...; "
        "default: [embedded] prefect_database, else SQLite in the data directory)."),
    on_workers: bool = typer.Option(False, "--on-workers", help="Leave the flow runs to `chorus worker`s on the "
                                    "work pool chorus (registered as `chorus deploy` does) instead of running them here."),
) -> None:
    """Start the embedded S3 store and Prefect server, serve the deployments, publish what lands in the inbox."""
    settings = _settings(config, data_dir)  # first: Prefect reads its logging settings when imported
    from chorus.service import Service

    if prefect_database:
        settings.embedded.prefect_database = prefect_database
    service = Service(settings, config, (inbox or settings.inbox.path).resolve(), example, say=lambda m: err.print(m),
                      on_workers=on_workers)

    def _stop(signum, frame):  # noqa: ARG001
        """First Ctrl+C (or SIGTERM): stop watching; runs in progress resume on the next start. Second: at once."""
        if service.stopping.is_set():
            raise KeyboardInterrupt
        service.stop()
        err.print("stopping… (Ctrl+C again to stop at once)")

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        service.run(feed_line=lambda url: print(url, flush=True))
    except KeyboardInterrupt:
        err.print("stopping now; an interrupted episode resumes from its last finished step next time")
    except ChorusError as e:
        raise _fail(str(e)) from e
    err.print("stopped")


@app.command()
def editor(
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (default: [editor] host, 127.0.0.1)."),
    port: Optional[int] = typer.Option(None, "--port", help="Port (default: [editor] port, 8750)."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Serve the volunteer transcript editor alone (`chorus up` serves it too); approving republishes."""
    settings = _settings(config, data_dir)
    from chorus.runtime import open_bucket
    from editor.serving import EditorServer, served_republish

    try:
        with open_bucket(settings) as bucket:
            server = EditorServer(settings, Catalog(settings.catalog), bucket, served_republish(settings, config),
                                  host, port)
            server.run(ready=lambda url: err.print(f"editor: {url}"))
    except ChorusError as e:
        raise _fail(str(e)) from e


@app.command()
def deploy(data_dir: Optional[Path] = DataOpt, config: Optional[Path] = ConfigOpt) -> None:
    """Register prefect.yaml's deployments on the Prefect process work pool `chorus` (created if missing), on the
    server in PREFECT_API_URL or the one `chorus up` runs for this data directory; `chorus worker`s then run them."""
    _settings(config, data_dir)
    from chorus.workers import deploy as deploy_all

    try:
        done = deploy_all()
    except ChorusError as e:
        raise _fail(str(e)) from e
    made = " (created)" if done.created_pool else ""
    err.print(f"deployed {', '.join(done.names)} on work pool {done.pool}{made} at {os.environ['PREFECT_API_URL']}")


@app.command()
def worker(
    name: Optional[str] = typer.Option(None, "--name", help="Worker name, shown on its flow runs (default: HOST-PID)."),
    work_dir: Optional[Path] = typer.Option(None, "--work-dir",
                                            help="Its own work directory (default: <data>/workers/NAME)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                        help="Flow runs at once (default: [processing] max_parallel_episodes)."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Run a Prefect process worker on the pool `chorus` (see `chorus deploy`); its flow runs share only the
    Prefect server, the catalog (catalog_url) and the bucket ([publish]) with the rest of Chorus."""
    settings = _settings(config, data_dir)
    from chorus.workers import WorkerOptions, default_name, run_worker

    name = name or default_name()
    opts = WorkerOptions(name, work_dir or settings.data_dir / "workers" / name, config, limit=limit)
    try:
        run_worker(settings, opts, say=err.print)
    except ChorusError as e:
        raise _fail(str(e)) from e
    except KeyboardInterrupt:
        err.print(f"worker {name} stopped")


app.add_typer(user_app, name="user")  # chorus user add|list|remove|token
app.add_typer(db_app, name="db")  # chorus db upgrade|current|backup (chorus.cli_db)
app.add_typer(privacy_app)  # chorus flags|redact|dismiss (chorus.cli_privacy)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())

