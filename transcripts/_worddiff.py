"""Word sequence diffs for the editor's alignment and revisions: difflib-style opcodes that stay fast on a
two-hour transcript (patience-diff anchors on words unique to both sides, then a longest common subsequence
on the short stretches between them, so a phrase said twice matches the copy that lets most words match)."""
from __future__ import annotations

import bisect
from difflib import SequenceMatcher

__all__ = ["opcodes", "flat_opcodes", "offsets", "BREAK"]

BREAK = "\x00"
"""The token that opens each paragraph in a flat sequence."""


def flat_opcodes(a: list[list[str]], b: list[list[str]], breaks: tuple[list[str], list[str]] | None = None):
    """Opcodes between the flat forms of two paragraph lists (each paragraph opened by a break token, or by
    ``breaks[0][i]`` / ``breaks[1][j]``): paragraphs first, then words only where paragraphs differ, so a
    small edit of a long transcript costs little."""
    ba = breaks[0] if breaks else [BREAK] * len(a)
    bb = breaks[1] if breaks else [BREAK] * len(b)
    fa = [x for br, g in zip(ba, a) for x in (br, *g)]
    fb = [x for br, g in zip(bb, b) for x in (br, *g)]
    offa, offb = offsets(a), offsets(b)
    ops: list[tuple[str, int, int, int, int]] = []
    pa = ["\x01".join((br, *g)) for br, g in zip(ba, a)]
    pb = ["\x01".join((br, *g)) for br, g in zip(bb, b)]
    for tag, i1, i2, j1, j2 in opcodes(pa, pb):
        a1, a2, b1, b2 = offa[i1], offa[i2], offb[j1], offb[j2]
        if tag == "equal":
            ops.append(("equal", a1, a2, b1, b2))
        elif tag == "replace" and i2 - i1 == j2 - j1 and all(map(_alike, a[i1:i2], b[j1:j2])):
            for i, j in zip(range(i1, i2), range(j1, j2)):  # edited in place: paragraph by paragraph
                x, y = offa[i], offb[j]
                ops.append(("equal" if ba[i] == bb[j] else "replace", x, x + 1, y, y + 1))
                ops.extend((t, x1 + x + 1, x2 + x + 1, y1 + y + 1, y2 + y + 1) for t, x1, x2, y1, y2 in opcodes(a[i], b[j]))
        else:
            ops.extend((t, x1 + a1, x2 + a1, y1 + b1, y2 + b1) for t, x1, x2, y1, y2 in opcodes(fa[a1:a2], fb[b1:b2]))
    out: list[tuple[str, int, int, int, int]] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if out and op[0] == "equal" == out[-1][0]:
            out[-1] = ("equal", out[-1][1], op[2], out[-1][3], op[4])
        else:
            out.append(op)
    return out


def _alike(g: list[str], h: list[str]) -> bool:
    """Whether two paragraphs share at least half their distinct words (one is an edit of the other)."""
    sg, sh = set(g), set(h)
    return len(sg & sh) * 2 >= max(len(sg), len(sh))


def offsets(groups) -> list[int]:
    """Where each group's break is in the flat sequence (each group opened by one), then the length.

    >>> offsets([["a", "b"], [], ["c"]])
    [0, 3, 4, 6]
    """
    out = [0]
    for g in groups:
        out.append(out[-1] + 1 + len(g))
    return out


def opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes from ``a`` to ``b``, fast on long sequences: words unique to both sides anchor
    the alignment (patience diff), and difflib aligns the short stretches between anchors.

    >>> opcodes("a b c d".split(), "a x c d e".split())
    [('equal', 0, 1, 0, 1), ('replace', 1, 2, 1, 2), ('equal', 2, 4, 2, 4), ('insert', 4, 4, 4, 5)]
    """
    blocks: list[tuple[int, int, int]] = []
    _match(a, 0, len(a), b, 0, len(b), blocks)
    ops, i, j = [], 0, 0
    for bi, bj, n in _merge_blocks(blocks) + [(len(a), len(b), 0)]:
        if i < bi or j < bj:
            ops.append(("replace" if i < bi and j < bj else "delete" if i < bi else "insert", i, bi, j, bj))
        if n:
            ops.append(("equal", bi, bi + n, bj, bj + n))
        i, j = bi + n, bj + n
    return ops


def _merge_blocks(blocks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    for i, j, n in sorted(blocks):
        if out and out[-1][0] + out[-1][2] == i and out[-1][1] + out[-1][2] == j:
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + n)
        elif n:
            out.append((i, j, n))
    return out


_SMALL = 2_500
"""Stretches with more pairs of words than this are first cut at words unique to both sides."""
_DP = 90_000
"""Stretches with at most this many pairs of words get a longest common subsequence (the most words matched,
so a phrase said twice matches the copy that lets most other words match too); longer ones get difflib."""


def _lcs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of ``a`` and ``b``.

    >>> _lcs("x a b a b".split(), "a b y".split())
    [(1, 0), (2, 1)]
    """
    n, m = len(a), len(b)
    dp = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        ai, row, below = a[i], dp[i], dp[i + 1]
        for j in range(m - 1, -1, -1):
            row[j] = below[j + 1] + 1 if ai == b[j] else max(below[j], row[j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if a[i] == b[j] and dp[i][j] == dp[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif dp[i + 1][j] > dp[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _match(a, alo, ahi, b, blo, bhi, out: list[tuple[int, int, int]]) -> None:
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        out.append((alo, blo, 1))
        alo, blo = alo + 1, blo + 1
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
        ahi, bhi = ahi - 1, bhi - 1
        out.append((ahi, bhi, 1))
    if alo == ahi or blo == bhi:
        return
    cells = (ahi - alo) * (bhi - blo)
    anchors = _unique_anchors(a, alo, ahi, b, blo, bhi) if cells > _SMALL else []
    if not anchors:
        if cells <= _DP:
            out.extend((alo + i, blo + j, 1) for i, j in _lcs(a[alo:ahi], b[blo:bhi]))
        else:  # long and without a word unique to both sides: difflib's longest-block heuristic
            sm = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            out.extend((alo + i, blo + j, n) for i, j, n in sm.get_matching_blocks() if n)
        return
    for i, j in anchors:
        _match(a, alo, i, b, blo, j, out)
        out.append((i, j, 1))
        alo, blo = i + 1, j + 1
    _match(a, alo, ahi, b, blo, bhi, out)


def _unique_anchors(a, alo, ahi, b, blo, bhi) -> list[tuple[int, int]]:
    """Pairs of positions of words that occur once in each stretch, longest run in order on both sides."""
    seen: dict[str, list[int]] = {}
    for i in range(alo, ahi):
        seen.setdefault(a[i], [0, -1, 0, -1])
        e = seen[a[i]]
        e[0] += 1
        e[1] = i
    for j in range(blo, bhi):
        e = seen.get(b[j])
        if e is not None:
            e[2] += 1
            e[3] = j
    pairs = sorted((e[1], e[3]) for e in seen.values() if e[0] == 1 and e[2] == 1)
    # longest increasing subsequence of the b positions (patience sorting)
    tails: list[int] = []
    tail_idx: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        t = bisect.bisect_left(tails, j)
        if t == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[t], tail_idx[t] = j, k
        back[k] = tail_idx[t - 1] if t else -1
    chain, k = [], tail_idx[-1] if tail_idx else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]
