"""ESP-NN kernels (`--kernels esp-nn`): int8 layers run by Espressif's ESP-NN public API.

Each kernel is an adapter in firmware/esp_nn/ (one C file per op, declared in
tg_esp_nn.h) taking tinygen's parameter struct and calling ESP-NN's `esp_nn_*`
function, so the generated code looks the same as with tinygen's kernels. They require
the "esp-nn" feature, which the compiler adds when an ESP-NN tree is configured
(tinygen.build.esp_nn), on any board: ESP-NN's portable C runs everywhere, its
optimized versions where ESP-IDF builds for an ESP32 chip. A spec serves only the
nodes whose semantics ESP-NN's function has exactly (`accepts`); the rest fall back to
tinygen's kernels, and the build says which (kernel_report.backend_note):

- conv and depthwise: no dilation (ESP-NN's loops have no dilation term);
- average pooling: divides by the in-bounds elements (TFLite), not PyTorch's
  count_include_pad over padding;
- add: same shapes, every shift <= 0 (ESP-NN divides by 2^-shift); mul: same shapes
  (ESP-NN's broadcasting mul rounds differently);
- sizes ESP-NN takes as uint16_t (widths, heights, channels, feature counts) < 32768
  (its depthwise loops compute window origins in int16_t).

Scratch: ESP-NN sizes its buffers at run time (esp_nn_get_*_scratch_size) and takes
them through esp_nn_set_*_scratch_buf. tinygen plans them into the arena at build time
with the formulas of the portable and generic optimized versions (ESP32, ESP32-C3),
written here from ESP-NN's sources: conv and depthwise need none; softmax 4 bytes per
class (esp_nn_get_softmax_scratch_size_opt; the portable version needs none, so the
stand-in's arena holds them unused). The ESP32-S3's assembly versions need far larger
conv and depthwise buffers that these do not cover: boards with the "simd-pie" feature
do not get ESP-NN's conv and depthwise (see tinygen.build.esp_nn).

This module does not import tinygen.kernels.table (which appends these specs to
KERNELS): it receives the KernelSpec class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinygen.ir import binary_operands
from tinygen.kernels.cmsis_nn import per_tensor, tflite_avg_pool
from tinygen.kernels.params import kernel_params

if TYPE_CHECKING:
    from tinygen.ir import Graph, Node

BACKEND = "esp-nn"
REQUIRES = frozenset({"esp-nn"})
# the ESP32-S3's vector extension: ESP-NN's conv and depthwise there need scratch buffers
# tinygen does not plan (its formulas above are the portable and generic versions'), so
# ESP-NN's conv and depthwise also require CONV_FEATURE, which esp_nn_features() adds on
# every other board
S3_FEATURE = "simd-pie"
CONV_FEATURE = "esp-nn-conv"
HEADER = "esp_nn/tg_esp_nn.h"         # declares every adapter; model.c includes it
ARGS_HEADER = "esp_nn/tg_esp_nn_args.h"   # tinygen structs -> ESP-NN structs, for the adapters
_REQUANT = ("weight", "bias", "multiplier", "shift")
SIZE_MAX = 0x7FFF
# the parameters ESP-NN takes as uint16_t (some then as int16_t), per struct
_SIZES = {
    "tg_conv2d_params_t": ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w",
                           "stride_h", "stride_w", "pad_top", "pad_left", "depth_multiplier"),
    "tg_pool2d_params_t": ("in_h", "in_w", "channels", "out_h", "out_w", "kernel_h", "kernel_w",
                           "stride_h", "stride_w", "pad_top", "pad_left"),
    "tg_fully_connected_params_t": ("in_features", "out_features"),
}


def esp_nn_features(features: frozenset) -> frozenset:
    """The features an ESP-NN tree adds to a board's: "esp-nn", and CONV_FEATURE where
    tinygen plans the conv and depthwise scratch of the ESP-NN build (not the ESP32-S3)."""
    return frozenset(features) | REQUIRES | (frozenset() if S3_FEATURE in features else {CONV_FEATURE})


def softmax_scratch(p: dict) -> int:
    """esp_nn_get_softmax_scratch_size_opt (and _esp32s3): an int32 per class of a row."""
    return 4 * p["depth"]


def _fits(struct: str, p: dict) -> bool:
    return all(0 <= p[k] <= SIZE_MAX for k in _SIZES.get(struct, ()) if k in p)


def _conv_ok(graph: Graph, node: Node) -> bool:
    p = kernel_params(graph, node)
    return (p["dilation_h"], p["dilation_w"]) == (1, 1) and _fits("tg_conv2d_params_t", p)


def _pool_ok(graph: Graph, node: Node) -> bool:
    return tflite_avg_pool(graph, node) and _fits("tg_pool2d_params_t", kernel_params(graph, node))


def _fc_ok(graph: Graph, node: Node) -> bool:
    return _fits("tg_fully_connected_params_t", kernel_params(graph, node))


def _add_ok(graph: Graph, node: Node) -> bool:
    p = kernel_params(graph, node)
    return all(p[k] <= 0 for k in ("input1_shift", "input2_shift", "output_shift"))


def _same_shapes(graph: Graph, node: Node) -> bool:
    """No broadcasting: both operands have the output's shape."""
    out = graph.tensor(node.outputs[0]).shape
    return all(graph.tensor(t).shape == out for t in binary_operands(node))


def _adapter(kernel_spec, name: str, op: str, struct: str, const_roles=(), scratch=None, accepts=None,
             weight: bool = False, twin: str | None = None, requires=REQUIRES):
    return kernel_spec(name, op, weight_dtype="int8" if weight else None, weight_bits=8 if weight else None,
                       requires=requires, struct=struct, const_roles=const_roles,
                       source=f"esp_nn/{name}.c", twin=twin, headers=(HEADER, ARGS_HEADER), backend=BACKEND,
                       scratch=scratch, accepts=accepts)


def esp_nn_kernels(kernel_spec) -> tuple:
    """The ESP-NN KernelSpecs, built with the KernelSpec class `kernel_spec`. Each computes
    what the portable kernel it names as twin computes, byte for byte, on the nodes it accepts."""
    return (
        # conv and depthwise take a scratch argument for ESP-NN's optimized builds; the
        # versions tinygen plans for need none (size 0: NULL)
        _adapter(kernel_spec, "tg_conv2d_s8_esp_nn", "conv2d", "tg_conv2d_params_t", _REQUANT,
                 lambda p: 0, _conv_ok, weight=True, twin="conv2d_s8", requires=REQUIRES | {CONV_FEATURE}),
        _adapter(kernel_spec, "tg_depthwise_conv2d_s8_esp_nn", "depthwise_conv2d", "tg_conv2d_params_t",
                 _REQUANT, lambda p: 0, _conv_ok, weight=True, twin="depthwise_conv2d_s8",
                 requires=REQUIRES | {CONV_FEATURE}),
        _adapter(kernel_spec, "tg_fully_connected_s8_esp_nn", "fully_connected", "tg_fully_connected_params_t",
                 _REQUANT, accepts=lambda g, n: per_tensor(g, n) and _fc_ok(g, n), weight=True,
                 twin="fully_connected_s8"),
        _adapter(kernel_spec, "tg_fully_connected_per_channel_s8_esp_nn", "fully_connected",
                 "tg_fully_connected_params_t", _REQUANT, accepts=lambda g, n: not per_tensor(g, n) and _fc_ok(g, n),
                 weight=True, twin="fully_connected_s8"),
        _adapter(kernel_spec, "tg_avg_pool2d_s8_esp_nn", "avg_pool2d", "tg_pool2d_params_t",
                 accepts=_pool_ok, twin="avg_pool2d_s8"),
        _adapter(kernel_spec, "tg_max_pool2d_s8_esp_nn", "max_pool2d", "tg_pool2d_params_t",
                 accepts=lambda g, n: _fits("tg_pool2d_params_t", kernel_params(g, n)), twin="max_pool2d_s8"),
        _adapter(kernel_spec, "tg_add_s8_esp_nn", "add", "tg_add_params_t", ("operand",), accepts=_add_ok,
                 twin="add_s8"),
        _adapter(kernel_spec, "tg_mul_s8_esp_nn", "mul", "tg_mul_params_t", ("operand",), accepts=_same_shapes,
                 twin="mul_s8"),
        _adapter(kernel_spec, "tg_softmax_s8_esp_nn", "softmax", "tg_softmax_params_t", scratch=softmax_scratch,
                 twin="softmax_s8"),
    )


__all__ = ["BACKEND", "CONV_FEATURE", "HEADER", "REQUIRES", "S3_FEATURE", "esp_nn_features", "esp_nn_kernels",
           "softmax_scratch"]
