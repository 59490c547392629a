"""Which kernels may write their output over an input they are the last to read,
and how far below it the output must start.

With the output D bytes below the input, writing output byte p overwrites input
byte p - D. The rule depends on the C loop order, so it is stated per kernel (a
kernel not listed here never overlaps). Each listed kernel's order is modelled
as a sequence of steps; step s writes output bytes up to wmax[s] and reads input
bytes from rmin[s] up. Either all of a step's reads come before its writes
(`reads_first`), or they may interleave. A write must not destroy a byte that
the same step (when interleaved) or a later step still reads:

    D = max(0, max over s of wmax[s] - min(rmin[t] for the later steps t) + 1)

Every kernel listed below was read in firmware/kernels/; each writes every
output byte once, as the last step of computing it (no partial results stored
in the output), and takes no `restrict` pointers, so aliased input and output
are legal C. The step models, one per loop order:

  ELEMENTWISE: output byte i reads input byte i only (same size, same shape for
      the strided kernels), so D = 0: the output may take the input's place.
  WINDOWED (tg_conv2d_s8, tg_depthwise_conv2d_s8): loops out_y, out_x, out_c,
      one output byte per step, after reading its window: channel 0 of each
      window pixel (conv2d) or channel oc / depth_multiplier (depthwise).
  PIXEL_BLOCKS (tg_conv2d_s8_dsp): blocks of 2 output pixels in raster order
      (a block may span two output rows); the block's windows are copied to
      scratch before any of its outputs is written.
  ROWS4 (tg_conv2d_rows4_w16_s8_dsp, tg_conv2d_rows4_pair_s8_dsp, through
      tg_conv2d_rows4_w16_s8_dsp.h): specialized, blocks of 4 output pixels in raster order
      (3 for the pair kernel on a board with TG_ROWS4_PAIR_TRIPLES: its distance is the larger)
      (a block may span output rows), the last one the last 4 pixels (overlapping the block
      before where pixels % 4 != 0, its pixels written again), each block's 4 windows read
      (widened into scratch, from the input or from copied fields) before any of its
      outputs is written; its generic entry point runs PIXEL_BLOCKS of one pixel (each
      pixel's field copied to scratch, then its outputs): the larger distance.
  SLIDE (tg_conv2d_slide_pair_s8_dsp): specialized, output rows in increasing order, each written
      whole after the input row below it (oy + 1) is widened into the kernel's ring (rows 0 and 1
      before row 0); no input row is read twice; its generic entry point runs PIXEL_BLOCKS of one
      pixel: the larger distance.
  ROW_BLOCKS (tg_conv2d_1x1_s8_dsp, tg_fully_connected_s8_dsp, through
      tg_mat_mult_s8_dsp.h): blocks of 2 rows in increasing order; a block reads
      only its input rows and writes only its output rows, reads and writes
      interleaved (a pair of rows is widened into scratch first, but a single
      row is read again for every group of output columns).
  ROW_BLOCKS3 (tg_conv2d_1x1_rows3_s8_dsp, tg_mat_mult_rows3_s8_dsp.h): specialized, blocks
      of 3 rows in increasing order, the last one the last 3 rows (overlapping the block
      before where rows % 3 != 0), each block's 3 input rows widened into scratch before any
      of its outputs is written; its generic entry point runs ROW_BLOCKS: the larger distance.
  ROWS (tg_conv2d_1x1_shallow_s8_dsp): one row (pixel) at a time in increasing order,
      the row's input read whole before its outputs are written.
  CHANNEL_BLOCKS (tg_depthwise_conv2d_s8_dsp, and its 3x3 path alone
      tg_depthwise_conv2d_3x3_s8_dsp): output pixels in raster order, one
      pixel (or 2 adjacent pixels of one output row) at a time; within them
      channel blocks in increasing order, each written after all reads of its
      taps and reading only its own channels. Modelled with one channel per
      block (a larger block only moves reads earlier) for both pixel groupings,
      keeping the larger distance: the rule holds for either grouping.

  NARROW_ROWS (tg_depthwise_conv2d_3x3_narrow_s8_dsp): output rows in increasing
      order; a row's new input rows (up to its windows' last) are read whole into
      the kernel's ring before any of the row is written.

  FUSED_SKIP (tg_conv2d_add_s8, tg_conv2d_add_s8_dsp, tg_conv2d_add_widen_s8_dsp,
      tg_conv2d_add_s8_rv32, tg_conv2d_add_rows4_w16_s8_dsp, tg_conv2d_add_rows4_pair_s8_dsp): output
      byte p is written after reading skip byte p, the second input, and no other
      step reads it: D = 0 over the skip input (same size), unless the skip is stored where the
      conv input is (x + conv(x)): the conv input is never overlapped.

For a 3x3 stride-1 layer D is about one input row plus a pixel: the output
takes its own input's place but for that margin.
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Node, schema
from tinygen.kernels.huffman_table import one_block
from tinygen.kernels.specialize import HUFFMAN_DECODES

# same-index elementwise kernels (flat loop over i, or the strided 4-D loop, which
# is flat when the input has the output's shape)
ELEMENTWISE = frozenset({"tg_add_s8", "tg_add_s8_dsp", "tg_add_s8_rv32", "tg_clamp_s8", "tg_logistic_s8",
                         "tg_hard_swish_s8", "tg_hard_swish_lut_s8", "tg_requantize_s8"})
ELEMENTWISE_STRIDED = frozenset({"tg_add_broadcast_s8", "tg_mul_s8"})
# the simpler operators' elementwise kernels: the table lookup and tanh (flat loops), PReLU (the
# strided loop over its input, of the output's shape)
ELEMENTWISE = ELEMENTWISE | {"tg_lut_s8", "tg_tanh_s8"}
ELEMENTWISE_STRIDED = ELEMENTWISE_STRIDED | {"tg_prelu_s8"}
# a conv with a fused add: elementwise over its second input, the skip tensor
FUSED_SKIP = frozenset({"tg_conv2d_add_s8", "tg_conv2d_add_s8_dsp", "tg_conv2d_add_widen_s8_dsp",
                        "tg_conv2d_add_s8_rv32", "tg_conv2d_add_rows4_w16_s8_dsp",
                        "tg_conv2d_add_rows4_pair_s8_dsp", "tg_conv2d_add_slide_pair_s8_dsp"})

NO_READ = np.iinfo(np.int64).max // 4      # rmin of a step reading nothing


def step_distance(wmax: np.ndarray, rmin: np.ndarray, reads_first: bool) -> int:
    """The smallest D such that no step's write destroys an input byte that a later
    step (or, unless reads_first, the same step) reads. Steps in execution order."""
    wmax = np.asarray(wmax, dtype=np.int64).ravel()
    rmin = np.asarray(rmin, dtype=np.int64).ravel()
    if wmax.size == 0:
        return 0
    suffix = np.minimum.accumulate(rmin[::-1])[::-1]          # min over steps >= s
    later = np.append(suffix[1:], NO_READ) if reads_first else suffix
    return int(max(0, np.max(np.where(later < NO_READ, wmax - later + 1, 0))))


def _first_in_bounds(origin: np.ndarray, dilation: int) -> np.ndarray:
    """First window position at or after 0 for windows starting at origin."""
    skip = np.where(origin < 0, (-origin + dilation - 1) // dilation, 0)
    return origin + skip * dilation


def _window_start(k: dict) -> np.ndarray:
    """[out_h, out_w]: the lowest input byte (channel 0) each output pixel's window
    reads, NO_READ for windows wholly in the padding."""
    y = _first_in_bounds(np.arange(k["out_h"]) * k["stride_h"] - k["pad_top"], k["dilation_h"])[:, None]
    x = _first_in_bounds(np.arange(k["out_w"]) * k["stride_w"] - k["pad_left"], k["dilation_w"])[None, :]
    start = (y * k["in_w"] + x) * k["in_c"]
    return np.where((y < k["in_h"]) & (x < k["in_w"]), start, NO_READ).astype(np.int64)


def _per_channel(k: dict, pixels: np.ndarray, depthwise: bool) -> tuple[np.ndarray, np.ndarray]:
    """wmax, rmin of one step per (pixel group, output channel): `pixels` [groups, n]
    lists each group's output pixel indices (-1 pads a short group). Output channel
    oc reads from input channel 0 (conv2d) or oc / depth_multiplier (depthwise) up."""
    start = _window_start(k).ravel()
    oc = np.arange(k["out_c"])
    valid = pixels >= 0
    group_start = np.min(np.where(valid, start[np.maximum(pixels, 0)], NO_READ), axis=1)
    last = np.max(pixels, axis=1)
    wmax = last[:, None] * k["out_c"] + oc[None, :]
    channel = oc // k["depth_multiplier"] if depthwise else 0 * oc
    rmin = np.where(group_start[:, None] < NO_READ, group_start[:, None] + channel[None, :], NO_READ)
    return wmax, rmin


def _pixel_groups(out_h: int, out_w: int, size: int, within_rows: bool) -> np.ndarray:
    """[groups, size] output pixel indices in raster order, padded with -1: blocks of
    `size` consecutive pixels, restarting at every row when within_rows."""
    if within_rows:
        cols = np.arange(0, out_w, size)[:, None] + np.arange(size)[None, :]
        cols = np.where(cols < out_w, cols, -1)
        rows = np.arange(out_h)[:, None, None] * out_w
        return np.where(cols[None] >= 0, rows + cols[None], -1).reshape(-1, size)
    flat = np.arange(-(-out_h * out_w // size) * size)
    return np.where(flat < out_h * out_w, flat, -1).reshape(-1, size)


def _windowed(depthwise: bool):
    def distance(k: dict) -> int:
        pixels = np.arange(k["out_h"] * k["out_w"])[:, None]
        return step_distance(*_per_channel(k, pixels, depthwise), reads_first=True)
    return distance


def _field_blocks(k: dict, pixels: np.ndarray) -> int:
    """Blocks of output pixels in order ([blocks, n] pixel indices, -1 pads), each block's
    windows read whole (into scratch) before any of its pixels' outputs is written."""
    start = _window_start(k).ravel()
    rmin = np.min(np.where(pixels >= 0, start[np.maximum(pixels, 0)], NO_READ), axis=1)
    wmax = np.max(pixels, axis=1) * k["out_c"] + k["out_c"] - 1
    return step_distance(wmax, rmin, reads_first=True)


def _pixel_blocks(k: dict) -> int:
    return _field_blocks(k, _pixel_groups(k["out_h"], k["out_w"], 2, within_rows=False))


def _rows4(k: dict, px: int = 4) -> int:
    """ROWS4: the blocks of `px` pixels (from pixel 0, the last block the last `px` pixels), or
    the generic entry point's pixels one at a time, whichever needs the larger distance."""
    pixels = k["out_h"] * k["out_w"]
    first = np.arange(0, pixels - px + 1, px)
    if pixels >= px and pixels % px:
        first = np.append(first, pixels - px)
    blocks = _field_blocks(k, first[:, None] + np.arange(px)[None, :]) if pixels >= px else 0
    return max(blocks, _field_blocks(k, np.arange(pixels)[:, None]))


def _rows4_pair(k: dict) -> int:
    """The pair kernel's blocks are 3 pixels where the board compiles it with TG_ROWS4_PAIR_TRIPLES
    (the F446), else 4; the plan does not know the board's flags, so it takes the larger distance."""
    return max(_rows4(k, 4), _rows4(k, 3))


def _slide_ring(k: dict) -> int:
    """SLIDE's ring: output row oy written after input row oy + 1 is read (input rows 0 and 1 before row 0)."""
    oy = np.arange(k["out_h"])
    rows = np.where(oy + 1 < k["in_h"], (oy + 1) * k["in_w"] * k["in_c"], NO_READ)
    return step_distance((oy + 1) * k["out_w"] * k["out_c"] - 1, np.where(oy == 0, 0, rows), reads_first=True)


def _slide(k: dict) -> int:
    """SLIDE: the ring, or the generic entry point's pixels one at a time, whichever needs the larger distance."""
    return max(_slide_ring(k), _field_blocks(k, np.arange(k["out_h"] * k["out_w"])[:, None]))


def _row_blocks(rows: int, depth: int, cols: int) -> int:
    first = np.arange(0, rows, 2)
    wmax = np.minimum(first + 2, rows) * cols - 1
    return step_distance(wmax, first * depth, reads_first=False)


def _row_blocks3(rows: int, depth: int, cols: int) -> int:
    first = np.arange(0, rows - 2, 3)
    if rows >= 3 and rows % 3:
        first = np.append(first, rows - 3)
    specialized = step_distance((first + 3) * cols - 1, first * depth, reads_first=True) if rows >= 3 else 0
    return max(specialized, _row_blocks(rows, depth, cols))


def _rows(rows: int, depth: int, cols: int) -> int:
    first = np.arange(rows)
    return step_distance((first + 1) * cols - 1, first * depth, reads_first=True)


def _channel_blocks(k: dict) -> int:
    single = np.arange(k["out_h"] * k["out_w"])[:, None]
    pairs = _pixel_groups(k["out_h"], k["out_w"], 2, within_rows=True)
    return max(step_distance(*_per_channel(k, g, depthwise=True), reads_first=True) for g in (single, pairs))


def _interior(size: int, pad: int, stride: int, span: int, n: int) -> tuple[int, int]:
    """[lo, hi): the output positions along an axis whose window lies inside the input."""
    lo, end = -(-pad // stride), size - span + pad
    hi = min(-(-end // stride) if end > 0 else 0, n)
    return min(lo, hi), hi


def _rv32_groups(k: dict, depthwise: bool) -> np.ndarray:
    """[groups, 8] output pixel indices (-1 pads) in the order the RV32IM kernels compute them.
    tg_conv2d_s8_rv32.h, per output row: pixels whose window meets the padding alone, interior
    ones by 3 (TG_RV32_PIXELS) then alone; a pointwise stride-1 conv as one row.
    tg_depthwise_conv2d_s8_rv32.h, per output row: a row of at most 8 pixels at once, else
    the columns left of the interior, the interior by 8 (TG_RV32_DW_SEGMENT), the rest of
    the interior, the columns right of it (each pixel alone where no column is interior)."""
    out_h, out_w = k["out_h"], k["out_w"]
    flat = (not depthwise and k["kernel_h"] == k["kernel_w"] == 1 and k["stride_h"] == k["stride_w"] == 1
            and k["pad_top"] == k["pad_left"] == 0 and (out_h, out_w) == (k["in_h"], k["in_w"]))
    if flat:
        out_h, out_w = 1, out_h * out_w
        x_lo, x_hi, rows_in = 0, out_w, [True]
    else:
        y_lo, y_hi = _interior(k["in_h"], k["pad_top"], k["stride_h"], (k["kernel_h"] - 1) * k["dilation_h"], out_h)
        x_lo, x_hi = _interior(k["in_w"], k["pad_left"], k["stride_w"], (k["kernel_w"] - 1) * k["dilation_w"], out_w)
        rows_in = [y_lo <= oy < y_hi for oy in range(out_h)]
    runs = []                                   # (first column, pixels) in order, the same for every row
    if depthwise:
        if out_w <= 8:
            runs = [(0, out_w)]
        elif x_lo >= x_hi:
            runs = [(x, 1) for x in range(out_w)]
        else:
            full = x_lo + (x_hi - x_lo) // 8 * 8
            runs = ([(0, x_lo)] * (x_lo > 0) + [(x, 8) for x in range(x_lo, full, 8)]
                    + [(full, x_hi - full)] * (full < x_hi) + [(x_hi, out_w - x_hi)] * (x_hi < out_w))
    groups = []
    for oy in range(out_h):
        if not depthwise:
            a, b = (x_lo, x_hi) if rows_in[oy] and x_lo < x_hi else (out_w, out_w)
            full = a + (b - a) // 3 * 3
            runs = ([(x, 1) for x in range(a)] + [(x, 3) for x in range(a, full, 3)]
                    + [(x, 1) for x in range(full, out_w)])
        groups += [[oy * out_w + x + i if i < n else -1 for i in range(8)] for x, n in runs]
    return np.array(groups)


def _rv32(depthwise: bool):
    def distance(k: dict) -> int:
        return step_distance(*_per_channel(k, _rv32_groups(k, depthwise), depthwise), reads_first=True)
    return distance


def _narrow_rows(k: dict) -> int:
    """NARROW_ROWS (tg_depthwise_conv2d_3x3_narrow_s8_dsp): output rows in increasing order,
    each written (every channel) after the input rows its windows need that were not read yet
    are read whole (widened into the ring), at most to row top + 2."""
    row_out, row_in = k["out_w"] * k["out_c"], k["in_w"] * k["in_c"]
    top = np.arange(k["out_h"]) * k["stride_h"] - k["pad_top"]
    start = np.maximum(np.concatenate([top[:1], top[:-1] + 3]), top)    # the first row not yet in the ring
    first = np.maximum(start, 0)
    reads = first < np.minimum(top + 3, k["in_h"])
    rmin = np.where(reads, first * row_in, NO_READ)
    wmax = (np.arange(k["out_h"]) + 1) * row_out - 1
    return step_distance(wmax, rmin, reads_first=True)


def _huffman_dsp(k: dict) -> int | None:
    """tg_conv2d_huffman_s8_dsp: pixel pairs in increasing order (ROW_BLOCKS) where the conv
    reads its input in place (1x1, stride 1, unpadded); else fields copied per pixel pair,
    written after both are copied: PIXEL_BLOCKS, as tg_conv2d_s8_dsp."""
    direct = (k["kernel_h"], k["kernel_w"], k["stride_h"], k["stride_w"], k["pad_top"], k["pad_left"]) == (1, 1, 1, 1, 0, 0)
    return _row_blocks(k["out_h"] * k["out_w"], k["in_c"], k["out_c"]) if direct else _pixel_blocks(k)


# kernel -> D from its parameter struct
DISTANCE = {
    "tg_conv2d_s8": _windowed(depthwise=False),
    # blocks of 4 channels per pixel, each written after reading the pixel's window: tg_conv2d_s8's order
    "tg_conv2d_direct_s8_dsp": _windowed(depthwise=False),
    "tg_depthwise_conv2d_s8": _windowed(depthwise=True),
    "tg_conv2d_s8_dsp": _pixel_blocks,
    "tg_conv2d_rows4_w16_s8_dsp": _rows4,
    # the same blocks, the weights packed otherwise; 3 pixels a block under TG_ROWS4_PAIR_TRIPLES
    "tg_conv2d_rows4_pair_s8_dsp": _rows4_pair,
    # whole output rows, each after the input row below it is widened into the ring
    "tg_conv2d_slide_pair_s8_dsp": _slide,
    "tg_conv2d_1x1_s8_dsp": lambda k: _row_blocks(k["out_h"] * k["out_w"], k["in_c"], k["out_c"]),
    "tg_conv2d_1x1_rows3_s8_dsp": lambda k: _row_blocks3(k["out_h"] * k["out_w"], k["in_c"], k["out_c"]),
    "tg_fully_connected_s8_dsp": lambda k: _row_blocks(k["rows"], k["in_features"], k["out_features"]),
    "tg_conv2d_1x1_shallow_s8_dsp": lambda k: _rows(k["out_h"] * k["out_w"], k["in_c"], k["out_c"]),
    "tg_depthwise_conv2d_s8_dsp": _channel_blocks,
    # its 3x3 path alone: the distance planned for the kernel above is safe for that path
    "tg_depthwise_conv2d_3x3_s8_dsp": _channel_blocks,
    # per pixel group (_rv32_groups) blocks of channels (conv: 4; depthwise: 1) in increasing
    # order, each written after reading its group's windows
    "tg_conv2d_s8_rv32": _rv32(depthwise=False),
    # a whole output row (every channel) after its new input rows: NARROW_ROWS
    "tg_depthwise_conv2d_3x3_narrow_s8_dsp": _narrow_rows,
    "tg_depthwise_conv2d_s8_rv32": _rv32(depthwise=True),
    # entropy-coded weights decoded as one block (the whole layer, huffman_table.one_block): the
    # loop order of the int8 kernel it then runs; blocks of channels read every input pixel
    # again for each block, so the output never overlaps the input
    "tg_conv2d_huffman_s8": lambda k: _windowed(depthwise=False)(k) if one_block(k) else None,
    "tg_conv2d_huffman_s8_dsp": lambda k: _huffman_dsp(k) if one_block(k) else None,
    "tg_fully_connected_huffman_s8_dsp": lambda k: (_row_blocks(k["rows"], k["in_features"], k["out_features"])
                                                    if one_block(k) else None),
    # one row, its codes decoded into the multiply-accumulates: the whole input widened into
    # scratch before any output is written, so the output may take the input's place
    "tg_fully_connected_batch1_huffman_s8_dsp": lambda k: 0,
}
# entropy-coded weights decoded whole into scratch first (specialize.HUFFMAN_DECODES): the int8 kernel's order
DISTANCE.update({coded: DISTANCE[int8] for coded, int8 in HUFFMAN_DECODES.items() if int8 in DISTANCE})


def _storage(graph: Graph, tensor: str) -> str:
    """The tensor whose buffer `tensor` lives in (through aliasing ops such as reshape)."""
    producer = graph.producer(tensor)
    while producer is not None and schema(producer.op).alias:
        tensor = producer.inputs[0]
        producer = graph.producer(tensor)
    return tensor


def overlap_distance(graph: Graph, node: Node, tensor: str) -> int | None:
    """Bytes the output of `node` must start below input `tensor` to overlap it
    safely, or None when this kernel may not overlap that input. The caller
    checks that `node` is the last reader of the input's storage."""
    if len(node.outputs) != 1 or node.kernel is None:
        return None
    out, inp = graph.tensors[node.outputs[0]], graph.tensors[tensor]
    if out.dtype != "int8" or inp.dtype != "int8":
        return None
    if node.kernel in ELEMENTWISE:
        return 0 if inp.nbytes == out.nbytes else None
    if node.kernel in ELEMENTWISE_STRIDED:
        return 0 if tuple(inp.shape) == tuple(out.shape) else None
    if node.kernel in FUSED_SKIP:
        conv_input, skip = (_storage(graph, t) for t in node.inputs)
        return 0 if tensor == node.inputs[1] and skip != conv_input and inp.nbytes == out.nbytes else None
    if node.kernel in DISTANCE and tensor == node.inputs[0]:
        return DISTANCE[node.kernel](node.attrs["kparams"])
    return None
