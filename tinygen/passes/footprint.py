"""What one layer costs with a given kernel: its constants' flash bytes and an estimate of
its executed instructions. The fit-first trade (tinygen/fit/) weighs these per layer.

    layer_flash(graph, node, spec)          # bytes of the arrays the kernel reads from flash
    estimate_instructions(graph, node, spec) # when nothing was measured

Flash is exact: the constants the kernel's call reads (KernelSpec.const_roles, the packed
constant as KernelSpec.pack lays it out for the node), as codegen stores them.

Instructions are measured where --kernels auto measured them; otherwise this estimate:
per kernel, executed instructions per MAC, from counts on the stand-ins (a ResNet of
3x3 convolutions 40..160 channels wide, 76 M MACs, on mps2-an386 and mps2-an500, one
inference; tinygen's DSP kernels 0.9..1.2 per MAC on 3x3 layers, 1.3..2.2 on narrow
ones, the portable kernels 5.3..7.0; the MLPerf models' depthwise layers 2..3 with the
DSP kernel, 31..38 portable (PER_MAC's note); CMSIS-NN's from ../shared/notes/anchors.md: conv 2.05..3.55,
depthwise 7.8). The trade compares options of one layer, so what matters is the ratio
between a layer's kernels, which these figures keep within ~20%.
"""

from __future__ import annotations

from tinygen.passes.analysis import node_macs
from tinygen.ir import Graph, Node
from tinygen.kernels.table import const_bytes

# executed instructions per MAC, by kernel (see the module docstring for the measurements)
PER_MAC = {
    "tg_conv2d_1x1_s8_dsp": 1.3,
    # 3-row blocks where they serve (tinygen/kernels/pw_rows3_dsp.py): KWS's pointwise layers measure
    # about 0.9 of tg_conv2d_1x1_s8_dsp's instructions (f746zg stand-in)
    "tg_conv2d_1x1_rows3_s8_dsp": 1.15,
    # im2col in 3-pixel blocks (tinygen/kernels/conv_rows3_dsp.py): KWS's first conv measures about 0.9
    # of tg_conv2d_s8_dsp's instructions (f746zg stand-in)
    "tg_conv2d_rows3_s8_dsp": 1.08,
    # 4-pixel blocks with int16 weights (tinygen/kernels/rows4_dsp.py): MLPerf IC's conv2d_1 measures 0.71 of
    # tg_conv2d_direct_s8_dsp's instructions (2,144,539 against 3,022,024) and its fused-add form on conv2d_2
    # 0.79 of tg_conv2d_add_s8_dsp's (2,640,971 against 3,350,856) on the u585 stand-in: the ratios kept
    "tg_conv2d_rows4_w16_s8_dsp": 0.8,
    "tg_conv2d_add_rows4_w16_s8_dsp": 0.8,
    # their row-pair halfword form (a step of 12 instructions for 11): the same ratio, not measured apart
    "tg_conv2d_rows4_pair_s8_dsp": 0.8,
    "tg_conv2d_add_rows4_pair_s8_dsp": 0.8,
    # 3x3 stride 1 over a ring of widened rows: MLPerf IC's conv2d_1 measures 0.98 of the pair kernel's
    # instructions (2,055,173 against 2,093,019, f446re stand-in): the ratio kept
    "tg_conv2d_slide_pair_s8_dsp": 0.78,
    "tg_conv2d_add_slide_pair_s8_dsp": 0.78,
    # depth 4, 8, 16 only: MLPerf VWW conv2d_2 (8 -> 16) 1.50 per MAC and conv2d_4 (16 -> 32) 1.18,
    # where tg_conv2d_1x1_s8_dsp takes 2.18 and 1.57 (f746zg stand-in): the ratio (~0.7) kept
    "tg_conv2d_1x1_shallow_s8_dsp": 0.95,
    "tg_conv2d_s8_dsp": 1.2,
    "tg_conv2d_direct_s8_dsp": 1.1,
    "tg_conv2d_add_s8_dsp": 1.0,
    "tg_depthwise_conv2d_s8_dsp": 2.5,
    "tg_depthwise_conv2d_widen_s8_dsp": 2.5,
    # k x 1 / 1 x k layers only, where tg_depthwise_conv2d_s8_dsp runs 5.6..10.7 per MAC (f746zg,
    # benchmarks/depthwise_shapes.py: temporal k3, k9, k3 dilation 4, k5 stride 2, 1 x 5): the
    # widened kernel 0.41..0.71 of that (5.32, 2.35, 7.50, 5.00, 3.56), the raw one, where it
    # serves, 0.32..0.45 (3.79, 4.33, 3.56, 2.71): the ratios kept
    "tg_depthwise_conv2d_kx1_s8_dsp": 1.4,
    "tg_depthwise_conv2d_kx1_raw_s8_dsp": 1.0,
    # the layer's own loops (depthwise_kx1_imm.py) where they serve: 0.68..0.80 of the raw
    # kernel's instructions on the same layers (2.36, 3.03, 3.38, 2.46, 2.17 against 3.45, 3.79,
    # 4.33, 3.56, 2.71)
    "tg_depthwise_conv2d_kx1_imm_s8_dsp": 0.8,
    "tg_fully_connected_s8_dsp": 2.0,
    # depth <= 16 only: 4 -> 128 1,320 instructions, 8 -> 128 2,480 (f746zg stand-in, 2.6 and 2.4 per MAC)
    "tg_fully_connected_shallow_s8_dsp": 2.5,
    # one row, 4 outputs per pass (tg_fully_connected_batch1_s8_dsp.h: 21 and 23 instructions per 16 MACs on
    # the M7, 22 and 23 on the M4 / M33; the requantization and the loop on top)
    "tg_fully_connected_batch1_s8_dsp": 1.3,
    "tg_fully_connected_batch1_lean_s8_dsp": 1.4,
    # the same with row-pair halfwords: 18 and 19 instructions per 16 MACs on the M4 / M33
    "tg_fully_connected_batch1_rowpair_s8_dsp": 1.15,
    "tg_fully_connected_batch1_rowpair_lean_s8_dsp": 1.2,
    "tg_conv2d_s8": 6.5,
    "tg_conv2d_add_s8": 6.5,
    # measured per MAC on the f446re stand-in (3x3 layers: MLPerf KWS 25x5x64 37.0, MobileNetV2
    # 0.35 6x6 and 3x3 maps of 144..336 channels 31.6..35.1, 12x12 stride 2 37.9): the per-output
    # requantization and the bounds checks of each tap; it was 10, which made the fit trade
    # depthwise layers to it as if cheap
    "tg_depthwise_conv2d_s8": 35.0,
    "tg_fully_connected_s8": 6.5,
    "tg_conv2d_s8_cmsis_nn": 2.4,
    "tg_depthwise_conv2d_s8_cmsis_nn": 7.8,
    "tg_fully_connected_s8_cmsis_nn": 2.2,
    "tg_fully_connected_per_channel_s8_cmsis_nn": 2.2,
    # the RV32IM kernels on the esp32-c3 stand-in (MLPerf models: 3x3 convs 2.8..3.3, pointwise
    # 3.0..3.6 on 32..64 channels, 6 on 8; depthwise 5.5..9; fully connected ~3.7)
    "tg_conv2d_s8_rv32": 3.2,
    "tg_conv2d_add_s8_rv32": 3.1,
    "tg_depthwise_conv2d_s8_rv32": 7.0,
    "tg_fully_connected_s8_rv32": 3.7,
}
# the shared-weight kernels (firmware/kernels/lut/, benchmarks/lut_kernels.py, f746zg stand-in): decoding in
# the inner loop about 2.0x the portable int8 kernel's instructions (conv, fully connected), 1.35x
# (depthwise); decoding into scratch first: the int8 DSP kernel's, plus the decoding
PER_MAC.update({
    "tg_conv2d_lut_s8": 13.0, "tg_conv2d_add_lut_s8": 13.0, "tg_depthwise_conv2d_lut_s8": 47.0,
    "tg_fully_connected_lut_s8": 13.5, "tg_conv2d_lut_decode_s8_dsp": 1.3, "tg_conv2d_1x1_lut_decode_s8_dsp": 1.4,
    "tg_fully_connected_lut_decode_s8_dsp": 2.5,
})
# 4 channels decoded at a time for the widening direct core (tg_conv2d_widen_lut_s8_dsp), against the
# layer decoded for the 3-pixel kernels (f746zg stand-in, executed instructions of each layer): MLPerf KWS
# at lut:4, a pointwise layer of 125 pixels (512,000 MACs) 834,951 against 561,460; the digits CNN's
# 4x4-pixel conv (examples/deepcomp, 294,912 MACs) 466,952 against 395,993
PER_MAC.update({
    "tg_conv2d_widen_lut_s8_dsp": 1.6, "tg_conv2d_1x1_rows3_lut_decode_s8_dsp": 1.1,
    "tg_conv2d_rows3_lut_decode_s8_dsp": 1.35,
})
# the entropy-coded kernels (firmware/kernels/huffman/; f746zg stand-in, MLPerf KWS 70% pruned as
# benchmarks/huffman.py --models kws70 builds it, each layer's executed instructions): a block of output
# channels decoded then multiplied, the first conv 853,644 for 320,000 MACs, the pointwise 845,565 for
# 512,000; the whole layer decoded first for the int8 kernel (specialize.HUFFMAN_DECODES) 436,203 and
# 598,759 (a layer of few output pixels costs more a MAC: the decode is per weight)
# the widening block kernel (tg_conv2d_widen_huffman_s8_dsp): the digits CNN's 4x4-pixel conv
# (examples/deepcomp, entropy-constrained 4 bits) 494,057 for 294,912 MACs
PER_MAC.update({
    "tg_conv2d_widen_huffman_s8_dsp": 1.7,
    "tg_conv2d_huffman_s8_dsp": 2.7, "tg_fully_connected_huffman_s8_dsp": 2.7,
    "tg_conv2d_rows3_huffman_decode_s8_dsp": 1.4, "tg_conv2d_huffman_decode_s8_dsp": 1.4,
    "tg_conv2d_1x1_rows3_huffman_decode_s8_dsp": 1.2, "tg_conv2d_1x1_huffman_decode_s8_dsp": 1.3,
    "tg_fully_connected_huffman_decode_s8_dsp": 2.5,
})
# the one-row kernel decoding into its multiply-accumulates (benchmarks/huffman.py --models ad ad70, f746zg
# stand-in): the MLPerf AD's 640 -> 128 layer 1,301,417 instructions for 81,920 MACs, 70% pruned
# (124 rows left) 727,357 for 79,360: the pruned figure, the layers a code of zero runs serves best
PER_MAC["tg_fully_connected_batch1_huffman_s8_dsp"] = 9.2
# the low-bit kernels on the 3x3 64->64 8x8 layer (benchmarks/lowbit_kernels.py, f746zg stand-in;
# the f446re within 1.5%): what lower_peak and the fit weigh where --kernels auto measured nothing
PER_MAC.update({
    "tg_conv2d_s8_b1_s8_dsp": 3.05, "tg_conv2d_s8_b1x8_s8_dsp": 0.81, "tg_conv2d_s8_b1lut_s8_dsp": 0.63,
    "tg_conv2d_pair_u4_s4_s8_dsp": 0.69, "tg_conv2d_u4_s4_s8_dsp": 0.98, "tg_conv2d_s8_s4_s8_dsp": 1.50,
    "tg_conv2d_u2_s2_s8_dsp": 0.43, "tg_conv2d_s8_s2_s8_dsp": 1.47,
})
# transposed convolutions: per MAC that lands in the output (benchmarks/transpose_conv.py's autoencoder
# layers, 2x upsampling 3x3 and 4x4, 8..32 channels, f746zg stand-in: the DSP kernel 1.7..3.3,
# arm_transpose_conv_s8 3.6..7.3; the RV32IM kernel 5..11 on the esp32-c3 stand-in
# (tests/kernels/test_kernels_transpose_conv_standin.py's layers); the portable one 10.6 and 12.4 on
# examples/autoencoder's two layers, f746zg stand-in)
PER_MAC.update({"tg_transpose_conv2d_s8_dsp": 2.2, "tg_transpose_conv2d_s8_cmsis_nn": 4.5,
                "tg_transpose_conv2d_s8_rv32": 6.0, "tg_transpose_conv2d_s8": 12.0})
# the Helium (MVE) kernels on the stm32n6570-dk stand-in (mps3-an547), MLPerf Tiny layers: pointwise
# 0.18 per MAC (KWS 64 -> 64), 3x3 0.25 (IC 16 -> 16 at 32x32), with the fused add 0.3, fully
# connected 0.2 (AD 640 -> 128), depthwise 3x3 1.0..2.1 (VWW 48x48x8, KWS 25x5x64)
PER_MAC.update({
    "tg_conv2d_1x1_s8_mve": 0.18, "tg_conv2d_s8_mve": 0.25, "tg_conv2d_add_s8_mve": 0.3,
    "tg_fully_connected_s8_mve": 0.2, "tg_depthwise_conv2d_s8_mve": 1.5,
})
# the shared-weight kernels decoding into scratch for the Helium and RV32IM int8 kernels: the int8 kernel's,
# times the ratio measured on the MLPerf layers (benchmarks/results/lut-models-n6570.json,
# lut-models-esp32-c3.json: convolutions 1.003..1.068x, the one-row fully connected layers 2.8x and 3.7x)
PER_MAC.update({
    "tg_conv2d_1x1_lut_decode_s8_mve": 0.19, "tg_conv2d_lut_decode_s8_mve": 0.26,
    "tg_conv2d_add_lut_decode_s8_mve": 0.31, "tg_fully_connected_lut_decode_s8_mve": 0.56,
    "tg_depthwise_conv2d_lut_decode_s8_mve": 1.55, "tg_conv2d_lut_decode_s8_rv32": 3.3,
    "tg_conv2d_add_lut_decode_s8_rv32": 3.2, "tg_depthwise_conv2d_lut_decode_s8_rv32": 7.2,
    "tg_fully_connected_lut_decode_s8_rv32": 13.7,
})
# the one-row 4-bit Helium FCs looking their weights up as they multiply (benchmarks/lut_kernels.py --boards
# n6570, AD 640 -> 128, 81,920 MACs: from a table of weight pairs at lut:4:tensor 19,740 instructions, by
# byte gathers from each channel's table at lut:4:channel 32,257)
PER_MAC.update({"tg_fully_connected_lut_pairs_s8_mve": 0.24, "tg_fully_connected_lut_nibbles_s8_mve": 0.39})
# CMSIS-NN's Helium paths through its adapters (tinygen/kernels/cmsis_nn_mve.py), same stand-in and
# models: convs 0.4 (KWS pointwise 64 -> 64, IC 3x3), depthwise 3x3 2.3 (KWS), fully connected 0.56 (AD)
PER_MAC.update({
    "tg_conv2d_s8_cmsis_nn_mve": 0.4, "tg_depthwise_conv2d_s8_cmsis_nn_mve": 2.3,
    "tg_fully_connected_s8_cmsis_nn_mve": 0.56, "tg_fully_connected_per_channel_s8_cmsis_nn_mve": 0.56,
})
# the bit-serial kernel over nested bit planes: per MAC and per (weight bit x input bit) pair, from
# sp_digits' nested build on the f746zg stand-in (w8a8 12.7 M, w4a4 3.5 M, w2a2 1.1 M instructions
# over 463 k MACs: 0.42..0.6 per bit pair, the int8 first and last layers included)
PLANES_PER_BIT_PAIR = 0.45
# kernels not in the table: by whether they use the DSP extension
PER_MAC_DSP, PER_MAC_PORTABLE = 1.5, 6.5
# layers without MACs (pooling, add, ...): instructions per output byte
PER_OUTPUT = 4
# a residual add left unfused (its conv writes the sum's operand, tg_add_s8_dsp adds): per
# output byte, from ResNet-8 (IC) on mps2-an500, 3.34 M fused against 3.77 M for conv + add
# over 16 KiB of output (tinygen/passes/__init__.py, CompileOptions.fuse_residual)
UNFUSED_ADD_PER_OUTPUT = 26


def layer_flash(graph: Graph, node: Node, spec) -> int:
    """Bytes of the constants `spec` reads for `node` (its packed constant laid out for it):
    tinygen.kernels.table.const_bytes."""
    return const_bytes(spec, graph, node)


def estimate_instructions(graph: Graph, node: Node, spec) -> int:
    """Executed instructions of `node` with `spec`, by the per-MAC figures above."""
    macs = node_macs(graph, node)
    if macs == 0:
        return PER_OUTPUT * graph.tensor(node.outputs[0]).nbytes
    per_mac = PER_MAC.get(spec.name, PER_MAC_DSP if "dsp" in spec.requires else PER_MAC_PORTABLE)
    if spec.weight_dtype == "planes" and "planes" in node.attrs:
        x = graph.tensor(node.inputs[0])
        per_mac = PLANES_PER_BIT_PAIR * int(node.attrs["planes"]["w_bits"]) * min(int(x.bits), 8)
    return round(per_mac * macs)


__all__ = ["PER_MAC", "PLANES_PER_BIT_PAIR", "UNFUSED_ADD_PER_OUTPUT", "estimate_instructions", "layer_flash"]
