"""Speaker labels of a multitrack recording come from the tracks themselves: media.master measures who
speaks when on each track (no truth involved), transcribe labels every word from that timeline, and only
then is the result compared with the script's truth."""
from __future__ import annotations

import shutil

from media import master
from tests.support.measure import turn_at
from transcripts import TranscribeOptions, transcribe


def test_words_of_a_multitrack_recording_carry_the_speaker_of_their_track(synth, tmp_path):
    mix, truth = synth("panel", multitrack=True)
    folder = tmp_path / "tracks"
    folder.mkdir()
    stem = mix.with_suffix("")
    shutil.copy(f"{stem}.Host.wav", folder / "zoom.Alex.wav")  # the speaker's name from the file name
    shutil.copy(f"{stem}.Guest.wav", folder / "zoom.Sam.wav")
    mastered = master(folder, tmp_path / "out")
    assert mastered.timeline, "the tracks gave no timeline"
    t = transcribe(mastered.speech_wav, TranscribeOptions(), timeline=mastered.timeline)
    shift = mastered.kept[0][0]  # leading silence trimmed by mastering: truth times are the source's
    turns = [x for x in truth["turns"] if x["kind"] == "speech"]
    names = {"Host": "Alex", "Guest": "Sam"}
    words = t.words()
    right = sum(w.speaker == names[turn_at((w.start + w.end) / 2 + shift, turns)["speaker"]] for w in words)
    print(f"multitrack attribution {right / len(words):.3f} of {len(words)} words")
    assert right / len(words) >= 0.97, right / len(words)
    assert t.speakers() == ["Alex", "Sam"]
