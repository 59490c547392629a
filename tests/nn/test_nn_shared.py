"""tinygen.nn.share_weights (issue 73, trained centroids): clustering, the parametrization's
gradients, saving, refusals, and the build storing exactly the trained codes (the weight
tensors' Codebook, source "nn"), bit-exact on the host."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_bit_exact, build_host
from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError
from tinygen.frontend.torch_loader import to_ir_layout
from tinygen.nn import ActQuant, QConv2d, QLinear, WeightQuant, share_weights
from tinygen.nn.shared import kmeans_1d
from tinygen.ref.interpreter import dequantize, quantize_input, run

SHARED = Path(__file__).resolve().parents[2] / "examples" / "shared"


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(QConv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), QLinear(8 * 6 * 6, 4),
                        )
    net.train()
    with torch.no_grad():
        net(torch.randn(16, 1, 6, 6))
    return net


def test_kmeans_1d_is_lloyds_fixed_point():
    v = np.random.default_rng(0).normal(size=500)
    c, assign = kmeans_1d(v, 8)
    assert c.shape == (8,) and np.array_equal(kmeans_1d(v, 8)[0], c)       # deterministic
    assert np.array_equal(assign, np.argmin(np.abs(v[:, None] - c[None]), axis=1))
    for k in range(8):
        assert np.isclose(c[k], v[assign == k].mean())
    c2, a2 = kmeans_1d(np.array([1.0, 1.0, 2.0]), 4)                       # fewer values than centroids
    assert np.array_equal(c2[a2], [1.0, 1.0, 2.0])


@pytest.mark.parametrize("bits", [2, 3, 4])
def test_each_channel_takes_at_most_2_pow_bits_codes(bits):
    net = _net()
    # the first conv has 9 weights per channel: a table of 2**bits would not be smaller
    assert share_weights(net, bits) == (["0", "3"] if 9 * bits // 8 + (1 << bits) < 9 else ["3"])
    assert share_weights(_net(), bits, layers=["0", "3"]) == ["0", "3"]        # named: shared anyway
    net.eval()
    net(torch.randn(1, 1, 6, 6))
    for layer in [net[int(name)] for name in ["0", "3"] if '"shared"' in net[int(name)].config]:
        rows = layer.w_int.reshape(layer.w_int.shape[0], -1)
        assert max(len(r.unique()) for r in rows) <= 1 << bits
        assert '"shared": {"axis": "channel", "bits": %d}' % bits in layer.config


def test_centroids_get_the_sum_of_their_weights_gradients():
    net = _net()
    share_weights(net, 2)
    p = net[3].parametrizations.weight
    x = torch.randn(4, 1, 6, 6)
    net.train()
    net(x).sum().backward()
    grad = p[0].centroids.grad
    assert grad is not None and grad.abs().sum() > 0
    # the same gradient by hand: d loss / d shared weight, summed over each centroid's weights
    seen = []

    def keep(module, args, out):
        out.retain_grad()
        seen.append(out)

    p[0].register_forward_hook(keep)
    net.zero_grad()
    net(x).sum().backward()
    grad = p[0].centroids.grad
    w_grad = seen[-1].grad
    want = torch.zeros_like(grad).scatter_add_(1, p[0].assign.long(), w_grad.reshape(grad.shape[0], -1))
    assert torch.allclose(grad, want, atol=1e-5)
    before = p[0].assign.clone()
    torch.optim.SGD(net.parameters(), lr=0.1).step()
    assert torch.equal(p[0].assign, before)                    # the assignment is fixed


def test_saved_model_loads_into_the_same_structure():
    net = _net()
    share_weights(net, 3)
    net.eval()
    state = net.state_dict()
    assert state["3.parametrizations.weight.original"].numel() == 0
    assert state["3.parametrizations.weight.0.assign"].dtype == torch.uint8
    other = _net()
    share_weights(other, 3)
    other.load_state_dict(state)
    other.eval()
    x = torch.randn(2, 1, 6, 6)
    assert torch.equal(net(x), other(x))


def test_refusals_say_what_to_do():
    net = _net()
    with pytest.raises(ModelError, match="2 to 6 bits"):
        share_weights(net, 7)
    with pytest.raises(ModelError, match="no layer named"):
        share_weights(net, 4, layers=["9"])
    with pytest.raises(ModelError, match="ReLU"):
        share_weights(net, 4, layers=["1"])
    binary = nn.Sequential(QLinear(4, 2, weight=WeightQuant("binary"), act=ActQuant("int8")))
    with pytest.raises(ModelError, match="binary weights"):
        share_weights(binary, 4, layers=["0"])
    assert share_weights(binary, 4) == []                      # not named: skipped
    share_weights(net, 4)
    with pytest.raises(ModelError, match="already"):
        share_weights(net, 4, layers=["3"])


def _example(bits: int):
    sys.path.insert(0, str(SHARED))
    try:
        module = __import__(f"shared{bits}_digits")
        import _shared
        return module, _shared._digits
    finally:
        sys.path.remove(str(SHARED))


@pytest.mark.parametrize("bits", [4, 2])
def test_build_stores_the_trained_codes(bits, tmp_path):
    """The shipped shared-weight digits model: every MAC layer's weights carry the Codebook of
    the trained codes (source "nn", at most 2**bits per channel); the compiled model predicts
    as the eval module does; the host C equals the reference."""
    module, digits = _example(bits)
    source = load_source(SHARED / f"shared{bits}_digits.py")
    graph = compile_source(source)
    books = [graph.tensor(n.param("weight")) for n in graph.nodes if n.param("weight")]
    # conv1 has 9 weights per channel: shared at 2 bits (2 B + a 4 B table), not at 4 (4 B + 16 B)
    assert len(books) == 4 and (books[0].codebook is None) == (bits == 4)
    for t in books[bits == 4:]:
        assert t.codebook is not None and t.codebook.source == "nn" and t.codebook.bits == bits
        assert np.array_equal(t.codebook.decode(), t.data)
        assert t.codebook.packed_bytes() < t.size
    _, (x, _) = digits.dataset()
    x = x[:100]
    with torch.no_grad():
        want = module.model()(torch.from_numpy(x)).numpy()
    got = np.array([dequantize(graph, graph.outputs[0], run(graph, quantize_input(graph, xi[None]))[graph.outputs[0]]).ravel()
                    for xi in to_ir_layout(x)])
    assert np.mean(got.argmax(1) == want.argmax(1)) >= 0.98
    if bits == 4:
        host = build_host(source, graph, tmp_path / "host")
        assert_bit_exact(graph, host, [quantize_input(graph, xi[None]) for xi in to_ir_layout(x[:8])])


@pytest.mark.parametrize("bits", [4, 3, 2])
def test_shipped_kws_models_store_their_trained_codes(bits):
    """examples/shared/shared<bits>_kws.py: the stem, pointwise and linear layers carry the trained
    codes (at most 2**bits per channel); the depthwise layers (nn.Conv2d, int8 PTQ) none."""
    graph = compile_source(load_source(SHARED / f"shared{bits}_kws.py"))
    shared = [graph.tensor(n.param("weight")) for n in graph.nodes if n.param("weight") and n.op != "depthwise_conv2d"]
    assert len(shared) == 6
    for t in shared:
        assert t.codebook is not None and t.codebook.source == "nn" and t.codebook.bits == bits
        assert np.array_equal(t.codebook.decode(), t.data)
    assert all(graph.tensor(n.param("weight")).codebook is None for n in graph.nodes if n.op == "depthwise_conv2d")
