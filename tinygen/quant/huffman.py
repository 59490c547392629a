"""Entropy-coded weights (`--weights huffman`, issue 73): canonical Huffman codes over a MAC
layer's weight symbols, in the layout the C decoder reads (firmware/kernels/huffman/), and its
numpy twin.

A layer's weights are rows of K = kernel_h*kernel_w*in_c values, one row per output channel
(OHWI, or [out][in] for a fully connected layer). The symbols are the int8 values (as bytes),
or the codebook indices where the layer shares weights (Tensor.codebook: one table per tensor
or per output channel). With one table its values replace the indices in the code's own
tables (fast entries, long symbols), so the decoder reads the weights there and no table is
stored; with a table per output channel the decoder maps each row's indices through its
table. Rows are
coded in blocks of `block` output channels; each block starts at a stored bit offset, so the
kernel decodes one block into scratch, computes it, and moves on (RAM: one block).

Codes are at most MAX_LEN bits. The decoder peeks `peek` bits (PEEK, or the longest code
where that is shorter: a 3-bit codebook's table has at most 128 entries) and one lookup in a
2**peek-entry table gives symbol and length for the codes of at most peek bits; a longer code
(rare symbols) is found by the canonical limits per length. Everything is deterministic: ties in the code
construction break by symbol.

The packed constant, uint32 words (little-endian), as firmware/kernels/huffman/tg_kernels_huffman.h
describes it:
    [0] block  [1] n_blocks  [2] table groups (0: none, the symbols are the weights; out_c: per
        channel; the decoder also takes 1, one table, though encode folds that one in)
    [3] table width (0: none): the entries up to the last one a row uses (ranked, the unused
        of a 2**bits table come last and are not stored)  [4] n_long (symbols with codes longer than peek)
    [5] peek   [6] multi: the bits of the multi-symbol table (0: none; none where a symbol has
        a 1-bit code, whose runs the decoder takes by CLZ: zero_runs)   [7] halves (0 or 1)
    [8 .. 8+n_blocks]   bit offset of each block in the stream, then the stream's length
    mids: where halves, n_blocks uint16 (padded to a word), each block's second half (from its
        symbol count // 2 on) as bits past the block's start: the decoder runs the halves side
        by side, two independent chains of lookups (where every first half takes fewer than
        2**16 bits and the mids at most 1/HALVES_SHARE of the stream's bytes)
    fast: 2**peek uint16 entries, (length << 8) | symbol, 0 where a longer code starts (padded to a word)
    limit[MAX_LEN-peek] uint32, then delta[MAX_LEN-peek] int32 (lengths peek+1 .. MAX_LEN)
    long symbols: n_long bytes, padded to a word
    multi-symbol table: 2**multi uint32 entries, the codes that lie whole in the next `multi`
        bits, up to MULTI_COUNT of them: bytes 0-2 their symbols, bits 24-25 how many
        (0: the first code is longer than `multi`), bits 26-31 the bits they take
    value tables: groups * width int8, padded to a word
    stream: the codes MSB first, padded with 4 zero bytes and to a word
"""

from __future__ import annotations

import heapq

import numpy as np

PEEK = 8              # bits the decoder's first table takes at most (256 entries)
MAX_LEN = 16          # longest code: the decoder keeps at least 25 bits in its buffer
HEADER_WORDS = 8
# a block's second half gets its own start (a uint16 a block) where those take at most
# 1/HALVES_SHARE of the stream's bytes
HALVES_SHARE = 64
# The multi-symbol table (one lookup, up to MULTI_COUNT weights): MULTI_MAX bits at most, and
# its 4 * 2**bits bytes at most 1/MULTI_SHARE of the stream's, so it adds at most that much flash;
# only where the codes average at most 1/MULTI_COUNT of its bits (a lookup then serves about
# MULTI_COUNT weights; with longer codes the fast table's three lookups a load are faster:
# benchmarks/huffman.py, the dense AD layers)
MULTI_COUNT, MULTI_MAX, MULTI_SHARE = 3, 10, 16
BLOCK_BYTES = 1024    # default bytes of decoded weights a block holds at most


def block_rows(out_c: int, depth: int, budget: int = BLOCK_BYTES) -> int:
    """Output channels per block for a layer of `out_c` rows of `depth` weights: as many as
    `budget` bytes hold (at least one), so RAM grows by at most one block of scratch."""
    return max(1, min(out_c, budget // max(depth, 1)))


def code_lengths(counts: np.ndarray) -> np.ndarray:
    """Huffman code lengths (at most MAX_LEN) for symbol counts; 0 for an absent symbol. A
    single symbol takes 1 bit. Where a length passes MAX_LEN, the counts are halved (each
    kept at least 1) until none does: deterministic, near optimal for weight histograms."""
    counts = np.asarray(counts, dtype=np.int64)
    present = np.flatnonzero(counts)
    lengths = np.zeros(counts.size, dtype=np.int64)
    if present.size == 1:
        lengths[present[0]] = 1
        return lengths
    weights = counts[present].copy()
    while True:
        # (weight, order, symbols): the order breaks ties deterministically
        heap = [(int(w), i, [int(s)]) for i, (w, s) in enumerate(zip(weights, present))]
        heapq.heapify(heap)
        order = len(heap)
        depth = dict.fromkeys(present.tolist(), 0)
        while len(heap) > 1:
            w1, _, s1 = heapq.heappop(heap)
            w2, _, s2 = heapq.heappop(heap)
            for s in s1 + s2:
                depth[s] += 1
            heapq.heappush(heap, (w1 + w2, order, s1 + s2))
            order += 1
        if max(depth.values()) <= MAX_LEN:
            break
        weights = np.maximum(weights >> 1, 1)
    for s, d in depth.items():
        lengths[s] = d
    return lengths


def canonical_codes(lengths: np.ndarray) -> dict[int, tuple[int, int]]:
    """symbol -> (code, length), codes assigned in order of (length, symbol)."""
    codes, code, prev = {}, 0, 0
    for s in sorted(np.flatnonzero(lengths).tolist(), key=lambda s: (int(lengths[s]), s)):
        code <<= int(lengths[s]) - prev
        prev = int(lengths[s])
        codes[s] = (code, prev)
        code += 1
    return codes


def _tables(lengths: np.ndarray, peek: int):
    """The decoder's tables: fast (2**peek uint16), limit and delta per long length, long symbols."""
    codes = canonical_codes(lengths)
    fast = np.zeros(1 << peek, dtype=np.uint16)
    limit = np.zeros(MAX_LEN - peek, dtype=np.uint32)
    delta = np.zeros(MAX_LEN - peek, dtype=np.int32)
    longs = [s for s in sorted(codes, key=lambda s: (codes[s][1], s)) if codes[s][1] > peek]
    for s, (code, n) in codes.items():
        if n <= peek:
            start = code << (peek - n)
            fast[start:start + (1 << (peek - n))] = (n << 8) | s
    first = 0
    for n in range(1, MAX_LEN + 1):
        of_n = sorted(s for s in codes if codes[s][1] == n)
        if n > peek:
            index = sum(1 for s in longs if codes[s][1] < n)
            limit[n - peek - 1] = first + len(of_n)
            delta[n - peek - 1] = index - first
        first = (first + len(of_n)) << 1
    return codes, fast, limit, delta, np.asarray(longs, dtype=np.uint8)


def _words(data: np.ndarray) -> np.ndarray:
    raw = np.ascontiguousarray(data).view(np.uint8).ravel()
    return np.concatenate([raw, np.zeros(-raw.size % 4, np.uint8)]).view("<u4")


def symbols_of(weights: np.ndarray, table: np.ndarray | None) -> np.ndarray:
    """Rows of symbols [out_c, K]: the int8 values as bytes, or (table [groups, width]) each
    weight's index in its row's table (the first equal entry)."""
    w = np.asarray(weights).reshape(weights.shape[0], -1)
    if table is None:
        return w.astype(np.int8).view(np.uint8)
    rows = np.broadcast_to(table, (w.shape[0], table.shape[1]))
    match = w[:, :, None] == rows[:, None, :]
    if not match.any(axis=2).all():
        raise ValueError("a weight is not in its codebook table")
    return match.argmax(axis=2).astype(np.uint8)


def encode(weights: np.ndarray, table: np.ndarray | None = None, block: int | None = None,
           multi: int | None = None, halves: bool | None = None) -> np.ndarray:
    """The packed constant (uint32 words) for OHWI / [out][in] int8 weights; `table`: the
    codebook's values [groups, 2**bits] (groups 1 or out_c) where the layer shares weights;
    `multi`: the multi-symbol table's bits (0: none; None: multi_bits); `halves`: whether the
    blocks' second halves get their starts (None: where they take at most 1/HALVES_SHARE of
    the stream and fit)."""
    return encode_symbols(symbols_of(weights, table), table, block, multi, halves)


def rank_rows(sym: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """With a table per row: each row's entries reordered by how often the row uses them (the
    most used first, ties by index), its symbols renamed to match. The rows' own indices differ
    (a pruned layer's zero is another index in each channel's table); ranked, the rows share one
    skewed distribution, which one code serves. The decoded values are unchanged."""
    ranked_sym, ranked_table = np.empty_like(sym), np.empty_like(table)
    for o in range(sym.shape[0]):
        order = np.argsort(-np.bincount(sym[o], minlength=table.shape[1]), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        ranked_sym[o], ranked_table[o] = rank[sym[o]], table[o][order]
    return ranked_sym, ranked_table


def zero_runs(lengths: np.ndarray) -> bool:
    """Whether a code of these lengths has a 1-bit code ('0', canonically its first): the decoder
    (tg_huffman_decode_s8) then takes each run of it by CLZ, and a code after the run by the fast
    table, in one load, a block in one run; no multi-symbol table nor halves' starts are stored
    for it."""
    return bool(np.count_nonzero(lengths) > 1 and np.any(np.asarray(lengths) == 1))


def multi_bits(stream_bytes: int, peek: int, mean_bits: float = 0.0) -> int:
    """The multi-symbol table's bits for a stream whose codes average `mean_bits`: the most
    (at most MULTI_MAX) whose table takes at most 1/MULTI_SHARE of the stream's bytes, where
    that is more than peek (a smaller one would hold few codes) and at least MULTI_COUNT
    times mean_bits; else 0, none."""
    bits = min(MULTI_MAX, (stream_bytes // (4 * MULTI_SHARE)).bit_length() - 1)
    return bits if bits > peek and bits >= MULTI_COUNT * mean_bits else 0


def multi_table(fast: np.ndarray, peek: int, multi: int, values: np.ndarray | None) -> np.ndarray:
    """The 2**multi entries (uint32) of the multi-symbol table: greedily, the codes whole in the
    entry's bits, up to MULTI_COUNT; `values` (a table) maps their symbols to weights."""
    lut = None if values is None else np.asarray(values, dtype=np.int8).view(np.uint8)
    out = np.zeros(1 << multi, dtype=np.uint32)
    for i in range(1 << multi):
        used, entry = 0, 0
        for n in range(MULTI_COUNT):
            window = ((i << used) & ((1 << multi) - 1)) >> (multi - peek)
            f = int(fast[window])
            if f == 0 or used + (f >> 8) > multi:
                break
            entry |= int(lut[f & 0xFF] if lut is not None else f & 0xFF) << (8 * n)
            used += f >> 8
            entry = (entry & 0xFFFFFF) | ((n + 1) << 24)
        out[i] = entry | (used << 26)
    return out


def encode_symbols(sym: np.ndarray, table: np.ndarray | None = None, block: int | None = None,
                   multi: int | None = None, halves: bool | None = None) -> np.ndarray:
    """encode for symbols [out_c, depth] already known (a codebook's indices)."""
    sym = np.asarray(sym, dtype=np.uint8)
    if table is not None and table.shape[0] > 1:
        sym, table = rank_rows(sym, np.asarray(table, dtype=np.int8))
    if table is not None:               # the entries past the last one used are not stored
        table = np.asarray(table)[:, :int(sym.max(initial=0)) + 1]
    out_c, depth = sym.shape
    block = block or block_rows(out_c, depth)
    counts = np.bincount(sym.ravel(), minlength=256)
    lengths = code_lengths(counts)
    peek = min(PEEK, int(lengths.max()))
    codes, fast, limit, delta, longs = _tables(lengths, peek)
    code_of = np.zeros(256, dtype=np.int64)
    len_of = np.zeros(256, dtype=np.int64)
    for s, (c, n) in codes.items():
        code_of[s], len_of[s] = c, n
    bits = len_of[sym]                                  # [out_c, depth]
    ends = np.cumsum(bits.ravel())
    offsets = [0] + [int(ends[min(b + block, out_c) * depth - 1]) for b in range(0, out_c, block)]
    starts = np.concatenate([[0], ends])
    mids = np.asarray([int(starts[b * depth + (min(b + block, out_c) - b) * depth // 2]) for b in range(0, out_c, block)])
    mids = mids - np.asarray(offsets[:-1])
    stream = _bitstream(code_of[sym].ravel(), bits.ravel(), offsets[-1])
    if table is not None and table.shape[0] == 1:
        fast, longs, table = _fold(fast, longs, table[0])
    groups, width = (0, 0) if table is None else table.shape
    if multi is None:                   # none where a 1-bit code's runs are decoded instead (zero_runs)
        multi = 0 if zero_runs(lengths) else multi_bits(stream.size, peek, offsets[-1] / max(sym.size, 1))
    fits = int(mids.max(initial=0)) < 1 << 16
    if halves and not fits:
        raise ValueError("a block's first half takes 2**16 bits or more: no halves")
    if halves is None:                  # none where the decoder takes a block in one run (zero_runs)
        halves = not zero_runs(lengths) and 2 * mids.size * HALVES_SHARE <= stream.size
    halves = int(fits and halves)
    mids = mids.astype(np.uint16)
    header = np.asarray([block, len(offsets) - 1, groups, width, longs.size, peek, multi, halves, *offsets],
                        dtype=np.uint32)
    parts = [header, *([_words(mids)] if halves else []), _words(fast), limit, delta.view(np.uint32), _words(longs)]
    if multi:
        parts.append(multi_table(fast, peek, multi, None))
    if table is not None:
        parts.append(_words(np.asarray(table, dtype=np.int8)))
    parts.append(_words(stream))
    return np.concatenate(parts).astype(np.uint32)


def _fold(fast: np.ndarray, longs: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, None]:
    """One table for the whole layer: the fast entries and long symbols hold its values, so
    the decoder reads the weights from them and no table is stored (groups 0)."""
    lut = np.asarray(values, dtype=np.int8).view(np.uint8).astype(np.uint16)
    fast = np.where(fast != 0, (fast & 0xFF00) | lut[fast & 0xFF], 0).astype(np.uint16)
    return fast, lut[longs].astype(np.uint8), None


def _bitstream(codes: np.ndarray, lengths: np.ndarray, total: int) -> np.ndarray:
    """The codes concatenated MSB first into bytes, then 4 zero bytes (the decoder reads ahead)."""
    out = np.zeros((total + 7) // 8 + 4, dtype=np.uint8)
    if total == 0:
        return out
    # each code's bits, most significant first: bit j of a code of length n is (code >> (n-1-j)) & 1
    at = np.repeat(np.cumsum(lengths) - lengths, lengths)
    j = np.arange(total) - at
    n = np.repeat(lengths, lengths)
    bit = (np.repeat(codes, lengths) >> (n - 1 - j)) & 1
    out[: (total + 7) // 8] = np.packbits(bit.astype(np.uint8))
    return out


def _bits(bits: np.ndarray, pos: int, n: int) -> int:
    """The n bits of the stream from bit pos, MSB first, as an integer."""
    return int.from_bytes(np.packbits(bits[pos:pos + n]).tobytes(), "big") >> (-n % 8)


def parts(packed: np.ndarray) -> dict[str, int]:
    """The word where each part of a packed constant starts (as tg_huffman_open finds them):
    offsets, mids, fast, limit, delta, longs, multi, tables, stream."""
    w = [int(v) for v in np.asarray(packed[:HEADER_WORDS], dtype=np.uint32)]
    n_blocks, groups, width, n_long, peek, multi, halves = w[1], w[2], w[3], w[4], w[5], w[6], w[7]
    sizes = {"offsets": n_blocks + 1, "mids": (n_blocks + 1) // 2 if halves else 0, "fast": ((1 << peek) + 1) // 2,
             "limit": MAX_LEN - peek, "delta": MAX_LEN - peek, "longs": (n_long + 3) // 4,
             "multi": 1 << multi if multi else 0, "tables": (groups * width + 3) // 4, "stream": 0}
    at, out = HEADER_WORDS, {}
    for name, size in sizes.items():
        out[name] = at
        at += size
    return out


class _Decoder:
    """The packed constant's parts, as tg_huffman_open finds them."""

    def __init__(self, packed: np.ndarray):
        words = np.asarray(packed, dtype=np.uint32)
        self.block, self.n_blocks, self.groups, width, n_long, peek, multi, halves = (int(v) for v in
                                                                                       words[:HEADER_WORDS])
        self.peek, self.multi = peek, multi
        at = parts(words)
        raw = words.view(np.uint8)
        self.offsets = words[at["offsets"]:at["offsets"] + self.n_blocks + 1].astype(np.int64)
        mids = raw[4 * at["mids"]:4 * at["mids"] + 2 * self.n_blocks].view("<u2")
        self.mids = self.offsets[:-1] + mids if halves else None
        self.fast = raw[4 * at["fast"]:4 * at["fast"] + 2 * (1 << peek)].view("<u2")
        self.limit = words[at["limit"]:at["delta"]]
        self.delta = words[at["delta"]:at["longs"]].view(np.int32)
        self.longs = raw[4 * at["longs"]:4 * at["longs"] + n_long]
        self.mtable = words[at["multi"]:at["tables"]] if multi else None
        tables = raw[4 * at["tables"]:4 * at["tables"] + self.groups * width]
        self.table = tables.view(np.int8).reshape(self.groups, width) if self.groups else None
        self.bits = np.unpackbits(raw[4 * at["stream"]:])

    def one(self, pos: int) -> tuple[int, int]:
        """(length, symbol) of the code at pos: the fast table, else the canonical limits."""
        bits16 = _bits(self.bits, pos, MAX_LEN)
        entry = int(self.fast[bits16 >> (MAX_LEN - self.peek)])
        n, s = entry >> 8, entry & 0xFF
        if n == 0:
            for n in range(self.peek + 1, MAX_LEN + 1):
                c = bits16 >> (MAX_LEN - n)
                if c < int(self.limit[n - self.peek - 1]):
                    s = int(self.longs[c + int(self.delta[n - self.peek - 1])])
                    break
        return n, s

    def run(self, pos: int, count: int) -> tuple[list[int], int]:
        """Mirrors tg_huffman_run: count symbols from pos (the weights, or the indices into
        the tables), and the position after them; the multi-symbol table while MULTI_COUNT
        remain."""
        out: list[int] = []
        while self.multi and count - len(out) >= MULTI_COUNT:
            e = int(self.mtable[_bits(self.bits, pos, self.multi)])
            n = (e >> 24) & 3
            if n == 0:
                length, s = self.one(pos)
                out.append(s)
                pos += length
                continue
            out += [(e >> (8 * i)) & 0xFF for i in range(n)]
            pos += e >> 26
        while len(out) < count:
            length, s = self.one(pos)
            out.append(s)
            pos += length
        return out, pos


def decode(packed: np.ndarray, out_c: int, depth: int) -> np.ndarray:
    """Mirrors tg_huffman_decode_s8 block by block: the int8 weights [out_c, depth] the packed
    constant encodes (each block's two halves where it has them, by the multi-symbol table, fast lookups, the
    canonical limits for long codes; the value tables); a half that does not end where the
    next starts is refused."""
    d = _Decoder(packed)
    out = np.zeros((out_c, depth), dtype=np.uint8)
    for b in range(d.n_blocks):
        first, last = b * d.block, min((b + 1) * d.block, out_c)
        count = (last - first) * depth
        half = count // 2 if d.mids is not None else count
        a, mid = d.run(int(d.offsets[b]), half)
        c, end = d.run(int(d.mids[b]), count - half) if d.mids is not None else ([], mid)
        for name, at, want in (("first half", mid, mid if d.mids is None else d.mids[b]),
                               ("block", end, d.offsets[b + 1])):
            if at != int(want):
                raise ValueError(f"block {b}'s {name} ends at bit {at}, not {int(want)}")
        sym = np.asarray(a + c, dtype=np.uint8).reshape(last - first, depth)
        if d.groups:                        # indices: each row's through its table
            rows = d.table[first:last] if d.groups > 1 else d.table[[0] * (last - first)]
            sym = np.take_along_axis(rows.view(np.uint8), sym.astype(np.int64), axis=1)
        out[first:last] = sym
    return out.view(np.int8)


def coded_bytes(packed: np.ndarray) -> int:
    """Flash bytes of a layer's packed constant (tables, offsets and stream)."""
    return int(np.asarray(packed).nbytes)


__all__ = ["BLOCK_BYTES", "MAX_LEN", "PEEK", "block_rows", "canonical_codes", "code_lengths", "coded_bytes",
           "decode", "encode", "encode_symbols", "multi_bits", "multi_table", "parts", "rank_rows", "symbols_of",
           "zero_runs"]
