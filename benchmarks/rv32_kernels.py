"""How to call the RV32IM kernels (firmware/kernels/*/tg_*_rv32.c, tinygen.kernels.rv32) in
the one-firmware harness (benchmarks/standin_calls.py): importing this module adds them to
benchmarks/kernel_calls.py's KERNELS table, so run_calls("esp32-c3", ...) runs them on the ESP32-C3's stand-in (QEMU
RISC-V virt) beside their numpy twins (tests/kernels/test_kernels_rv32.py).

Each case draws random int8 weights and builds the packed constant the kernel reads (the
input offset folded into the biases); the plain weights follow the kernel's arguments, for
the twin only.
"""

from __future__ import annotations

import numpy as np

from kernel_calls import _REQUANT_ARGS, KERNELS, Kernel, _out_px, _requant, _s8_input, _w_shape
from tinygen.kernels.rv32 import conv2d_rv32_weights, depthwise_rv32_records
from tinygen.ref import kernels as ref_s8


def _rv32_case(pack, weight_shape):
    """An RV32 kernel's arguments (the packed constant built from random weights), then the
    plain weights for the twin (arrays past the kernel's arguments are not passed to C)."""
    def case(p, rng):
        w = rng.integers(-128, 128, weight_shape(p)).astype(np.int8)
        return (_s8_input(p, rng), pack(p, {"weight": w, "bias": None}), *_requant(rng, p, -12), w)
    return case


def _rv32_requant_case(pack, weight_shape):
    """_rv32_case with the biases folded into the packed constant too."""
    def case(p, rng):
        x, _, bias, multiplier, shift, w = _rv32_case(pack, weight_shape)(p, rng)
        return (x, pack(p, {"weight": w, "bias": bias}), bias, multiplier, shift, w)
    return case


def _dw_shape(p):
    return 1, p["kernel_h"], p["kernel_w"], p["out_c"]


# the RV32IM kernels (tinygen.kernels.rv32): packed weights with the input offset folded into the biases
KERNELS["tg_conv2d_s8_rv32"] = Kernel(
    "tg_kernels.h", "tg_conv2d_params_t", ("int8_t", "int32_t", *_REQUANT_ARGS), "int8_t",
    lambda p: _out_px(p) * p["out_c"], lambda p, x, _packed, b, m, s, w: ref_s8.conv2d_s8(p, x, w, b, m, s),
    _rv32_requant_case(conv2d_rv32_weights, _w_shape))
# the pointwise order with the channel blocks outermost: the same arguments (pointwise geometries only)
KERNELS["tg_conv2d_1x1_s8_rv32"] = KERNELS["tg_conv2d_s8_rv32"]
KERNELS["tg_depthwise_conv2d_s8_rv32"] = Kernel(
    "tg_kernels.h", "tg_conv2d_params_t", ("int8_t", "int32_t", *_REQUANT_ARGS), "int8_t",
    lambda p: _out_px(p) * p["out_c"], lambda p, x, _packed, b, m, s, w: ref_s8.depthwise_conv2d_s8(p, x, w, b, m, s),
    _rv32_requant_case(depthwise_rv32_records, _dw_shape))


def _fc_case(p, rng):
    n = p["out_features"]
    w = rng.integers(-128, 128, (n, p["in_features"])).astype(np.int8)
    bias = rng.integers(-200, 200, n).astype(np.int32)
    return (rng.integers(-128, 128, (p["rows"], p["in_features"])).astype(np.int8),
            conv2d_rv32_weights(p, {"weight": w, "bias": bias}), bias,
            rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32), np.full(n, -12, np.int32), w)


KERNELS["tg_fully_connected_s8_rv32"] = Kernel(
    "tg_kernels.h", "tg_fully_connected_params_t", ("int8_t", "int32_t", *_REQUANT_ARGS), "int8_t",
    lambda p: p["rows"] * p["out_features"],
    lambda p, x, _packed, b, m, s, w: ref_s8.fully_connected_s8(p, x, w, b, m, s), _fc_case)


def _pool_input(p, rng):
    return rng.integers(-128, 128, (p["in_h"], p["in_w"], p["channels"])).astype(np.int8)


def _pool_kernel(twin) -> Kernel:
    return Kernel("tg_kernels.h", "tg_pool2d_params_t", ("int8_t",), "int8_t", lambda p: _out_px(p) * p["channels"],
                  twin, lambda p, rng: (_pool_input(p, rng),))


# the pools, and their portable kernels beside them (instructions per output, RV32 against portable)
for _op in ("avg_pool2d", "max_pool2d"):
    KERNELS[f"tg_{_op}_s8"] = KERNELS[f"tg_{_op}_s8_rv32"] = _pool_kernel(getattr(ref_s8, f"{_op}_s8"))


KERNELS["tg_add_s8_rv32"] = Kernel(
    "tg_kernels.h", "tg_add_params_t", ("int8_t", "int8_t"), "int8_t", lambda p: p["size"], ref_s8.add_s8,
    lambda p, rng: tuple(rng.integers(-128, 128, p["size"]).astype(np.int8) for _ in range(2)))


# the RV32IMC binary kernels: the portable kernels' arguments
for _name in ("tg_conv2d_b1_b1_s8", "tg_conv2d_b1_b1_b1"):
    KERNELS[f"{_name}_rv32"] = KERNELS[_name]


# the transposed convolution's RV32IM kernel (benchmarks/transpose_conv_calls.py adds its own and the DSP one)
import transpose_conv_calls  # noqa: E402,F401

# the kernels this module adds to the harness
RV32_KERNELS = tuple(name for name in KERNELS if name.endswith("_rv32"))
