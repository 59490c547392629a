"""tinygen.nn.prune_weights (issue 73, Deep Compression's first step) and share_weights after
it: the magnitude mask, masked gradients and fine-tuning, centroid 0 fixed at zero for the
pruned weights, saving and loading, refusals, and the build: int8 weights exactly 0 where
pruned, the codebook holding the zero, --weights huffman coding the indices, bit-exact on the
host."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_bit_exact, build_host
from torch_models import source_of
from tinygen.compiler import compile_source
from tinygen.errors import ModelError
from tinygen.nn import ActQuant, QConv2d, QLinear, WeightQuant, prune_weights, share_weights
from tinygen.nn.prune import magnitude_mask, pruned_mask, sparsity_of
from tinygen.passes import CompileOptions
from tinygen.quant.weight_spec import parse_weights


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(QConv2d(1, 8, 3, padding=1), nn.ReLU(), QConv2d(8, 16, 3, padding=1), nn.ReLU(),
                        nn.Flatten(), QLinear(16 * 6 * 6, 4))
    net.train()
    with torch.no_grad():
        net(torch.randn(16, 1, 6, 6))
    return net


LAYERS = ["0", "2", "5"]


def _steps(net: nn.Module, count: int = 5) -> None:
    """A few Adam steps on random data (Adam moves every weight with a non-zero gradient)."""
    torch.manual_seed(3)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-2)
    net.train()
    for _ in range(count):
        loss = nn.functional.cross_entropy(net(torch.randn(8, 1, 6, 6)), torch.randint(0, 4, (8,)))
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_magnitude_mask_prunes_the_smallest():
    w = torch.tensor([[0.5, -0.1, 0.2], [-0.3, 0.1, 0.0]])
    # |w| ascending, ties by position: 0.0 (1, 2), 0.1 (0, 1), 0.1 (1, 1) go
    assert magnitude_mask(w, 0.5).tolist() == [[True, False, True], [True, False, False]]
    keep = magnitude_mask(w, 0.5)
    assert int((~keep).sum()) == 3 and w.abs()[~keep].max() <= w.abs()[keep].min()
    assert magnitude_mask(w, 0.0).all()


@pytest.mark.parametrize("sparsity", [0.5, 0.7, 0.9])
def test_each_layer_loses_its_smallest_weights(sparsity):
    net = _net()
    before = {n: dict(net.named_modules())[n].weight.detach().clone() for n in LAYERS}
    assert prune_weights(net, sparsity) == LAYERS
    for name in LAYERS:
        layer = dict(net.named_modules())[name]
        keep = pruned_mask(layer)
        w = layer.weight.detach()
        assert int((~keep).sum()) == round(sparsity * w.numel())
        assert torch.equal(w[~keep], torch.zeros(int((~keep).sum())))       # exactly 0.0
        assert torch.equal(w[keep], before[name][keep])                     # the rest untouched
        assert before[name].abs()[~keep].max() <= before[name].abs()[keep].min()
    assert sparsity_of(net) == pytest.approx(sparsity, abs=0.01)


def test_fine_tuning_keeps_pruned_weights_zero():
    net = _net()
    prune_weights(net, 0.7)
    layer = net[2]
    keep = pruned_mask(layer).clone()
    kept_before = layer.weight.detach()[keep].clone()
    net.train()
    net(torch.randn(4, 1, 6, 6)).sum().backward()
    grad = layer.parametrizations.weight.original.grad
    assert torch.equal(grad[~keep], torch.zeros(int((~keep).sum())))       # no gradient to a pruned weight
    assert grad[keep].abs().sum() > 0
    _steps(net)
    w = layer.weight.detach()
    assert torch.equal(w[~keep], torch.zeros(int((~keep).sum())))
    assert not torch.equal(w[keep], kept_before)                           # the kept weights trained
    net.eval()
    net(torch.randn(1, 1, 6, 6))
    assert torch.equal(layer.w_int[~keep], torch.zeros(int((~keep).sum())))  # exported codes 0


@pytest.mark.parametrize("bits", [2, 4])
def test_sharing_a_pruned_layer_fixes_a_zero_centroid(bits):
    net = _net()
    prune_weights(net, 0.7)
    masks = {n: pruned_mask(dict(net.named_modules())[n]).clone() for n in LAYERS}
    weights = {n: dict(net.named_modules())[n].weight.detach().clone() for n in LAYERS}
    changed = share_weights(net, bits)
    assert changed and set(changed) <= set(LAYERS)
    for name in changed:
        layer = dict(net.named_modules())[name]
        p = layer.parametrizations.weight[0]
        keep = masks[name]
        assert pruned_mask(layer) is None                                  # the mask went, the zeros stayed
        assert torch.equal(p.assign[~keep], torch.zeros(int((~keep).sum()), dtype=torch.uint8))
        assert bool((p.assign[keep] > 0).all())                            # the kept: the other centroids
        assert int(p.assign.max()) <= (1 << bits) - 1
        # the kept weights are clustered (Lloyd's fixed point: each centroid the mean of its weights)
        rows, assign = weights[name].reshape(keep.shape[0], -1), p.assign.reshape(keep.shape[0], -1).long()
        c = p.centroids.detach()
        for o in range(rows.shape[0]):
            for k in assign[o][keep.reshape(keep.shape[0], -1)[o]].unique().tolist():
                assert c[o, k] == pytest.approx(float(rows[o][assign[o] == k].double().mean()), abs=1e-6)
        assert torch.equal(layer.weight.detach()[~keep], torch.zeros(int((~keep).sum())))
    # centroid 0 gets no gradient and stays zero through fine-tuning; the others train
    layer = net[2]
    p = layer.parametrizations.weight[0]
    before = p.centroids.detach().clone()
    net.train()
    net(torch.randn(4, 1, 6, 6)).sum().backward()
    assert torch.equal(p.centroids.grad[:, 0], torch.zeros(p.centroids.shape[0]))
    assert p.centroids.grad[:, 1:].abs().sum() > 0
    _steps(net)
    keep = masks["2"]
    assert torch.equal(layer.weight.detach()[~keep], torch.zeros(int((~keep).sum())))
    assert not torch.equal(p.centroids.detach()[:, 1:], before[:, 1:])
    net.eval()
    net(torch.randn(1, 1, 6, 6))
    rows = layer.w_int.reshape(layer.w_int.shape[0], -1)
    assert torch.equal(layer.w_int[~keep], torch.zeros(int((~keep).sum())))
    assert max(len(r.unique()) for r in rows) <= 1 << bits


def test_copies_share_independently_and_a_saved_model_loads():
    """share_weights replaces the mask in place: a deep copy of the pruned model (whose
    parametrized class torch shares between copies) still shares and trains on its own."""
    net = _net()
    prune_weights(net, 0.7)
    other = copy.deepcopy(net)
    share_weights(net, 3)
    share_weights(other, 2)
    net.eval()
    x = torch.randn(2, 1, 6, 6)
    state = net.state_dict()
    assert not any(k.endswith(".mask") for k in state if k.startswith(("2.", "5.")))
    loaded = _net()
    prune_weights(loaded, 0.7)
    share_weights(loaded, 3)
    loaded.load_state_dict(state)
    loaded.eval()
    assert torch.equal(net(x), loaded(x))
    pruned = _net()
    prune_weights(pruned, 0.7)
    again = _net()
    prune_weights(again, 0.5)                               # another mask: loading brings the saved one
    again.load_state_dict(pruned.state_dict())
    assert torch.equal(pruned_mask(again[2]), pruned_mask(pruned[2]))


@pytest.mark.parametrize("sparsity,layers,message", [
    (1.0, None, "fraction"), (-0.1, None, "fraction"), (0.5, ["9"], "no layer named"), (0.5, ["1"], "ReLU")])
def test_refusals_say_what_to_do(sparsity, layers, message):
    with pytest.raises(ModelError, match=message):
        prune_weights(_net(), sparsity, layers=layers)


def test_other_weights_and_second_calls_are_refused():
    binary = nn.Sequential(QLinear(4, 2, weight=WeightQuant("binary"), act=ActQuant("int8")))
    with pytest.raises(ModelError, match="binary-weight"):
        prune_weights(binary, 0.5, layers=["0"])
    assert prune_weights(binary, 0.5) == []                     # not named: skipped
    net = _net()
    prune_weights(net, 0.5)
    with pytest.raises(ModelError, match="already"):
        prune_weights(net, 0.5, layers=["2"])
    share_weights(net, 4)
    with pytest.raises(ModelError, match="already"):
        share_weights(net, 4, layers=["2"])


def test_build_stores_zeros_in_the_codebook_and_codes_the_indices(tmp_path):
    """The pruned and shared net compiled: each shared layer's int8 weights are 0 exactly where
    pruned and its tables hold 0; --weights huffman codes its indices (a tinygen.nn layer's
    weights are plain int8); the host C equals the reference."""
    net = _net()
    prune_weights(net, 0.7)
    masks = [pruned_mask(net[i]).clone() for i in (2, 5)]
    share_weights(net, 4, layers=["2", "5"])
    _steps(net)
    source = source_of(net.eval(), np.random.default_rng(0).standard_normal((24, 1, 6, 6)).astype(np.float32))
    plain = compile_source(source)
    graph = compile_source(source, None, CompileOptions(weights=parse_weights("huffman")))
    for g in (plain, graph):
        mac = [n for n in g.nodes if n.param("weight")]
        assert len(mac) == 3
        for node, keep in zip(mac[1:], masks):
            w = g.tensor(node.param("weight"))
            # OIHW -> OHWI; the linear layer's columns follow the flattened NHWC input
            keep = (keep if keep.dim() == 4 else keep.reshape(4, 16, 6, 6)).permute(0, 2, 3, 1)
            keep = keep.reshape(w.data.shape).numpy()
            assert w.codebook is not None and w.codebook.source == "nn"
            assert np.array_equal(w.data[~keep], np.zeros(int((~keep).sum()), np.int8))
            assert all(0 in row for row in w.codebook.values)
    assert all("_lut_" in n.kernel for n in plain.nodes if n.param("weight") and plain.tensor(n.param("weight")).codebook)
    coded = [n for n in graph.nodes if n.attrs.get("weight_coding") == "huffman"]
    report = graph.meta["weight_coding"]
    assert [n.name for n in coded] == [name for name, row in report.items() if row["coded"]]
    assert "qfc_6" in report and report["qfc_6"]["coded"]        # 2,304 weights, 70% zero: coded smaller
    for node in coded:              # a shared layer codes its indices: the packed constant holds the 16-entry tables
        assert graph.tensor(node.param("weight")).codebook is not None
        assert int(graph.const(node, "packed")[3]) == 16
    rng = np.random.default_rng(4)
    inputs = [rng.integers(-128, 128, (1, 6, 6, 1)).astype(np.int8) for _ in range(3)]
    assert_bit_exact(graph, build_host(source, graph, tmp_path / "h"), inputs)
    assert_bit_exact(plain, build_host(source, plain, tmp_path / "p"), inputs)
