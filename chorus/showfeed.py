"""Assemble a show's feed and pages from the catalog and settings (no uploads here but artwork).

The catalog holds what was published; ``feeds`` turns plain dataclasses into RSS and HTML. This
module is the mapping between the two, so that neither knows about the other.
"""
from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from feeds import (Category, EpisodeEntry, Funding, MediaLink, Person, ShowInfo, Soundbite, build_feed, podcast_guid,
                   prepare_artwork, render_episode_page, render_show_page, validate_feed)

from chorus.catalog import Catalog, Episode, NotesRevision, TranscriptRevision
from chorus.settings import Settings, ShowSettings
from chorus.storage import IMMUTABLE, Bucket, StoredObject, sha256_file

__all__ = ["ShowOutputs", "build_show_outputs", "feed_key", "feed_url", "episode_page_key", "show_page_key"]

_log = logging.getLogger(__name__)
_TRANSCRIPT_KINDS = {"vtt": ("text/vtt", "captions"), "srt": ("application/x-subrip", "captions"),
                     "json": ("application/json", None), "html": ("text/html", None)}


@dataclass
class ShowOutputs:
    feed_key: str
    feed: bytes
    pages: dict[str, bytes] = field(default_factory=dict)
    referenced: list[StoredObject] = field(default_factory=list)
    """Objects the feed and pages point at: they must answer HEAD before the feed goes up."""
    items_checked: int = 0
    """Feed items validated this time: new or changed since the show's last build (audio and video feeds)."""


def feed_key(settings: Settings, show: str) -> str:
    return f"{settings.show_prefix(show)}/feed.xml"


def episode_page_key(settings: Settings, show: str, episode_slug: str) -> str:
    """S3 serves no index documents, so pages are linked by their full key."""
    return f"{settings.show_prefix(show)}/{episode_slug}/index.html"


def show_page_key(settings: Settings, show: str) -> str:
    return f"{settings.show_prefix(show)}/index.html"


def feed_url(bucket: Bucket, settings: Settings, show: str) -> str:
    return bucket.url(feed_key(settings, show))


def _artwork(bucket: Bucket, settings: Settings, show: str, conf: ShowSettings) -> StoredObject:
    """Prepare and upload the show's artwork under a content-addressed key.

    Each call converts into its own temporary file and renames it into place atomically, so that
    concurrent publishers of a show never hash or upload each other's half-written file.
    """
    src = Path(conf.artwork) if conf.artwork else Path(__file__).parent / "assets" / "artwork.jpg"
    out_dir = settings.path("work") / "_shows" / show
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".png" if src.suffix.lower() == ".png" else ".jpg"
    fd, tmp_name = tempfile.mkstemp(prefix=".artwork-", suffix=suffix, dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        out = prepare_artwork(src, tmp)
        digest = sha256_file(out)[:16]
        final = out_dir / f"artwork-{digest}{suffix}"
        os.replace(out, final)
    finally:
        tmp.unlink(missing_ok=True)
    key = f"{settings.show_prefix(show)}/artwork-{digest}{suffix}"
    return bucket.put_file(key, final, cache_control=IMMUTABLE)


def _link(obj: dict, **kw):

    return MediaLink(url=obj["url"], type=kw.pop("type", obj["type"].split(";")[0]), length=obj["length"], **kw)


def _entry(ep: Episode, page_url: str, language: str, notes: dict | None):
    """The feed item of a published episode; ``language`` is its transcript's (else the show's)."""

    objs = ep.objects or {}
    transcripts = [_link(objs[k], type=t, rel=rel, language=language)
                   for k, (t, rel) in _TRANSCRIPT_KINDS.items() if k in objs]
    # the episode's people from its notes (the organiser's sidecar): hosts and guests with their roles
    persons = [Person(name=p["name"], role=p.get("role") or "guest") for p in (notes or {}).get("people", [])
               if isinstance(p, dict) and p.get("name")]
    return EpisodeEntry(
        guid=ep.guid, title=ep.title, pub_date=ep.published_at, slug=ep.slug,
        summary_text=(notes or {}).get("text") or ep.title,
        notes_html=(notes or {}).get("html") or "",
        enclosure=_link(objs["mp3"]), duration=ep.duration or 0.0, link=page_url,
        number=ep.number, transcripts=transcripts,
        chapters=_link(objs["chapters"], type="application/json+chapters") if "chapters" in objs else None,
        video=_link(objs["mp4"]) if "mp4" in objs else None,
        poster_url=objs["poster"]["url"] if "poster" in objs else None,
        persons=persons, language=language, keywords=list((notes or {}).get("keywords") or []),
        soundbites=[Soundbite(float(b["start"]), float(b["duration"]), b.get("title") or None)
                    for b in (notes or {}).get("soundbites") or []],
    )


def build_show_outputs(bucket: Bucket, settings: Settings, catalog: Catalog, show: str) -> ShowOutputs:
    """The feed (validated), show page and episode pages for ``show``, with what they reference."""

    slug, conf = settings.get_show(show)
    prefix = settings.show_prefix(slug)
    art = _artwork(bucket, settings, slug, conf)
    show_url = bucket.url(show_page_key(settings, slug))
    url = feed_url(bucket, settings, slug)
    with catalog.session() as s:
        row = catalog.show(s, slug)
        if not row.podcast_guid:  # computed once from the first feed URL, then never changed
            row.podcast_guid = podcast_guid(url)
        guid = row.podcast_guid
        episodes = catalog.published(s, slug)
        for ep in episodes:
            s.expunge(ep)
    referenced = [art]
    entries, pages = [], {}
    has_video = False
    info = ShowInfo(
        slug=slug, title=conf.title, description=conf.description, author=conf.author, language=conf.language,
        link=conf.website or show_url, feed_url=url, image_url=art.url,
        categories=[Category(conf.category, conf.subcategory)], explicit=conf.explicit,
        owner_name=conf.owner_name, owner_email=conf.owner_email, podcast_guid=guid,
        persons=[Person(name=conf.author, role="host")],
        funding=[Funding(url=f.url, text=f.text) for f in conf.funding],
    )
    for ep in episodes:
        notes = catalog.current_revision(NotesRevision, ep.id)
        transcript = catalog.current_revision(TranscriptRevision, ep.id)
        language = (transcript.data.get("language") if transcript else None) or conf.language
        entry = _entry(ep, bucket.url(episode_page_key(settings, slug, ep.slug)), language,
                       notes.data if notes else None)
        has_video = has_video or entry.video is not None
        entries.append(entry)
        chapters = (notes.data if notes else {}).get("chapters", [])
        pages[episode_page_key(settings, slug, ep.slug)] = render_episode_page(
            info, entry, transcript.data if transcript else None, chapters).encode("utf-8")
        referenced += [StoredObject(o["key"], o["url"], o["length"], o["type"], o["sha256"], False)
                       for o in (ep.objects or {}).values()]
    if has_video:
        info.video_feed_url = bucket.url(f"{prefix}/video.xml")
    known = catalog.feed_item_digests(slug)   # items that passed before (any process): checked again only if changed
    feed = build_feed(info, entries)
    checks = [validate_feed(feed, known)]
    if has_video:
        video = build_feed(info, entries, video=True)
        checks.append(validate_feed(video, known))
        pages[f"{prefix}/video.xml"] = video
    _save_digests(catalog, slug, {g: d for c in checks for g, d in c.digests.items()})
    pages[show_page_key(settings, slug)] = render_show_page(info, entries).encode("utf-8")
    return ShowOutputs(feed_key=feed_key(settings, slug), feed=feed, pages=pages, referenced=referenced,
                       items_checked=sum(c.parsed for c in checks))


def _save_digests(catalog: Catalog, slug: str, digests: dict[str, str]) -> None:
    """Keep the validated items' digests with the show. They only save time: a write that fails
    (another publisher of the show wrote them meanwhile) is logged, and the next build checks more."""
    try:
        catalog.save_feed_item_digests(slug, digests)
    except SQLAlchemyError as e:
        _log.warning("%s: validated feed items not recorded (%s); the next build checks them again",
                     slug, str(e).splitlines()[0])
