"""The ``chorus`` command: ``chorus up`` (the service) and ``chorus run`` (process files once).

This is the only place (with the editor's HTTP layer) that turns exceptions into exit codes.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from chorus.errors import ChorusError
from chorus.settings import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Chorus: drop recordings in a folder; get a published, transcribed podcast.")
err = Console(stderr=True)

ConfigOpt = typer.Option(None, "--config", "-c", help="chorus.toml to use (default: ./chorus.toml if present).")
DataOpt = typer.Option(None, "--data-dir", "-d", help="Data directory (default: ./chorus-data).")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples"

_MEDIA_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".webm", ".mp4", ".mov", ".mkv",
                   ".aiff", ".aif", ".wma", ".amr", ".3gp"}


def _settings(config: Optional[Path], data_dir: Optional[Path]) -> Settings:
    try:
        settings = load_settings(config, data_dir)
    except (FileNotFoundError, ValueError) as e:
        err.print(f"[red]chorus: configuration error:[/] {' '.join(str(e).split())}")
        raise typer.Exit(2) from e
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Prefect's home lives in the data directory, never in the user's ~/.prefect.
    os.environ["PREFECT_HOME"] = str(settings.path("prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Run logs (with tracebacks of unexpected errors) go to the Prefect server and its UI; the
    # terminal gets Chorus's own one-line reports. PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL=INFO shows all.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    return settings


def _run_one(path: Path, settings: Settings, config: Optional[Path], show: Optional[str]) -> dict[str, Any]:
    from flows.publish import publish_episode

    state = publish_episode(source=str(path), show=show, config=str(config) if config else None,
                            data_dir=str(settings.data_dir), return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, dict):
        return result
    return {"source": str(path), "status": "failed", "episode_id": None, "feed_url": None, "audio_url": None,
            "episode_url": None, "error": " ".join(str(result or state.message).split())}


def _report(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result), flush=True)
        return
    name = Path(result["source"]).name
    if result["status"] == "published":
        err.print(f"[green]published[/] {name}: {result['episode_url'] or result['audio_url']}")
    elif result["status"] == "duplicate":
        err.print(f"[yellow]duplicate[/] {name}: already published as episode {result['episode_id']}")
    else:
        err.print(f"[red]failed[/] {name}: {result['error']}")


@app.command()
def run(
    paths: list[Path] = typer.Argument(..., help="Recordings (files, or folders of per-speaker tracks)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per input on stdout."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
    show: Optional[str] = typer.Option(None, "--show", help="Show slug (default: the default show)."),
) -> None:
    """Process recordings once through the publish-episode flow; exit 1 if any failed."""
    settings = _settings(config, data_dir)
    try:
        settings.get_show(show)
    except ValueError as e:
        err.print(f"[red]chorus:[/] {e}")
        raise typer.Exit(2) from e
    from chorus.runtime import open_bucket

    failed = False
    try:
        with open_bucket(settings):  # starts the embedded S3 store for this run when none is running
            for path in paths:
                result = _run_one(path, settings, config, show)
                failed |= result["status"] == "failed"
                _report(result, as_json)
                if result["status"] == "published" and not as_json:
                    err.print(f"feed: {result['feed_url']}")
    except ChorusError as e:
        err.print(f"[red]chorus:[/] {e}")
        raise typer.Exit(1) from e
    raise typer.Exit(1 if failed else 0)


def _on_published_episode(config: Optional[Path], data_dir: Optional[Path], action):
    """Run ``action(bucket, settings, catalog)`` against the show's store; a ChorusError is one line, exit 1."""
    settings = _settings(config, data_dir)
    from chorus.catalog import Catalog
    from chorus.runtime import open_bucket

    try:
        with open_bucket(settings) as bucket:
            return action(bucket, settings, Catalog(settings.catalog))
    except ChorusError as e:
        err.print(f"[red]chorus:[/] {e}")
        raise typer.Exit(1) from e


@app.command(name="list")
def list_episodes(
    show: Optional[str] = typer.Option(None, "--show", help="Only this show (slug)."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Episodes in the catalog, newest first: id, show, status, published date, title."""
    from sqlalchemy import select

    from chorus.catalog import Catalog, Episode, Show

    settings = _settings(config, data_dir)
    catalog = Catalog(settings.catalog)
    with catalog.session() as s:
        q = select(Episode).join(Show).order_by(Episode.id.desc())
        if show:
            q = q.where(Show.slug == show)
        for ep in s.scalars(q):
            when = ep.published_at.date().isoformat() if ep.published_at else "-"
            print(f"{ep.id}\t{ep.show.slug}\t{ep.status}\t{when}\t{ep.title}")


@app.command()
def unpublish(
    episode_id: int = typer.Argument(..., help="Episode id (as `chorus run --json` printed it)."),
    delete_objects: bool = typer.Option(False, "--delete-objects", help="Also delete its audio, transcripts and page."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Remove an episode from its show's feed and pages (the original stays in archive/)."""
    from chorus.publishing import unpublish as unpublish_episode

    result = _on_published_episode(config, data_dir, lambda b, st, c: unpublish_episode(b, st, c, episode_id,
                                                                                         delete_objects))
    err.print(f"episode {episode_id} removed from the {result.show} feed; deleted {len(result.deleted)} object(s)")


@app.command()
def regenerate(
    episode_id: int = typer.Argument(..., help="Episode id (as `chorus run --json` printed it)."),
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Draft new show notes and chapters from the current transcript; publish them unless a volunteer edited the notes."""
    from chorus.regenerate import regenerate_notes

    r = _on_published_episode(config, data_dir, lambda b, st, c: regenerate_notes(b, st, c, episode_id))
    if r.published:
        err.print(f"episode {episode_id}: new notes (revision {r.revision}, {r.chapters} chapters) published")
    else:
        err.print(f"episode {episode_id}: the volunteer edit (revision {r.kept[0]} by {r.kept[1]}) stays live; "
                  f"the new draft is saved as revision {r.revision}")


def _inbox_items(inbox: Path, settings: Settings) -> list[tuple[Path, str | None]]:
    """Stable media files (and multitrack folders) waiting in the inbox, with their show."""
    items = []
    for entry in sorted(inbox.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and entry.name in settings.shows:
            items += [(p, entry.name) for p, _ in _inbox_items(entry, settings)]
        elif entry.is_dir() and any(p.suffix.lower() in _MEDIA_SUFFIXES for p in entry.iterdir()):
            items.append((entry, None))  # a folder of per-speaker tracks: one multitrack recording
        elif entry.is_file() and entry.suffix.lower() in _MEDIA_SUFFIXES:
            items.append((entry, None))
    return items


def _stable(path: Path, seen: dict[Path, tuple]) -> bool:
    """True once a file (or every file of a track folder) kept its size and mtime between two polls."""
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    now = tuple((p.name, p.stat().st_size, p.stat().st_mtime) for p in files)
    before, seen[path] = seen.get(path), now
    return before == now


@app.command()
def up(
    data_dir: Optional[Path] = DataOpt,
    config: Optional[Path] = ConfigOpt,
    inbox: Optional[Path] = typer.Option(None, "--inbox", help="Folder to watch (default: ./inbox)."),
    example: bool = typer.Option(True, help="Publish the bundled sample episode on first start."),
) -> None:
    """Start the embedded S3 store and Prefect server, watch the inbox, publish what lands there."""
    settings = _settings(config, data_dir)
    inbox = (inbox or settings.inbox).resolve()
    inbox.mkdir(parents=True, exist_ok=True)
    from chorus.catalog import Catalog
    from chorus.runtime import open_bucket, uses_embedded_s3
    from chorus.services import PrefectServer, free_port
    from chorus.showfeed import feed_url

    stopping = {"now": False}

    def _stop(signum, frame):  # noqa: ARG001
        """First Ctrl+C (or SIGTERM): finish the episode in hand, then stop. Second: stop at once."""
        if stopping["now"]:
            raise KeyboardInterrupt
        stopping["now"] = True
        err.print("stopping after the current episode… (Ctrl+C again to stop at once)")

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    server = None
    try:
        with open_bucket(settings) as bucket:
            if uses_embedded_s3(settings):
                err.print(f"S3 store (SeaweedFS) at {bucket.endpoint_url}, data in {settings.path('s3')}")
            if not os.environ.get("PREFECT_API_URL"):
                port = settings.embedded.prefect_port
                try:
                    server = PrefectServer(settings.path("prefect"), port).start()
                except ChorusError:
                    server = PrefectServer(settings.path("prefect"), free_port()).start()
                os.environ["PREFECT_API_URL"] = server.api_url
                err.print(f"Prefect UI at {server.api_url.removesuffix('/api')}")
            for slug in settings.shows:
                err.print(f"[bold]feed for {slug}:[/] {feed_url(bucket, settings, slug)}")
            print(feed_url(bucket, settings, settings.default_show), flush=True)
            catalog = Catalog(settings.catalog)
            with catalog.session() as s:
                from sqlalchemy import func, select

                from chorus.catalog import Episode

                empty = not s.scalar(select(func.count()).select_from(Episode))
            if example and empty:
                sample = _stage_example(inbox)
                err.print(f"first start: publishing the sample recording {sample.name}")
            err.print(f"watching {inbox} (Ctrl+C to stop)")
            seen: dict[Path, tuple[int, float]] = {}
            while not stopping["now"]:
                for path, show in _inbox_items(inbox, settings):
                    if stopping["now"]:
                        break
                    if path.exists() and _stable(path, seen):
                        result = _run_one(path, settings, config, show)
                        _report(result, False)
                        if result["status"] == "duplicate" and path.exists():
                            from chorus.pipeline import archive

                            archive(settings, path)
                        seen.pop(path, None)
                deadline = time.monotonic() + settings.poll_seconds
                while not stopping["now"] and time.monotonic() < deadline:
                    time.sleep(0.1)
    except KeyboardInterrupt:
        err.print("stopping now; an interrupted episode resumes from its last finished step next time")
    except ChorusError as e:
        err.print(f"[red]chorus:[/] {e}")
        raise typer.Exit(1) from e
    finally:
        if server is not None:
            server.stop()
    err.print("stopped")


def _stage_example(inbox: Path) -> Path:
    import shutil

    samples = sorted(p for p in EXAMPLE.glob("*") if p.suffix.lower() in _MEDIA_SUFFIXES)
    if not samples:
        raise ChorusError("the sample recording is missing (run from a checkout of Chorus)", path=EXAMPLE)
    sample = samples[0]
    target = inbox / sample.name
    shutil.copyfile(sample, target)
    for side in (sample.with_suffix(".json"), sample.with_suffix(".toml")):
        if side.exists():
            shutil.copyfile(side, inbox / side.name)
    return target


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
