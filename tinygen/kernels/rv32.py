"""The RV32IM kernels (firmware/kernels/*/tg_*_rv32.c, the ESP32-C3): their specs and the
constants they read, arranged at build time.

RV32IMC has a 32 x 32 multiply but no multiply-accumulate and no SIMD, so these kernels
save loads: 4 output channels x up to 3 output pixels per step (tg_conv2d_s8_rv32.h), the
weights interleaved per block of 4 channels and the input offset folded into the biases
(conv2d_rv32_weights), the depthwise weights and folded biases per channel
(depthwise_rv32_records). The pointwise layers with large weights take the same steps with
the channel blocks outermost (tg_conv2d_1x1_s8_rv32: each block's weights read from flash
once, weights_once_serves). Boards state the "rv32im" feature (boards/esp32-c3.toml); each
kernel equals its portable twin bit for bit.
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.spec import _REQUANT

RV32 = frozenset({"rv32im"})
BLOCK = 4                       # TG_RV32_BLOCK: output channels per block
PIXELS = 3                      # TG_RV32_PIXELS: output pixels per group at most
# half the ESP32-C3's 16 KB flash cache: a pointwise layer's weights from this size on go to tg_conv2d_1x1_s8_rv32
WEIGHTS_ONCE_MIN_BYTES = 8192
_PACKED = ("packed", "bias", "multiplier", "shift")
_CONV_H = ("kernels/tg_conv2d_s8_rv32.h", "kernels/tg_conv2d_s8.h")
_DW_H = ("kernels/tg_depthwise_conv2d_s8_rv32.h",)
_POOL_H = ("kernels/tg_pool2d_rv32.h",)


def _int32_words(values: np.ndarray) -> np.ndarray:
    return (np.asarray(values, np.int64) & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def _folded_bias(weights: np.ndarray, bias, input_offset: int) -> np.ndarray:
    """Per output channel (weights [channels, depth]): bias + input_offset * sum of its weights."""
    b = np.zeros(len(weights), np.int64) if bias is None else np.asarray(bias, np.int64).ravel()
    return b + int(input_offset) * weights.astype(np.int64).sum(axis=1)


def conv2d_rv32_weights(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_s8_rv32's, tg_conv2d_add_s8_rv32's and tg_fully_connected_s8_rv32's packed
    constant (KernelSpec.pack), int32 words: per block of 4 output channels (zero channels
    complete the last block) the 4 folded biases, then the K = kernel_h * kernel_w * in_c
    (in_features) values' weights as int8, the block's 4 channels for each value."""
    out_c = p["out_features"] if "out_features" in p else p["out_c"]
    w = np.asarray(consts["weight"], np.int8).reshape(out_c, -1)
    depth = w.shape[1]
    blocks = -(-out_c // BLOCK)
    padded = np.zeros((blocks * BLOCK, depth), np.int8)
    padded[:out_c] = w
    bias = np.zeros(blocks * BLOCK, np.int64)
    bias[:out_c] = _folded_bias(w, consts.get("bias"), p["input_offset"])
    interleaved = padded.reshape(blocks, BLOCK, depth).transpose(0, 2, 1)      # [block, k, channel]
    words = interleaved.reshape(blocks, depth * BLOCK).view(np.int32)          # 4 bytes a word, little-endian
    return np.concatenate([_int32_words(bias.reshape(blocks, BLOCK)), words], axis=1).ravel()


def depthwise_rv32_records(p: dict, consts: dict) -> np.ndarray:
    """tg_depthwise_conv2d_s8_rv32's packed constant (KernelSpec.pack), int32 words: per
    channel its folded bias, then its kernel_h * kernel_w weights as int8 (tap order,
    zero bytes completing the last word)."""
    channels, taps = p["out_c"], p["kernel_h"] * p["kernel_w"]
    w = np.asarray(consts["weight"], np.int8).reshape(taps, channels).T           # [channel, tap]
    words = -(-taps // 4)
    padded = np.zeros((channels, 4 * words), np.int8)
    padded[:, :taps] = w
    bias = _folded_bias(w, consts.get("bias"), p["input_offset"])
    return np.concatenate([_int32_words(bias)[:, None], padded.view(np.int32)], axis=1).ravel()


def packed_bytes(out_c: int, depth: int) -> int:
    """Flash bytes of conv2d_rv32_weights' packed constant: per block of 4 channels 4 bias words and `depth` words."""
    return -(-out_c // BLOCK) * (BLOCK + depth) * 4


def weights_once_serves(graph, node) -> bool:
    """Whether tg_conv2d_1x1_s8_rv32 (channel blocks outermost: each block's weights read once) is preferred for a
    pointwise layer (the "1x1" variant): more than one group of TG_RV32_PIXELS pixels, so that
    tg_conv2d_s8_rv32 would read the weights more than once, and at least WEIGHTS_ONCE_MIN_BYTES of them, which
    would not stay in the ESP32-C3's flash cache between groups (tinygen.cycles.weight_reads). Elsewhere
    tg_conv2d_s8_rv32 keeps its in-place overlap (tinygen/passes/inplace.py), which this order does not allow."""
    shape = graph.weight_shape(node)                            # [out_c, 1, 1, in_c]
    pixels = int(np.prod(graph.tensor(node.outputs[0]).shape[:-1]))
    return pixels > PIXELS and packed_bytes(shape[0], int(np.prod(shape[1:]))) >= WEIGHTS_ONCE_MIN_BYTES


def rv32_kernels(KernelSpec) -> tuple:
    """The RV32IM kernels' specs, in order of preference (before the portable kernels)."""
    def spec(name, op, struct, twin, pack, headers, variant=None, accepts=None):
        return KernelSpec(name, op, weight_dtype="int8", weight_bits=8, requires=RV32, struct=struct,
                          const_roles=_PACKED, source=f"kernels/{name}.c", variant=variant, twin=twin,
                          headers=headers, pack=pack, ref_roles=_REQUANT, accepts=accepts)

    return (
        spec("tg_conv2d_1x1_s8_rv32", "conv2d", "tg_conv2d_params_t", "conv2d_s8", conv2d_rv32_weights, _CONV_H,
             variant="1x1", accepts=weights_once_serves),
        spec("tg_conv2d_s8_rv32", "conv2d", "tg_conv2d_params_t", "conv2d_s8", conv2d_rv32_weights, _CONV_H),
        spec("tg_conv2d_add_s8_rv32", "conv2d_add", "tg_conv2d_add_params_t", "conv2d_add_s8", conv2d_rv32_weights,
             _CONV_H),
        spec("tg_fully_connected_s8_rv32", "fully_connected", "tg_fully_connected_params_t", "fully_connected_s8",
             conv2d_rv32_weights, _CONV_H),
        spec("tg_depthwise_conv2d_s8_rv32", "depthwise_conv2d", "tg_conv2d_params_t", "depthwise_conv2d_s8",
             depthwise_rv32_records, _DW_H, variant="depth_multiplier_1"),
        KernelSpec("tg_avg_pool2d_s8_rv32", "avg_pool2d", requires=RV32, struct="tg_pool2d_params_t",
                   source="kernels/tg_avg_pool2d_s8_rv32.c", twin="avg_pool2d_s8",
                   headers=_POOL_H),
        KernelSpec("tg_max_pool2d_s8_rv32", "max_pool2d", requires=RV32, struct="tg_pool2d_params_t",
                   source="kernels/tg_max_pool2d_s8_rv32.c", twin="max_pool2d_s8",
                   headers=_POOL_H),
        # same shapes (a broadcasting add keeps tg_add_broadcast_s8); Prepare's shifts <= 0
        KernelSpec("tg_add_s8_rv32", "add", requires=RV32, struct="tg_add_params_t", const_roles=("operand",),
                   source="kernels/tg_add_s8_rv32.c", twin="add_s8"),
    )


__all__ = ["BLOCK", "PIXELS", "RV32", "WEIGHTS_ONCE_MIN_BYTES", "conv2d_rv32_weights", "depthwise_rv32_records",
           "packed_bytes", "rv32_kernels", "weights_once_serves"]
