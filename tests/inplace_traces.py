"""Kernels' loop orders traced literally, for in-place distances found by brute force.

Each trace follows a kernel's C loops and yields (time, "r"|"w", byte) events; the smallest
safe distance is then the largest write byte - read byte + 1 over every write and every read
at the same time or later (a write at time t destroying input byte p - D). Used by the
planner's lifetime model (test_plan_memory.py) and the in-place tests (test_inplace_distance.py).
"""

from __future__ import annotations


def brute_distance(events) -> int:
    reads: dict[int, int] = {}
    writes: dict[int, int] = {}
    for t, kind, byte in events:
        table = reads if kind == "r" else writes
        table[t] = min(table.get(t, byte), byte) if kind == "r" else max(table.get(t, byte), byte)
    worst = 0
    for t, w in writes.items():
        later = [r for tr, r in reads.items() if tr >= t]
        if later:
            worst = max(worst, w - min(later) + 1)
    return worst


def window(k, oy, ox):
    """Input pixel indices of output pixel (oy, ox)'s window, in bounds."""
    for ky in range(k["kernel_h"]):
        for kx in range(k["kernel_w"]):
            iy = oy * k["stride_h"] - k["pad_top"] + ky * k["dilation_h"]
            ix = ox * k["stride_w"] - k["pad_left"] + kx * k["dilation_w"]
            if 0 <= iy < k["in_h"] and 0 <= ix < k["in_w"]:
                yield iy * k["in_w"] + ix


def trace_portable(k, depthwise):
    """tg_conv2d_s8 / tg_depthwise_conv2d_s8: out_y, out_x, out_c; the window, then the byte."""
    t = 0
    for oy in range(k["out_h"]):
        for ox in range(k["out_w"]):
            for oc in range(k["out_c"]):
                chans = [oc // k["depth_multiplier"]] if depthwise else range(k["in_c"])
                for pix in window(k, oy, ox):
                    for ic in chans:
                        yield t, "r", pix * k["in_c"] + ic
                yield t + 1, "w", (oy * k["out_w"] + ox) * k["out_c"] + oc
                t += 2


def trace_conv2d_dsp(k):
    """tg_conv2d_s8_dsp: per 2 output pixels (raster order, across rows), both receptive
    fields copied to scratch, then both pixels' outputs written."""
    pixels = k["out_h"] * k["out_w"]
    for t, n in enumerate(range(0, pixels, 2)):
        block = range(n, min(n + 2, pixels))
        for q in block:
            for pix in window(k, q // k["out_w"], q % k["out_w"]):
                for ic in range(k["in_c"]):
                    yield 2 * t, "r", pix * k["in_c"] + ic
        for q in block:
            for oc in range(k["out_c"]):
                yield 2 * t + 1, "w", q * k["out_c"] + oc


def trace_mat_mult_dsp(rows, depth, cols):
    """tg_mat_mult_s8_dsp (1x1 conv, fully connected): per 2 rows (the last of an odd count
    alone), the rows read and the outputs written; a single row is read again for every
    4 output columns, so reads and writes of a block are taken as simultaneous."""
    for t, r in enumerate(range(0, rows, 2)):
        for b in range(r * depth, min(r + 2, rows) * depth):
            yield 2 * t, "r", b
        for b in range(r * cols, min(r + 2, rows) * cols):
            yield 2 * t, "w", b


def trace_rows3_dsp(rows, depth, cols):
    """tg_conv2d_1x1_rows3_s8_dsp's specialized blocks: 3 rows at a time, the last block the last
    3 rows (overlapping the one before where rows % 3), each block's rows read whole before its
    outputs are written; then, as a later trace, its generic entry point's (trace_mat_mult_dsp),
    so that the distance found serves both."""
    starts = list(range(0, rows - 2, 3)) + ([rows - 3] if rows >= 3 and rows % 3 else [])
    for t, r in enumerate(starts):
        for b in range(r * depth, (r + 3) * depth):
            yield 2 * t, "r", b
        for b in range(r * cols, (r + 3) * cols):
            yield 2 * t + 1, "w", b


def trace_rows_dsp(rows, depth, cols):
    """tg_conv2d_1x1_shallow_s8_dsp: row (pixel) by row, the row read whole, then its outputs."""
    for r in range(rows):
        for b in range(r * depth, (r + 1) * depth):
            yield 2 * r, "r", b
        for b in range(r * cols, (r + 1) * cols):
            yield 2 * r + 1, "w", b


def trace_depthwise_dsp(k, group=1, block=4):
    """tg_depthwise_conv2d_s8_dsp: `group` adjacent output pixels of a row at a time (the C
    kernel: 1), channel blocks of `block` (the C kernel: 4, then the rest one by one); a
    block's taps read, then its outputs written."""
    c_all, t = k["out_c"], 0
    starts = list(range(0, c_all - c_all % block, block)) + list(range(c_all - c_all % block, c_all))
    for oy in range(k["out_h"]):
        for ox0 in range(0, k["out_w"], group):
            xs = range(ox0, min(ox0 + group, k["out_w"]))
            for c0 in starts:
                chans = range(c0, min(c0 + (block if c0 < c_all - c_all % block else 1), c_all))
                for ox in xs:
                    for pix in window(k, oy, ox):
                        for c in chans:
                            yield t, "r", pix * k["in_c"] + c
                for ox in xs:
                    for c in chans:
                        yield t + 1, "w", (oy * k["out_w"] + ox) * c_all + c
                t += 2


def trace_rows4_dsp(k, px=4):
    """tg_conv2d_rows4_w16_s8_dsp / tg_conv2d_rows4_pair_s8_dsp's specialized blocks
    (tg_conv2d_rows4_w16_s8_dsp_blocks): r from 0, each block the pixels r..r+3 (across output
    rows), their 4 receptive fields read whole (widened into scratch) before the 4 pixels'
    outputs are written; then r += 4 where r + 8 <= pixels, else r = pixels - 4 (the last block
    the last 4 pixels), until r + 4 >= pixels. None where the blocks do not run (under 4 pixels).
    `px`: pixels a block (3: the pair kernel under TG_ROWS4_PAIR_TRIPLES, the F446's)."""
    pixels, out_w, t, r = k["out_h"] * k["out_w"], k["out_w"], 0, 0
    if pixels < px:
        return None
    events = []
    while True:
        for q in range(r, r + px):
            events += [(t, "r", pix * k["in_c"] + ic) for pix in window(k, q // out_w, q % out_w)
                       for ic in range(k["in_c"])]
        events += [(t + 1, "w", q * k["out_c"] + oc) for q in range(r, r + px) for oc in range(k["out_c"])]
        if r + px >= pixels:
            return events
        r = r + px if r + 2 * px <= pixels else pixels - px
        t += 2


def trace_slide_dsp(k):
    """tg_conv2d_slide_pair_s8_dsp's specialized ring (tg_conv2d_slide_pair_s8_dsp_rows): input rows 0 and 1
    read (widened into the ring), output row 0 written; then per output row oy the input row oy + 1 read
    (where there is one) and output row oy written, every byte of each. Its generic entry point is
    trace_rows4_each's order."""
    irow, orow = k["in_w"] * k["in_c"], k["out_w"] * k["out_c"]
    for oy in range(k["out_h"]):
        for iy in ([0, 1] if oy == 0 else [oy + 1]):
            if iy < k["in_h"]:
                yield from ((2 * oy, "r", iy * irow + b) for b in range(irow))
        yield from ((2 * oy + 1, "w", oy * orow + b) for b in range(orow))


def trace_rows4_each(k):
    """The rows4 kernels' generic entry point (tg_conv2d_rows4_w16_s8_dsp_each): pixel by pixel
    in raster order, the field copied to scratch, then the pixel's outputs."""
    t = 0
    for oy in range(k["out_h"]):
        for ox in range(k["out_w"]):
            for pix in window(k, oy, ox):
                for ic in range(k["in_c"]):
                    yield t, "r", pix * k["in_c"] + ic
            for oc in range(k["out_c"]):
                yield t + 1, "w", (oy * k["out_w"] + ox) * k["out_c"] + oc
            t += 2
