"""Pruned models (issue 7): structured compaction (tinygen/passes/compact.py).

Small torch modules pruned with torch.nn.utils.prune (or with filters simply zeroed) are
compiled with compaction on and off (same quantization: same calibration data); the
compacted model's outputs equal the uncompacted one's bit for bit on the numpy
reference and on the host build, and its parameter and MAC counts equal the counts
worked out here from the masks alone.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from e2e import assert_bit_exact, assert_device_equals_reference, build_host, first_difference
from tinygen.passes.analysis import layer_stats
from tinygen.board import get_board
from tinygen.compiler import SourceModel, build, compile_source, graph_hash, load_source
from tinygen.frontend.torch import from_exported
from tinygen.frontend.torch_loader import permanent_pruning
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input, run

RATIOS = (0.25, 0.5, 0.75)
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")


def source_of(net: nn.Module, shape: tuple[int, ...], seed: int = 0) -> SourceModel:
    """A SourceModel as tinygen.frontend.torch_loader makes one from a model file."""
    net = permanent_pruning(net).eval()
    calib = np.random.default_rng(seed).standard_normal((24, *shape[1:])).astype(np.float32)
    with torch.no_grad():
        program = torch.export.export(net, (torch.from_numpy(calib[:1]),))
    graph = from_exported(program, "pruned")
    return SourceModel("pruned", Path("pruned.py"), graph, graph_hash(graph), tuple(shape), "NCHW", calib)


def compile_both(source: SourceModel, **kw):
    """(compacted, uncompacted) graphs of one source, same calibration."""
    return (compile_source(source, options=CompileOptions(**kw)),
            compile_source(source, options=CompileOptions(compact=False, **kw)))


def inputs(source: SourceModel, graph, count: int = 6) -> list[np.ndarray]:
    data = source.default_calibration
    noisy = data[:count] * 1.3 + np.random.default_rng(7).normal(0, 0.2, data[:count].shape)
    return [quantize_input(graph, source.to_graph_layout(x[None].astype(np.float32))) for x in noisy]


def assert_same_outputs(compacted, full, xs) -> None:
    for i, x in enumerate(xs):
        a, b = run(compacted, x), run(full, x)
        for name in full.outputs:
            assert np.array_equal(a[name], b[name]), f"input {i}: {first_difference(b[name], a[name])}"


def totals(graph) -> tuple[int, int]:
    stats = layer_stats(graph)
    return sum(s.params for s in stats), sum(s.macs for s in stats)


def prune_filters(layer: nn.Module, pruned: np.ndarray, bias: bool = True) -> None:
    """Prune the given output filters with torch.nn.utils.prune (and their biases)."""
    mask = torch.ones(layer.weight.shape[0])
    mask[torch.as_tensor(pruned, dtype=torch.long)] = 0
    prune.custom_from_mask(layer, "weight", mask.view(-1, *[1] * (layer.weight.dim() - 1)).expand_as(layer.weight))
    if bias:
        prune.custom_from_mask(layer, "bias", mask)


def pick(rng, n: int, ratio: float) -> np.ndarray:
    return np.sort(rng.choice(n, int(round(n * ratio)), replace=False))


# -- models -----------------------------------------------------------------------------


class PlainCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(3, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        y = torch.relu(self.c2(torch.relu(self.c1(x))))
        return self.fc(nn.functional.max_pool2d(y, 2).flatten(1))


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, padding=1)
        self.c1, self.c2 = nn.Conv2d(16, 16, 3, padding=1), nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        s = torch.relu(self.c0(x))
        y = torch.relu(s + self.c2(torch.relu(self.c1(s))))
        return self.fc(nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))


class Separable(nn.Module):
    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, padding=1)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pw = nn.Conv2d(16, 24, 1)
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        y = torch.relu(self.pw(torch.relu(self.dw(torch.relu(self.c0(x))))))
        return self.fc(nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))


class Concat(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(3, 8, 3, padding=1)
        self.mix = nn.Conv2d(16, 12, 1)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        y = torch.cat([torch.relu(self.a(x)), torch.relu(self.b(x))], 1)
        return self.fc(nn.functional.adaptive_avg_pool2d(torch.relu(self.mix(y)), 1).flatten(1))


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.f1, self.f2, self.f3 = nn.Linear(32, 64), nn.Linear(64, 32), nn.Linear(32, 10)

    def forward(self, x):
        return self.f3(torch.relu(self.f2(torch.relu(self.f1(x)))))


IMAGE = (1, 3, 8, 8)


def plain(ratio: float, seed: int):
    """ln_structured on the convs' filters (their biases zeroed with them)."""
    torch.manual_seed(seed)
    net = PlainCNN()
    for layer in (net.c1, net.c2):
        prune.ln_structured(layer, "weight", amount=ratio, n=1, dim=0)
        prune.custom_from_mask(layer, "bias", layer.weight_mask[:, 0, 0, 0].clone())
    k1, k2 = (int(layer.weight_mask[:, 0, 0, 0].sum()) for layer in (net.c1, net.c2))
    params = k1 * 28 + k2 * (9 * k1 + 1) + 10 * 16 * k2 + 10
    macs = 64 * k1 * 27 + 64 * k2 * 9 * k1 + 10 * 16 * k2
    return net, IMAGE, params, macs


def residual(ratio: float, seed: int):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = Residual()
    s0, s1, s2 = (pick(rng, 16, ratio) for _ in range(3))
    for layer, s in ((net.c0, s0), (net.c1, s1), (net.c2, s2)):
        prune_filters(layer, s)
    both = 16 - len(np.intersect1d(s0, s2))      # the add keeps the union of the kept channels
    k1 = 16 - len(s1)
    params = both * 28 + k1 * (9 * both + 1) + both * (9 * k1 + 1) + 10 * both + 10
    macs = 64 * (both * 27 + k1 * 9 * both + both * 9 * k1) + 10 * both
    return net, IMAGE, params, macs


def separable(ratio: float, seed: int):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = Separable()
    s0, sd, sp = pick(rng, 16, ratio), pick(rng, 16, ratio), pick(rng, 24, ratio)
    for layer, s in ((net.c0, s0), (net.dw, sd), (net.pw, sp)):
        prune_filters(layer, s)
    # a depthwise channel goes with its input channel (a zero input makes it a constant,
    # folded into the pointwise bias); one pruned alone keeps reading its live input
    k0, kp = 16 - len(s0), 24 - len(sp)
    params = k0 * 28 + k0 * 10 + kp * (k0 + 1) + 10 * kp + 10
    macs = 64 * (k0 * 27 + k0 * 9 + kp * k0) + 10 * kp
    return net, IMAGE, params, macs


def concat(ratio: float, seed: int):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = Concat()
    sa, sb = pick(rng, 8, ratio), pick(rng, 8, ratio)
    prune_filters(net.a, sa)
    prune_filters(net.b, sb)
    ka, kb = 8 - len(sa), 8 - len(sb)
    params = (ka + kb) * 28 + 12 * (ka + kb + 1) + 130
    macs = 64 * ((ka + kb) * 27 + 12 * (ka + kb)) + 120
    return net, IMAGE, params, macs


def head(ratio: float, seed: int):
    """Rows simply zeroed (no torch.nn.utils.prune)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = Head()
    s1, s2 = pick(rng, 64, ratio), pick(rng, 32, ratio)
    with torch.no_grad():
        for layer, s in ((net.f1, s1), (net.f2, s2)):
            layer.weight[torch.as_tensor(s)] = 0
            layer.bias[torch.as_tensor(s)] = 0
    k1, k2 = 64 - len(s1), 32 - len(s2)
    params = k1 * 33 + k2 * (k1 + 1) + 10 * (k2 + 1)
    return net, (1, 32), params, k1 * 32 + k2 * k1 + 10 * k2


MODELS = {"plain": plain, "residual": residual, "separable": separable, "concat": concat, "head": head}


@pytest.mark.parametrize("ratio", RATIOS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_compacted_equals_uncompacted_on_reference(name, ratio):
    net, shape, params, macs = MODELS[name](ratio, seed=int(ratio * 100))
    source = source_of(net, shape)
    compacted, full = compile_both(source)
    assert totals(compacted) == (params, macs)
    assert compacted.meta["compact"]["params"][1] < compacted.meta["compact"]["params"][0]
    assert totals(full)[0] > params
    assert "compact" not in full.meta
    assert_same_outputs(compacted, full, inputs(source, full))


@pytest.mark.parametrize("name", ["residual", "separable", "concat", "head"])
def test_compacted_equals_uncompacted_on_host(name, tmp_path):
    net, shape, params, _ = MODELS[name](0.5, seed=3)
    source = source_of(net, shape)
    compacted, full = compile_both(source)
    assert totals(compacted)[0] == params
    xs = inputs(source, full, 4)
    host = build_host(source, compacted, tmp_path / "c")
    assert_bit_exact(compacted, host, xs)
    for x in xs:             # and the C of the compacted model equals the uncompacted reference
        assert np.array_equal(host.invoke(x)[0], run(full, x)[full.outputs[0]])


class Affine(nn.Module):
    """Pruned filters that still output a constant: batch norm shifts, a bias."""

    def __init__(self):
        super().__init__()
        self.c0, self.bn = nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.c1 = nn.Conv2d(16, 8, 1)             # no padding: constants fold into its bias
        self.c2 = nn.Conv2d(8, 8, 3, padding=1)   # padding: a constant != zero point stays
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        y = self.c2(self.c1(torch.relu(self.bn(self.c0(x)))))
        return self.fc(nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))


def test_constant_channels_fold_into_a_pointwise_reader_or_stay():
    torch.manual_seed(5)
    net = Affine()
    with torch.no_grad():
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.bias.uniform_(0.2, 1.0)               # pruned filters output relu(beta') > 0
        net.c1.bias.copy_(torch.linspace(0.5, 1.5, 8))
    s0, s1 = [1, 4, 6, 9, 13], [0, 3, 5]
    prune_filters(net.c0, s0, bias=False)
    prune_filters(net.c1, s1, bias=False)
    source = source_of(net, IMAGE)
    compacted, full = compile_both(source)
    chans = {n.name: compacted.weight_shape(n)[0] for n in compacted.nodes if n.op == "conv2d"}
    assert sorted(chans.values()) == [8, 8, 16 - len(s0)]      # c0 compacted; c1's constants kept for c2
    # c1's kept constant channels requantize their constant with a small bias, 2^30 and -1
    assert compacted.meta["compact"]["constant_channels"] == len(s1)
    c1 = next(n for n in compacted.nodes if n.op == "conv2d" and compacted.weight_shape(n)[0] == 8
              and not compacted.const(n, "weight").reshape(8, -1)[s1[0]].any())
    assert (compacted.const(c1, "multiplier")[s1] == 1 << 30).all() and (compacted.const(c1, "shift")[s1] == -1).all()
    assert (np.abs(compacted.const(c1, "bias")[s1]) <= 4 * 255).all()
    assert_same_outputs(compacted, full, inputs(source, full))


def test_kept_constant_channels_leave_vww_bounded():
    """VWW's int8 model keeps all-zero channels holding a bias near 2^30 with shift -30 in 8
    pointwise layers: their small requantization puts every pointwise layer of the 1x1 DSP
    kernel on its bounded, folded requantization (tinygen.kernels.specialize)."""
    from mlperf_models import mlperf_model
    from tinygen.kernels import specialize

    board = get_board("f746zg")
    graph = compile_source(load_source(mlperf_model("vww_mobilenet")), None,
                           CompileOptions(features=board.isa_features))
    assert graph.meta["compact"]["constant_channels"] >= 8
    # 13 pointwise layers: the two of depth 8 and 16 take tg_conv2d_1x1_shallow_s8_dsp (its
    # records hold the same bounded requantization), the other 11 a specialized 1x1 kernel (the
    # 3-row one where its blocks serve, which takes the folded requantization only)
    shallow = [n for n in graph.nodes if n.kernel == "tg_conv2d_1x1_shallow_s8_dsp"]
    pointwise = [n for n in graph.nodes if n.kernel in ("tg_conv2d_1x1_s8_dsp", "tg_conv2d_1x1_rows3_s8_dsp")]
    assert (len(shallow), len(pointwise)) == (2, 11)
    modes = [specialize.requant_mode(specialize.INLINE[n.kernel], n.attrs["kparams"], graph.const(n, "bias"),
                                     graph.const(n, "multiplier"), graph.const(n, "shift")) & ~specialize.POS
             for n in pointwise]
    assert modes == [specialize.FOLDED] * 11


def test_identity_block_disappears():
    torch.manual_seed(0)
    body = [nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU()]
    cut = nn.Sequential(body[0], body[1], nn.Identity(), nn.Sequential(nn.Identity()), body[2], body[3])
    graphs = [compile_source(source_of(m, IMAGE)) for m in (nn.Sequential(*body), cut)]
    assert [(n.op, n.kernel) for n in graphs[0].nodes] == [(n.op, n.kernel) for n in graphs[1].nodes]


def test_pruned_model_file_and_pt2(tmp_path):
    """A model file returning a module pruned with torch.nn.utils.prune, and a .pt2 exported
    from the pruned module itself (its graph multiplies weight_orig by weight_mask), compile
    like the module with the masks made permanent."""
    (tmp_path / "pruned.py").write_text(
        "import torch\nfrom torch import nn\nfrom torch.nn.utils import prune\n\n"
        "def model():\n    torch.manual_seed(2)\n"
        "    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 1))\n"
        "    prune.ln_structured(m[0], 'weight', amount=0.5, n=1, dim=0)\n"
        "    prune.custom_from_mask(m[0], 'bias', m[0].weight_mask[:, 0, 0, 0].clone())\n"
        "    return m\n\n"
        "def example_input():\n    return torch.randn(1, 3, 8, 8)\n\n"
        "def calibration_data():\n    torch.manual_seed(3)\n    return torch.randn(16, 3, 8, 8)\n")
    from_file = load_source(tmp_path / "pruned.py")
    import importlib.util
    spec = importlib.util.spec_from_file_location("pruned_model", tmp_path / "pruned.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.model().eval()
    assert hasattr(net[0], "weight_orig")                       # still carries its mask
    with warnings.catch_warnings():     # torch: the hooks assign weight during export
        warnings.simplefilter("ignore", UserWarning)
        program = torch.export.export(net, (module.example_input(),))
    torch.export.save(program, str(tmp_path / "pruned.pt2"))
    from_pt2 = load_source(tmp_path / "pruned.pt2")
    np.save(tmp_path / "calib.npy", module.calibration_data().numpy())
    graphs = [compile_source(s, str(tmp_path / "calib.npy")) for s in (from_file, from_pt2)]
    for g in graphs:
        assert g.weight_shape(next(n for n in g.nodes if n.op == "conv2d"))[0] == 4
    x = quantize_input(graphs[0], from_file.to_graph_layout(module.calibration_data().numpy()[:1]))
    assert np.array_equal(run(graphs[0], x)[graphs[0].outputs[0]], run(graphs[1], x)[graphs[1].outputs[0]])


def test_graph_outputs_keep_their_channels():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1))
    prune_filters(net[0], [0, 2, 5])
    compacted, full = compile_both(source_of(net, IMAGE))
    assert compacted.tensor(compacted.outputs[0]).shape == full.tensor(full.outputs[0]).shape
    assert compacted.meta["compact"]["layers"] == []


@needs_qemu
@pytest.mark.slow
def test_compacted_residual_on_f746zg_standin(tmp_path):
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    net, shape, params, _ = residual(0.5, seed=11)
    source = source_of(net, shape)
    compacted, full = compile_both(source, features=frozenset(board.isa_features))
    assert totals(compacted)[0] == params
    project = build(source, compacted, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs(source, full, 3)):
            assert_device_equals_reference(dev, compacted, x, f"residual {i}")
            raw, _ = dev.run(x.tobytes())
            assert np.array_equal(np.frombuffer(raw, np.int8), run(full, x)[full.outputs[0]].ravel())


def test_inspect_reports_what_compaction_removed(tmp_path):
    """`tinygen inspect` on examples/pruned/resnet8_pruned.py: the pruning section's totals
    against the same model with --no-compact, the parameters after from the masks."""
    from e2e import run_cli
    from tinygen.frontend.torch_loader import _import_file

    path = Path(__file__).resolve().parents[2] / "examples" / "pruned" / "resnet8_pruned.py"
    net = _import_file(path).model()
    kept = lambda m: int(m.weight_mask[:, 0, 0, 0].sum())          # noqa: E731
    s, (a1, a2), (b1, b2, bs), (c1, c2, cs) = kept(net.stem[0]), *[
        [kept(m) for m in (st.conv1, st.conv2) + ((st.shortcut,) if st.shortcut.__class__ is nn.Conv2d else ())]
        for st in (net.stack1, net.stack2, net.stack3)]
    assert a2 == s and bs == b2 and cs == c2                        # pruned as residual groups
    params = (s * 28 + a1 * (9 * s + 1) + s * (9 * a1 + 1) + b1 * (9 * s + 1) + b2 * (9 * b1 + 1) + b2 * (s + 1)
              + c1 * (9 * b2 + 1) + c2 * (9 * c1 + 1) + c2 * (b2 + 1) + 10 * (c2 + 1))
    rc, out, err = run_cli("inspect", path, "--json", tmp_path / "on.json")
    assert rc == 0, err
    assert "pruning:" in out
    pruning = json.loads((tmp_path / "on.json").read_text())["pruning"]
    rc, out, err = run_cli("inspect", path, "--no-compact", "--json", tmp_path / "off.json")
    assert rc == 0 and "pruning:" not in out, err
    full = json.loads((tmp_path / "off.json").read_text())
    assert "pruning" not in full
    totals = pruning["totals"]
    assert totals["params"] == [sum(layer["params"] for layer in full["layers"]), params]
    assert totals["arena_bytes"][0] == full["arena_size"]
    for key in ("params", "macs", "flash_bytes", "arena_bytes"):
        assert totals[key][1] < totals[key][0], key
