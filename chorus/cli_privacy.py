"""``chorus flags``, ``chorus redact`` and ``chorus dismiss``: review personal data from the command line.

Thin, like ``chorus.cli``: the rules live in ``chorus.privacy_review``. Messages go to stderr as plain text,
one line each; ``chorus flags`` prints its table on stdout. After redacting, the episode is republished
(``chorus.sequence.release_episode``) against the bucket, as ``chorus regenerate`` does; when the store
cannot be reached, one line says so and what republishes it later.
"""
from __future__ import annotations

import getpass
import re
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from chorus.catalog import Catalog
from chorus.cli_common import ConfigOpt, DataOpt, err, fail, load
from chorus.errors import ChorusError

__all__ = ["app"]

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Personal data: list flags, redact, dismiss.")
_Config, _Data = ConfigOpt, DataOpt
_ByOpt = typer.Option(None, "--by", help="Who is deciding, as the catalog records it (default: your login name).")


def _by(by: Optional[str]) -> str:
    return by or getpass.getuser()


def _stamp(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour)."""
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


@app.command()
def flags(
    episode_id: int = typer.Argument(..., help="Episode id (as `chorus status` shows it)."),
    data_dir: Optional[Path] = _Data,
    config: Optional[Path] = _Config,
) -> None:
    """The personal data flagged in an episode: id, kind, time, state, and the words (or why it was dismissed)."""
    from chorus import privacy_review

    catalog = Catalog(load(config, data_dir).catalog)
    try:
        rows = privacy_review.flags(catalog, episode_id)
    except ChorusError as e:
        raise fail(str(e)) from e
    out = Console(markup=False, highlight=False, emoji=False)
    if not out.is_terminal:
        out = Console(markup=False, highlight=False, emoji=False, width=200)
    table = Table("id", "kind", "time", "state", "text", title=f"Episode {episode_id}: {len(rows)} flag(s)")
    for f in rows:
        said = f["text"] if f["state"] != "dismissed" else f"{f['text']} (dismissed by {f['decided_by']}: {f['reason']})"
        if f["state"] == "redacted":
            said = f"(redacted by {f['decided_by']})"
        table.add_row(str(f["id"]), f["kind"], f"{_stamp(f['start'])}-{_stamp(f['end'])}", f["state"], said or "")
    out.print(table)


def _words(spec: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", spec)
    if not m:
        raise ChorusError(f"--words takes FIRST-LAST word numbers (as the editor shows them), not {spec!r}")
    first = int(m.group(1))
    return first, int(m.group(2)) if m.group(2) else first


@app.command()
def redact(
    episode_id: int = typer.Argument(..., help="Episode id (as `chorus status` shows it)."),
    flag: Optional[int] = typer.Option(None, "--flag", help="Redact this flag's words (`chorus flags` lists them)."),
    words: Optional[str] = typer.Option(None, "--words", help="Redact words FIRST-LAST of the latest transcript "
                                        "revision (numbered from 0)."),
    all_flags: bool = typer.Option(False, "--all-flags", help="Redact every open flag."),
    by: Optional[str] = _ByOpt,
    purge_original: bool = typer.Option(False, "--purge-original", help="Also replace the archived original "
                                        "with the redacted master (otherwise it stays, as the organiser's private copy)."),
    data_dir: Optional[Path] = _Data,
    config: Optional[Path] = _Config,
) -> None:
    """Redact personal data everywhere (transcripts, captions, notes, pages, audio), then republish the episode."""
    from chorus import privacy_review as review

    if sum((flag is not None, words is not None, all_flags)) != 1:
        raise fail("say what to redact: one of --flag ID, --words FIRST-LAST or --all-flags", 2)
    settings = load(config, data_dir)
    catalog = Catalog(settings.catalog)
    who = _by(by)
    try:
        if flag is not None:
            done = [review.accept(catalog, episode_id, flag, who)]
        elif words is not None:
            first, last = _words(words)
            latest = catalog.latest_revision("transcript", episode_id)
            done = [review.redact(catalog, episode_id, who, latest.number if latest else 0, first, last)]
        else:
            done = [review.accept(catalog, episode_id, f["id"], who)
                    for f in review.flags(catalog, episode_id) if f["state"] == "open"]
        found = sum(d["occurrences"] for d in done)
        revision = max((d["revision"] for d in done), default=None)
        err.print(f"episode {episode_id}: redacted {found} occurrence(s)"
                  + (f"; transcript revision {revision}" if revision else "; nothing left to redact"))
        if purge_original:
            err.print(f"episode {episode_id}: {review.purge_original(catalog, settings, episode_id)}")
    except ChorusError as e:
        raise fail(str(e)) from e
    if not any(d["occurrences"] for d in done):
        return
    _republish(settings, catalog, episode_id)


def _republish(settings, catalog: Catalog, episode_id: int) -> None:
    """Render and publish the episode again; one line, exit 1, when the store cannot be reached now."""
    from chorus import sequence
    from chorus.runtime import open_bucket
    from chorus.steps import Context

    try:
        with open_bucket(settings) as bucket:
            out = sequence.release_episode(Context(settings, catalog, bucket), episode_id)
            catalog.set_status(episode_id, out.status, detail="republished after a redaction")
    except (ChorusError, OSError, RuntimeError, ValueError) as e:
        raise fail(f"episode {episode_id} is redacted in the catalog but not republished yet ({e}); `chorus up` "
                   f"republishes it when it starts, or `chorus retry {episode_id}` while it is held") from e
    err.print(f"episode {episode_id}: republished ({out.status})")


@app.command()
def dismiss(
    episode_id: int = typer.Argument(..., help="Episode id (as `chorus status` shows it)."),
    flag: int = typer.Argument(..., help="Flag id (`chorus flags EPISODE` lists them)."),
    reason: str = typer.Option(..., "--reason", help="Why this is not personal data to remove (kept with the flag)."),
    by: Optional[str] = _ByOpt,
    data_dir: Optional[Path] = _Data,
    config: Optional[Path] = _Config,
) -> None:
    """Keep a flag's words: record who decided, and why."""
    from chorus import privacy_review

    catalog = Catalog(load(config, data_dir).catalog)
    try:
        row = privacy_review.dismiss(catalog, episode_id, flag, _by(by), reason)
    except ChorusError as e:
        raise fail(str(e)) from e
    err.print(f"episode {episode_id}: flag {row['id']} ({row['kind']}) dismissed by {row['decided_by']}")
