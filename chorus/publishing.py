"""Publishing semantics of a show: feed written last and conditionally, and unpublishing.

``publish_show`` regenerates a show's pages and feed from the catalog and uploads them in an order
that never breaks a link:

1. read the live feed and its ETag (before building, so a concurrent change is detected);
2. build the feed and pages from the catalog (``chorus.showfeed``), validated;
3. wait until the store answers for every object they reference with its length: one listing of
   the show's folder answers for all of them at once, HEAD asks only about those it lacks;
4. upload the pages (skipping unchanged ones);
5. upload the feed LAST with ``If-Match: <etag>`` (``If-None-Match: *`` for a show's first feed).
   If another publisher wrote the feed meanwhile (``PreconditionFailed``), go back to 1: the
   rebuilt feed then contains both publishers' episodes. Bounded attempts with jittered backoff.

A failure at any step before 5 leaves the live feed untouched, byte for byte.

``unpublish`` marks an episode ``unpublished``, republishes the show without it, then removes its
page and, if asked, its objects (only after the live feed no longer points at them).
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field

from chorus.catalog import Catalog, Episode
from chorus.errors import ChorusError
from chorus.settings import Settings
from chorus.showfeed import build_show_outputs, episode_page_key, feed_key
from chorus.storage import PRECONDITION_FAILED, SHORT, Bucket, StoredObject

__all__ = ["PublishOptions", "ShowPublication", "UnpublishResult", "publish_show", "unpublish"]

_log = logging.getLogger(__name__)


@dataclass
class PublishOptions:
    """How hard ``publish_show`` tries."""

    attempts: int = 6
    """Conditional feed writes before giving up when other publishers keep winning."""
    backoff: float = 0.2
    """Seconds before the second attempt; doubled each time, with +/-50 % jitter."""
    visible_timeout: float = 30.0
    """Seconds to wait for referenced objects to answer HEAD before refusing to write the feed."""


@dataclass
class ShowPublication:
    """What one ``publish_show`` call did."""

    options: PublishOptions
    show: str
    feed: StoredObject
    """The live feed now (``uploaded`` False when the live feed already had these exact bytes)."""
    pages: list[StoredObject] = field(default_factory=list)
    attempts: int = 1
    """1 when nobody else wrote the feed meanwhile; more after lost conditional writes."""
    bytes_sent: int = 0
    """Bytes this call uploaded (pages, feed, artwork)."""


@dataclass
class UnpublishResult:
    """What ``unpublish`` did."""

    episode_id: int
    show: str
    slug: str
    delete_objects: bool
    publication: ShowPublication
    deleted: list[str] = field(default_factory=list)
    """Keys removed from the bucket: the episode page, and its objects with ``delete_objects``."""


def publish_show(bucket: Bucket, settings: Settings, catalog: Catalog, show: str,
                 options: PublishOptions | None = None) -> ShowPublication:
    """Upload ``show``'s pages, then its feed last with a conditional write; retry if another publisher won.

    Raises ``ChorusError`` (the live feed unchanged) when the feed is invalid, a referenced object is
    not visible, an upload fails, or other publishers won every attempt.
    """
    options = options or PublishOptions()
    slug, _ = settings.get_show(show)
    key = feed_key(settings, slug)
    sent_before = bucket.bytes_sent
    for attempt in range(1, max(1, options.attempts) + 1):
        live = bucket.get_bytes(key)  # before building: the ETag our build is based on
        outputs = build_show_outputs(bucket, settings, catalog, slug)
        listed = bucket.listing(settings.show_prefix(slug) + "/")   # sizes and ETags of the show's objects
        bucket.wait_visible(outputs.referenced, timeout=options.visible_timeout, listed=listed)
        pages = [bucket.put_bytes(k, body, cache_control=SHORT, listed=listed) for k, body in outputs.pages.items()]
        if live is not None and live[0] == outputs.feed:
            head = bucket.head(key) or {}
            feed = StoredObject(key, bucket.url(key), len(live[0]), head.get("type") or "application/rss+xml",
                                head.get("sha256") or "", uploaded=False)
        else:
            try:
                feed = bucket.put_bytes(key, outputs.feed, cache_control=SHORT,
                                        if_match=live[1] if live else None, if_none_match=live is None)
            except ChorusError as e:
                if getattr(e, "code", None) != PRECONDITION_FAILED:
                    raise
                _log.info("%s: another publisher wrote the feed (attempt %d); rebuilding", key, attempt)
                time.sleep(options.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
                continue
        return ShowPublication(options, slug, feed, pages, attempt, bucket.bytes_sent - sent_before)
    raise ChorusError(f"other publishers changed the feed {options.attempts} times while this one rebuilt it; "
                      "their feed is live and complete, retry later", path=bucket.url(key))


def unpublish(bucket: Bucket, settings: Settings, catalog: Catalog, episode_id: int,
              delete_objects: bool = False, options: PublishOptions | None = None) -> UnpublishResult:
    """Remove an episode from its show's feed and pages; with ``delete_objects``, delete its media too.

    The feed is republished first; the episode page and objects are deleted only afterwards, so the
    live feed never points at a missing object. Running it again is harmless. If republishing fails,
    the episode's status is restored and nothing is deleted.
    """
    with catalog.session() as s:
        ep = s.get(Episode, episode_id)
        if ep is None:
            raise ChorusError(f"no episode with id {episode_id} in the catalog; see: chorus list")
        show, slug, status = ep.show.slug, ep.slug, ep.status
    if status not in ("published", "unpublished"):
        raise ChorusError(f"episode {episode_id} ({slug}) is {status}, not published; nothing to unpublish")
    catalog.set_status(episode_id, "unpublished", detail="unpublished" + (" (objects deleted)" if delete_objects else ""))
    try:
        publication = publish_show(bucket, settings, catalog, show, options)
    except BaseException:
        if status == "published":
            catalog.set_status(episode_id, "published", detail="unpublish failed; still published")
        raise
    base = f"{settings.show_prefix(show)}/{slug}/"
    page = episode_page_key(settings, show, slug)
    doomed = bucket.keys(base) if delete_objects else [k for k in (page,) if bucket.head(k)]
    for k in doomed:
        bucket.delete(k)
    return UnpublishResult(episode_id, show, slug, delete_objects, publication,
                           doomed + _purge_renamed(bucket, settings, catalog, show, episode_id))


def _purge_renamed(bucket: Bucket, settings: Settings, catalog: Catalog, show: str, episode_id: int) -> list[str]:
    """The episode's folder under a slug that a redaction not yet released replaced (the slug said the removed
    words): every version of its keys, as the release would have purged them. Returns the keys."""
    from chorus import privacy_review, review

    digests = [r.digests for r in privacy_review.pending_check(catalog, episode_id) if r.digests]
    if not digests:
        return []
    stale = review.stale_keys(catalog, settings, show, bucket.versions(settings.show_prefix(show) + "/"), digests)
    bucket.purge(stale)
    return stale
