"""prepare_artwork: Apple's artwork rule (square RGB JPEG/PNG, 1400-3000 px) with Pillow."""
from __future__ import annotations

import pytest
from PIL import Image

from feeds import FeedError, prepare_artwork


def _check(path, fmt):
    with Image.open(path) as im:
        assert im.format == fmt and im.mode == "RGB"
        assert im.width == im.height and 1400 <= im.width <= 3000
        return im.size


def test_small_transparent_landscape_png_becomes_square_jpeg(tmp_path):
    src = tmp_path / "logo.png"
    Image.new("RGBA", (800, 500), (200, 30, 30, 0)).save(src)
    before = src.read_bytes()
    out = prepare_artwork(src, tmp_path / "out" / "cover.jpg")
    assert _check(out, "JPEG") == (1400, 1400)
    with Image.open(out) as im:
        assert im.getpixel((700, 700))[0] > 240        # transparency flattened on white
    assert src.read_bytes() == before                   # the source is never touched


def test_huge_cmyk_jpeg_is_scaled_down(tmp_path):
    src = tmp_path / "big.jpg"
    Image.new("CMYK", (4000, 3500), (0, 100, 100, 0)).save(src)
    assert _check(prepare_artwork(src, tmp_path / "cover.png"), "PNG") == (3000, 3000)


def test_compliant_artwork_is_copied_byte_for_byte(tmp_path):
    src = tmp_path / "ok.jpg"
    Image.new("RGB", (1500, 1500), (10, 120, 200)).save(src, quality=85)
    out = prepare_artwork(src, tmp_path / "cover.jpg")
    assert out.read_bytes() == src.read_bytes()


@pytest.mark.parametrize("make, out_name, words", [
    (lambda p: p.write_bytes(b"not an image at all"), "cover.jpg", "not a readable image"),
    (lambda p: p.write_bytes(b""), "cover.jpg", "not a readable image"),
    (lambda p: None, "cover.jpg", "not found"),
    (lambda p: Image.new("RGB", (10, 10)).save(p, "PNG"), "cover.gif", ".jpg, .jpeg or .png"),
])
def test_bad_artwork_is_a_one_line_error(tmp_path, make, out_name, words):
    src = tmp_path / "art.png"
    make(src)
    with pytest.raises(FeedError) as ei:
        prepare_artwork(src, tmp_path / out_name)
    assert words in str(ei.value) and "\n" not in str(ei.value) and ei.value.path is not None
    assert not (tmp_path / out_name).exists()


def test_refuses_to_overwrite_the_source(tmp_path):
    src = tmp_path / "cover.jpg"
    Image.new("RGB", (600, 600)).save(src)
    before = src.read_bytes()
    with pytest.raises(FeedError, match="overwrite"):
        prepare_artwork(src, src)
    assert src.read_bytes() == before
