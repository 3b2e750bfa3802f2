"""Build a show's RSS feed (audio, or the separate video feed) with feedgen and our P2.0 extension."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from ._p20 import EXT_NAME, P20EntryExtension, P20Extension
from ._text import clean, html_text, http_url, person_role, plain, safe_html
from .errors import FeedError
from .model import Category, EpisodeEntry, MediaLink, ShowInfo, podcast_guid

__all__ = ["build_feed"]

GENERATOR = "Chorus (feedgen)"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_PLAIN_URI = re.compile(r"[A-Za-z0-9_.~:/?#\[\]@!$&'()*+,;=%-]*")


def _uri(url: str) -> str:
    """An ASCII URI: non-ASCII characters and spaces percent-encoded (UTF-8), the rest kept.

    >>> _uri("https://x.org/shows/café/ep 1.mp3?a=b")
    'https://x.org/shows/caf%C3%A9/ep%201.mp3?a=b'
    """
    if isinstance(url, str) and _PLAIN_URI.fullmatch(url):   # what quote() would return unchanged
        return url
    return quote(clean(url).strip(), safe=":/?#[]@!$&'()*+,;=%~")


def _link(m: MediaLink) -> MediaLink:
    url = _uri(m.url)
    return m if url == m.url else MediaLink(**{**m.__dict__, "url": url})


def _aware(dt: datetime, what: str) -> datetime:
    if not isinstance(dt, datetime):
        raise FeedError(f"{what}: pub_date is not a datetime")
    if dt.tzinfo is None:
        raise FeedError(f"{what}: pub_date has no timezone")
    return dt


def build_feed(show: ShowInfo, episodes: list[EpisodeEntry], *, video: bool = False) -> bytes:
    """The show's RSS 2.0 feed (itunes, content and podcast namespaces) as UTF-8 bytes.

    With ``video=True`` it builds the separate video feed: only episodes with a ``video`` link,
    whose ``video/mp4`` becomes the enclosure (the audio becomes an alternate enclosure).
    Episodes are written newest first. The output depends only on the inputs, so an unchanged
    show gives byte-identical feeds. Raises :class:`FeedError` for inputs that cannot make a feed.
    """
    if video and not show.video_feed_url:
        raise FeedError(f"show {show.slug!r} has no video_feed_url")
    feed_url = _uri(show.video_feed_url if video else show.feed_url)
    guid = (show.video_podcast_guid if video else show.podcast_guid) or podcast_guid(feed_url)
    items = [e for e in episodes if e.video is not None] if video else list(episodes)
    for e in items:
        _aware(e.pub_date, f"episode {e.guid!r}")
    items.sort(key=lambda e: e.pub_date, reverse=True)

    fg = FeedGenerator()
    fg.load_extension("podcast", atom=False, rss=True)
    fg.register_extension(EXT_NAME, P20Extension, P20EntryExtension, atom=False, rss=True)
    title = plain(show.title) + (" (video)" if video else "")
    fg.title(title)
    fg.link(href=feed_url, rel="self", type="application/rss+xml")
    fg.link(href=_uri(show.link), rel="alternate")  # last: feedgen's RSS <link> is the last one set
    fg.description(html_text(show.description) or title)
    fg.language(clean(show.language))
    fg.generator(GENERATOR)
    fg.lastBuildDate(items[0].pub_date if items else _EPOCH)
    if show.copyright:
        fg.copyright(plain(show.copyright))
    fg.image(url=_uri(show.image_url), title=title, link=_uri(show.link))
    it = fg.podcast
    it.itunes_author(plain(show.author))
    it.itunes_summary(plain(show.description) or title)
    try:
        it.itunes_image(_uri(show.image_url))
    except ValueError:
        raise FeedError(f"artwork URL must end in .jpg or .png: {show.image_url}") from None
    cats = [Category.parse(c) for c in show.categories]
    if cats:
        it.itunes_category([{"cat": plain(c.name), **({"sub": plain(c.sub)} if c.sub else {})} for c in cats])
    if show.owner_name or show.owner_email:
        it.itunes_owner(name=plain(show.owner_name) or plain(show.author), email=plain(show.owner_email))
    if show.itunes_type not in ("episodic", "serial"):
        raise FeedError(f"itunes_type must be episodic or serial, not {show.itunes_type!r}")
    it.itunes_type(show.itunes_type)
    getattr(fg, EXT_NAME).data = {
        "explicit": bool(show.explicit), "guid": guid, "medium": "video" if video else "podcast",
        "locked": show.locked, "owner": plain(show.owner_email), "funding": [
            type(f)(url=_uri(f.url), text=plain(f.text)) for f in show.funding if http_url(f.url)],
        "persons": [_clean_person(p, "host") for p in show.persons],
    }
    for e in items:
        _add_item(fg, show, e, video)
    return fg.rss_str(pretty=False, encoding="UTF-8", xml_declaration=True)


def _clean_person(p, default_role: str):
    """A person as written: plain name, role and group from the taxonomy, http(s) links only."""
    role, group = person_role(p.role, default_role)
    href, img = http_url(p.href), http_url(p.img)
    return type(p)(name=plain(p.name), role=role, group=group,
                   href=_uri(href) if href else None, img=_uri(img) if img else None)


def _add_item(fg: FeedGenerator, show: ShowInfo, e: EpisodeEntry, video: bool) -> None:
    enc = e.video if video else e.enclosure
    if enc is None or not enc.length:
        raise FeedError(f"episode {e.guid!r}: enclosure has no byte length")
    fe = fg.add_entry(order="append")
    fe.guid(clean(e.guid) + (":video" if video else ""), permalink=False)
    fe.title(plain(e.title))
    fe.link(href=_uri(e.link))
    fe.description(html_text(e.summary_text) or plain(e.title))
    if e.notes_html:
        fe.content(safe_html(e.notes_html))
    fe.pubDate(e.pub_date)
    fe.enclosure(_uri(enc.url), str(int(enc.length)), clean(enc.type))
    it = fe.podcast
    it.itunes_duration(int(round(e.duration)))
    if e.number is not None:
        it.itunes_episode(int(e.number))
    if e.season is not None:
        it.itunes_season(int(e.season))
    if e.episode_type not in ("full", "trailer", "bonus"):
        raise FeedError(f"episode {e.guid!r}: episode_type must be full, trailer or bonus")
    it.itunes_episode_type(e.episode_type)
    if e.image_url:
        try:
            it.itunes_image(_uri(e.image_url))
        except ValueError:
            raise FeedError(f"episode {e.guid!r}: artwork URL must end in .jpg or .png") from None
    alternates = [_link(a) for a in e.alternate_enclosures]
    if video:
        alternates = [_link(MediaLink(**{**e.video.__dict__, "default": True})),
                      _link(e.enclosure)] + alternates
    elif e.video is not None:
        alternates = [_link(MediaLink(**{**e.enclosure.__dict__, "default": True})),
                      _link(e.video)] + alternates
    elif alternates:
        alternates = [_link(MediaLink(**{**e.enclosure.__dict__, "default": True}))] + alternates
    getattr(fe, EXT_NAME).data = {
        "explicit": e.explicit, "season": e.season, "number": e.number,
        "transcripts": [_link(t) for t in e.transcripts],
        "chapters": _link(e.chapters) if e.chapters else None,
        "soundbites": [type(s)(s.start, s.duration, plain(s.title)) for s in e.soundbites],
        "persons": [_clean_person(p, "guest") for p in e.persons],
        "keywords": ", ".join(k for k in (" ".join(plain(k).replace(",", " ").split()) for k in e.keywords) if k),
        "alternates": alternates,
    }
