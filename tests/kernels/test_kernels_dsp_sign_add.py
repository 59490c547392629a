"""The DSP kernels' requantization without the sign's ADD where act_min >= the output zero point.

TFLite's rounding, y = SSAT8((SMMLAR(2 acc, M, R) + (acc >> 31)) >> n) in the DSP kernels, needs
the `+ (acc >> 31)` only at an exact tie below zero, where it lowers the output to at most the
zero point minus 1; a clamp at act_min >= the zero point raises that to act_min anyway, so such
layers leave the ADD out: specialized layers per layer (tinygen.kernels.specialize.POS), the
out-of-line 3x3 depthwise and 1x1 shallow kernels per build (-D<NAME>=0,
tinygen/codegen/sign_add.py) where every layer compiling them qualifies.

Host: the build-time verdicts (which layers get POS, which builds the defines). Stand-ins (slow):
a chain of one layer per changed kernel (tg_conv2d_s8_dsp, tg_conv2d_direct_s8_dsp,
tg_conv2d_widen_s8_dsp, tg_depthwise_conv2d_3x3_s8_dsp, tg_conv2d_1x1_shallow_s8_dsp,
tg_conv2d_1x1_s8_dsp, tg_fully_connected_s8_dsp) built as int8 .tflite models whose
requantization is M = 1/4 (multiplier 2^30, shift -1) and whose accumulators stay near 0, so
that many land on exact ties below zero; once with ReLU (act_min = the zero point: the ADD left
out) and once with act_min one below the zero point (the ADD kept, and needed: the test checks
that leaving it out would change outputs of every layer), equal to the reference on the F746ZG
and F446RE stand-ins, every layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from tflite.ActivationFunctionType import ActivationFunctionType as Act

from e2e import assert_device_equals_reference
from standin_lib import needs_qemu
from tflite_builder import ModelBuilder
from tinygen.codegen.sign_add import SIGN_DEFINES, sign_add_flags, sign_add_left_out
from tinygen.kernels import specialize
from tinygen.passes import CompileOptions
from tinygen.quant.fixedpoint import multiply_by_quantized_multiplier
from tinygen.ref import kernels as ref
from tinygen.ref.interpreter import run

# the chain's layers: name (as the importer names them), the kernel forced on it
CHAIN = (("conv2d_0", "tg_conv2d_s8_dsp"), ("conv2d_1", "tg_conv2d_direct_s8_dsp"),
         ("conv2d_2", "tg_conv2d_widen_s8_dsp"), ("depthwise_conv2d_3", "tg_depthwise_conv2d_3x3_s8_dsp"),
         ("conv2d_4", "tg_conv2d_1x1_shallow_s8_dsp"), ("conv2d_5", "tg_conv2d_1x1_s8_dsp"),
         ("fully_connected_6", "tg_fully_connected_s8_dsp"))
HW, C, WIDE, CLASSES = 6, 8, 12, 10
W_SCALE = 0.25          # activations of scale 1: M = 1 * 0.25 / 1 = 2^30 * 2^-1 / 2^31
# (zero point, fused activation): ReLU at -128 (act_min = zp, the MLPerf case), ReLU at -100
# (act_min = zp inside the range: the clamps), none at -127 (act_min = -128 = zp - 1)
# and RELU_N1_TO_1 at -100 (act_min = zp - 1 inside the range: the clamps with the ADD needed)
RELU, RELU_MID, BELOW = (-128, Act.RELU), (-100, Act.RELU), (-127, Act.NONE)
BELOW_MID = (-100, Act.RELU_N1_TO_1)
# the defines the chain's kernels compile (TG_DW3N_SIGN_ADD: the narrow 3x3 depthwise kernel, rows of
# 5 pixels, checked per build in test_kernels_dsp_depthwise_narrow.py)
CHAINED = {"TG_DW3_SIGN_ADD", "TG_PW_SHALLOW_SIGN_ADD"}


def _weights(rng, shape, zeros: float) -> np.ndarray:
    """int8 weights in {-1, 0, 1}, a `zeros` share of them 0: sums of a few units, near 0."""
    w = rng.choice([-1, 1], size=shape)
    return np.where(rng.random(shape) < zeros, 0, w).astype(np.int8)


def chain_model(acts, seed: int = 0) -> bytes:
    """The chain as an int8 .tflite: acts[i] = (output zero point, activation) of layer i (the
    1x1 shallow layer, full range only, takes ReLU at -128 or none)."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder("tinygen test: sign add")
    x = b.tensor("x", [1, HW, HW, C], scale=1.0, zero_point=0)

    def out(name, shape, i):
        return b.tensor(name, shape, scale=1.0, zero_point=acts[i][0])

    def consts(name, wshape, axis, channels, zeros):
        w = b.tensor(f"{name}_w", wshape, scale=[W_SCALE] * channels, zero_point=[0] * channels,
                     data=_weights(rng, wshape, zeros), axis=axis)
        bias = b.tensor(f"{name}_b", [channels], "int32", scale=[W_SCALE] * channels,
                        zero_point=[0] * channels, data=rng.integers(-3, 4, channels))
        return w, bias

    cur = x
    for i, (name, _) in enumerate(CHAIN):
        if name.startswith("conv2d") and i < 3:            # 3x3, SAME
            w, bias = consts(name, [C, 3, 3, C], 0, C, 0.8)
            y = out(name, [1, HW, HW, C], i)
            b.op("CONV_2D", [cur, w, bias], [y], "Conv2DOptions", Padding=0, StrideW=1, StrideH=1,
                 FusedActivationFunction=acts[i][1], DilationWFactor=1, DilationHFactor=1)
        elif name.startswith("depthwise"):
            w, bias = consts(name, [1, 3, 3, C], 3, C, 0.5)
            y = out(name, [1, HW, HW, C], i)
            b.op("DEPTHWISE_CONV_2D", [cur, w, bias], [y], "DepthwiseConv2DOptions", Padding=0, StrideW=1,
                 StrideH=1, DepthMultiplier=1, FusedActivationFunction=acts[i][1], DilationWFactor=1,
                 DilationHFactor=1)
        elif name.startswith("conv2d"):                    # 1x1: depth 8 (shallow), then 12
            depth = C if name == "conv2d_4" else WIDE
            w, bias = consts(name, [WIDE, 1, 1, depth], 0, WIDE, 0.5)
            y = out(name, [1, HW, HW, WIDE], i)
            b.op("CONV_2D", [cur, w, bias], [y], "Conv2DOptions", Padding=1, StrideW=1, StrideH=1,
                 FusedActivationFunction=acts[i][1], DilationWFactor=1, DilationHFactor=1)
        else:
            w, bias = consts(name, [CLASSES, HW * HW * WIDE], 0, CLASSES, 0.99)
            y = out(name, [1, CLASSES], i)
            b.op("FULLY_CONNECTED", [cur, w, bias], [y], "FullyConnectedOptions",
                 FusedActivationFunction=acts[i][1], WeightsFormat=0, KeepNumDims=False)
        cur = y
    return b.finish([x], [cur])


# two residual blocks, conv + ADD fused (passes/fuse_residual.py): the add's requantization
RESIDUAL = (("conv2d_0", "tg_conv2d_add_s8_dsp"), ("conv2d_2", "tg_conv2d_add_widen_s8_dsp"))
ADD_SCALE = 2.0     # the add's output (a + b) / 2 on operands of scale 1: a tie at every odd sum


def residual_model(act, seed: int = 0) -> bytes:
    """x -> conv -> ADD(conv, x) -> conv -> ADD(conv, first add): act = (the adds' output zero
    point, activation); the convs' results unclamped (zero point 3, no activation)."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder("tinygen test: sign add, residual")
    x = b.tensor("x", [1, HW, HW, C], scale=1.0, zero_point=0)
    cur, scale = x, 1.0
    for block in range(2):
        w = b.tensor(f"w{block}", [C, 3, 3, C], scale=[W_SCALE / scale] * C, zero_point=[0] * C,
                     data=_weights(rng, [C, 3, 3, C], 0.8), axis=0)
        bias = b.tensor(f"b{block}", [C], "int32", scale=[W_SCALE] * C, zero_point=[0] * C,
                        data=rng.integers(-3, 4, C))
        c = b.tensor(f"c{block}", [1, HW, HW, C], scale=1.0, zero_point=3)
        b.op("CONV_2D", [cur, w, bias], [c], "Conv2DOptions", Padding=0, StrideW=1, StrideH=1,
             FusedActivationFunction=Act.NONE, DilationWFactor=1, DilationHFactor=1)
        y = b.tensor(f"a{block}", [1, HW, HW, C], scale=ADD_SCALE, zero_point=act[0])
        b.op("ADD", [c, cur], [y], "AddOptions", FusedActivationFunction=act[1])
        cur, scale = y, ADD_SCALE
    return b.finish([x], [cur])


def compiled(acts, tmp_path, features=frozenset({"dsp"}), residual: bool = False):
    from tinygen.compiler import compile_source, load_source

    path = tmp_path / "chain.tflite"
    path.write_bytes(residual_model(acts) if residual else chain_model(acts))
    source = load_source(path)
    layers = RESIDUAL if residual else CHAIN
    options = CompileOptions(features=frozenset(features), kernel_choice=dict(layers), lower_peak=False)
    graph = compile_source(source, options=options)
    kernels = {n.name: n.kernel for n in graph.nodes if n.kernel}
    assert kernels == dict(layers), kernels
    return source, graph


def _ref_fn(node):
    return {"conv2d": ref.conv2d_s8, "depthwise_conv2d": ref.depthwise_conv2d_s8,
            "fully_connected": ref.fully_connected_s8}[node.op]


def tie_counts(graph, x: np.ndarray) -> dict[str, tuple[int, int]]:
    """Per layer (ties below zero, outputs that leaving the sign's ADD out would change): the
    accumulators from the reference's inputs (the layer run with M = 1, exact for |acc| <= 127),
    then TFLite's requantization against the same without the ADD, both clamped."""
    values = run(graph, x, keep_all=True)
    out = {}
    for node in (n for n in graph.nodes if n.kernel):
        p = dict(node.attrs["kparams"])
        if node.op == "conv2d_add":
            out[node.name] = _add_ties(graph, node, p, values)
            continue
        consts = [graph.const(node, r) for r in ("weight", "bias", "multiplier", "shift")]
        m, s = np.asarray(consts[2]).ravel(), np.asarray(consts[3]).ravel()
        assert (m == 1 << 30).all() and (s == -1).all(), (node.name, m[:3], s[:3])
        unit = dict(p, output_offset=0, act_min=-128, act_max=127)
        ones = np.full(m.shape, 1 << 30)
        acc = _ref_fn(node)(unit, values[node.inputs[0]], consts[0], consts[1], ones, np.ones_like(s)).astype(np.int64)
        assert (np.abs(acc) < 127).all(), node.name     # exact: no saturation
        xq = multiply_by_quantized_multiplier(acc, 1 << 30, 0)      # SRDHM(acc, 2^30): n = 1 left
        want = np.clip(multiply_by_quantized_multiplier(acc, 1 << 30, -1) + p["output_offset"],
                       p["act_min"], p["act_max"])
        dropped = np.clip(((xq + 1) >> 1) + p["output_offset"], p["act_min"], p["act_max"])
        ties = int(np.count_nonzero((acc < 0) & ((xq + 1) % 2 == 0)))
        out[node.name] = (ties, int(np.count_nonzero(dropped != want)))
    return out


def _add_ties(graph, node, p, values) -> tuple[int, int]:
    """The fused add's (ties below zero, outputs its sign's ADD changes): the conv's int8 result
    c from the reference, the two offset operands a, b of scales 1 or 2 in units of 1, and the
    output (a s_a + b s_b) / 2 rounded (scale ADD_SCALE: TFLite's ADD is exact on that grid)."""
    consts = [graph.const(node, r) for r in ("weight", "bias", "multiplier", "shift")]
    c = ref.conv2d_s8(p, values[node.inputs[0]], *consts).astype(np.int64)
    s_conv, s_skip = float(node.attrs["conv_scale"]), float(graph.tensor(node.inputs[1]).qparams.scale[0])
    assert {s_conv, s_skip} <= {1.0, 2.0} and float(graph.tensor(node.outputs[0]).qparams.scale[0]) == ADD_SCALE
    skip = values[node.inputs[1]].reshape(c.shape).astype(np.int64)
    total = (c + p["conv_offset"]) * int(s_conv) + (skip + p["skip_offset"]) * int(s_skip)
    want = np.clip(np.where(total < 0, -((-total + 1) // 2), (total + 1) // 2) + p["add_output_offset"],
                   p["add_act_min"], p["add_act_max"])
    assert np.array_equal(want, values[node.outputs[0]].reshape(c.shape)), node.name    # the model is right
    dropped = np.clip(((total + 1) >> 1) + p["add_output_offset"], p["add_act_min"], p["add_act_max"])
    return int(np.count_nonzero((total < 0) & (total % 2 == 1))), int(np.count_nonzero(dropped != want))


# -- host: the verdicts -------------------------------------------------------------------------

def test_sign_add_needed_only_below_the_zero_point():
    assert not specialize.sign_add_needed({"act_min": -128, "output_offset": -128})
    assert not specialize.sign_add_needed({"act_min": -100, "output_offset": -128})
    assert not specialize.sign_add_needed({"act_min": 5, "output_offset": 5})
    assert specialize.sign_add_needed({"act_min": -128, "output_offset": -127})
    assert specialize.sign_add_needed({"act_min": 4, "output_offset": 5})


def test_requant_mode_pos_flag_per_layer_and_kernel():
    m, s = [1 << 30] * 2, [-5, -9]
    relu = {"in_c": 8, "kernel_h": 1, "kernel_w": 1, "in_features": 8, "output_offset": -128, "act_min": -128}
    below = dict(relu, output_offset=-127)
    one = specialize.INLINE["tg_conv2d_1x1_s8_dsp"]
    assert specialize.requant_mode(one, relu, None, m, s) == specialize.FOLDED | specialize.POS
    assert specialize.requant_mode(one, below, None, m, s) == specialize.FOLDED
    direct = specialize.INLINE["tg_conv2d_direct_s8_dsp"]
    assert specialize.requant_mode(direct, relu, None, m, s) == specialize.BOUNDED | specialize.POS
    assert specialize.requant_mode(direct, below, None, m, s) == specialize.BOUNDED
    assert specialize.requant_mode(one, relu, None, m, [0, -9]) == specialize.GENERAL     # not bounded
    # kernels whose C does not take the flag never get it
    for name in ("tg_fully_connected_shallow_s8_dsp", "tg_fully_connected_gated_s8_dsp", "tg_conv2d_s8_rv32",
                 "tg_conv2d_add_s8_rv32"):
        assert not specialize.requant_mode(specialize.INLINE[name], relu, None, m, s) & specialize.POS, name
    # (the shared-weight kernels decoding for one of these run its body: specialize.LUT_DECODES; the
    # entropy-coded and shared-weight widening kernels, tg_conv2d_widen_s8_dsp.h's core on decoded
    # blocks, have their own)
    assert {k for k, v in specialize.INLINE.items() if v.pos and not v.decodes} == {
        "tg_conv2d_1x1_s8_dsp", "tg_conv2d_s8_dsp", "tg_fully_connected_s8_dsp", "tg_conv2d_direct_s8_dsp",
        "tg_conv2d_widen_s8_dsp", "tg_conv2d_add_s8_dsp", "tg_conv2d_add_widen_s8_dsp",
        "tg_fully_connected_batch1_s8_dsp", "tg_fully_connected_batch1_lean_s8_dsp",
        "tg_fully_connected_batch1_w16_s8_dsp", "tg_fully_connected_batch1_rowpair_s8_dsp",
        "tg_fully_connected_batch1_rowpair_lean_s8_dsp", "tg_conv2d_1x1_rows3_s8_dsp", "tg_conv2d_rows3_s8_dsp",
        "tg_conv2d_rows4_w16_s8_dsp", "tg_conv2d_add_rows4_w16_s8_dsp", "tg_conv2d_rows4_pair_s8_dsp",
        "tg_conv2d_add_rows4_pair_s8_dsp", "tg_conv2d_slide_pair_s8_dsp", "tg_conv2d_add_slide_pair_s8_dsp",
        "tg_conv2d_widen_huffman_s8_dsp", "tg_conv2d_widen_lut_s8_dsp"}
    # the fused adds: the add's act_min and zero point decide, not the conv's (unclamped before the add)
    add = specialize.INLINE["tg_conv2d_add_s8_dsp"]
    conv_relu = dict(relu, add_act_min=-128, add_output_offset=-127)
    add_relu = dict(below, add_act_min=-128, add_output_offset=-128)
    assert specialize.requant_mode(add, add_relu, None, m, s) == specialize.BOUNDED | specialize.POS
    assert specialize.requant_mode(add, conv_relu, None, m, s) == specialize.BOUNDED
    # the 4-pixel fused add: its conv's outputs folded (their sign's ADD always kept in its C), the add's POS
    for name in ("tg_conv2d_add_rows4_w16_s8_dsp", "tg_conv2d_add_rows4_pair_s8_dsp"):
        add4 = specialize.INLINE[name]
        assert specialize.requant_mode(add4, add_relu, None, m, s) == specialize.FOLDED | specialize.POS
        assert specialize.requant_mode(add4, conv_relu, None, m, s) == specialize.FOLDED


def test_sign_add_defines_per_build(tmp_path):
    """A build sets a define only where every layer compiling its header qualifies."""
    assert {d.name for d in SIGN_DEFINES} == CHAINED | {"TG_DW3N_SIGN_ADD"}
    names = CHAINED
    _, graph = compiled([RELU] * len(CHAIN), tmp_path)
    assert sorted(sign_add_left_out(graph)) == sorted(names)
    assert sorted(sign_add_flags(graph)) == ["-DTG_DW3_SIGN_ADD=0", "-DTG_PW_SHALLOW_SIGN_ADD=0"]
    modes = {n.name: n for n in graph.nodes if n.kernel in specialize.INLINE}
    assert len(modes) == 5
    # the depthwise layer one below the zero point: only its define goes
    acts = [RELU] * len(CHAIN)
    acts[3] = BELOW
    _, graph = compiled(acts, tmp_path)
    assert sign_add_left_out(graph) == ["TG_PW_SHALLOW_SIGN_ADD"]
    # a ReLU inside the range still qualifies (the 3x3 path's clamp pass raises the tie)
    acts[3] = RELU_MID
    _, graph = compiled(acts, tmp_path)
    assert sorted(sign_add_left_out(graph)) == sorted(names)
    # every layer below: none; and no DSP kernels (portable): none
    _, graph = compiled([BELOW] * len(CHAIN), tmp_path)
    assert sign_add_left_out(graph) == []
    from tinygen.compiler import compile_source, load_source

    portable = compile_source(load_source(tmp_path / "chain.tflite"), options=CompileOptions())
    assert sign_add_left_out(portable) == []


def test_sign_add_defines_only_for_their_kernels(tmp_path):
    """A layer that compiles a define's header but is not one of its kernels (the gated depthwise
    kernels fold another clamp) keeps the ADD for the whole build."""
    _, graph = compiled([RELU] * len(CHAIN), tmp_path)
    g = graph.copy()
    dw = next(n for n in g.nodes if n.kernel == "tg_depthwise_conv2d_3x3_s8_dsp")
    assert "TG_DW3_SIGN_ADD" in sign_add_left_out(g)
    dw.kernel = "tg_depthwise_conv2d_gated_s8_dsp"
    assert "TG_DW3_SIGN_ADD" not in sign_add_left_out(g)
    dw.kernel = "tg_depthwise_conv2d_s8_dsp"            # the generic kernel runs the 3x3 path too
    assert "TG_DW3_SIGN_ADD" in sign_add_left_out(g)


def test_chain_inputs_hit_ties(tmp_path):
    """The stand-in test's inputs put every layer on ties below zero, and with act_min one below
    the zero point leaving the ADD out would change outputs of every layer."""
    below_mid = [BELOW_MID] * 4 + [BELOW] + [BELOW_MID] * 2
    cases = [([RELU] * len(CHAIN), False, False), ([BELOW] * len(CHAIN), True, False), (below_mid, True, False),
             (RELU, False, True), (RELU_MID, False, True), (BELOW, True, True)]
    for acts, changes, residual in cases:
        source, graph = compiled(acts, tmp_path, residual=residual)
        totals = {name: [0, 0] for name, _ in (RESIDUAL if residual else CHAIN)}
        for x in chain_inputs(source, graph):
            for name, (ties, changed) in tie_counts(graph, x).items():
                totals[name][0] += ties
                totals[name][1] += changed
        for name, (ties, changed) in totals.items():
            assert ties > 0, (name, acts)
            assert (changed > 0) == changes, (name, acts, ties, changed)


def chain_inputs(source, graph) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.integers(-2, 3, size=source.input_shape).astype(np.int8) for _ in range(3)]


# -- stand-ins ---------------------------------------------------------------------------------

@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
@pytest.mark.parametrize("model,case", [("chain", "relu"), ("chain", "relu_mid"), ("chain", "below"),
                                        ("chain", "below_mid"), ("residual", "relu"), ("residual", "relu_mid"),
                                        ("residual", "below")])
def test_sign_add_left_out_standin(board_name, model, case, tmp_path):
    """relu: every layer act_min = the zero point -128 (the sign's ADD left out everywhere: POS and
    both defines); relu_mid: the same at -100 (the clamps) but the 1x1 shallow layer at -128 (it
    serves the full range only); below: act_min one below the zero point -127 (the ADD kept);
    below_mid: act_min one below the zero point -100 (RELU_N1_TO_1: the clamps) but the shallow
    layer as in below. The residual blocks (the fused adds) the same with the adds' output zero
    point and activation. Every layer equals the reference."""
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    residual = model == "residual"
    if residual:
        acts = {"relu": RELU, "relu_mid": RELU_MID, "below": BELOW}[case]
    else:
        acts = {"relu": [RELU] * len(CHAIN), "relu_mid": [RELU_MID] * 4 + [RELU] + [RELU_MID] * 2,
                "below": [BELOW] * len(CHAIN), "below_mid": [BELOW_MID] * 4 + [BELOW] + [BELOW_MID] * 2}[case]
    source, graph = compiled(acts, tmp_path, board.isa_features, residual)
    project = build(source, graph, board, tmp_path / "out").out_dir
    makefile = (project / "Makefile").read_text()
    for d in SIGN_DEFINES:
        assert (f"-D{d.name}=0" in makefile) == (case.startswith("relu") and not residual and d.name in CHAINED), \
            d.name
    pos = [n.name for n in graph.nodes if "no sign's ADD" in _layer_comment(project, n.name)]
    assert len(pos) == ((2 if residual else 5) if case.startswith("relu") else 0), pos
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(chain_inputs(source, graph)):
            assert_device_equals_reference(dev, graph, x, f"{board_name} {case} input {i}")


def _layer_comment(project, name: str) -> str:
    text = (project / "model.c").read_text()
    start = text.find(f"static void {name}(void)")
    return text[start:text.find("}", start)] if start >= 0 else ""
