"""Transcripts: engines, the timed-words model, speakers, caption and transcript formats, notes.

``transcribe(audio, TranscribeOptions()) -> Transcript`` and ``write_formats(t, out_dir, stem)`` are
the two calls the pipeline makes; see docs/transcription.md.
"""
from .alignment import EditParagraph, paragraphs, realign
from .api import transcribe
from .errors import LanguageUnsure, TranscriptError
from .formats import write_formats
from .model import Segment, Transcript, TranscribeOptions, Word
from .notes import Chapter, NotesOptions, ShowNotes, chapters_json, make_notes
from .privacy import KINDS as PERSONAL_DATA_KINDS, Flag, find_personal_data
from .revisions import merge3, word_diff
from .speakers import assign_speakers

__all__ = [
    "transcribe", "TranscribeOptions", "Transcript", "Segment", "Word", "TranscriptError", "LanguageUnsure",
    "write_formats", "assign_speakers",
    "make_notes", "NotesOptions", "ShowNotes", "Chapter", "chapters_json",
    "EditParagraph", "paragraphs", "realign", "merge3", "word_diff",
    "find_personal_data", "Flag", "PERSONAL_DATA_KINDS",
]
