"""RSS feeds (feedgen + our Podcasting 2.0 extension), validation, and static show/episode pages.

Pure functions over plain dataclasses: bytes and strings in, bytes and strings out. Nothing here
uploads anything; ``chorus.storage`` publishes what these functions return.
"""
from .artwork import prepare_artwork
from .build import build_feed
from .errors import FeedError
from .model import Category, EpisodeEntry, Funding, MediaLink, Person, ShowInfo, Soundbite, podcast_guid
from .pages import render_episode_page, render_show_page
from .validate import FeedCheck, referenced_urls, validate_feed

__all__ = [
    "build_feed", "validate_feed", "FeedCheck", "referenced_urls", "render_show_page", "render_episode_page",
    "prepare_artwork", "podcast_guid", "FeedError",
    "ShowInfo", "EpisodeEntry", "MediaLink", "Person", "Funding", "Soundbite", "Category",
]
