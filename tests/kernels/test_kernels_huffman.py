"""tg_huffman_decode_s8 (firmware/kernels/huffman, --weights huffman) on the host, through
tg_huffman_decode_layer_s8 (every block in turn: the layer whole, as the decoding kernels run
it): every block of a packed constant decodes to the weights numpy's twin
(tinygen.quant.huffman.decode) gives, for int8 symbols, long codes, and codebook indices through one table or one per
output channel. The kernels around it are checked end to end (tests/passes/test_entropy_code.py)."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest

from kernel_lib import CFLAGS, KERNEL_INCLUDES
from tinygen.quant.huffman import decode, encode, parts
from tinygen.resources import firmware_path


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    work = tmp_path_factory.mktemp("huffman")
    so = work / "libhuffman.so"
    subprocess.run(["cc", *CFLAGS, *KERNEL_INCLUDES, str(firmware_path("kernels/tg_huffman_decode_layer_s8.c")),
                    str(firmware_path("kernels/tg_huffman_decode_s8.c")), "-o", str(so)], check=True)
    return ctypes.CDLL(str(so))


def _decode_c(lib, packed: np.ndarray, out_c: int, depth: int) -> np.ndarray:
    out = np.full((out_c, depth), 99, np.int8)
    lib.tg_huffman_decode_layer_s8(packed.ctypes.data_as(ctypes.c_void_p), out_c, depth,
                                   out.ctypes.data_as(ctypes.c_void_p))
    return out


def _first_code_bits(packed: np.ndarray) -> int:
    """The length of the canonical first code (all zeros): 1 where the decoder takes its runs."""
    return int(packed[parts(packed)["fast"]] & 0xFFFF) >> 8


def _fibonacci_weights(n: int, depth: int) -> np.ndarray:
    """Symbol counts 1, 1, 2, 3, 5, ...: codes up to the length limit, past the first table."""
    fib = [1, 1]
    while len(fib) < n:
        fib.append(fib[-1] + fib[-2])
    w = np.random.default_rng(0).permutation(np.repeat(np.arange(n, dtype=np.int8) - n // 2, fib))
    return w[: w.size // depth * depth].reshape(-1, depth)


CASES = {
    "one_weight": np.array([[5]], np.int8),
    "one_symbol": np.zeros((7, 9), np.int8),
    "all_values": np.arange(-128, 128).astype(np.int8).reshape(4, 64),
    "laplace_blocks": np.clip(np.round(np.random.default_rng(1).laplace(0, 6, (37, 70))), -128, 127).astype(np.int8),
    "long_codes": _fibonacci_weights(18, 47),
}


@pytest.mark.parametrize("halves", [False, True])
@pytest.mark.parametrize("name", CASES)
def test_huffman_decode_s8_host(lib, name, halves):
    w = CASES[name]
    packed = encode(w, halves=halves)
    assert packed[7] == halves
    assert np.array_equal(_decode_c(lib, packed, *w.shape), decode(packed, *w.shape))
    assert np.array_equal(_decode_c(lib, packed, *w.shape), w)


@pytest.mark.parametrize("seed", range(4))
def test_huffman_decode_s8_host_random(lib, seed):
    rng = np.random.default_rng(seed)
    out_c, depth = int(rng.integers(1, 50)), int(rng.integers(1, 400))
    w = np.clip(np.round(rng.laplace(0, rng.uniform(0.5, 50), (out_c, depth))), -128, 127).astype(np.int8)
    w[rng.random(w.shape) < 0.6] = 0
    for halves in (False, True):
        packed = encode(w, block=int(rng.integers(1, out_c + 1)), halves=halves)
        assert np.array_equal(_decode_c(lib, packed, out_c, depth), w)


@pytest.mark.parametrize("groups", [1, 11])
def test_huffman_decode_s8_host_codebook(lib, groups):
    rng = np.random.default_rng(groups)
    table = rng.integers(-128, 128, (groups, 8)).astype(np.int8)
    idx = np.minimum(rng.geometric(0.3, (11, 33)) - 1, 7)
    w = np.take_along_axis(np.broadcast_to(table, (11, 8)), idx, axis=1)
    for halves in (False, True):
        assert np.array_equal(_decode_c(lib, encode(w, table, block=3, halves=halves), 11, 33), w)


@pytest.mark.parametrize("groups", [0, 1, 11])
@pytest.mark.parametrize("multi", [9, 10])
def test_huffman_decode_s8_host_multi(lib, groups, multi):
    """With a multi-symbol table (up to three codes a lookup, the long codes alone): every
    block decodes to the weights, as numpy's twin does; a corrupted entry changes them."""
    rng = np.random.default_rng(multi + groups)
    if groups:
        table = rng.integers(-128, 128, (groups, 16)).astype(np.int8)
        idx = np.minimum(rng.geometric(0.3, (11, 77)) - 1, 15)
        w = np.take_along_axis(np.broadcast_to(table, (11, 16)), idx, axis=1)
    else:
        table, w = None, _fibonacci_weights(18, 77)[:11]
        w[rng.random(w.shape) < 0.3] = 0
    packed = encode(w, table, block=3, multi=multi, halves=True)
    assert packed[6] == multi and packed[7] == 1           # and the blocks' halves side by side
    assert _first_code_bits(packed) > 1                    # no 1-bit code: the decoder takes the table
    assert np.array_equal(_decode_c(lib, packed, *w.shape), decode(packed, *w.shape))
    assert np.array_equal(_decode_c(lib, packed, *w.shape), w)
    bad = packed.copy()
    at = parts(bad)["multi"]
    entries = bad[at:at + (1 << multi)]
    bad[at + np.flatnonzero(((entries >> 24) & 3) == 3)] ^= 0x01    # the first weight of each 3-code entry
    assert not np.array_equal(_decode_c(lib, bad, *w.shape), w)


@pytest.mark.parametrize("depth", [1, 3, 4, 6, 9, 64])
def test_huffman_decode_s8_host_codebook_rows_by_words(lib, depth):
    """A block's rows mapped through their tables four indices a word, the rest alone: rows
    shorter than a word, of a word, and unaligned after the first (depth not a multiple of 4)."""
    rng = np.random.default_rng(depth)
    table = rng.integers(-128, 128, (7, 16)).astype(np.int8)
    idx = rng.integers(0, 16, (7, depth))
    w = np.take_along_axis(table, idx, axis=1)
    for block in (1, 3, 7):
        packed = encode(w, table, block=block)
        assert np.array_equal(_decode_c(lib, packed, 7, depth), w)


@pytest.mark.parametrize("zeros", [0.75, 0.97])
@pytest.mark.parametrize("depth", [5, 40, 301])
@pytest.mark.parametrize("groups", [0, 11])
def test_huffman_decode_s8_host_zero_runs(lib, groups, depth, zeros):
    """A code with a 1-bit code (a sparse layer's zero): no multi-symbol table is stored, the
    decoder takes each run of it by CLZ and the code after it by the fast table (long codes by the
    limits; with none, two runs and codes a load), a shared layer's rows through their own tables
    as they are stored (each row's first symbol its own value: the fill differs row to row); runs
    over several short rows, blocks of one row and of several, with and without halves' starts."""
    rng = np.random.default_rng(depth + groups)
    out_c = 11
    if groups:
        table = rng.integers(-128, 128, (groups, 16)).astype(np.int8)
        idx = np.where(rng.random((out_c, depth)) < zeros, 0, rng.integers(1, 16, (out_c, depth)))
        w = np.take_along_axis(table, idx, axis=1)
    else:
        table = None
        w = np.clip(np.round(rng.laplace(0, 30, (out_c, depth))), -128, 127).astype(np.int8)
        w[rng.random(w.shape) < zeros] = 0
    for block, halves in ((1, False), (3, True), (out_c, True)):
        packed = encode(w, table, block=block, halves=halves)
        assert _first_code_bits(packed) == 1 and packed[6] == 0
        if groups and zeros < 0.9:
            assert packed[5] < 8                            # every code in the fast table: two steps a load
        elif not groups and depth > 40 and zeros < 0.9:
            assert packed[4] > 0                            # long codes among the runs
        assert np.array_equal(decode(packed, out_c, depth), w)
        assert np.array_equal(_decode_c(lib, packed, out_c, depth), w)
