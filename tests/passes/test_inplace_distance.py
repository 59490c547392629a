"""In-place distances: how close a kernel's output may start below its own input.

tinygen.passes.inplace lists, per kernel, the smallest distance D (output address = input
address - D) at which no write destroys an input byte a later step still reads. Here each
kernel's C loop order is traced literally and D found by brute force, then the DSP kernels'
rules are checked against the kernels themselves on the f746zg stand-in (split from
test_plan_memory.py, whose lifetime model checks every plan).
"""

from __future__ import annotations

import shutil

import pytest

from inplace_traces import (brute_distance, trace_conv2d_dsp, trace_depthwise_dsp, trace_mat_mult_dsp, trace_portable,
                            trace_rows3_dsp, trace_rows4_dsp, trace_rows4_each, trace_rows_dsp)
from test_plan_memory import check_against_model
from tinygen.passes.plan_memory import align, plan_memory

# -- in-place distances from the kernels' loop orders (tests/inplace_traces.py), by brute force -----


def conv_params(in_hw, in_c, out_c, kernel, stride, pad, dilation=1, depthwise=False):
    in_h, in_w = in_hw
    out_h = (in_h + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1
    out_w = (in_w + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1
    return {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w,
            "out_c": out_c, "kernel_h": kernel, "kernel_w": kernel, "stride_h": stride, "stride_w": stride,
            "dilation_h": dilation, "dilation_w": dilation, "pad_top": pad, "pad_left": pad,
            "depth_multiplier": out_c // in_c if depthwise else 1}


CONV_CASES = [((5, 7), 3, 4, 3, 1, 1, 1), ((6, 5), 2, 5, 3, 2, 1, 1), ((4, 4), 1, 1, 1, 1, 0, 1),
              ((7, 6), 3, 2, 3, 1, 2, 2), ((5, 5), 4, 3, 2, 2, 0, 1), ((3, 8), 2, 2, 5, 1, 2, 1)]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("depthwise", [False, True])
def test_inplace_distance_portable_windowed_kernels(case, depthwise):
    from tinygen.passes.inplace import DISTANCE

    in_hw, in_c, out_c, kernel, stride, pad, dil = case
    if depthwise:
        out_c = in_c * (1 + out_c % 2)          # depth multiplier 1 or 2
    k = conv_params(in_hw, in_c, out_c, kernel, stride, pad, dil, depthwise)
    name = "tg_depthwise_conv2d_s8" if depthwise else "tg_conv2d_s8"
    assert DISTANCE[name](k) == brute_distance(trace_portable(k, depthwise))


@pytest.mark.parametrize("case", CONV_CASES)
def test_inplace_distance_conv2d_s8_dsp(case):
    from tinygen.passes.inplace import DISTANCE

    in_hw, in_c, out_c, kernel, stride, pad, dil = case
    k = conv_params(in_hw, in_c, out_c, kernel, stride, pad, dil)
    assert DISTANCE["tg_conv2d_s8_dsp"](k) == brute_distance(trace_conv2d_dsp(k))


# pointwise and strided layers for the 4-pixel blocks: pixel counts with every tail (pixels % 4),
# fewer than 4 pixels (the generic entry point alone), outputs wider and narrower than the input
ROWS4_CASES = CONV_CASES + [((7, 7), 8, 8, 1, 1, 0, 1), ((7, 7), 8, 12, 1, 1, 0, 1), ((5, 2), 4, 4, 1, 1, 0, 1),
                            ((25, 5), 16, 16, 1, 1, 0, 1), ((3, 5), 12, 4, 1, 1, 0, 1), ((6, 6), 4, 12, 1, 2, 0, 1),
                            ((1, 3), 4, 6, 1, 1, 0, 1), ((2, 2), 4, 8, 1, 1, 0, 1), ((7, 6), 8, 4, 3, 2, 1, 1),
                            ((11, 1), 4, 16, 1, 1, 0, 1)]


@pytest.mark.parametrize("case", ROWS4_CASES)
def test_inplace_distance_conv_rows4_dsp(case):
    """The 4-pixel blocks (the last block the last 4 pixels, overlapping the one before) or the
    generic entry point's pixels one at a time, whichever needs the larger distance; both
    kernels run the same loops."""
    from tinygen.passes.inplace import DISTANCE

    in_hw, in_c, out_c, kernel, stride, pad, dil = case
    k = conv_params(in_hw, in_c, out_c, kernel, stride, pad, dil)
    each = brute_distance(trace_rows4_each(k))
    want = {px: each if trace_rows4_dsp(k, px) is None else max(brute_distance(trace_rows4_dsp(k, px)), each)
            for px in (3, 4)}
    assert DISTANCE["tg_conv2d_rows4_w16_s8_dsp"](k) == want[4]
    # the pair kernel runs blocks of 3 on a board with TG_ROWS4_PAIR_TRIPLES (the F446): safe for both
    assert DISTANCE["tg_conv2d_rows4_pair_s8_dsp"](k) == max(want.values())


def test_inplace_distance_conv_rows4_dsp_tail():
    """The blocks set the distance where the last block overlaps the one before: over 49 pixels of
    8 channels it reads pixels 45.. after pixel 47 is written (3 pixels, 24 bytes; one pixel at a
    time: 0), widening to 12 channels 216 bytes (one pixel at a time: 192)."""
    from tinygen.passes.inplace import DISTANCE

    for out_c, want, each in [(8, 24, 0), (12, 216, 192)]:
        k = conv_params((7, 7), 8, out_c, 1, 1, 0)
        assert brute_distance(trace_rows4_dsp(k)) == want and brute_distance(trace_rows4_each(k)) == each
        assert DISTANCE["tg_conv2d_rows4_w16_s8_dsp"](k) == want
    # blocks of 3 (the pair kernel on the F446): over 52 pixels the last block, pixels 49..51, reads
    # pixels 49 and 50 after the block before wrote them (2 pixels, 16 bytes); blocks of 4 end even (0)
    k = conv_params((4, 13), 8, 8, 1, 1, 0)
    assert brute_distance(trace_rows4_dsp(k, 3)) == 16 and brute_distance(trace_rows4_dsp(k)) == 0
    assert DISTANCE["tg_conv2d_rows4_pair_s8_dsp"](k) == 16 and DISTANCE["tg_conv2d_rows4_w16_s8_dsp"](k) == 0


@pytest.mark.parametrize("rows, depth, cols", [(1, 5, 3), (7, 3, 5), (8, 4, 4), (9, 6, 2), (35, 13, 64)])
def test_inplace_distance_mat_mult_dsp(rows, depth, cols):
    from tinygen.passes.inplace import DISTANCE

    want = brute_distance(trace_mat_mult_dsp(rows, depth, cols))
    k = {"out_h": 1, "out_w": rows, "in_c": depth, "out_c": cols}
    assert DISTANCE["tg_conv2d_1x1_s8_dsp"](k) == want
    fc = {"rows": rows, "in_features": depth, "out_features": cols}
    assert DISTANCE["tg_fully_connected_s8_dsp"](fc) == want


@pytest.mark.parametrize("rows, depth, cols", [(1, 5, 3), (3, 4, 4), (4, 8, 8), (5, 4, 9), (7, 9, 5), (9, 6, 2),
                                              (10, 4, 4), (125, 64, 64), (35, 13, 64)])
def test_inplace_distance_pw_rows3_dsp(rows, depth, cols):
    """The 3-row blocks (their last block overlapping the one before) or the generic entry
    point's 2-row product, whichever needs the larger distance."""
    from tinygen.passes.inplace import DISTANCE

    want = max(brute_distance(trace_rows3_dsp(rows, depth, cols)), brute_distance(trace_mat_mult_dsp(rows, depth, cols)))
    assert DISTANCE["tg_conv2d_1x1_rows3_s8_dsp"]({"out_h": 1, "out_w": rows, "in_c": depth, "out_c": cols}) == want


@pytest.mark.parametrize("rows, depth, cols", [(1, 8, 3), (7, 8, 16), (12, 8, 4), (9, 4, 7), (35, 8, 13)])
def test_inplace_distance_pw_shallow_dsp(rows, depth, cols):
    """Row by row, each read whole first: (rows - 1) * (cols - depth) where the output is
    wider, 0 where it is not."""
    from tinygen.passes.inplace import DISTANCE

    want = brute_distance(trace_rows_dsp(rows, depth, cols))
    assert DISTANCE["tg_conv2d_1x1_shallow_s8_dsp"]({"out_h": 1, "out_w": rows, "in_c": depth, "out_c": cols}) == want
    assert want == max(0, (rows - 1) * (cols - depth))


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("channels", [1, 4, 6, 9])
def test_inplace_distance_depthwise_dsp(case, channels):
    """The rule covers both pixel groupings the kernel's contract allows, with any channel
    block size; the C kernel's own order (1 pixel, blocks of 4) needs at most that."""
    from tinygen.passes.inplace import DISTANCE

    in_hw, _, _, kernel, stride, pad, dil = case
    k = conv_params(in_hw, channels, channels, kernel, stride, pad, dil, depthwise=True)
    d = DISTANCE["tg_depthwise_conv2d_s8_dsp"](k)
    assert d == max(brute_distance(trace_depthwise_dsp(k, group, 1)) for group in (1, 2))
    assert brute_distance(trace_depthwise_dsp(k)) <= d
    assert brute_distance(trace_depthwise_dsp(k, 2, 4)) <= d


# -- the DSP kernels' in-place rules against the kernels themselves, on the f746zg stand-in ----------


def _inplace_net():
    """A chain where every DSP kernel's output may overlap its input: a general conv
    (odd pixel count, blocks spanning rows), a thin 1x1 conv (depth 8), depthwise 3x3 at
    strides 1 and 2 (6 channels:
    a block of 4 and 2 single channels), 1x1 convs over 49 pixels (the last row alone), a
    residual add, a 3x3 depthwise layer on rows of 5 pixels (the narrow kernel), fully connected
    layers."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            # the 8 -> 6 pointwise conv: tg_conv2d_1x1_shallow_s8_dsp (depth 8, no clamp)
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 6, 1))
            self.block = nn.Sequential(
                nn.Conv2d(6, 6, 3, padding=1, groups=6),
                nn.Conv2d(6, 6, 1), nn.ReLU(),
                nn.Conv2d(6, 6, 3, padding=1, groups=6))
            self.body = nn.Sequential(
                nn.Conv2d(6, 5, 1),
                nn.Conv2d(5, 5, 3, stride=2, padding=1, groups=5),
                nn.Conv2d(5, 4, 3, padding=1))
            # 4 x 4 -> 4 x 5 (a 3 x 2 window), then tg_depthwise_conv2d_3x3_narrow_s8_dsp
            self.narrow = nn.Sequential(nn.Conv2d(4, 4, (3, 2), padding=1), nn.Conv2d(4, 4, 3, padding=1, groups=4))
            self.head = nn.Sequential(nn.Linear(4 * 4 * 5, 40), nn.ReLU(), nn.Linear(40, 10))

        def forward(self, x):
            x = self.stem(x)
            return self.head(torch.flatten(self.narrow(self.body(x + self.block(x))), 1))

    torch.manual_seed(3)
    net = Net()
    for p in net.parameters():
        torch.nn.init.uniform_(p, -0.8, 0.8)
    return net.eval(), (1, 3, 7, 7)


def _compile_net(net, shape, tmp_path, features=frozenset(), choose=None, lower_peak=True):
    """Export a torch module, calibrate it on seeded noise and compile it for `features`;
    choose(graph) -> a kernel choice by node name, compiled again with it (lower_peak: whether
    the memory-aware choice may then swap kernels)."""
    import numpy as np
    import torch

    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions

    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp_path / "m.pt2")
    rng = np.random.default_rng(0)
    np.save(tmp_path / "calib.npy", rng.standard_normal((32,) + shape[1:]).astype(np.float32))
    source = load_source(tmp_path / "m.pt2")
    graph = compile_source(source, str(tmp_path / "calib.npy"), CompileOptions(features=features))
    if choose is not None:
        graph = compile_source(source, str(tmp_path / "calib.npy"),
                               CompileOptions(features=features, kernel_choice=choose(graph), lower_peak=lower_peak))
    return source, graph


def _overlapping_kernels(g) -> set[str]:
    """Kernels whose output the plan actually placed over (part of) its input."""
    plan = g.meta["memory"]
    by_name = {b.name: b for b in plan.buffers}
    writer = {n.outputs[0]: n.kernel for n in g.nodes if n.outputs}
    used = set()
    for s in plan.shares:
        out, inp = by_name[s.output], by_name[s.input]
        if out.offset < inp.offset + inp.size and inp.offset < out.offset + out.size:
            used.add(writer[s.output])
    return used


def _assert_bit_exact(source, g, board, project, shape, rng):
    """4 seeded inputs on the board's stand-in: the outputs equal the numpy reference's."""
    import numpy as np

    from e2e import first_difference
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input, run

    with open_device(board, project, emulate=True) as dev:
        for i in range(4):
            x = quantize_input(g, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32) * 1.5))
            want = np.concatenate([a.ravel() for a in (run(g, x)[name] for name in g.outputs)])
            got = np.frombuffer(dev.run(x.tobytes())[0], dtype=np.int8)
            assert np.array_equal(got, want), f"input {i}: {first_difference(want, got)}"


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")
def test_plan_memory_in_place_dsp_kernels_bit_exact_f746zg_standin(tmp_path):
    import numpy as np

    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.kernels.table import KERNELS
    from tinygen.passes.inplace import DISTANCE, ELEMENTWISE

    net, shape = _inplace_net()
    board = get_board("f746zg")
    # the 6 -> 5 pointwise conv over 49 pixels in 3-row blocks (the last block overlapping the
    # one before), the 6 -> 6 one pinned on tg_conv2d_1x1_s8_dsp (the 3-row kernel comes first)
    source, g = _compile_net(net, shape, tmp_path, board.isa_features, lambda g: {
        n.name: "tg_conv2d_1x1_rows3_s8_dsp" if n.attrs["kparams"]["out_c"] == 5 else "tg_conv2d_1x1_s8_dsp"
        for n in g.nodes if n.kernel in ("tg_conv2d_1x1_s8_dsp", "tg_conv2d_1x1_rows3_s8_dsp")})
    rng = np.random.default_rng(1)
    g = plan_memory(g, strategies=[("in place", "tight")])    # every allowed overlap taken
    check_against_model(g)
    # every DSP kernel in the table that has an in-place rule
    # (tg_conv2d_direct_s8_dsp is never a default choice, only lower_peak's or auto's; its
    # in-place rule is tg_conv2d_s8's, whose window distance this net checks; the net's 3x3
    # depthwise layers take tg_depthwise_conv2d_3x3_s8_dsp, the 3x3 path that
    # tg_depthwise_conv2d_s8_dsp runs on them, under the same rule)
    # (tg_fully_connected_s8_dsp: this net's single-row layers take the batch-1 kernels now; its rule
    # is checked above; the huffman kernels serve only --weights huffman's coded layers:
    # tests/passes/test_entropy_code.py plans them over their inputs on this stand-in)
    # (the 4-pixel kernels and the ring of widened rows, --kernels auto's or lower_peak's choices only: the
    # rows4 and slide tests below)
    dsp = {s.name for s in KERNELS if (s.name in DISTANCE or s.name in ELEMENTWISE) and "dsp" in s.requires
           and s.weight_coding is None and s.name not in ("tg_conv2d_direct_s8_dsp", "tg_depthwise_conv2d_s8_dsp", "tg_fully_connected_s8_dsp")
           and "rows4" not in s.name and "slide" not in s.name}
    assert dsp and {n.kernel for n in g.nodes} >= dsp
    # a single-row fully connected layer reads its row again for every 4 outputs: never in place
    assert _overlapping_kernels(g) >= dsp - {"tg_fully_connected_s8_dsp"}, \
        "the plan must overlap every other DSP kernel's output with its input"
    project = build(source, g, board, tmp_path / "fw").out_dir
    _assert_bit_exact(source, g, board, project, shape, rng)


def _rows4_net():
    """Convs for the 4-pixel kernels, each over its own input: a padded 3x3 conv (border windows
    copied into fields, inner ones widened from the input), pointwise convs over 49 pixels (the
    last block the last 4 pixels, overlapping the one before), 8 -> 8 and 8 -> 12 channels, then a
    stride-2 3x3 conv (16 pixels)."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 1), nn.ReLU(),
                nn.Conv2d(8, 12, 1), nn.ReLU(), nn.Conv2d(12, 8, 3, stride=2, padding=1))
            self.head = nn.Linear(8 * 4 * 4, 10)

        def forward(self, x):
            return self.head(torch.flatten(self.body(x), 1))

    torch.manual_seed(5)
    net = Net()
    for p in net.parameters():
        torch.nn.init.uniform_(p, -0.6, 0.6)
    return net.eval(), (1, 4, 7, 7)


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the stand-ins need qemu-system-arm and arm-none-eabi-gcc")
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_plan_memory_in_place_rows4_bit_exact_standins(tmp_path, board_name):
    """Every conv on a 4-pixel kernel (the int16 weights and the row-pair halfwords by turns; the
    memory-aware choice, which would take scratch-free kernels on this small net, off), each
    output planned its distance below its input (the plan's tightest), bit-exact with the reference
    on the stand-in: a distance one block short lets a block destroy input a later block reads."""
    import numpy as np

    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.passes.inplace import DISTANCE

    net, shape = _rows4_net()
    board = get_board(board_name)
    kernels = ["tg_conv2d_rows4_pair_s8_dsp", "tg_conv2d_rows4_w16_s8_dsp"]
    source, g = _compile_net(net, shape, tmp_path, board.isa_features, lambda g: {
        n.name: kernels[i % 2] for i, n in enumerate(n for n in g.nodes if n.op == "conv2d")}, lower_peak=False)
    convs = [n for n in g.nodes if n.op == "conv2d"]
    assert [n.kernel for n in convs] == [kernels[i % 2] for i in range(4)]
    g = plan_memory(g, strategies=[("in place", "tight")])
    check_against_model(g)
    # each conv's output starts its distance below its input (the plan's overlap): the pointwise
    # ones over 49 pixels by the last block's margin, 3 pixels (24 B; 8 -> 12: 216 B)
    plan = g.meta["memory"]
    shares = {(s.output, s.input): s.distance for s in plan.shares}
    distances = []
    for n in convs:
        d = DISTANCE[n.kernel](n.attrs["kparams"])
        assert shares.get((n.outputs[0], n.inputs[0])) == align(d), n.name      # rounded up to the alignment
        out, inp = plan.offsets[n.outputs[0]], plan.offsets[n.inputs[0]]
        assert out == inp - align(d) and out + g.tensors[n.outputs[0]].nbytes > inp, f"{n.name} does not overlap its input"
        distances.append(d)
    assert distances[1:3] == [24, 216]
    project = build(source, g, board, tmp_path / "fw").out_dir
    rng = np.random.default_rng(2)
    _assert_bit_exact(source, g, board, project, shape, rng)


def _slide_net():
    """3x3 stride-1 convs for the ring of widened rows (4 -> 8 -> 8 -> 4 channels over 7 x 6), each over its
    own input, then a linear head."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                nn.Conv2d(8, 4, 3, padding=1))
            self.head = nn.Linear(4 * 7 * 6, 10)

        def forward(self, x):
            return self.head(torch.flatten(self.body(x), 1))

    torch.manual_seed(6)
    net = Net()
    for p in net.parameters():
        torch.nn.init.uniform_(p, -0.6, 0.6)
    return net.eval(), (1, 4, 7, 6)


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the stand-ins need qemu-system-arm and arm-none-eabi-gcc")
@pytest.mark.parametrize("board_name", ["f446re", "u585"])
def test_plan_memory_in_place_slide_bit_exact_standins(tmp_path, board_name):
    """Every conv on the ring of widened rows (tg_conv2d_slide_pair_s8_dsp), each output planned its
    distance below its input (the plan's tightest), bit-exact with the reference on the stand-in."""
    import numpy as np

    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.passes.inplace import DISTANCE

    net, shape = _slide_net()
    board = get_board(board_name)
    kernel = "tg_conv2d_slide_pair_s8_dsp"
    source, g = _compile_net(net, shape, tmp_path, board.isa_features, lambda g: {
        n.name: kernel for n in g.nodes if n.op == "conv2d"}, lower_peak=False)
    convs = [n for n in g.nodes if n.op == "conv2d"]
    assert [n.kernel for n in convs] == [kernel] * 3
    g = plan_memory(g, strategies=[("in place", "tight")])
    check_against_model(g)
    plan = g.meta["memory"]
    shares = {(s.output, s.input): s.distance for s in plan.shares}
    overlapped = 0
    for n in convs:
        d = DISTANCE[n.kernel](n.attrs["kparams"])
        if (n.outputs[0], n.inputs[0]) in shares:
            assert shares[(n.outputs[0], n.inputs[0])] == align(d), n.name
            out, inp = plan.offsets[n.outputs[0]], plan.offsets[n.inputs[0]]
            assert out == inp - align(d) and out + g.tensors[n.outputs[0]].nbytes > inp, n.name
            overlapped += 1
    assert overlapped >= 2, shares
    project = build(source, g, board, tmp_path / "fw").out_dir
    assert "tg_conv2d_slide_pair_s8_dsp_inline(" in (project / "model.c").read_text()
    _assert_bit_exact(source, g, board, project, shape, np.random.default_rng(3))
