"""Podcast artwork: square RGB JPEG/PNG, 1400–3000 px (Apple's rule), made with Pillow."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import FeedError

__all__ = ["prepare_artwork", "MIN_SIDE", "MAX_SIDE"]

MIN_SIDE, MAX_SIDE = 1400, 3000


def prepare_artwork(src_path, out_path) -> Path:
    """Write ``src_path`` as podcast artwork to ``out_path`` and return ``out_path``.

    The result is a square RGB image between 1400 and 3000 px a side, JPEG or PNG after
    ``out_path``'s suffix (``.jpg``/``.jpeg``/``.png``). An image that already complies is copied
    byte for byte; otherwise it is converted: EXIF rotation applied, transparency flattened on
    white, a non-square image centre-cropped, the size clamped into range (Lanczos).
    Raises :class:`FeedError` for a missing or unreadable image, a bad suffix, or an attempt to
    write over the source. The source file is never modified.
    """
    src, out = Path(src_path), Path(out_path)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}.get(out.suffix.lower())
    if fmt is None:
        raise FeedError("artwork must be written as .jpg, .jpeg or .png", out)
    if not src.is_file():
        raise FeedError("artwork file not found", src)
    if out.exists() and out.resolve() == src.resolve():
        raise FeedError("refusing to overwrite the source artwork; choose another output path", src)
    try:
        with Image.open(src) as im:
            im.load()
            src_format = im.format
            img = ImageOps.exif_transpose(im)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise FeedError(f"not a readable image ({type(exc).__name__})", src) from None
    w, h = img.size
    if (src_format == fmt and img.mode == "RGB" and w == h and MIN_SIDE <= w <= MAX_SIDE
            and not _has_exif_rotation(src)):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(src.read_bytes())
        return out
    if img.mode in ("RGBA", "LA", "P", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    else:
        img = img.convert("RGB")
    side = min(img.size)
    img = ImageOps.fit(img, (side, side), Image.Resampling.LANCZOS)
    target = min(max(side, MIN_SIDE), MAX_SIDE)
    if target != side:
        img = img.resize((target, target), Image.Resampling.LANCZOS)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    img.save(tmp, fmt, **({"quality": 90, "optimize": True} if fmt == "JPEG" else {"optimize": True}))
    tmp.replace(out)
    return out


def _has_exif_rotation(path: Path) -> bool:
    with Image.open(path) as im:
        return im.getexif().get(0x0112, 1) != 1
