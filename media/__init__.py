"""Audio and video in, mastered files out: probe, master, tag. See docs/mastering.md."""
from .errors import MediaError
from .id3 import Id3Tags, write_id3
from .master import master
from .options import MasterOptions, MasterResult, Turn
from .probe import ProbeResult, is_multitrack, probe
from .redact import RedactOptions, RedactResult, redact_audio

__all__ = ["probe", "is_multitrack", "master", "write_id3", "MediaError", "ProbeResult", "MasterOptions",
           "MasterResult", "Id3Tags", "Turn", "redact_audio", "RedactOptions", "RedactResult"]
