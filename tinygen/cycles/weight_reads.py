"""Weight reads from flash, priced from each layer's kernel and its known access pattern.

QEMU's execution log has no data addresses, so the loads a kernel makes of its
constants are priced by the core model as if they hit zero-wait-state memory.
This module adds what the board's memory system charges on top, per layer:

1. Bytes streamed per pass (`stream_bytes`): the constants the kernel takes
   (KernelSpec.const_roles: the build-time `packed` record where it has one, the
   per-channel bias, multiplier and shift) as they are stored in flash
   (KernelSpec.stored_bytes: tinygen's kernels keep the shifts as int8). A kernel
   the table does not know reads its packed record, else its weights, bias,
   multiplier and shift.
2. Passes per inference (`pattern`), from the kernel's name and the layer's
   kparams (tinygen/kernels/params*.py), as the kernels' C sources describe them:
   - `im2col`: CMSIS-NN's convolutions and tinygen's `tg_conv2d_*_s8_dsp` matrix
     kernels multiply the whole weight matrix by a block of output pixels (2 on
     DSP cores, `arm_nn_mat_mult_kernel_s8_s16` and the 2-row loop of
     `arm_nn_mat_mult_nt_t_s8`; 3 in the `rows3` kernels; 2 in the `slide` ones (each block of 2 pixels walks
     all its weights; on the M7 and M33 blocks of 3 but a row's last 2 or 4 pixels, slide_row_blocks); 4 in the `rows4` ones, whose weights are
     int16; 4 for `_mve`
     kernels, assumed), so the matrix is re-read once per block; the RV32
     convolutions and fully connected layers built on tg_conv2d_s8_rv32.h do
     the same with groups of TG_RV32_PIXELS (3) output pixels (rows), and
     tg_depthwise_conv2d_s8_rv32 reads each channel's taps once per segment of
     TG_RV32_DW_SEGMENT (8) pixels of an output row (padded edge pixels, taken
     one by one, make more passes: a lower bound there);
   - `per_pixel`: depthwise convolutions, direct convolutions (int16 weights,
     1 pixel x 4 channels a step) and the portable kernels read every weight once
     per output pixel;
   - `once`: fully connected layers read each weight once per batch row; the
     `widen` and `shallow` kernels copy (widen) their weights into scratch in RAM
     once per call and read the copy from then on; tg_conv2d_1x1_s8_rv32 takes
     the channel blocks outermost, each block's weights read once per layer; the
     entropy-coded kernels (firmware/kernels/huffman/) decode each block of codes
     once per inference, and the DSP LUT decoding kernels (specialize.LUT_DECODES)
     the whole layer, into RAM, and compute on the copy.
   - `per_step`: the recurrent kernels (LSTM, GRU: tinygen's portable, DSP and
     RV32 ones, CMSIS-NN's arm_lstm_unidirectional_s8/_s16) read all their
     weights and biases once per time step of every batch row
     (firmware/kernels/recurrent/: the unit records of `packed`, int16 pairs on
     DSP cores, int8 on RV32; w_ih, w_hh and bias in the portable ones;
     CMSIS-NN's w_ih, w_hh and the effective biases in `packed`, not `bias`,
     which arm_nn_lstm_step_s8/_s16 do not read); the SVDF reads its feature
     and time weights once per batch row (`once`);
   - every other kernel with constants (a constant operand of add, mul, compare;
     the norms' gamma and beta; PReLU's alpha; lookup tables; the audio front
     end's window, twiddles and filter bank; detection anchors): `once`, one
     pass per inference: exact where they fit the cache (cold misses only), a
     lower bound where a kernel comes back to a constant larger than its share.
   Constants read only when the state is reset (the recurrent layers' h0 and c0,
   a variable's initial value) are left out; layers without constants (pooling,
   reshapes) read none.
3. Line misses: flash is read through a data cache (or the STM32F4's ART data
   cache) of `data_cache_bytes` with lines of `data_line_bytes` ([timing]). A
   stream is assumed to get half of that cache (`CACHE_SHARE`: activations, the
   im2col buffer and the stack hold the rest), or, where the cache is the one
   the code goes through and it caches flash only (`data_cache_shared = true`:
   the ESP32-C3's 16 KB cache serves its IBus and DBus), what the layer's code
   footprint leaves of it. A stream that fits is read from
   flash once (cold misses only); one that does not misses on every line of every
   pass (a cyclic stream larger than an LRU cache keeps evicting itself).
   Each miss costs `data_miss_cycles` (default: `flash_wait_states`): the word
   the core asked for waits the flash access; the rest of the line arrives while
   the core works on it (no critical-word or prefetch modelling beyond that).
4. Weights in RAM cost nothing here: `weights_in = "ram"` in [timing] (a board
   whose build copies its constants to RAM), a board without flash wait states, or
   a layer whose constants the build moved to RAM (--weights-in, recorded in the
   graph: tinygen.codegen.weights_ram); its reads are still counted (`in_ram`).

Board facts behind the [timing] keys (boards/README.md): STM32F4 ART, 8 data
lines of 128 bits (RM0390); Cortex-M7 L1 D-cache 4 KB (F746) or 16 KB
(F767, H7) with 32-byte lines, flash on AXIM; STM32U5 internal flash data reads
on the C-bus go through the 8 KB ICACHE with the code (ST AN5212: the ICACHE
serves instruction and data fetches from internal and external memories on
the C-AHB; DCACHE1 sits on the S-AHB for external memories), so the stream
shares it with code;
STM32N6 weights in the external NOR over XSPI behind the Cortex-M55's 32 KB
D-cache; RP2350 through the 16 KB XIP cache; the ESP32-C3's code and weights both in
the module's SPI flash, read through its one 16 KB cache (32-byte lines), a miss
a line read over the SPI bus (boards/esp32-c3.toml).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from tinygen.kernels.rv32 import PIXELS as RV32_PIXELS
from tinygen.kernels.slide_dsp import slide_row_blocks
from tinygen.kernels.specialize import LUT_DECODES
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.codegen.weights_ram import placement

CACHE_SHARE = 0.5          # the fraction of the data cache a weight stream keeps (the rest: activations, stack)
PATTERNS = ("im2col", "per_pixel", "once", "per_step")
RV32_DW_SEGMENT = 8        # TG_RV32_DW_SEGMENT (tg_depthwise_conv2d_s8_rv32.h): output pixels per read of the taps
ONCE_PER_LAYER = ("tg_conv2d_1x1_s8_rv32",)     # channel blocks outermost: each block's weights read once
# the Helium LUT kernels (firmware/kernels/lut/tg_*_lut_decode_s8_mve.c) read their packed constant once, decoding
# it into RAM
DECODE_ONCE = "_lut_decode_s8_mve"
# built on tg_conv2d_s8_rv32.h: every channel block's weights read once per group of RV32_PIXELS pixels (rows)
RV32_GROUPED = ("tg_conv2d_s8_rv32", "tg_conv2d_add_s8_rv32", "tg_fully_connected_s8_rv32")
RV32_DEPTHWISE = "tg_depthwise_conv2d_s8_rv32"
PER_STEP_OPS = ("lstm", "gru")             # all weights once per time step of every batch row
RESET_ROLES = ("h0", "c0", "initial")       # read when the state is reset, not per inference
# CMSIS-NN's LSTM step reads the effective biases (its `packed`), not the layer's bias
UNREAD = {"tg_lstm_s8_cmsis_nn": ("bias",), "tg_lstm_s16_cmsis_nn": ("bias",)}


@dataclass(frozen=True)
class WeightReads:
    pattern: str            # one of PATTERNS
    stream_bytes: int       # bytes of constants read in one pass
    passes: int             # passes per inference
    line_misses: int        # flash lines fetched (data cache misses)
    cycles: float           # line_misses x the miss penalty (0 where the constants are in RAM)
    in_ram: bool = False    # the build moved this layer's constants to RAM (--weights-in)

    @property
    def bytes_read(self) -> int:
        return self.stream_bytes * self.passes


# a board's -D switch that narrows kernels' blocks: (the switch, the kernels, their pixels a block); the F446's
# TG_ROWS4_PAIR_TRIPLES runs the pair kernels 3 pixels a block (firmware/kernels/conv/tg_pair3_loop_dsp.h)
NARROWED = (("-DTG_ROWS4_PAIR_TRIPLES=1", ("tg_conv2d_rows4_pair_s8_dsp", "tg_conv2d_add_rows4_pair_s8_dsp"), 3),)
# the slide kernels' 3-pixel blocks (TG_SLIDE_LDR: firmware/kernels/conv/tg_slide3_block_dsp.h) run where each
# word is loaded by its own LDR: the Cortex-M7 (-DTG_DUAL_ISSUE=1) and the M33; a row's last 2 or 4 pixels
# keep 2-pixel blocks (tinygen.kernels.slide_dsp.slide_row_blocks)
SLIDE_KERNELS = ("tg_conv2d_slide_pair_s8_dsp", "tg_conv2d_add_slide_pair_s8_dsp")
SLIDE_LDR = ("-DTG_DUAL_ISSUE=1", "-mcpu=cortex-m33")


def block_pixels(cflags) -> dict[str, int]:
    """Per kernel, the output pixels a read of its weights serves where the board's flags (`cflags`) change
    it from pixels_per_pass's (the slide kernels: 3 in most blocks of a row, slide_row_blocks)."""
    narrowed = {k: n for flag, kernels, n in NARROWED if flag in cflags for k in kernels}
    if any(flag in cflags for flag in SLIDE_LDR):
        narrowed.update(dict.fromkeys(SLIDE_KERNELS, 3))
    return narrowed


def pixels_per_pass(kernel: str) -> int:
    """Output pixels a matrix (im2col) kernel multiplies by one read of its weight matrix."""
    if "rows3" in kernel:
        return 3
    if "rows4" in kernel:
        return 4
    if kernel in RV32_GROUPED:
        return RV32_PIXELS
    if kernel.endswith("_mve"):
        return 4
    return 2


def _decodes_once(kernel: str) -> bool:
    """The entropy-coded kernels (KernelSpec.weight_coding) decode each block of codes once per
    inference, and the DSP LUT kernels of specialize.LUT_DECODES the whole layer, into RAM; the
    arithmetic reads the decoded copy."""
    spec = KERNELS_BY_NAME.get(kernel)
    return kernel in LUT_DECODES or (spec is not None and spec.weight_coding is not None)


def access_pattern(op: str, kernel: str, kparams: dict, packed: int, weight: int,
                   blocks: dict[str, int] | None = None) -> tuple[str, int]:
    """(pattern, passes per inference) of one layer's constant reads; `packed`: the bytes of its packed
    record (0: none); `blocks`: the board's block_pixels."""
    out_h, out_w = int(kparams.get("out_h", 1)), int(kparams.get("out_w", 1))
    pixels = out_h * out_w
    if kernel in ONCE_PER_LAYER or kernel.endswith(DECODE_ONCE) or _decodes_once(kernel):
        return "once", 1
    if kernel == RV32_DEPTHWISE:                    # segments of a row per read of each channel's taps
        return "im2col", out_h * math.ceil(out_w / RV32_DW_SEGMENT)
    if kernel in RV32_GROUPED:                      # groups of pixels (rows) per read of the constants
        units = int(kparams.get("rows", 1)) if op == "fully_connected" else pixels
        return "im2col", math.ceil(max(units, 1) / RV32_PIXELS)
    if op == "fully_connected" or re.search(r"widen|shallow", kernel):
        return "once", max(int(kparams.get("rows", 1)), 1)
    # int16-widened weights: the direct kernels' layout (the rows4 kernels' are widened too, read per block)
    widened = packed >= 2 * weight and "rows4" not in kernel
    if "depthwise" in op or "direct" in kernel or widened or not re.search(r"dsp|cmsis_nn|mve", kernel):
        return "per_pixel", pixels
    per_block = (blocks or {}).get(kernel) or pixels_per_pass(kernel)
    if kernel in SLIDE_KERNELS:                     # blocks of a row: 3 pixels where per_block is, then 2
        return "im2col", out_h * sum(slide_row_blocks(out_w, int(kparams.get("in_c", 0)), per_block == 3))
    return "im2col", math.ceil(pixels / per_block)


def const_pattern(op: str, kparams: dict) -> tuple[str, int]:
    """(pattern, passes per inference) of the constant reads of a layer without a weight role: the recurrent
    layers per time step (LSTM, GRU) or per batch row (SVDF), every other one once."""
    batches = max(int(kparams.get("batches", 1)), 1)
    if op in PER_STEP_OPS:
        return "per_step", batches * max(int(kparams.get("steps", 1)), 1)
    if op == "svdf":
        return "once", batches
    return "once", 1


def cache_room(timing: dict, code_bytes: int = 0) -> float:
    """Bytes of the data cache a layer's weight stream can keep: CACHE_SHARE of it, or, in a cache shared with
    code (`data_cache_shared`), what the layer's code footprint leaves."""
    size = int(timing.get("data_cache_bytes", 0))
    if timing.get("data_cache_shared"):
        return max(size - code_bytes, 0)
    return size * CACHE_SHARE


def line_misses(stream: int, passes: int, timing: dict, code_bytes: int = 0) -> int:
    line = int(timing.get("data_line_bytes", 16))
    lines = math.ceil(stream / line)
    return lines if stream <= cache_room(timing, code_bytes) else lines * passes


def miss_cycles(timing: dict) -> float:
    if str(timing.get("weights_in", "flash")) == "ram":
        return 0.0
    return float(timing.get("data_miss_cycles", timing.get("flash_wait_states", 0)))


def stream_bytes(node, graph, sizes: dict) -> int:
    """Flash bytes of the constants the layer's kernel reads in one pass, as stored."""
    spec = KERNELS_BY_NAME.get(node.kernel)
    if spec is None or not spec.const_roles:
        return sizes.get("packed") or sum(v for k, v in sizes.items() if k in ("weight", "bias", "multiplier", "shift"))
    roles = [r for r in spec.const_roles if r not in RESET_ROLES and r not in UNREAD.get(node.kernel, ())]
    consts = [(role, graph.const(node, role)) for role in roles]
    return sum(spec.stored_bytes(role, data) for role, data in consts if data is not None)


def layer_weight_reads(node, graph, timing: dict, code_bytes: int = 0,
                       blocks: dict[str, int] | None = None) -> WeightReads | None:
    """The layer's weight reads and their price, or None for a layer without constants; `code_bytes`: its code
    footprint (memory.code_bytes), what it takes of a cache shared with code; `blocks`: the board's
    block_pixels. A layer whose constants the build moved to RAM reads them at no stall."""
    if not node.kernel or not node.params or not node.params[0]:
        return None
    sizes = {role: graph.tensors[name].nbytes for role, name in node.params[0].items()}
    kparams = node.attrs.get("kparams", {})
    if node.param("weight"):
        stream = stream_bytes(node, graph, sizes)
        pattern, passes = access_pattern(node.op, node.kernel, kparams, sizes.get("packed", 0), sizes["weight"],
                                         blocks)
    else:
        spec = KERNELS_BY_NAME.get(node.kernel)
        stream = stream_bytes(node, graph, sizes) if spec is not None and spec.const_roles else 0
        if not stream:
            return None
        pattern, passes = const_pattern(node.op, kparams)
    misses = line_misses(stream, passes, timing, code_bytes)
    moved = placement(graph)
    ram = moved is not None and node.name in moved.layers
    return WeightReads(pattern, stream, passes, misses, 0.0 if ram else misses * miss_cycles(timing), ram)


def graph_weight_reads(graph, timing: dict, code_bytes: dict[str, int] | None = None,
                       blocks: dict[str, int] | None = None) -> dict[str, WeightReads]:
    """Per layer name, the weight reads of each layer that has weights; `code_bytes`: per layer name, its code
    footprint (for a cache shared with code); `blocks`: the board's block_pixels."""
    out = {}
    for node in graph.nodes:
        reads = layer_weight_reads(node, graph, timing, (code_bytes or {}).get(node.name, 0), blocks)
        if reads is not None:
            out[node.name] = reads
    return out


__all__ = ["CACHE_SHARE", "DECODE_ONCE", "NARROWED", "block_pixels",
           "ONCE_PER_LAYER", "PATTERNS", "RV32_DEPTHWISE", "RV32_DW_SEGMENT", "RV32_GROUPED",
           "RV32_PIXELS", "WeightReads",
           "PER_STEP_OPS", "RESET_ROLES", "UNREAD", "access_pattern", "cache_room", "const_pattern",
           "graph_weight_reads", "layer_weight_reads", "line_misses", "miss_cycles",
           "pixels_per_pass", "stream_bytes"]
