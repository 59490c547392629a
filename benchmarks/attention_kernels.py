"""How to call the normalization and attention kernels in the one-firmware harness
(benchmarks/standin_calls.py): importing this module adds them to benchmarks/kernel_calls.py's
KERNELS table, so run_calls(board, ...) runs them on the f746zg, f446re and esp32-c3 stand-ins
beside their numpy twins (tests/kernels/test_kernels_attention_standin.py, benchmarks/attention.py).

Each case draws random arrays of the sizes the parameters read: an operand read through
strides covers its last element.
"""

from __future__ import annotations

import numpy as np

from kernel_calls import KERNELS, Kernel
from tinygen.kernels.attention import batch_matmul_dsp_scratch, batch_matmul_rv32_scratch
from tinygen.kernels.lut import softmax_exp_table
from tinygen.ref import attention as ref


def _extent(shape, strides) -> int:
    """Elements an operand read through `strides` over `shape` spans."""
    return 1 + sum((int(n) - 1) * int(s) for n, s in zip(shape, strides))


def _int8(rng, n: int) -> np.ndarray:
    return rng.integers(-128, 128, n).astype(np.int8)


def matmul_operands(p: dict, rng) -> tuple[np.ndarray, np.ndarray]:
    lhs = _extent(list(p["batch_shape"]) + [p["rows"], p["depth"]],
                  list(p["lhs_batch_strides"]) + [p["lhs_row_stride"], p["lhs_depth_stride"]])
    rhs = _extent(list(p["batch_shape"]) + [p["cols"], p["depth"]],
                  list(p["rhs_batch_strides"]) + [p["rhs_col_stride"], p["rhs_depth_stride"]])
    return _int8(rng, lhs), _int8(rng, rhs)


def _pair_operands(p: dict, rng) -> tuple[np.ndarray, np.ndarray]:
    return _int8(rng, _extent(p["shape"], p["input1_strides"])), _int8(rng, _extent(p["shape"], p["input2_strides"]))


def _norm_case(beta: bool):
    def case(p, rng):
        x = _int8(rng, p["rows"] * p["depth"])
        gamma = rng.integers(-32767, 32768, p["depth"]).astype(np.int16)
        return (x, gamma, rng.integers(-(1 << 24), 1 << 24, p["depth"]).astype(np.int32)) if beta else (x, gamma)
    return case


def _rows(p: dict) -> int:
    return p["rows"] * p["depth"]


KERNELS["tg_batch_matmul_s8"] = Kernel(
    "tg_kernels.h", "tg_batch_matmul_params_t", ("int8_t", "int8_t"), "int8_t",
    lambda p: int(np.prod(p["batch_shape"])) * p["rows"] * p["cols"], ref.batch_matmul_s8, matmul_operands,
    scratch=batch_matmul_dsp_scratch)
KERNELS["tg_batch_matmul_s8_rv32"] = Kernel(
    "tg_kernels.h", "tg_batch_matmul_params_t", ("int8_t", "int8_t"), "int8_t",
    lambda p: int(np.prod(p["batch_shape"])) * p["rows"] * p["cols"], ref.batch_matmul_s8, matmul_operands,
    scratch=batch_matmul_rv32_scratch, portable_scratch=True)
KERNELS["tg_layer_norm_s8"] = Kernel("tg_kernels.h", "tg_norm_params_t", ("int8_t", "int16_t", "int32_t"), "int8_t",
                                     _rows, ref.layer_norm_s8, _norm_case(True))
KERNELS["tg_rms_norm_s8"] = Kernel("tg_kernels.h", "tg_norm_params_t", ("int8_t", "int16_t"), "int8_t",
                                   _rows, ref.rms_norm_s8, _norm_case(False))
KERNELS["tg_rsqrt_s8"] = Kernel("tg_kernels.h", "tg_rsqrt_params_t", ("int8_t",), "int8_t", lambda p: p["size"],
                                ref.rsqrt_s8, lambda p, rng: (_int8(rng, p["size"]),))
for _op in ("sub", "squared_difference"):
    KERNELS[f"tg_{_op}_s8"] = Kernel("tg_kernels.h", "tg_add_broadcast_params_t", ("int8_t", "int8_t"), "int8_t",
                                     lambda p: int(np.prod(p["shape"])), getattr(ref, f"{_op}_s8"), _pair_operands)
KERNELS["tg_softmax_causal_s8"] = Kernel(
    "tg_kernels.h", "tg_softmax_causal_params_t", ("int8_t",), "int8_t", _rows, ref.softmax_causal_s8,
    lambda p, rng: (_int8(rng, _rows(p)),), extra_sources=("tg_softmax_s8.c",))

KERNELS["tg_softmax_causal_s8_dsp"] = Kernel(
    "tg_kernels.h", "tg_softmax_causal_params_t", ("int8_t", "int32_t"), "int8_t", _rows,
    lambda p, x, _table: ref.softmax_causal_s8(p, x),
    lambda p, rng: (_int8(rng, _rows(p)), softmax_exp_table(p, {})), extra_sources=("tg_softmax_s8_dsp.c",))

# the kernels this module adds to the harness
ATTENTION_KERNELS = ("tg_batch_matmul_s8", "tg_batch_matmul_s8_rv32", "tg_layer_norm_s8", "tg_rms_norm_s8", "tg_rsqrt_s8", "tg_sub_s8",
                     "tg_squared_difference_s8", "tg_softmax_causal_s8", "tg_softmax_causal_s8_dsp")
