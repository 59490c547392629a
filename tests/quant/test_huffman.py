"""The Huffman weight codec (tinygen/quant/huffman.py, --weights huffman): canonical,
length-limited codes; the packed constant decodes back to the weights block by block (the
numpy twin of tg_huffman_decode_s8); shared-weight layers code their codebook indices."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen.quant.huffman import (HEADER_WORDS, MAX_LEN, MULTI_SHARE, block_rows, canonical_codes, code_lengths,
                                   decode, encode, encode_symbols, multi_bits, parts, rank_rows, symbols_of)


def _laplace(rng, shape, scale):
    return np.clip(np.round(rng.laplace(0, scale, shape)), -128, 127).astype(np.int8)


def _prefix_free(codes: dict) -> bool:
    words = sorted(format(c, f"0{n}b") for c, n in codes.values())
    return all(not b.startswith(a) for a, b in zip(words, words[1:]))


@pytest.mark.parametrize("counts", [[5], [1, 1], [7, 0, 3, 0, 0, 1], list(range(1, 257)),
                                    [2 ** min(i, 40) for i in range(60)]])
def test_code_lengths_are_a_limited_prefix_code(counts):
    lengths = code_lengths(np.asarray(counts))
    assert lengths.max() <= MAX_LEN
    assert np.array_equal(lengths > 0, np.asarray(counts) > 0)
    assert sum(2.0 ** -n for n in lengths[lengths > 0]) <= 1.0          # Kraft
    assert _prefix_free(canonical_codes(lengths))


def test_skewed_counts_are_limited_and_their_long_codes_decode():
    """Fibonacci counts make the unlimited Huffman tree as deep as the alphabet is long (29
    here): limited to MAX_LEN, the codes past the decoder's first table still decode."""
    fib = [1, 1]
    while len(fib) < 22:
        fib.append(fib[-1] + fib[-2])
    lengths = code_lengths(np.asarray(fib))
    assert 8 < lengths.max() <= MAX_LEN and _prefix_free(canonical_codes(lengths))
    w = np.repeat(np.arange(22, dtype=np.int8) - 11, fib)
    w = np.random.default_rng(0).permutation(w).reshape(1, -1)
    packed = encode(w)
    assert packed[4] > 0                                # symbols with codes longer than 8 bits
    assert np.array_equal(decode(packed, 1, w.shape[1]), w)


# (out_c, depth, laplace scale): named shapes, one symbol, long codes, blocks of one row
NAMED = [(1, 1, 3.0), (3, 5, 0.0), (16, 64, 4.0), (10, 63, 12.0), (40, 200, 30.0), (5, 1500, 2.0)]


@pytest.mark.parametrize("out_c,depth,scale", NAMED)
def test_encode_decode_int8_named(out_c, depth, scale):
    w = _laplace(np.random.default_rng(out_c * depth), (out_c, depth), scale)
    packed = encode(w)
    assert packed.dtype == np.uint32
    assert packed[0] == block_rows(out_c, depth) and packed[1] == -(-out_c // int(packed[0]))
    assert np.array_equal(decode(packed, out_c, depth), w)


@pytest.mark.parametrize("seed", range(6))
def test_encode_decode_int8_random(seed):
    rng = np.random.default_rng(100 + seed)
    out_c, depth = int(rng.integers(1, 40)), int(rng.integers(1, 300))
    w = _laplace(rng, (out_c, depth), float(rng.uniform(0.3, 40)))
    w[rng.random(w.shape) < rng.uniform(0, 0.9)] = 0                   # pruned
    assert np.array_equal(decode(encode(w), out_c, depth), w)


def test_every_int8_value_and_the_extremes_round_trip():
    w = np.arange(-128, 128, dtype=np.int16).astype(np.int8).reshape(8, 32)
    assert np.array_equal(decode(encode(w), 8, 32), w)


def test_pruned_weights_take_fewer_bytes_than_int8():
    rng = np.random.default_rng(7)
    w = rng.integers(-127, 128, (64, 256)).astype(np.int8)
    w[rng.random(w.shape) < 0.7] = 0
    assert encode(w).nbytes < 0.7 * w.size


def test_encoding_is_deterministic():
    w = _laplace(np.random.default_rng(3), (24, 90), 6.0)
    assert np.array_equal(encode(w), encode(w.copy()))


def test_blocks_start_at_their_stored_bit_offsets():
    w = _laplace(np.random.default_rng(5), (9, 100), 5.0)
    packed = encode(w, block=2)
    offsets = packed[HEADER_WORDS:HEADER_WORDS + 6].astype(np.int64)
    assert packed[1] == 5 and offsets[0] == 0 and np.all(np.diff(offsets) > 0)
    # each block's length is its rows' code lengths (decode checks every block ends at the next offset)
    assert np.array_equal(decode(packed, 9, 100), w)


@pytest.mark.parametrize("groups", [1, 6])
def test_codebook_indices_are_coded_and_decode_through_the_tables(groups):
    rng = np.random.default_rng(groups)
    table = np.sort(rng.integers(-128, 128, (groups, 16)), axis=1).astype(np.int8)
    idx = np.minimum(rng.geometric(0.4, (6, 40)) - 1, 15)
    w = np.take_along_axis(np.broadcast_to(table, (6, 16)), idx, axis=1)
    assert symbols_of(w, table).max() < 16
    packed = encode(w, table)
    assert np.array_equal(decode(packed, 6, 40), w)
    if groups == 1:       # one table: folded into the code's tables (the weights decode directly), none stored
        assert packed[2] == 0 and packed[3] == 0
    else:                 # per channel: ranked, stored up to the widest row's last used entry
        assert packed[2] == groups and packed[3] == max(len(np.unique(r)) for r in idx) < 16


def test_table_entries_no_row_uses_are_not_stored():
    """Entropy-constrained sharing leaves most of a 16-entry table unused: ranked, the unused
    entries come last in every row and the stored tables stop at the widest row's last used one."""
    rng = np.random.default_rng(3)
    table = np.sort(rng.integers(-127, 128, (8, 16)), axis=1).astype(np.int8)
    used = np.stack([rng.permutation(16)[:3] for _ in range(8)])           # 3 entries per row, anywhere
    idx = np.take_along_axis(used, rng.integers(0, 3, (8, 50)), axis=1)
    w = np.take_along_axis(table, idx, axis=1)
    packed = encode_symbols(idx, table)
    assert packed[3] == 3 and np.array_equal(decode(packed, 8, 50), w)
    full = encode_symbols(np.concatenate([idx, np.arange(16)[None].repeat(8, 0)], axis=1), table)
    assert full[3] == 16


def test_a_weight_missing_from_its_table_is_refused():
    with pytest.raises(ValueError, match="not in its codebook"):
        encode(np.array([[1, 2]], np.int8), np.zeros((1, 4), np.int8))


def test_per_channel_tables_are_ranked_so_one_code_serves_every_row():
    """Each channel's zero sits at another index of its table: ranked by use per row, the rows
    share a skewed distribution, the coded layer is smaller, and it decodes to the same weights."""
    rng = np.random.default_rng(9)
    table = np.sort(rng.integers(-127, 128, (32, 16)), axis=1).astype(np.int8)
    zero_at = rng.integers(0, 16, 32)
    table[np.arange(32), zero_at] = 0
    idx = np.where(rng.random((32, 64)) < 0.7, zero_at[:, None], rng.integers(0, 16, (32, 64)))
    w = np.take_along_axis(table, idx, axis=1)
    ranked, ranked_table = rank_rows(idx.astype(np.uint8), table)
    assert np.array_equal(np.take_along_axis(ranked_table, ranked.astype(np.int64), axis=1), w)
    assert np.all(ranked_table[:, 0] == 0)                   # every row's most used entry first
    packed = encode_symbols(idx, table)
    assert np.array_equal(decode(packed, 32, 64), w)
    stream_bits = int(packed[HEADER_WORDS + int(packed[1])])
    p = np.bincount(idx.ravel(), minlength=16) / idx.size
    unranked_bits = -(p[p > 0] * np.log2(p[p > 0])).sum() * idx.size      # the least any code of the raw indices takes
    assert stream_bits < 0.7 * unranked_bits


def _multi_case(groups: int | None):
    """Pruned-like weights (mostly zero, some long codes), int8 or through `groups` tables."""
    rng = np.random.default_rng(17 if groups is None else groups)
    if groups is None:
        w = _laplace(rng, (13, 61), 9.0)
        w[rng.random(w.shape) < 0.7] = 0
        return w, None
    table = rng.integers(-128, 128, (groups, 16)).astype(np.int8)
    idx = np.minimum(rng.geometric(0.45, (13, 61)) - 1, 15)
    return np.take_along_axis(np.broadcast_to(table, (13, 16)), idx, axis=1), table


@pytest.mark.parametrize("groups", [None, 1, 13])
@pytest.mark.parametrize("multi", [9, 10])
def test_multi_symbol_table_decodes_the_same_weights(groups, multi):
    w, table = _multi_case(groups)
    packed = encode(w, table, block=4, multi=multi)
    plain = encode(w, table, block=4, multi=0)
    assert packed[6] == multi and plain[6] == 0
    assert packed.size == plain.size + (1 << multi)           # the table's words, counted in the bytes
    assert np.array_equal(decode(packed, *w.shape), w)


def test_multi_symbol_entries_hold_up_to_three_whole_codes():
    w, _ = _multi_case(None)
    packed = encode(w, multi=10)
    entries = packed[parts(packed)["multi"]:parts(packed)["tables"]]
    counts = np.bincount((entries >> 24) & 3, minlength=4)
    assert counts[3] > counts[1] > 0
    assert np.all((entries >> 26) <= 10)


def test_a_corrupted_multi_symbol_table_decodes_other_weights():
    w, _ = _multi_case(None)
    packed = encode(w, multi=10).copy()
    at = parts(packed)["multi"]
    entries = packed[at:at + (1 << 10)]
    packed[at + np.flatnonzero(((entries >> 24) & 3) == 3)] ^= 0x01   # their first weight off by one
    assert not np.array_equal(decode(packed, *w.shape), w)


def test_the_multi_symbol_table_is_sized_by_the_stream():
    assert multi_bits(1 << 20, 8) == 10                        # at most MULTI_MAX bits
    assert multi_bits(4 * MULTI_SHARE * 512, 8) == 9           # 1/MULTI_SHARE of the stream
    assert multi_bits(4 * MULTI_SHARE * 256, 8) == 0           # not more bits than peek: none
    assert multi_bits(4 * MULTI_SHARE * 16, 3) == 4
    assert multi_bits(1 << 20, 8, 10 / 3) == 10 and multi_bits(1 << 20, 8, 3.5) == 0   # codes too long

@pytest.mark.parametrize("groups", [None, 1, 13])
def test_blocks_halves_decode_and_a_wrong_mid_is_refused(groups):
    """Each block's second half starts at its stored bits (uint16 past the block's start): the
    decoder runs the halves side by side; a mid one bit off leaves the first half's end elsewhere."""
    w, table = _multi_case(groups)
    packed = encode(w, table, block=4, halves=True).copy()
    plain = encode(w, table, block=4, halves=False)
    assert packed[7] == 1 and plain[7] == 0 and packed.size == plain.size + (int(packed[1]) + 1) // 2
    assert np.array_equal(decode(packed, *w.shape), w)
    packed[parts(packed)["mids"]] += 1                       # block 0's mid one bit later
    with pytest.raises(ValueError, match="first half ends"):
        decode(packed, *w.shape)


def test_halves_are_stored_where_they_are_cheap():
    w, _ = _multi_case(None)
    assert encode(w, block=1)[7] == 0                         # 13 mids against a stream of ~250 bytes
    big = _laplace(np.random.default_rng(2), (64, 640), 9.0)
    assert encode(big)[7] == 1
