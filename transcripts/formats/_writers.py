"""Serialisers; the libraries (webvtt-py, srt, json, Jinja2) do the escaping and the syntax."""
from __future__ import annotations

import io
import json
from datetime import timedelta
from html import escape

import srt
import webvtt
from jinja2 import Environment

from ..model import Transcript
from ._rules import Cue


def _ts(seconds: float, sep: str = ".") -> str:
    """
    >>> _ts(3725.5)
    '01:02:05.500'
    """
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _voice(name: str) -> str:
    return name.replace(">", "").replace("<", "").replace("&", "and").strip()


def to_vtt(cues: list[Cue]) -> str:
    """WebVTT with ``<v Speaker>`` voice tags; at each speaker change the text also opens with
    "Speaker: " (browsers such as Chromium do not show voice tags). webvtt-py writes the file."""
    vtt = webvtt.WebVTT()
    for c in cues:
        lines = [escape(x, quote=False) for x in c.lines]
        if c.speaker:
            lines[0] = f"<v {_voice(c.speaker)}>{lines[0]}"
        vtt.captions.append(webvtt.Caption(_ts(c.start), _ts(c.end), lines))
    buf = io.StringIO()
    vtt.write(buf)
    return buf.getvalue()


def to_srt(cues: list[Cue]) -> str:
    """SubRip (the ``srt`` library composes it); the cue's lines already open with "Speaker: " at each change."""
    subs = [srt.Subtitle(i, timedelta(seconds=c.start), timedelta(seconds=c.end), "\n".join(c.lines))
            for i, c in enumerate(cues, 1)]
    return srt.compose(subs, reindex=False)


def to_json(cues: list[Cue]) -> str:
    """Podcasting 2.0 JSON transcript: ``{"version": "1.0.0", "segments": [{speaker, startTime, endTime, body}]}``
    (the body without the speaker's name, which has its own field)."""
    segs = []
    for c in cues:
        seg = {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "body": c.text}
        if c.speaker:
            seg = {"speaker": c.speaker, **seg}
        segs.append(seg)
    return json.dumps({"version": "1.0.0", "segments": segs}, ensure_ascii=False, indent=1) + "\n"


def _paragraphs(t: Transcript, max_gap: float = 4.0, max_words: int = 150):
    """(speaker, start, text) per paragraph: a new one at each speaker change or long pause."""
    paras: list[list] = []
    for s in t.segments:
        if not s.text.strip():
            continue
        p = paras[-1] if paras else None
        if p and p[0] == s.speaker and s.start - p[3] <= max_gap and len(p[2].split()) < max_words:
            p[2] += " " + s.text.strip()
            p[3] = s.end
        else:
            paras.append([s.speaker, s.start, s.text.strip(), s.end])
    return [(sp, st, tx) for sp, st, tx, _ in paras]


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def to_txt(t: Transcript, title: str = "") -> str:
    """Plain text: one paragraph per speaker turn, led by the speaker and the time."""
    out = [title, "=" * len(title), ""] if title else []
    for sp, st, tx in _paragraphs(t):
        out += [f"[{_clock(st)}] {sp}: {tx}" if sp else f"[{_clock(st)}] {tx}", ""]
    return "\n".join(out).rstrip() + "\n"


_HTML = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} – transcript</title>
<style>
body{font:1.1rem/1.6 system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:1rem;color:#111;background:#fff}
.turn{margin:0 0 1.2em}.who{font-weight:700}time{color:#444;font-variant-numeric:tabular-nums}
@media (prefers-color-scheme:dark){body{color:#eee;background:#111}time{color:#bbb}}
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p>Transcript{% if speakers %} of a conversation between {{ speakers | join(", ") }}{% endif %}.
Made automatically by {{ engine }} ({{ model }}); it may contain mistakes.</p>
{% for sp, start, text in paras %}<p class="turn">{% if sp %}<span class="who">{{ sp }}:</span> {% endif %}<time datetime="PT{{ start | round(1) }}S">{{ clock(start) }}</time> {{ text }}</p>
{% endfor %}</main>
</body>
</html>
"""


def to_html(t: Transcript, title: str = "") -> str:
    """A standalone, accessible HTML transcript (language set, headings, readable contrast, speaker turns)."""
    env = Environment(autoescape=True)
    return env.from_string(_HTML).render(
        lang=t.language or "en", title=title or "Episode", speakers=t.speakers(), engine=t.engine,
        model=t.model, paras=_paragraphs(t), clock=_clock)
