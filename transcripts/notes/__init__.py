"""Show notes and chapters drafted from a timed transcript, offline.

Chapters come from an optimal split of sentence embeddings (the ``embeddings`` extra; TextTiling-style
lexical cohesion without it), titled from YAKE key phrases; the summary is extractive (the most central sentence of several chapters); the organiser's
sidecar (see docs/notes.md) wins over anything generated.
"""
from ._chapters import min_length
from ._embed import available as embeddings_available
from ._make import make_notes
from ._render import chapters_json
from ._sidecar import load_sidecar, parse_time
from ._text import tokens
from ._types import Chapter, Link, NotesError, NotesOptions, Person, ShowNotes, Soundbite

__all__ = ["make_notes", "NotesOptions", "ShowNotes", "Chapter", "Person", "Link", "Soundbite", "chapters_json",
           "load_sidecar", "parse_time", "NotesError", "min_length", "embeddings_available", "tokens"]
