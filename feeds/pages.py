"""Static show and episode pages (Jinja2 templates inside the package, autoescape on)."""
from __future__ import annotations

__all__ = ["render_show_page", "render_episode_page"]


def render_show_page(show, episodes) -> str:
    """The show's static page as HTML."""
    raise NotImplementedError


def render_episode_page(show, episode, transcript=None, chapters=()) -> str:
    """An episode's static page as HTML."""
    raise NotImplementedError
