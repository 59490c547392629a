"""Entropy-constrained weight sharing (tinygen/nn/ecsq.py, share_weights(..., entropy=LAMBDA),
issue 73): on synthetic weights the assignment lowers the index entropy against k-means at a
bounded distortion, is the Lloyd fixed point of its cost, keeps a pruned channel's zero fixed
(the pruned weights on it, the kept ones free to join it), and through share_weights keeps the
pruned weights exactly zero in training and in the build, whose Huffman-coded indices shrink."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from tinygen.compiler import compile_source
from tinygen.errors import ModelError
from tinygen.nn import QConv2d, QLinear, prune_weights, share_weights
from tinygen.nn.ecsq import ecsq_1d, index_entropy
from tinygen.nn.prune import pruned_mask
from tinygen.nn.shared import SharedWeight, kmeans_1d
from tinygen.passes import CompileOptions
from tinygen.quant.weight_spec import parse_weights
from tinygen.report.weights import stored_weight_bytes
from torch_models import source_of


def _laplace(n: int = 2000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).laplace(size=n)


def _cost(v, c, assign, lam, extra_zero=0):
    counts = np.bincount(assign, minlength=c.size).astype(float)
    counts[0] += extra_zero
    with np.errstate(divide="ignore"):
        length = -np.log2(counts / counts.sum())
    rate = np.where(np.isfinite(length), lam * np.nan_to_num(length, posinf=0.0), np.inf)
    return (v[:, None] - c[None]) ** 2 / np.mean(v * v) + rate[None]


def test_entropy_constrained_assignment_lowers_the_index_entropy():
    v = _laplace()
    power = np.mean(v * v)
    c0, a0 = kmeans_1d(v, 16)
    h_kmeans, d_kmeans = index_entropy(a0, 16), np.mean((v - c0[a0]) ** 2) / power
    assert h_kmeans > 3.5                              # k-means uses its 16 centroids almost evenly
    last_h = h_kmeans
    for lam in (0.02, 0.1, 0.3):
        c, a = ecsq_1d(v, c0, lam)
        h, d = index_entropy(a, 16), np.mean((v - c[a]) ** 2) / power
        assert h < last_h - 0.2                        # more lambda, fewer bits a weight
        assert d + lam * h <= d_kmeans + lam * h_kmeans   # the cost it minimises, below k-means'
        assert d < 0.25                                # still a quantizer of the weights
        last_h = h
    assert last_h < h_kmeans - 1.5
    assert np.array_equal(ecsq_1d(v, c0, 0.1)[1], ecsq_1d(v, c0, 0.1)[1])     # deterministic


@pytest.mark.parametrize("lam", [0.0, 0.1, 0.5])        # 0: a k-means fixed point (nearest centroid)
def test_the_result_is_the_lloyd_fixed_point_of_its_cost(lam):
    v = _laplace(seed=1)
    c0, _ = kmeans_1d(v, 8)
    c, a = ecsq_1d(v, c0, lam)
    cost = _cost(v, c, a, lam)
    assert np.array_equal(a, np.argmin(cost, axis=1))          # each weight on its cheapest centroid
    for j in np.unique(a):
        assert np.isclose(c[j], v[a == j].mean())               # each centroid the mean of its weights
    if lam == 0.5:                                              # a centroid dies (infinite code length)
        assert np.setdiff1d(np.arange(8), a).size > 0


def test_a_pruned_channel_keeps_its_zero_and_the_kept_may_join_it():
    rng = np.random.default_rng(2)
    kept = rng.normal(size=300)
    c0 = np.concatenate([[0.0], kmeans_1d(kept, 15)[0]])
    zero_before = 0
    for lam in (0.0, 0.1, 0.3):
        c, a = ecsq_1d(kept, c0, lam, fixed_zero=700)
        assert c[0] == 0.0
        zeros = int(np.sum(a == 0))
        assert zeros >= zero_before
        zero_before = zeros
        assert np.array_equal(a, np.argmin(_cost(kept, c, a, lam, 700), axis=1))
    assert zero_before > 100                            # at 0.3 the small kept weights moved to the zero
    on_zero, others = kept[a == 0], kept[a != 0]                # the zero's cell: an interval around 0
    assert others[others > 0].min() > on_zero.max() > 0 > on_zero.min() > others[others < 0].max()


def _net(seed: int = 0) -> nn.Sequential:
    """conv 1 -> 8, conv 8 -> 16 (72 weights a channel), fully connected 576 -> 4, ranges observed."""
    torch.manual_seed(seed)
    layers = [QConv2d(1, 8, 3, padding=1), nn.ReLU(), QConv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
              QLinear(576, 4)]
    net = nn.Sequential(*layers).train()
    with torch.no_grad():
        net(torch.randn(16, 1, 6, 6))
    return net


def _assign_entropy(net) -> float:
    assigns = [m.assign.reshape(m.assign.shape[0], -1).numpy() for m in net.modules() if isinstance(m, SharedWeight)]
    return float(np.mean([index_entropy(row, 16) for a in assigns for row in a]))


def test_share_weights_entropy_keeps_pruned_weights_zero_and_codes_smaller():
    plain, ec = _net(), _net()
    prune_weights(plain, 0.7)
    prune_weights(ec, 0.7)
    masks = {name: pruned_mask(m).clone() for name, m in ec.named_modules() if pruned_mask(m) is not None}
    assert share_weights(plain, 4) == share_weights(ec, 4, entropy=0.2) == ["2", "5"]
    assert _assign_entropy(ec) < _assign_entropy(plain) - 0.5
    opt = torch.optim.Adam(ec.parameters(), lr=1e-2)
    for _ in range(5):                                  # fine-tuning: the pruned stay 0, the zero stays 0
        opt.zero_grad()
        ec(torch.randn(8, 1, 6, 6)).sum().backward()
        opt.step()
    for name in ("2", "5"):
        w = ec.get_submodule(name).weight.detach()
        assert torch.all(w[~masks[name]] == 0)
        assert (w == 0).float().mean() > 0.7            # some kept weights joined the zero
    ec.eval()
    x = torch.randn(1, 1, 6, 6)
    sizes = []
    for net in (plain, ec):
        net.eval()
        opts = CompileOptions(weights=parse_weights("huffman"))
        graph = compile_source(source_of(net, x), None, opts)
        mac = [n for n in graph.nodes if n.kernel and n.param("weight")]
        conv = graph.tensor(next(n for n in mac if n.source.startswith("2 ")).param("weight")).data     # OHWI
        net(x)
        w_int = net[2].w_int.detach().permute(0, 2, 3, 1).numpy()         # OHWI, as the layer computes
        alive = np.any(w_int != 0, axis=(1, 2, 3))                          # compact drops zero filters
        assert np.array_equal(conv, w_int[alive])
        assert np.all(conv[~masks["2"].permute(0, 2, 3, 1).numpy()[alive]] == 0)  # built: 0 where pruned
        sizes.append(sum(stored_weight_bytes(graph, n) for n in mac))
    assert sizes[1] < 0.85 * sizes[0]                   # as built with --weights huffman (tables weigh on a net this small)


def test_entropy_must_be_a_finite_weight():
    for bad in (-0.1, float("nan"), float("inf"), "0.1", True):
        with pytest.raises(ModelError, match="entropy"):
            share_weights(_net(), 4, entropy=bad)
