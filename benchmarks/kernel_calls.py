"""How to call each low-bit kernel, and the int8 convolution they are measured against, in
benchmarks/lowbit_kernels.py's one-firmware harness (benchmarks/standin_calls.py).

KERNELS maps a portable kernel's name to its Kernel: the header declaring it, its params
struct, the element type of each array argument, its output size, its numpy twin and a
builder of random arguments. A _dsp variant shares its portable kernel's entry unless it has
its own (kernel()). benchmarks/rv32_kernels.py adds the RV32IM kernels to the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from tinygen.kernels.direct_dsp import conv2d_widen_dsp_scratch, conv2d_widen_dsp_weights
from tinygen.kernels.pair_u4 import pack_pair_u4, pair_scratch_bytes
from tinygen.kernels.scratch import conv2d_dsp_scratch
from tinygen.quant.pack_b1 import pack_binary_weights, pack_bits, pack_byte_masks
from tinygen.quant.pack_b1lut import lut_scratch_bytes, pack_lut_indices, unpack_lut_indices
from tinygen.quant.pack_mul import pack_mul_weights, packed_scratch_bytes, unpack_mul_weights
from tinygen.quant.pack_subbyte import dsp_scratch_bytes, mve_scratch_bytes, pack_rows
from tinygen.ref import binary as ref_b1
from tinygen.ref import kernels as ref_s8
from tinygen.ref import subbyte as ref_subbyte

@dataclass(frozen=True)
class Kernel:
    """One kernel's C calling convention (the _dsp variant shares its portable one's)."""

    header: str                              # declares the kernel and its params struct
    struct: str                              # params struct typedef
    args: tuple[str, ...]                    # element type of each array argument after p
    out: str                                 # element type of the output (the last argument)
    out_size: Callable[[dict], int]          # output elements
    twin: Callable                           # numpy twin: twin(p, *arrays) -> output
    case: Callable                           # case(p, rng) -> arrays (None: a NULL pointer)
    weights_arg: int = 1                     # which array holds the weights (flash bits per weight)
    scratch: Callable[[dict], int] | None = None   # int8 scratch bytes (before the output), DSP only
    portable_scratch: bool = False           # the portable kernel takes the scratch too
    extra_sources: tuple[str, ...] = ()      # other .c files the kernel calls


def _out_px(p: dict) -> int:
    return p["out_h"] * p["out_w"]


def _signs(rng, shape) -> np.ndarray:
    return np.where(rng.random(shape) < 0.5, -1, 1).astype(np.int8)


def _w_shape(p: dict) -> tuple[int, int, int, int]:
    return p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]


def _requant(rng, p: dict, shift: int) -> tuple:
    n = p["out_c"]
    return (rng.integers(-200, 200, n).astype(np.int32),
            rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32), np.full(n, shift, np.int32))


def _b1_input(p, rng):
    return pack_bits(_signs(rng, (p["in_h"], p["in_w"], p["in_c"])))


def _s8_input(p, rng):
    return rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)


def _thresholds(rng, p, spread):
    return rng.integers(-spread, spread, p["out_c"]).astype(np.int32)


_REQUANT_ARGS = ("int32_t", "int32_t", "int8_t")     # bias, multiplier, shift (int8: KernelSpec.stored_dtype)
KERNELS: dict[str, Kernel] = {
    "tg_conv2d_b1_b1_s8": Kernel(
        "tg_kernels_b1.h", "tg_conv2d_b1_params_t", ("uint32_t", "uint32_t", *_REQUANT_ARGS), "int8_t",
        lambda p: _out_px(p) * p["out_c"], ref_b1.conv2d_b1_b1_s8,
        lambda p, rng: (_b1_input(p, rng), pack_binary_weights(_signs(rng, _w_shape(p))), *_requant(rng, p, -4))),
    "tg_conv2d_b1_b1_b1": Kernel(
        "tg_kernels_b1.h", "tg_conv2d_b1_params_t", ("uint32_t", "uint32_t", "int32_t"), "uint32_t",
        lambda p: _out_px(p) * ((p["out_c"] + 31) // 32), ref_b1.conv2d_b1_b1_b1,
        lambda p, rng: (_b1_input(p, rng), pack_binary_weights(_signs(rng, _w_shape(p))),
                        _thresholds(rng, p, 8))),
    "tg_conv2d_s8_b1_s8": Kernel(
        "tg_kernels_b1.h", "tg_conv2d_params_t", ("int8_t", "uint32_t", *_REQUANT_ARGS), "int8_t",
        lambda p: _out_px(p) * p["out_c"], ref_b1.conv2d_s8_b1_s8,
        lambda p, rng: (_s8_input(p, rng), pack_binary_weights(_signs(rng, _w_shape(p))), *_requant(rng, p, -10))),
    "tg_conv2d_s8_s8_b1": Kernel(
        "tg_kernels_b1.h", "tg_conv2d_params_t", ("int8_t", "int8_t", "int32_t"), "uint32_t",
        lambda p: _out_px(p) * ((p["out_c"] + 31) // 32), ref_b1.conv2d_s8_s8_b1,
        lambda p, rng: (_s8_input(p, rng), rng.integers(-127, 128, _w_shape(p)).astype(np.int8),
                        _thresholds(rng, p, 20000)),
        scratch=conv2d_dsp_scratch),
    "tg_conv2d_s8": Kernel(
        "tg_kernels.h", "tg_conv2d_params_t", ("int8_t", "int8_t", *_REQUANT_ARGS), "int8_t",
        lambda p: _out_px(p) * p["out_c"], ref_s8.conv2d_s8,
        lambda p, rng: (_s8_input(p, rng), rng.integers(-127, 128, _w_shape(p)).astype(np.int8),
                        *_requant(rng, p, -12)),
        scratch=conv2d_dsp_scratch),
}


def _widen_case(p, rng):
    """tg_conv2d_widen_s8_dsp's arguments, and the plain weights after them for the twin (arrays
    past the kernel's arguments are not passed to C)."""
    w = rng.integers(-128, 128, _w_shape(p)).astype(np.int8)
    return (_s8_input(p, rng), conv2d_widen_dsp_weights(p, {"weight": w}), *_requant(rng, p, -12), w)


# int8 weights widened at run time (tg_conv2d_widen_s8_dsp only: no portable twin of that name)
KERNELS["tg_conv2d_widen_s8"] = Kernel(
    "tg_kernels.h", "tg_conv2d_params_t", ("int8_t", "int8_t", *_REQUANT_ARGS), "int8_t",
    lambda p: _out_px(p) * p["out_c"], lambda p, x, _packed, b, m, s, w: ref_s8.conv2d_s8(p, x, w, b, m, s),
    _widen_case, scratch=conv2d_widen_dsp_scratch)


def _subbyte(kind: str, bits: int, signed: bool, shift: int) -> Kernel:
    """tg_conv2d_s8_<kind>_s8: int8 input, packed rows of random codes (tinygen.quant.pack_subbyte)."""
    def case(p, rng):
        lo = -(1 << (bits - 1)) if signed else 0
        codes = rng.integers(lo, lo + (1 << bits), (p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]))
        return (_s8_input(p, rng), pack_rows(codes, bits), *_requant(rng, p, shift))

    return Kernel("tg_kernels_subbyte.h", "tg_conv2d_subbyte_params_t", ("int8_t", "uint8_t", *_REQUANT_ARGS),
                  "int8_t", lambda p: _out_px(p) * p["out_c"], getattr(ref_subbyte, f"conv2d_s8_{kind}_s8"), case,
                  scratch=lambda p: dsp_scratch_bytes(p, kind))


KERNELS.update({f"tg_conv2d_s8_{kind}_s8": _subbyte(kind, bits, signed, shift)
                for kind, bits, signed, shift in (("s4", 4, True, -8), ("s2", 2, True, -7), ("p4", 4, False, -11))})
# the Helium 4-bit kernel: its own scratch (two fields of K rounded up to 32, the sums of codes)
KERNELS["tg_conv2d_s8_s4_s8_mve"] = replace(KERNELS["tg_conv2d_s8_s4_s8"], scratch=mve_scratch_bytes)


def _packed(kind: str, bits: int, shift: int) -> Kernel:
    """tg_conv2d_<kind>_s<bits>_s8: bits-bit inputs (x + in_off in range), the packed-multiply
    constant of random codes (tinygen.quant.pack_mul)."""
    def case(p, rng):
        lo = -p["in_off"]
        codes = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]))
        x = rng.integers(lo, lo + (1 << bits), (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)
        return (x, pack_mul_weights(p, pack_rows(codes, bits), kind), *_requant(rng, p, shift))

    def twin(p, x, packed, *rest):
        return getattr(ref_subbyte, f"conv2d_{kind}_s{bits}_s8")(p, x, unpack_mul_weights(p, packed, kind), *rest)

    return Kernel("tg_kernels_packed.h", "tg_conv2d_packed_params_t", ("int8_t", "uint32_t", *_REQUANT_ARGS),
                  "int8_t", lambda p: _out_px(p) * p["out_c"], twin, case,
                  scratch=lambda p: packed_scratch_bytes(p, kind, dsp=True), portable_scratch=True)


KERNELS.update({f"tg_conv2d_{kind}_s{bits}_s8": _packed(kind, bits, shift) for kind, bits, shift in
                (("u4", 4, -6), ("u2", 2, -3))})


def _pair_case(p, rng):
    """tg_conv2d_pair_u4_s4_s8's arguments (input, packed constant), then the s4 rows, bias,
    multiplier and shift the constant was built from, for the twin (not passed to C)."""
    x, _, *requant = KERNELS["tg_conv2d_u4_s4_s8"].case(p, rng)
    codes = rng.integers(-8, 8, (p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]))
    rows = pack_rows(codes, 4)
    consts = dict(zip(("bias", "multiplier", "shift"), requant), weight=rows)
    return (x, pack_pair_u4(p, consts), rows, *requant)


# 4-bit packed multiply over pixel pairs and channel pairs, the requantization in records
KERNELS["tg_conv2d_pair_u4_s4_s8"] = Kernel(
    "tg_kernels_pair.h", "tg_conv2d_packed_params_t", ("int8_t", "uint32_t"), "int8_t",
    lambda p: _out_px(p) * p["out_c"], lambda p, x, _packed, *rest: ref_subbyte.conv2d_u4_s4_s8(p, x, *rest),
    _pair_case, scratch=pair_scratch_bytes, portable_scratch=True)


def _b1x8_case(p, rng):
    x, words, *requant = KERNELS["tg_conv2d_s8_b1_s8"].case(p, rng)
    return (x, pack_byte_masks(p, words), *requant)


def _b1x8_twin(p, x, packed, *rest):
    """conv2d_s8_b1_s8 on the binary weights the byte masks stand for."""
    o, k = p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]
    o4, n = -(-o // 4) * 4, -(-k // 4)
    masks = np.asarray(packed, np.uint32)[o4:].reshape(o4 // 4, n, 4).transpose(0, 2, 1).reshape(o4, n)
    keep = ((masks[:, :, None] >> np.array([0, 8, 16, 24], np.uint32)) & 0xFF).reshape(o4, -1)[:o, :k]
    w = np.where(keep > 0, 1, -1).reshape(o, p["kernel_h"], p["kernel_w"], p["in_c"])
    return ref_b1.conv2d_s8_b1_s8(p, x, pack_binary_weights(w), *rest)


# binary weights as byte masks (DSP only: its portable twin is tg_conv2d_s8_b1_s8)
KERNELS["tg_conv2d_s8_b1x8_s8"] = Kernel(
    "tg_kernels_b1.h", "tg_conv2d_params_t", ("int8_t", "uint32_t", *_REQUANT_ARGS), "int8_t",
    lambda p: _out_px(p) * p["out_c"], _b1x8_twin, _b1x8_case)


def _b1lut_case(p, rng):
    x, words, *requant = KERNELS["tg_conv2d_s8_b1_s8"].case(p, rng)
    return (x, pack_lut_indices(p, words, *requant), *requant)


def _b1lut_twin(p, x, packed, *rest):
    """conv2d_s8_b1_s8 on the binary weights the index bytes stand for."""
    return ref_b1.conv2d_s8_b1_s8(p, x, pack_binary_weights(unpack_lut_indices(p, packed)), *rest)


# binary weights by table lookup (DSP only: its portable twin is tg_conv2d_s8_b1_s8)
KERNELS["tg_conv2d_s8_b1lut_s8"] = Kernel(
    "tg_kernels_b1.h", "tg_conv2d_params_t", ("int8_t", "uint32_t", *_REQUANT_ARGS), "int8_t",
    lambda p: _out_px(p) * p["out_c"], _b1lut_twin, _b1lut_case, scratch=lut_scratch_bytes)


def kernel(name: str) -> Kernel:
    """A kernel's calling convention: its own entry, else its portable kernel's."""
    return KERNELS.get(name) or KERNELS[name.removesuffix("_dsp").removesuffix("_mve")]

