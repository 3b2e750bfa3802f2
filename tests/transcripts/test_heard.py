"""The transcriber's check of a redaction: the name is heard before, and not after, bleeping or silencing it."""
from __future__ import annotations

import subprocess

import pytest

from media import RedactOptions, redact_audio
from transcripts import TranscribeOptions, TranscriptError, transcribe
from transcripts.heard import heard_in_spans

SCRIPT = {"title": "heard", "speakers": {"Guest": {"voice": "en-us"}}, "turns": [
    {"speaker": "Guest", "text": "Last week I spoke to my supervisor about a difficult session."},
    {"speaker": "Guest", "text": "Please call Margaret Thompson on oh seven seven double oh nine hundred."},
    {"speaker": "Guest", "text": "She said we should talk again after the holidays."}]}


def _bare(text: str) -> str:
    return text.strip(" ,.?!").lower()


@pytest.fixture(scope="module")
def clip(synth, tmp_path_factory):
    """The clip as a published MP3, the name's span (from the transcriber's own word times) and how it heard
    the two words of the name."""
    wav, _ = synth(SCRIPT)
    mp3 = tmp_path_factory.mktemp("heard") / "episode.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "96k", str(mp3)],
                   check=True)
    words = transcribe(mp3, TranscribeOptions(diarise=False)).words()
    i = next(i for i, w in enumerate(words) if _bare(w.text) == "margaret")
    name = words[i:i + 2]
    return mp3, (name[0].start, name[1].end), [_bare(w.text) for w in name], words[-1]


def test_the_name_is_heard_before_redaction(clip):
    mp3, span, _, last = clip
    heard = heard_in_spans(mp3, [span, (last.start, last.end)])
    assert len(heard) == 2
    assert "margaret" in heard[0].lower()
    assert "holidays" in heard[1].lower() and "margaret" not in heard[1].lower()   # one text per span, in order


@pytest.mark.parametrize("mode", ["bleep", "silence"])
def test_the_name_is_not_heard_after_redaction(clip, tmp_path, mode):
    mp3, span, name, _ = clip
    out = redact_audio(mp3, tmp_path / "redacted.mp3", [span], RedactOptions(mode=mode)).output
    [heard] = heard_in_spans(out, [span])
    words = {_bare(w) for w in heard.split()}
    assert "call" in words                                # the words around the name are still transcribed
    assert not words & {"margaret", "thompson", *name}, heard
    assert "margaret" not in heard.lower() and "thompson" not in heard.lower()


def test_spans_past_the_end_hear_nothing_and_bad_input_is_one_line(clip, tmp_path):
    mp3, *_ = clip
    assert heard_in_spans(mp3, [(300.0, 301.0)], pad=0.5) == [""]
    for spans in ([(3.0, 2.0)], [(-1.0, 1.0)]):
        with pytest.raises(TranscriptError, match="span") as e:
            heard_in_spans(mp3, spans)
        assert "\n" not in str(e.value)
    with pytest.raises(TranscriptError, match="no such file"):
        heard_in_spans(tmp_path / "missing.mp3", [(1.0, 2.0)])
