"""Long recordings in bounded memory: samples read back from disk, VAD and decoding in windows."""
from __future__ import annotations

import numpy as np

import transcripts.api as api
from transcripts import TranscribeOptions, TranscriptError, transcribe
from transcripts.audio import AudioFile

from .conftest import wer


def test_audio_file_reads_the_same_samples_as_decode_audio(panel):
    from faster_whisper.audio import decode_audio
    whole = decode_audio(str(panel[0]), sampling_rate=16000)
    with AudioFile(panel[0]) as a:
        assert a.samples == len(whole)
        assert np.array_equal(a.read(), whole)
        assert np.array_equal(a.read(10.0, 12.5), whole[160000:200000])
        assert len(a.read(a.duration - 1, a.duration + 5)) == 16000  # clamped at the end
        raw = a.samples_path
    import os
    assert not os.path.exists(raw)  # the temporary samples file is removed


def test_not_audio_is_a_one_line_error_and_leaves_no_temp_file(tmp_path):
    import glob
    import tempfile
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio\n" * 100)
    before = set(glob.glob(f"{tempfile.gettempdir()}/chorus-audio-*"))
    try:
        AudioFile(bad)
        raise AssertionError("no error")
    except TranscriptError as e:
        assert e.path == bad and "\n" not in str(e)
    assert set(glob.glob(f"{tempfile.gettempdir()}/chorus-audio-*")) <= before
    assert bad.read_text() == "not audio\n" * 100


def test_windowed_decoding_matches_the_whole(panel, panel_default, monkeypatch):
    """The panel cut into 30 s VAD windows and 40 s decoding blocks transcribes as well as in one piece."""
    path, truth = panel
    one = panel_default[0]
    monkeypatch.setattr(api, "VAD_WINDOW_SECONDS", 30.0)
    monkeypatch.setattr(api, "BLOCK_SECONDS", 40.0)
    t = transcribe(path, TranscribeOptions())
    assert t.duration == one.duration
    assert wer(truth["text"], t.text()) <= 0.15
    assert wer(one.text(), t.text()) <= 0.10
    starts = [w.start for w in t.words()]
    assert starts == sorted(starts) and starts[-1] > one.duration - 15  # times are global, not per block
    assert [w.start for w in t.words()][:5] == [w.start for w in one.words()][:5]
