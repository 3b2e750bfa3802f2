"""Transcript formats, all from one timed-words model: WebVTT, SRT, Podcasting 2.0 JSON, text, HTML.

The caption formats share one list of cues (:func:`make_cues`) that keeps :class:`CaptionRules`;
:func:`caption_problems` says where any list of cues breaks them."""
from __future__ import annotations

from pathlib import Path

from ..errors import TranscriptError
from ..model import Transcript
from ._cues import make_cues
from ._rules import CaptionRules, Cue, Problem, caption_problems
from ._writers import to_html, to_json, to_srt, to_txt, to_vtt

__all__ = ["write_formats", "make_cues", "caption_problems", "Problem", "CaptionRules", "Cue", "to_vtt", "to_srt",
           "to_json", "to_txt", "to_html"]


def write_formats(t: Transcript, out_dir: str | Path, stem: str, title: str = "",
                  rules: CaptionRules | None = None) -> dict[str, Path]:
    """Write ``<stem>.vtt/.srt/.json/.txt/.html`` under ``out_dir``; return ``{format: path}``.

    The JSON is a Podcasting 2.0 transcript (``application/json``); the HTML is a standalone,
    accessible page. Existing files of the same names are replaced (they are our own outputs).
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TranscriptError(out, f"cannot create the output folder ({exc.strerror})") from None
    cues = make_cues(t.words(), rules)
    texts = {"vtt": to_vtt(cues), "srt": to_srt(cues), "json": to_json(cues), "txt": to_txt(t, title),
             "html": to_html(t, title)}
    paths: dict[str, Path] = {}
    for ext, text in texts.items():
        p = out / f"{stem}.{ext}"
        try:
            tmp = p.with_name(p.name + ".part")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(p)
        except OSError as exc:
            raise TranscriptError(p, f"cannot write ({exc.strerror})") from None
        paths[ext] = p
    return paths
