"""How to call the transposed convolution's kernels (firmware/kernels/conv/tg_transpose_conv2d_s8*.c,
tinygen.kernels.transpose_conv) in the one-firmware harness (benchmarks/standin_calls.py):
importing this module adds them to benchmarks/kernel_calls.py's KERNELS table, so
run_calls(board, ...) runs them on a board's stand-in beside their numpy twin
(tests/kernels/test_kernels_transpose_conv_standin.py).

The DSP and RV32IM kernels read the weights packed per phase; their cases build the packed
constant from random weights and pass the plain weights after the kernel's arguments, for
the twin only.
"""

from __future__ import annotations

import numpy as np

from kernel_calls import _REQUANT_ARGS, KERNELS, Kernel, _out_px, _requant, _s8_input
from tinygen.kernels.transpose_conv import dsp_scratch, phase_rv32_weights, phase_weights
from tinygen.ref.transpose_conv import transpose_conv2d_s8

STRUCT = "tg_transpose_conv2d_params_t"


def weight_shape(p: dict) -> tuple[int, int, int, int]:
    return p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]


def _plain_case(p, rng):
    w = rng.integers(-127, 128, weight_shape(p)).astype(np.int8)
    return (_s8_input(p, rng), w, *_requant(rng, p, -12))


def _packed_case(pack):
    """A packed kernel's arguments, then the plain weights (not passed to C) for the twin."""
    def case(p, rng):
        x, w, bias, multiplier, shift = _plain_case(p, rng)
        return (x, pack(p, {"weight": w, "bias": bias}), bias, multiplier, shift, w)
    return case


def _packed_twin(p, x, _packed, bias, multiplier, shift, w):
    return transpose_conv2d_s8(p, x, w, bias, multiplier, shift)


KERNELS["tg_transpose_conv2d_s8"] = Kernel(
    "tg_kernels.h", STRUCT, ("int8_t", "int8_t", *_REQUANT_ARGS), "int8_t", lambda p: _out_px(p) * p["out_c"],
    transpose_conv2d_s8, _plain_case)
KERNELS["tg_transpose_conv2d_s8_dsp"] = Kernel(
    "tg_kernels.h", STRUCT, ("int8_t", "int8_t", *_REQUANT_ARGS), "int8_t", lambda p: _out_px(p) * p["out_c"],
    _packed_twin, _packed_case(phase_weights), scratch=dsp_scratch)
KERNELS["tg_transpose_conv2d_s8_rv32"] = Kernel(
    "tg_kernels.h", STRUCT, ("int8_t", "int32_t", *_REQUANT_ARGS), "int8_t", lambda p: _out_px(p) * p["out_c"],
    _packed_twin, _packed_case(phase_rv32_weights))
