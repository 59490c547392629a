"""tinygen.nn models through the compiler (issue 6): import as single nodes, the integer
lowering (thresholds, sign flips, packing at true width), kernels, and bit-exactness of
the C (host, and the Cortex-M7 / M4 stand-ins) with the numpy reference.

The example models are examples/lowbit/*_digits.py (trained on scikit-learn's digits).
"""

from __future__ import annotations

import math
import shutil
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_bit_exact, assert_device_equals_reference, build_host
from tinygen.passes.analysis import layer_stats
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.frontend.torch_loader import to_ir_layout
from tinygen.nn import ActQuant, QConv2d, QLinear, WeightQuant
from tinygen.passes import CompileOptions
from tinygen.ir import Node
from tinygen.passes.quantize_lowbit import FINE_BIAS_STEP, bias_shift, thresholds
from tinygen.quant.spec import INT32_MAX, INT32_MIN
from tinygen.ref.interpreter import dequantize, quantize_input, run

ROOT = Path(__file__).resolve().parents[2]
LOWBIT = ROOT / "examples" / "lowbit"
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")

# model -> the kernels its layers get on a Cortex-M7 (--kernels tinygen; the one-row classifier: the batch-1 FC
# with row-pair halfwords)
EXPECTED_KERNELS = {
    "bnn": ["tg_conv2d_s8_s8_b1_dsp", "tg_conv2d_b1_b1_b1_dsp", "tg_conv2d_b1_b1_b1_dsp", "tg_unpack_b1_s8",
            "tg_fully_connected_batch1_rowpair_s8_dsp"],
    "binaryconnect": ["tg_conv2d_s8_dsp", "tg_conv2d_s8_b1x8_s8_dsp", "tg_conv2d_s8_b1x8_s8_dsp",
                      "tg_fully_connected_batch1_rowpair_s8_dsp"],
    "pow2": ["tg_conv2d_s8_dsp", "tg_conv2d_s8_p4_s8_dsp", "tg_conv2d_s8_p4_s8_dsp",
             "tg_fully_connected_batch1_rowpair_s8_dsp"],
    "w4a4": ["tg_conv2d_s8_dsp", "tg_conv2d_pair_u4_s4_s8_dsp", "tg_conv2d_pair_u4_s4_s8_dsp",
             "tg_fully_connected_batch1_rowpair_s8_dsp"],
}
NOMINAL_BITS = {"bnn": [8, 1, 1, 8], "binaryconnect": [8, 1, 1, 8], "pow2": [8, 4, 4, 8], "w4a4": [8, 4, 4, 8]}

_compiled: dict = {}


def compiled(name: str, board: str = "f746zg", kernels: str = "tinygen"):
    key = (name, board, kernels)
    if key not in _compiled:
        source = load_source(LOWBIT / f"{name}_digits.py")
        options = CompileOptions(features=frozenset(get_board(board).isa_features), kernels=kernels)
        _compiled[key] = source, compile_source(source, None, options)
    return _compiled[key]


def digits_test(count: int):
    sys.path.insert(0, str(LOWBIT))
    try:
        import _digits
    finally:
        sys.path.remove(str(LOWBIT))
    _, (x, y) = _digits.dataset()
    return x[:count], y[:count]


def compiled_outputs(graph, x_nchw: np.ndarray) -> np.ndarray:
    """The numpy reference's dequantized outputs for a float batch (torch layout)."""
    out = []
    for x in to_ir_layout(x_nchw):
        q = run(graph, quantize_input(graph, x[None]))[graph.outputs[0]]
        out.append(dequantize(graph, graph.outputs[0], q).ravel())
    return np.array(out)


@pytest.mark.parametrize("name", sorted(EXPECTED_KERNELS))
def test_example_compiles_to_the_low_bit_kernels(name):
    _, graph = compiled(name)
    assert [n.kernel for n in graph.nodes if n.kernel] == EXPECTED_KERNELS[name]
    stats = [s for s in layer_stats(graph) if s.weight_bits]
    assert [s.weight_bits for s in stats] == NOMINAL_BITS[name]
    for s, node in zip(stats, [n for n in graph.nodes if n.param("weight")]):
        # the weights packed at their true width (rows padded to whole words at most), the
        # bias and requantization or threshold constants on top
        weight_bits = graph.tensor(node.param("weight")).nbytes * 8 / math.prod(graph.weight_shape(node))
        assert s.weight_bits <= weight_bits <= s.weight_bits * 1.05, (node.name, weight_bits)
        assert s.weight_flash_bits > weight_bits


@pytest.mark.parametrize("name", sorted(EXPECTED_KERNELS))
def test_compiled_model_predicts_like_the_eval_module(name):
    """The compiled integer model and the tinygen.nn eval module agree: same predictions on
    the digits test images, outputs within one step of the output grid (the eval module
    rounds each layer once in float; the compiled model requantizes with TFLite's
    fixed-point multipliers)."""
    _, graph = compiled(name)
    x, y = digits_test(150)
    sys.path.insert(0, str(LOWBIT))
    try:
        net = __import__(f"{name}_digits").model().eval()
    finally:
        sys.path.remove(str(LOWBIT))
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    got = compiled_outputs(graph, x)
    agree = float(np.mean(want.argmax(1) == got.argmax(1)))
    assert agree >= 0.99, f"{name}: predictions agree on {agree:.1%}"
    assert abs(np.mean(got.argmax(1) == y) - np.mean(want.argmax(1) == y)) <= 0.01


@pytest.mark.parametrize("name", ["bnn", "pow2", "w4a4"])
def test_host_c_equals_reference(name, tmp_path):
    """C == reference on the host; the portable power-of-two and 4-bit kernels built without
    the finer bias's shift (every layer's bias_shift is 0: tinygen/codegen/bias_shift.py)."""
    source, graph = compiled(name, "host")
    host = build_host(source, graph, tmp_path / "host")
    assert ("-DTG_LOWBIT_BIAS_SHIFT=0" in (tmp_path / "host" / "Makefile").read_text()) == (name != "bnn")
    x, _ = digits_test(12)
    assert_bit_exact(graph, host, [quantize_input(graph, xi[None]) for xi in to_ir_layout(x)])


def _positive(g: float, h: float, activation, acc: int) -> bool:
    """y = clamp(|g| acc + h) >= 0, in exact rational arithmetic."""
    y = Fraction(abs(g)) * acc + Fraction(h)
    if activation is not None:
        y = min(max(y, Fraction(activation[0])), Fraction(activation[1]))
    return y >= 0


def test_thresholds_match_exact_arithmetic():
    rng = np.random.default_rng(0)
    g = np.concatenate([rng.normal(0, 2, 300), [0.0, 0.0, 1e-9, -3.0]])
    h = np.concatenate([rng.normal(0, 50, 300), [1.0, -1.0, 5.0, 0.0]])
    g[:20] = np.round(g[:20] * 4) / 4                           # exact ties: -h / g an integer
    h[:20] = np.round(h[:20])
    for activation in (None, (0.0, 6.0), (-1.0, 1.0), (-5.0, -1.0)):
        t = thresholds(g, h, activation)
        for c in range(g.size):
            accs = [INT32_MIN, INT32_MAX - 1] if t[c] in (INT32_MIN, INT32_MAX) else range(t[c] - 3, t[c] + 3)
            for acc in accs:
                assert _positive(g[c], h[c], activation, acc) == (acc >= t[c]), (g[c], h[c], activation, acc, t[c])


class _Tiny(nn.Module):
    """int8 conv -> BN with negative gammas -> binary conv (pad P) -> BN -> int8 linear."""

    def __init__(self, pad_value: int):
        super().__init__()
        self.c1 = QConv2d(2, 12, 3, padding=1, weight=WeightQuant("int8"), act=ActQuant("int8"))
        self.b1 = nn.BatchNorm2d(12)
        self.c2 = QConv2d(12, 40, 3, stride=2, padding=1, bias=False, weight=WeightQuant("binary", alpha="channel"),
                          act=ActQuant("binary"), pad_value=pad_value)
        self.b2 = nn.BatchNorm2d(40)
        self.fc = QLinear(40 * 3 * 3, 5, weight=WeightQuant("int8"), act=ActQuant("binary"))

    def forward(self, x):
        return self.fc(torch.flatten(self.b2(self.c2(self.b1(self.c1(x)))), 1))


@pytest.mark.parametrize("pad_value", [0, 1, -1])
def test_negative_gamma_and_binary_padding_are_exact(pad_value, tmp_path):
    """Batch norms with negative gammas fold into thresholds by negating the channel's
    weights; the binary tensor the compiled model computes equals torch's sign bits."""
    torch.manual_seed(pad_value + 1)
    net = _Tiny(pad_value)
    x = torch.rand(64, 2, 6, 6) * 2 - 0.5
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(x)                                          # EMA ranges, batch statistics
        for bn in (net.b1, net.b2):
            bn.weight.copy_(torch.randn(bn.num_features))    # about half negative
            bn.bias.copy_(torch.randn(bn.num_features) * 0.5)
    net.eval()
    program = torch.export.export(net, (x[:1],))
    path = tmp_path / "tiny.pt2"
    torch.export.save(program, str(path))
    source = load_source(path)
    np.save(tmp_path / "calib.npy", x.numpy())          # the ranges of the float output
    graph = compile_source(source, str(tmp_path / "calib.npy"), CompileOptions())
    assert any(n.kernel == "tg_conv2d_b1_b1_b1" for n in graph.nodes)
    bn1_sign = graph.tensor(next(n for n in graph.nodes if n.kernel == "tg_conv2d_s8_s8_b1").outputs[0])
    with torch.no_grad():
        want_bits = (net.b1(net.c1(x)) < 0).numpy()          # bit 1 = -1
        want = net(x).numpy()
    for i, xi in enumerate(to_ir_layout(x.numpy())):
        values = run(graph, quantize_input(graph, xi[None]), keep_all=True)
        words = values[bn1_sign.name].view("<u4").reshape(6, 6, 1)
        bits = (words[..., :1] >> np.arange(12, dtype=np.uint32)) & 1
        assert np.array_equal(bits.astype(bool), want_bits[i].transpose(1, 2, 0)), f"sample {i}"
    got = compiled_outputs(graph, x.numpy())
    assert np.mean(got.argmax(1) == want.argmax(1)) >= 0.95


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
@pytest.mark.parametrize("name", sorted(EXPECTED_KERNELS))
def test_example_on_standin_equals_reference(name, board, tmp_path):
    """Every layer's bytes on the Cortex-M7 / M4 stand-in equal the numpy reference."""
    from tinygen.hil.target import open_device

    source, graph = compiled(name, board)
    project = build(source, graph, get_board(board), tmp_path / "fw").out_dir
    x, _ = digits_test(4)
    with open_device(get_board(board), project, emulate=True) as dev:
        for i, xi in enumerate(to_ir_layout(x)):
            assert_device_equals_reference(dev, graph, quantize_input(graph, xi[None]), f"{name} {board} {i}")


@pytest.mark.parametrize("name, kernels", [("w4a4", ["tg_conv2d_pair_u4_s4_s8_dsp", "tg_conv2d_u4_s4_s8_dsp",
                                                       "tg_conv2d_s8_s4_s8_dsp", "tg_conv2d_u4_s4_s8",
                                                       "tg_conv2d_pair_u4_s4_s8", "tg_conv2d_s8_s4_s8"]),
                                           ("binaryconnect", ["tg_conv2d_s8_b1x8_s8_dsp", "tg_conv2d_s8_b1lut_s8_dsp",
                                                              "tg_conv2d_s8_b1_s8_dsp", "tg_conv2d_s8_b1_s8"])])
def test_auto_measures_new_and_old_low_bit_kernels(name, kernels):
    """--kernels auto's candidates for a middle layer: the issue-20 kernels first, the
    unpacking / add-only ones after them, each measured and the fewest instructions kept."""
    from tinygen.passes.choose_kernels import kernel_candidates

    _, graph = compiled(name)
    node = next(n for n in graph.nodes if n.kernel == kernels[0])
    features = frozenset(get_board("f746zg").isa_features)
    assert [s.name for s in kernel_candidates(graph, node, features, "auto")] == kernels


def test_bias_shift_finer_than_the_output_step_and_within_int32():
    """bias_shift (a toolchain's float bias, attrs["lowbit"]["fine_bias"]): the smallest k with an
    accumulator unit of at most FINE_BIAS_STEP output steps, lowered where acc * 2^k + bias could
    leave int32, and 0 for tinygen.nn's own layers (their bias is whole units by definition)."""
    w = np.ones((4, 1, 1, 64), np.int64)                # 64 binary taps: |acc| <= 64
    fine = Node("n", "conv2d", ["x"], ["y"], {"lowbit": {"fine_bias": True}})
    r = np.array([13.0, 2.0, 0.5, 1.0])                 # a unit of 13 output LSBs at most
    k = bias_shift(fine, w, 0, r, np.zeros(4), 1)
    assert 13.0 / 2 ** k <= FINE_BIAS_STEP < 13.0 / 2 ** (k - 1)
    assert bias_shift(Node("n", "conv2d", ["x"], ["y"], {"lowbit": {}}), w, 0, r, np.zeros(4), 1) == 0
    assert bias_shift(fine, w, 0, r * FINE_BIAS_STEP / 16, np.zeros(4), 1) == 0      # fine already
    big = bias_shift(fine, w, 0, r, np.zeros(4), 1 << 16)                            # |acc| <= 2^22
    assert 0 < big < k and (64 << 16) * 2 ** big < INT32_MAX <= (64 << 16) * 2 ** (big + 1) + 2 ** (big + 1)
