"""Convert a CTranslate2 Whisper model (``model.bin``) into an openai-whisper checkpoint, offline.

The tensors map one to one: CTranslate2 fuses self-attention q/k/v (and cross-attention k/v) into
single matrices, which are split back; openai-whisper's key projections have no bias.
"""
from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np

from ..errors import TranscriptError

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2(model_bin: Path) -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 ``model.bin`` (format versions 3-6), aliases resolved."""
    data = Path(model_bin).read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return vals[0] if len(vals) == 1 else vals

    def text() -> str:
        nonlocal pos
        n = take("H")
        s = data[pos:pos + n].rstrip(b"\0").decode()
        pos += n
        return s

    version = take("I")
    if not 3 <= version <= 6:
        raise TranscriptError(model_bin, f"unsupported CTranslate2 model format version {version}")
    text(), take("I")  # spec name, spec revision
    out: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = text()
        rank = take("B")
        dims = [take("I") for _ in range(rank)]
        dtype = take("B")
        nbytes = take("I")
        if dtype not in _DTYPES:
            raise TranscriptError(model_bin, f"variable {name} has an unsupported type {dtype}")
        arr = np.frombuffer(data, dtype=_DTYPES[dtype], count=nbytes // np.dtype(_DTYPES[dtype]).itemsize, offset=pos)
        out[name] = arr.reshape(dims) if dims else arr
        pos += nbytes
    for _ in range(take("I")):
        alias, target = text(), text()
        out[alias] = out[target]
    return out


def _f32(name: str, v: dict[str, np.ndarray]) -> np.ndarray:
    a = v[name]
    scale = v.get(name + "_scale")
    if a.dtype == np.int8 and scale is not None:  # int8-quantised model: dequantise row-wise
        return a.astype(np.float32) / scale.reshape(-1, *([1] * (a.ndim - 1)))
    return a.astype(np.float32)


def ct2_to_openai_state(model_dir: Path) -> tuple[dict, dict, list[list[int]]]:
    """``(dims, state_dict as numpy, alignment_heads)`` for openai-whisper from a CTranslate2 Whisper dir."""
    model_dir = Path(model_dir)
    v = read_ct2(model_dir / "model.bin")
    cfg = json.loads((model_dir / "config.json").read_text()) if (model_dir / "config.json").exists() else {}
    g = lambda n: _f32(n, v)  # noqa: E731
    n_enc = len({k.split("/")[1] for k in v if re.match(r"encoder/layer_\d+/", k)})
    n_dec = len({k.split("/")[1] for k in v if re.match(r"decoder/layer_\d+/", k)})
    d = g("encoder/conv1/weight").shape[0]
    sd: dict[str, np.ndarray] = {
        "encoder.conv1.weight": g("encoder/conv1/weight"), "encoder.conv1.bias": g("encoder/conv1/bias"),
        "encoder.conv2.weight": g("encoder/conv2/weight"), "encoder.conv2.bias": g("encoder/conv2/bias"),
        "encoder.positional_embedding": g("encoder/position_encodings/encodings"),
        "encoder.ln_post.weight": g("encoder/layer_norm/gamma"), "encoder.ln_post.bias": g("encoder/layer_norm/beta"),
        "decoder.token_embedding.weight": g("decoder/embeddings/weight"),
        "decoder.positional_embedding": g("decoder/position_encodings/encodings"),
        "decoder.ln.weight": g("decoder/layer_norm/gamma"), "decoder.ln.bias": g("decoder/layer_norm/beta"),
    }

    def ln(dst: str, src: str):
        sd[dst + ".weight"], sd[dst + ".bias"] = g(src + "/gamma"), g(src + "/beta")

    def lin(dst: str, src: str, rows=slice(None), bias=True):
        sd[dst + ".weight"] = g(src + "/weight")[rows]
        if bias:
            sd[dst + ".bias"] = g(src + "/bias")[rows]

    def block(dst: str, src: str, cross: bool):
        q, k, vv = slice(0, d), slice(d, 2 * d), slice(2 * d, 3 * d)
        lin(f"{dst}.attn.query", f"{src}/self_attention/linear_0", q)
        lin(f"{dst}.attn.key", f"{src}/self_attention/linear_0", k, bias=False)
        lin(f"{dst}.attn.value", f"{src}/self_attention/linear_0", vv)
        lin(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        ln(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        if cross:
            lin(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
            lin(f"{dst}.cross_attn.key", f"{src}/attention/linear_1", slice(0, d), bias=False)
            lin(f"{dst}.cross_attn.value", f"{src}/attention/linear_1", slice(d, 2 * d))
            lin(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
            ln(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        lin(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        lin(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        ln(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    for i in range(n_enc):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    for i in range(n_dec):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    dims = dict(n_mels=sd["encoder.conv1.weight"].shape[1], n_audio_ctx=sd["encoder.positional_embedding"].shape[0],
                n_audio_state=d, n_audio_head=int(v["encoder/num_heads"].item()), n_audio_layer=n_enc,
                n_vocab=sd["decoder.token_embedding.weight"].shape[0],
                n_text_ctx=sd["decoder.positional_embedding"].shape[0], n_text_state=d,
                n_text_head=int(v["decoder/num_heads"].item()), n_text_layer=n_dec)
    return dims, sd, [list(map(int, h)) for h in cfg.get("alignment_heads", [])]
