"""The cheap saliency predictors of issue 23 (tinygen.nn.gating): a low-rank bottleneck
(`predictor_hidden=r`: linear in -> r -> ReLU -> linear r -> out) for GatedConv2d and
GatedLinear, and GatedLinear's pooled predictor input (`predictor_pool=g`). They export as
ordinary graph ops (two fully connected layers, an average pool), compile bit-exact on the
host (every gate decision too) and on the f746zg stand-in, and bad widths are refused.
Also the gated fully connected DSP kernel's scratch formula against its C twin."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from e2e import assert_device_equals_reference
from gating_models import calibration, masked_net
from test_gating import _host_decisions, _inputs, c_buffer_sizes
from torch import nn
from torch_models import compile_module

from tinygen.errors import ModelError
from tinygen.gating import sweep
from tinygen.nn.gating import GatedConv2d, GatedLinear
from tinygen.passes import CompileOptions

SHAPE = (3, 9, 7)


@pytest.mark.parametrize("hidden", [0, -3, 2.5, True])
def test_predictor_hidden_not_a_positive_integer_is_refused(hidden):
    with pytest.raises(ModelError, match="predictor_hidden"):
        GatedLinear(16, 8, predictor_hidden=hidden)
    with pytest.raises(ModelError, match="predictor_hidden"):
        GatedConv2d(4, 8, 3, predictor_hidden=hidden)


@pytest.mark.parametrize("pool", [0, -2, 3, 1.5])
def test_predictor_pool_not_dividing_the_input_is_refused(pool):
    with pytest.raises(ModelError, match="predictor_pool"):
        GatedLinear(16, 8, predictor_pool=pool)


def test_bottleneck_predictor_shapes_and_default_unchanged():
    full = GatedLinear(16, 8)
    assert isinstance(full.predictor, nn.Linear), "the default predictor stays one linear layer (saved weights load)"
    assert set(full.state_dict()) == {"linear.weight", "linear.bias", "predictor.weight", "predictor.bias"}
    cheap = GatedLinear(16, 8, predictor_hidden=3, predictor_pool=4)
    first, last = cheap.predictor[0], cheap.predictor[2]
    assert (first.in_features, first.out_features, last.in_features, last.out_features) == (4, 3, 3, 8)
    assert torch.equal(last.bias, torch.ones(8)), "every channel starts salient"
    x = torch.randn(2, 16)
    # the pooled input: feature j is the mean of j, j + 4, j + 8, j + 12
    want = torch.relu(cheap.predictor(x.reshape(2, 4, 4).mean(dim=1)))
    torch.testing.assert_close(cheap.saliency(x), want, rtol=0, atol=1e-6)
    conv = GatedConv2d(4, 8, 3, predictor_hidden=2, density=0.5)
    assert conv.density == 0.5 and conv.predictor[0].out_features == 2


@pytest.mark.parametrize("pool", [1, 4])
def test_bottleneck_predictor_compiles_to_plain_ops_bit_exact_on_host(tmp_path, pool):
    net = masked_net(predictor_hidden=3, predictor_pool=pool)
    source, graph = compile_module(net, calibration(shape=SHAPE))
    ops = [n.op for n in graph.nodes]
    assert ops.count("depthwise_conv2d_gated") == 1 and ops.count("fully_connected_gated") == 1, ops
    assert ops.count("channel_gate") == 2 and "mul" not in ops, ops
    # each predictor: two fully connected layers (the head is one more); the pooled one an average pool
    assert ops.count("fully_connected") == 2 + 2 + 1, ops
    assert ops.count("avg_pool2d") == 2 + (pool > 1), ops     # the dw predictor's mean, the net's mean
    kept = _host_decisions(source, graph, tmp_path)
    # top-k at density 0.5 of 8 and 24 channels; fewer where a kept saliency is 0 (a ReLU zero)
    assert (4, 12) in kept and all(0 < a <= 4 and 0 < b <= 12 for a, b in kept), kept


def test_fully_connected_gated_dsp_scratch_formula_equals_c_buffer_size(tmp_path):
    from tinygen.kernels.gating import fully_connected_gated_dsp_scratch

    depths = [1, 3, 4, 5, 64, 255, 256]
    got = c_buffer_sizes(tmp_path, [(f"tg_fully_connected_gated_params_t q = {{0}}; (void)p; q.in_features = {d};",
                                     "tg_fully_connected_gated_s8_dsp_buffer_size(&q)") for d in depths])
    assert got == [fully_connected_gated_dsp_scratch({"in_features": d}) for d in depths]


@pytest.mark.slow
def test_bottleneck_predictor_layer_by_layer_on_f746zg_standin(tmp_path):
    """The bottleneck predictors (pooled and not) with the DSP kernels on the Cortex-M7
    stand-in, specialized per layer and generic (specialization off: the gated FC's .c entry
    point), at densities 1, 0.5 and 0.3 and with threshold gates: every layer equals the
    reference, gate decisions included. 24 gated linear features, an odd in_features (13 * 2
    pooled by 2: runs and pairs of kept outputs, a depth tail)."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-in needs qemu-system-arm and arm-none-eabi-gcc")
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    options = CompileOptions(features=frozenset(board.isa_features))
    points = [(masked_net(predictor_hidden=4), d, True) for d in (1.0, 0.5)]
    points += [(masked_net(seed=3, channels=13, predictor_hidden=5, predictor_pool=2), d, s)
               for d, s in ((0.3, True), (0.5, False))]
    points += [(masked_net(density=None, threshold=0.6, predictor_hidden=3), None, False)]
    for k, (net, density, specialize) in enumerate(points):
        source, graph = compile_module(net, calibration(shape=SHAPE), options=options)
        graph.meta["specialize"] = specialize
        kernels = {n.kernel for n in graph.nodes}
        assert {"tg_depthwise_conv2d_gated_s8_dsp", "tg_fully_connected_gated_s8_dsp"} <= kernels, kernels
        point = graph if density is None else sweep.at(graph, "density", density)
        project = build(source, point, board, tmp_path / f"p{k}").out_dir
        model_c = (project / "model.c").read_text()
        assert ("tg_fully_connected_gated_s8_dsp_inline(" in model_c) == specialize
        with open_device(board, project, emulate=True) as dev:
            for i, x in enumerate(_inputs(source, point, 3)):
                assert_device_equals_reference(dev, point, x, f"density {density} specialize {specialize} input {i}")


def test_bottleneck_predictor_trains():
    """A few steps of training move both bottleneck layers (the gradient reaches the first
    through the kept saliencies)."""
    torch.manual_seed(0)
    net = GatedLinear(16, 8, density=0.5, predictor_hidden=4)
    before = [p.detach().clone() for p in net.predictor.parameters()]
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    net.train()
    x, target = torch.randn(32, 16), torch.randn(32, 8)
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.mse_loss(net(x), target).backward()
        opt.step()
    assert all(not torch.equal(a, b) for a, b in zip(before, net.predictor.parameters()))
    assert np.isfinite(float(torch.nn.functional.mse_loss(net(x), target)))


class GatedChain(nn.Module):
    """Gated linear layers through awkward sizes on a flat input: depths 37, 5, 40 and 3 (a
    tail of 1, 1, 0 and 3 values after the groups of 4), 5, 40, 3 and 2 outputs (odd counts,
    one pair, a lone last output); the third predictor a bottleneck."""

    def __init__(self, density=0.5, threshold=None):
        super().__init__()
        sizes = (37, 5, 40, 3, 2)
        self.layers = nn.ModuleList(
            GatedLinear(a, b, density=density, threshold=threshold, predictor_hidden=3 if i == 2 else None)
            for i, (a, b) in enumerate(zip(sizes, sizes[1:])))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def _gated_chain(seed: int, **kw) -> nn.Module:
    torch.manual_seed(seed)
    net = GatedChain(**kw)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():       # saliencies of both signs: masks differ per input, some channels never kept
        for layer in net.layers:
            for linear in (m for m in layer.modules() if isinstance(m, nn.Linear)):
                linear.weight.copy_(torch.randn(linear.weight.shape, generator=g))
                linear.bias.copy_(torch.randn(linear.out_features, generator=g) * 0.5 + 0.3)
    return net.eval()


@pytest.mark.slow
def test_fully_connected_gated_s8_dsp_awkward_shapes_on_f746zg_standin(tmp_path):
    """The DSP gated FC kernel (specialized and generic) on the Cortex-M7 stand-in through
    awkward sizes, at densities 1, 0.5 and 0.3 and with threshold gates: every layer equals
    the reference (tg layers), gate decisions included."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-in needs qemu-system-arm and arm-none-eabi-gcc")
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    options = CompileOptions(features=frozenset(board.isa_features))
    calib = np.random.default_rng(0).standard_normal((16, 37)).astype(np.float32)
    points = [(_gated_chain(0), 1.0, True), (_gated_chain(0), 0.5, False), (_gated_chain(1), 0.3, True),
              (_gated_chain(2, density=None, threshold=0.5), None, True)]
    for k, (net, density, specialize) in enumerate(points):
        source, graph = compile_module(net, calib, options=options)
        graph.meta["specialize"] = specialize
        assert [n.kernel for n in graph.nodes].count("tg_fully_connected_gated_s8_dsp") == 4
        point = graph if density is None else sweep.at(graph, "density", density)
        project = build(source, point, board, tmp_path / f"p{k}").out_dir
        with open_device(board, project, emulate=True) as dev:
            for i, x in enumerate(_inputs(source, point, 4)):
                assert_device_equals_reference(dev, point, x, f"density {density} specialize {specialize} input {i}")
