"""ESP-NN kernels (`--kernels esp-nn`): int8 layers run by Espressif's ESP-NN public API.

Each kernel is an adapter in firmware/esp_nn/ (one C file per op, declared in
tg_esp_nn.h) taking tinygen's parameter struct and calling ESP-NN's `esp_nn_*`
function, so the generated code looks the same as with tinygen's kernels. They require
the "esp-nn" feature, which the compiler adds when an ESP-NN tree is configured
(tinygen.kernels.esp_nn_tree), on any board: ESP-NN's portable C runs everywhere, its
optimized versions where ESP-IDF builds for an ESP32 chip. A spec serves only the
nodes whose semantics ESP-NN's function has exactly (`accepts`); the rest fall back to
tinygen's kernels, and the build says which (kernel_report.esp_nn_note):

- conv and depthwise: no dilation (ESP-NN's loops have no dilation term);
- average pooling: divides by the in-bounds elements (TFLite), not PyTorch's
  count_include_pad over padding;
- add: same shapes, every shift <= 0 (ESP-NN divides by 2^-shift); mul: same shapes
  (ESP-NN's broadcasting mul rounds differently);
- sizes ESP-NN takes as uint16_t (widths, heights, channels, feature counts) < 32768
  (its depthwise loops compute window origins in int16_t).

Scratch: ESP-NN sizes its buffers at run time (esp_nn_get_*_scratch_size) and takes
them through esp_nn_set_*_scratch_buf. tinygen plans them into the arena at build time
with ESP-NN's formulas, written here from its sources (v1.2; tests/kernels/test_esp_nn.py checks
them against the tree's own functions): on the ESP32 and ESP32-C3 (portable and generic
optimized versions) conv and depthwise need none and softmax 4 bytes per class
(esp_nn_get_softmax_scratch_size_opt; the portable version needs none, so the stand-in's
arena holds them unused). The ESP32-S3's assembly conv and depthwise copy filters and
padded inputs into much larger buffers: boards with the "simd-pie" feature get the
adapters named *_esp32s3 (the same calls) whose scratch is those versions' sizes.

This module does not import tinygen.kernels.table (which appends these specs to
KERNELS): it receives the KernelSpec class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinygen.ir import binary_operands
from tinygen.kernels.cmsis_nn import overhang, per_tensor, tflite_avg_pool
from tinygen.kernels.params import kernel_params
from tinygen.kernels.spec import _REQUANT

if TYPE_CHECKING:
    from tinygen.ir import Graph, Node

BACKEND = "esp-nn"
REQUIRES = frozenset({"esp-nn"})
# the ESP32-S3's vector extension: ESP-NN's conv and depthwise there need the scratch of
# its esp32s3 versions (the *_esp32s3 adapters); the others require CONV_FEATURE, which
# esp_nn_features() adds on every other board
S3_FEATURE = "simd-pie"
CONV_FEATURE = "esp-nn-conv"
HEADER = "esp_nn/tg_esp_nn.h"         # declares every adapter; model.c includes it
ARGS_HEADER = "esp_nn/tg_esp_nn_args.h"   # tinygen structs -> ESP-NN structs, for the adapters
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
    ESP-NN's conv and depthwise need no scratch (every board but the ESP32-S3)."""
    return frozenset(features) | REQUIRES | (frozenset() if S3_FEATURE in features else {CONV_FEATURE})


def _align16(n: int) -> int:
    return (n + 15) & ~15


def conv_scratch_s3(p: dict) -> int:
    """esp_nn_get_conv_scratch_size_esp32s3 (ESP-NN v1.2): the 1x1 stride-1 path's channel
    padding, the im2col path (narrow filter rows), else a padded input copy and aligned filters."""
    in_w, in_h, in_c, kw, kh, out_c = p["in_w"], p["in_h"], p["in_c"], p["kernel_w"], p["kernel_h"], p["out_c"]
    pad_w, pad_h, s_w, s_h = p["pad_left"], p["pad_top"], p["stride_w"], p["stride_h"]
    align = 64
    if (kw, kh, pad_w, pad_h, s_w, s_h) == (1, 1, 0, 0, 1, 1):
        ch8 = (in_c + 7) & ~7
        transpose = 2 * 8 * ch8 if in_w * in_h >= 8 else 0
        return (in_w * in_h * ch8 if in_c % 8 else 0) + ch8 * out_c + transpose + align
    row, window = kw * in_c, kw * kh * in_c
    if row < 16 and window >= 16:
        return out_c * 4 + 16 + out_c * _align16(window) + 16 + _align16(window) + align
    padded = 0 if pad_w == 0 and pad_h == 0 else (in_w + 2 * pad_w) * (in_h + 2 * pad_h) * in_c
    pad_right = max(0, p["out_w"] * s_w + kw - 1 - in_w)
    pad_bottom = max(0, p["out_h"] * s_h + kh - 1 - in_h)
    boundary = (in_w + pad_right) * (in_h + pad_bottom) * in_c if pad_right or pad_bottom else 0
    return (padded + kw * kh * _align16(in_c) * out_c + _align16(row) * kh * out_c + boundary + align
            + out_c * 4)


def depthwise_scratch_s3(p: dict) -> int:
    """esp_nn_get_depthwise_conv_scratch_size_esp32s3 (ESP-NN v1.2): per path (3x3 with
    channels a multiple of 16 / 8, multiplier 1 with more than 3 channels, multiplier a
    multiple of 4) the filter and input copies it makes."""
    in_w, in_h, ch, kw, kh, mult = p["in_w"], p["in_h"], p["in_c"], p["kernel_w"], p["kernel_h"], p["depth_multiplier"]
    out_w, out_h, pad_w, pad_h, s_w, s_h = p["out_w"], p["out_h"], p["pad_left"], p["pad_top"], p["stride_w"], p["stride_h"]
    filt = kw * kh * ch * mult
    if mult == 1 and ch % 8 == 0:
        if (kw, kh) == (3, 3) and ch % 16 == 0:
            if pad_w or pad_h:
                grow_w, grow_h = 2 * pad_w, 2 * pad_h
            else:
                grow_w, grow_h = out_w * s_w + kw - 1 - in_w, out_h * s_h + kh - 1 - in_h
            if not (grow_w or grow_h):
                return filt + 16
            full = (in_w + grow_w) * (in_h + grow_h) * ch
            return filt + (full if full <= 40 * 1024 else (in_w + grow_w) * kh * ch) + 16
        if (kw, kh) == (3, 3) and ch >= 12:
            ch16 = _align16(ch)
            grow_w = 2 * pad_w + max(0, out_w * s_w + 2 - in_w)
            grow_h = 2 * pad_h + max(0, out_h * s_h + 2 - in_h)
            return 9 * ch16 + (in_w + grow_w) * (in_h + grow_h) * ch16 + out_w * out_h * ch16 + 64
        if (kw, kh) == (3, 3):
            return 2 * (filt + in_w * in_h * ch) + 32
        s16 = 2 * (filt + in_w * in_h * ch)
        return s16 + 32 if s16 <= 48 * 1024 else 2 * filt + 2 * in_w * kh * ch + 32
    if mult == 1 and ch > 3:
        ch8 = (ch + 7) & ~7
        input_start = _align16(kw * kh * ch8 * 2)
        out_start = _align16(input_start + in_w * in_h * ch8 * 2)
        bias_start = _align16(out_start + out_w * out_h * ch8)
        return bias_start + 3 * 4 * ch8 + 16
    if mult % 4 == 0:
        return 2 * (filt + in_w * in_h * ch) + 32
    return 32


def softmax_scratch(p: dict) -> int:
    """esp_nn_get_softmax_scratch_size_opt (and _esp32s3): an int32 per class of a row."""
    return 4 * p["depth"]


# every parameter ESP-NN takes as uint16_t, whatever the struct
SIZED_PARAMS = frozenset(k for keys in _SIZES.values() for k in keys)


def _fits(struct: str, p: dict) -> bool:
    return all(0 <= p[k] <= SIZE_MAX for k in _SIZES.get(struct, ()) if k in p)


def one_pad_per_axis(p: dict) -> bool:
    """ESP-NN takes one padding per axis (TFLite's pad_width / pad_height; its ESP32-S3 versions
    size their padded input copies from it): the bottom / right padding read at most one more
    than the top / left, as TFLite's SAME padding gives (not so a PAD folded into the conv,
    passes/fold_pad.py, or an ONNX conv, with more below or right)."""
    return overhang(p, "h") <= p["pad_top"] + 1 and overhang(p, "w") <= p["pad_left"] + 1


def _conv_ok(graph: Graph, node: Node) -> bool:
    p = kernel_params(graph, node)
    return (p["dilation_h"], p["dilation_w"]) == (1, 1) and _fits("tg_conv2d_params_t", p) and one_pad_per_axis(p)


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
        _adapter(kernel_spec, "tg_conv2d_s8_esp_nn_esp32s3", "conv2d", "tg_conv2d_params_t", _REQUANT,
                 conv_scratch_s3, _conv_ok, weight=True, twin="conv2d_s8", requires=REQUIRES | {S3_FEATURE}),
        _adapter(kernel_spec, "tg_depthwise_conv2d_s8_esp_nn_esp32s3", "depthwise_conv2d", "tg_conv2d_params_t",
                 _REQUANT, depthwise_scratch_s3, _conv_ok, weight=True, twin="depthwise_conv2d_s8",
                 requires=REQUIRES | {S3_FEATURE}),
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


__all__ = ["BACKEND", "CONV_FEATURE", "HEADER", "REQUIRES", "S3_FEATURE", "SIZED_PARAMS", "SIZE_MAX", "conv_scratch_s3", "depthwise_scratch_s3",
           "esp_nn_features", "esp_nn_kernels", "one_pad_per_axis", "softmax_scratch"]
