"""A deterministic show with audio and video episodes in two languages, for feed and page tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from feeds import Category, EpisodeEntry, Funding, MediaLink, Person, ShowInfo, Soundbite

BASE = "https://media.example.org/chorus/peer-talk"


def make_show(**over) -> ShowInfo:
    kw = dict(
        slug="peer-talk", title="Peer Talk <Therapists> & Friends",
        description='Conversations about "care", supervision & burn-out.\n\nBy volunteers, for volunteers.',
        author="Chorus Network", language="en", link=f"{BASE}/", feed_url=f"{BASE}/feed.xml",
        image_url=f"{BASE}/cover-3f2a.jpg", categories=["Health & Fitness / Mental Health", Category("Education")],
        explicit=False, owner_name="Ann Organiser", owner_email="ann@example.org",
        persons=[Person("Ann Organiser", href="https://example.org/ann"), Person("Jörg Müller", role="co-host")],
        funding=[Funding("https://example.org/donate", "Support the network")],
        video_feed_url=f"{BASE}/video.xml", subscribe_links={"AntennaPod": "https://antennapod.org/deeplink/subscribe?url=x"},
    )
    kw.update(over)
    return ShowInfo(**kw)


def make_episode(i: int, *, video: bool = False, lang: str = "en", **over) -> EpisodeEntry:
    d = f"{BASE}/ep-{i:03d}"
    tr = [MediaLink(f"{d}/t-{i}.vtt", "text/vtt", 2000 + i, lang, "captions"),
          MediaLink(f"{d}/t-{i}.srt", "application/x-subrip", 1900 + i, lang),
          MediaLink(f"{d}/t-{i}.json", "application/json", 5000 + i, lang),
          MediaLink(f"{d}/t-{i}.html", "text/html", 3000 + i, lang)]
    kw = dict(
        guid=f"chorus-peer-talk-{i:05d}", title=f"Episode {i}: Boundaries & <burn-out>",
        pub_date=datetime(2024, 1, 1, 9, 30, tzinfo=timezone.utc) + timedelta(days=7 * i),
        summary_text=f"We talk about boundaries, part {i}.",
        notes_html=f"<p>Notes for episode {i} &amp; friends.</p><ul><li>Supervision</li></ul>",
        enclosure=MediaLink(f"{d}/a-{i}.mp3", "audio/mpeg", 1_000_000 + i), duration=600.4 + i,
        link=f"{d}/", number=i, transcripts=tr,
        chapters=MediaLink(f"{d}/c-{i}.json", "application/json+chapters", 400 + i),
        season=1 + i // 100, persons=[Person(f"Guest {i}", role="guest", img=f"{d}/g.jpg")],
        soundbites=[Soundbite(12.5, 30.0, "The key point")],
        alternate_enclosures=[MediaLink(f"{d}/a-{i}.opus", "audio/opus", 500_000 + i, lang, title="Opus", bitrate=32000)],
        video=MediaLink(f"{d}/v-{i}.mp4", "video/mp4", 9_000_000 + i, lang, title="Video 720p", height=720) if video else None,
        language=lang, slug=f"ep-{i:03d}",
    )
    kw.update(over)
    return EpisodeEntry(**kw)


def make_episodes(n: int) -> list[EpisodeEntry]:
    """n episodes: every third has video, every fourth is in German."""
    return [make_episode(i, video=i % 3 == 0, lang="de" if i % 4 == 0 else "en") for i in range(1, n + 1)]
