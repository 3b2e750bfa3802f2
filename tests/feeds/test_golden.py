"""Golden files in podcastparser's style: each generated feed sits beside its parsed JSON.

tests/feeds/data/<case>.rss is build_feed's exact output; <case>.json is podcastparser's parse of
it and <case>.feedparser.json feedparser's. A change to the feed shows up as a reviewable diff.
Regenerate deliberately with ``.venv/bin/python -m tests.feeds.test_golden`` and review the diff.
"""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import podcastparser
import pytest

from feeds import EpisodeEntry, MediaLink, ShowInfo, build_feed, validate_feed
from tests.feeds.fixtures import make_episodes, make_show

DATA = Path(__file__).parent / "data"


def _minimal() -> bytes:
    """The baseline seam's call shape: only the fields docs/architecture.md lists."""
    show = ShowInfo("minimal", "Minimal", "A minimal show.", "Host", "en", "https://b.example/minimal/",
                    "https://b.example/minimal/feed.xml", "https://b.example/minimal/cover.png",
                    ["Society & Culture"], False, "Host", "host@example.org", None)
    ep = EpisodeEntry("ep-1", "First", datetime(2024, 5, 1, 12, tzinfo=timezone(timedelta(hours=2))),
                      "Summary.", "<p>Notes.</p>", MediaLink("https://b.example/minimal/1/a.mp3", "audio/mpeg", 4321),
                      59.6, "https://b.example/minimal/1/", 1,
                      [MediaLink("https://b.example/minimal/1/t.vtt", "text/vtt", None, "en", "captions")], None)
    return build_feed(show, [ep])


CASES = {
    "full": lambda: build_feed(make_show(), make_episodes(6)),
    "video": lambda: build_feed(make_show(), make_episodes(6), video=True),
    "minimal": _minimal,
}


def _podcastparser(xml: bytes) -> dict:
    return podcastparser.parse("https://media.example.org/feed.xml", io.BytesIO(xml))


def _feedparser(xml: bytes) -> dict:
    d = feedparser.parse(xml, sanitize_html=False)
    return json.loads(json.dumps({"feed": d.feed, "entries": d.entries}, default=list))


def _dump(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case):
    xml = CASES[case]()
    validate_feed(xml)
    assert xml == (DATA / f"{case}.rss").read_bytes(), f"{case}.rss changed: regenerate and review"
    assert _dump(_podcastparser(xml)) == (DATA / f"{case}.json").read_text("utf-8")
    assert _dump(_feedparser(xml)) == (DATA / f"{case}.feedparser.json").read_text("utf-8")


def _regenerate() -> None:
    DATA.mkdir(exist_ok=True)
    for case, make in CASES.items():
        xml = make()
        validate_feed(xml)
        (DATA / f"{case}.rss").write_bytes(xml)
        (DATA / f"{case}.json").write_text(_dump(_podcastparser(xml)), "utf-8")
        (DATA / f"{case}.feedparser.json").write_text(_dump(_feedparser(xml)), "utf-8")
        print("wrote", case)


if __name__ == "__main__":
    _regenerate()
