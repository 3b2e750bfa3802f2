"""What ``chorus status`` and ``chorus list`` show: the catalog's episodes as rows, and a rich table."""
from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from chorus.catalog import Catalog, Episode, Show
from chorus.settings import Settings

__all__ = ["episode_rows", "status_table", "STEP_OF"]

STEP_OF = {"claimed": "claimed", "mastering": "master", "transcribing": "transcribe", "drafted": "notes",
           "rendering": "render", "releasing": "feed"}
"""The step an episode is in while its status says it is working."""
_STYLE = {"published": "green", "scheduled": "cyan", "failed": "red", "waiting": "yellow", "held": "yellow",
          "in_review": "yellow",
          "unpublished": "dim"}


def episode_rows(settings: Settings, show: str | None = None) -> list[dict[str, Any]]:
    """Every episode (of one show), newest first, as plain dicts (what ``chorus status --json`` prints)."""
    catalog = Catalog(settings.catalog)
    with catalog.session() as s:
        q = select(Episode).join(Show).order_by(Episode.id.desc())
        if show:
            q = q.where(Show.slug == show)
        return [{
            "id": ep.id, "show": ep.show.slug, "title": ep.title, "status": ep.status,
            "step": STEP_OF.get(ep.status), "duration": round(ep.duration, 1) if ep.duration else None,
            "published_at": ep.published_at.isoformat() if ep.published_at else None,
            "updated_at": ep.updated_at.isoformat() if ep.updated_at else None,
            "coverage": (ep.media or {}).get("coverage"), "inaudible": len((ep.media or {}).get("inaudible") or []),
            "error": ep.error, "source": ep.source_name, "kept_at": ep.source_path,
            "audio_url": ep.url("mp3"),
        } for ep in s.scalars(q)]


def status_table(rows: list[dict[str, Any]]) -> Table:
    """A rich table of ``episode_rows``; every cell is plain text (titles are never read as markup)."""
    table = Table(title="Chorus episodes", show_lines=False)
    for col in ("id", "show", "title", "status", "duration", "speech with words", "when", "error or link"):
        table.add_column(col, overflow="fold")
    for r in rows:
        minutes = f"{r['duration'] / 60:.1f} min" if r["duration"] else "-"
        when = (r["published_at"] or r["updated_at"] or "-")[:16].replace("T", " ")
        state = r["status"] + (f" ({r['step']})" if r["step"] and r["step"] != r["status"] else "")
        cover = "-" if r["coverage"] is None else f"{r['coverage']:.0%}" + (
            f" ({r['inaudible']} inaudible)" if r["inaudible"] else "")
        table.add_row(str(r["id"]), Text(r["show"]), Text(r["title"]), Text(state, style=_STYLE.get(r["status"], "")),
                      minutes, cover, when, Text(r["error"] or r["audio_url"] or ""))
    return table
