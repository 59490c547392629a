"""tinygen.nn's switchable precision (issue 7): the nested weight quantizer's k-bit codes
are the top bits of its 8-bit codes; switchable layers share one weight while batch
norms and input quantizers stay private per switch; train_switchable accumulates every
switch's gradients; each switch exports exactly the graph of a plain tinygen.nn model
with its quantizers and compiles bit-exact (host C == numpy reference); the example's
per-switch accuracies are the ones its RESULTS.md reports."""

from __future__ import annotations

import copy
import importlib
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_bit_exact, build_host, random_inputs
from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError
from tinygen.frontend import torch_loader
from tinygen.nn import (FLOAT, ActQuant, PerSwitch, QConv2d, QLinear, SwitchableBatchNorm2d, SwitchableQConv2d,
                        SwitchableQLinear, WeightQuant, current_switch, set_switch, switches, train_switchable)
from tinygen.nn.train import switch_step
from tinygen.passes import CompileOptions
from tinygen.quant import lowbit

SWITCHABLE = Path(__file__).resolve().parents[2] / "examples" / "switchable"

SW = {
    "w8a8": (WeightQuant("nested", bits=8), ActQuant("int8")),
    "w4a4": (WeightQuant("nested", bits=4), ActQuant("uniform", 4, clip=2.0, learn_clip=True)),
    "w2a2": (WeightQuant("nested", bits=2), ActQuant("uniform", 2, clip=1.5)),
    "w1a8": (WeightQuant("nested", bits=1), ActQuant("int8")),
    "w1a1": (WeightQuant("nested", bits=1), ActQuant("binary")),
    "fp": FLOAT,
}
DEPLOYABLE = [n for n, s in SW.items() if s is not FLOAT]
# the storage each switch's middle layer gets (spec.NESTED_WEIGHT_FORMATS)
MIDDLE_FORMAT = {"w8a8": "int8", "w4a4": "s4", "w2a2": "s2", "w1a8": "b1", "w1a1": "b1"}


def _int8(sw):
    return {n: FLOAT if s is FLOAT else (WeightQuant("int8"), ActQuant("int8")) for n, s in sw.items()}


class Small(nn.Module):
    """int8 conv (shared) -> BN -> ReLU / sign -> switchable conv (40 channels: a partial
    binary word) -> BN -> ReLU / sign -> int8 switchable linear."""

    def __init__(self, sw=SW):
        super().__init__()
        only = [n for n, s in sw.items() if s is FLOAT]
        act = {n: nn.Identity() if s is not FLOAT and s[1].kind == "binary" else nn.ReLU() for n, s in sw.items()}
        self.c1 = QConv2d(1, 8, 3, padding=1, bias=False)
        self.b1 = SwitchableBatchNorm2d(8, sw)
        self.a1 = PerSwitch(copy.deepcopy(act), train_only=only)
        self.c2 = SwitchableQConv2d(8, 40, 3, sw, stride=2, padding=1, bias=False, pad_value=1)
        self.b2 = SwitchableBatchNorm2d(40, sw)
        self.a2 = PerSwitch(copy.deepcopy(act), train_only=only)
        self.fc = SwitchableQLinear(40 * 4 * 4, 10, _int8(sw))

    def forward(self, x):
        return self.fc(torch.flatten(self.a2(self.b2(self.c2(self.a1(self.b1(self.c1(x)))))), 1))


class Plain(nn.Module):
    """The same network with one switch's quantizers, built from plain tinygen.nn layers."""

    def __init__(self, spec):
        super().__init__()
        w, a = spec
        binary = a.kind == "binary"
        self.c1 = QConv2d(1, 8, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(8)
        self.a1 = nn.Identity() if binary else nn.ReLU()
        self.c2 = QConv2d(8, 40, 3, stride=2, padding=1, bias=False, weight=w, act=a, pad_value=1 if binary else 0)
        self.b2 = nn.BatchNorm2d(40)
        self.a2 = nn.Identity() if binary else nn.ReLU()
        self.fc = QLinear(40 * 4 * 4, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.a2(self.b2(self.c2(self.a1(self.b1(self.c1(x)))))), 1))


def _data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=g), torch.randint(0, 10, (n,), generator=g)


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    net = Small()
    x, y = _data()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    train_switchable(net, [(x[:32], y[:32]), (x[32:], y[32:])], opt, 3, distill="logits+features")
    return net


# --------------------------------------------------------------------------- nested quantizer

@pytest.mark.parametrize("shape", [(16, 8, 3, 3), (10, 37), (3, 1, 1, 1)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nested_codes_are_the_top_bits_of_the_8bit_codes(shape, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.1, shape) * rng.uniform(0.1, 3, (shape[0],) + (1,) * (len(shape) - 1))
    top = WeightQuant("nested", bits=8)
    C, s8 = lowbit.quantize_weights(w, top)
    W8, si = lowbit.quantize_weights(w, WeightQuant("int8"))
    assert np.array_equal(C, W8) and np.array_equal(s8, si)              # the top switch is int8
    codes8 = lowbit.encode_weights(C, top)                               # 8-bit two's complement
    for k in (4, 2, 1):
        spec = WeightQuant("nested", bits=k)
        W, s = lowbit.quantize_weights(w, spec)
        lo, hi = lowbit.weight_range(spec)
        assert lo <= W.min() and W.max() <= hi
        assert np.array_equal(lowbit.encode_weights(W, spec), codes8 >> (8 - k)), k
        assert np.array_equal(lowbit.decode_weights(lowbit.encode_weights(W, spec), spec), W)
        if k == 1:
            assert np.array_equal(W, np.where(C >= 0, 1, -1))
            assert np.allclose(s, np.abs(w).reshape(shape[0], -1).mean(1), rtol=1e-6)
        else:
            assert np.array_equal(W, np.floor(C / 2 ** (8 - k)))
            assert np.array_equal(s, s8 * np.float32(2 ** (8 - k)))


def test_nested_low_codes_reach_the_bottom_of_twos_complement():
    w = np.array([[-1.0, 1.0, 0.5, -0.5, 0.0, -0.01]])
    for k, bottom in ((4, -8), (2, -2)):
        W, _ = lowbit.quantize_weights(w, WeightQuant("nested", bits=k))
        assert W.min() == bottom and W[0, 4] == 0 and W[0, 5] == -1       # floor: small negatives are -1


def test_nested_top_below_8():
    w = np.random.default_rng(3).normal(size=(6, 20))
    C, s = lowbit.quantize_weights(w, WeightQuant("nested", bits=4, top=4))
    assert C.min() >= -7 and C.max() <= 7
    W, s2 = lowbit.quantize_weights(w, WeightQuant("nested", bits=2, top=4))
    assert np.array_equal(W, C >> 2) and np.array_equal(s2, s * np.float32(4))


@pytest.mark.parametrize("kwargs, hint", [({"bits": 3}, "bits in"), ({"bits": 8, "top": 4}, "bits in"),
                                          ({"top": 9}, "top in")])
def test_nested_spec_errors(kwargs, hint):
    with pytest.raises(ModelError) as err:
        WeightQuant("nested", **kwargs)
    assert hint in err.value.hint
    with pytest.raises(ModelError, match="top is for nested"):
        WeightQuant("uniform", bits=4, top=8)


def test_nested_config_carries_kind_bits_top():
    import json

    cfg = json.loads(SwitchableQConv2d(2, 3, 3, {"a": SW["w4a4"]}).config)
    assert cfg["weight"]["kind"] == "nested" and cfg["weight"]["bits"] == 4 and cfg["weight"]["top"] == 8
    assert "top" not in json.loads(QConv2d(2, 3, 3).config)["weight"]    # other kinds unchanged


# --------------------------------------------------------------------------- switching

def test_switches_and_set_switch():
    net = Small()
    assert switches(net) == DEPLOYABLE
    assert switches(net, train_only=True) == list(SW)
    assert current_switch(net) == "w8a8"
    set_switch(net, "w2a2")
    assert {m.switch for m in net.modules() if hasattr(m, "switch_names")} == {"w2a2"}
    assert net.c2.weight_quant.bits == 2 and net.c2.pad_value == 0
    set_switch(net, "w1a1")
    assert net.c2.pad_value == 1 and isinstance(net.a1.choices[net.a1.switch], nn.Identity)
    assert switches(nn.Sequential(QConv2d(1, 2, 3))) == []


def test_set_switch_errors():
    net = Small()
    with pytest.raises(ModelError, match="unknown switch 'w3a3'") as err:
        set_switch(net, "w3a3")
    assert "w8a8" in err.value.hint and "w1a1" in err.value.hint
    with pytest.raises(ModelError, match="no switchable layers"):
        set_switch(nn.Sequential(QConv2d(1, 2, 3)), "w8a8")
    bad = nn.Sequential(SwitchableQConv2d(1, 4, 3, {"a": SW["w8a8"], "b": SW["w4a4"]}),
                        SwitchableBatchNorm2d(4, ["a", "c"]))
    with pytest.raises(ModelError, match="disagree"):
        switches(bad)
    with pytest.raises(ModelError, match="not an identifier"):
        SwitchableBatchNorm2d(4, ["w8.a8"])
    with pytest.raises(ModelError, match="training-only"):
        SwitchableQLinear(4, 2, {"fp": FLOAT})
    with pytest.raises(ModelError, match="not a \\(WeightQuant, ActQuant\\) pair"):
        SwitchableQLinear(4, 2, {"a": WeightQuant("int8")})
    with pytest.raises(ModelError, match="binary-input switches"):
        SwitchableQConv2d(1, 4, 3, {"a": SW["w8a8"]}, pad_value=1)
    set_switch(net, "fp")
    with pytest.raises(ModelError, match="float training switch"):
        net.c2.config


def test_batch_norm_and_input_ranges_are_private_per_switch():
    net = Small()
    x, _ = _data()
    set_switch(net, "w8a8")
    net.train()
    with torch.no_grad():
        net(x)
    before = copy.deepcopy(net.state_dict())
    set_switch(net, "w4a4")
    with torch.no_grad():
        net(x * 2)
    after = net.state_dict()
    changed = {k for k in after if not torch.equal(before[k], after[k])}
    private = {k for k in changed if ".w4a4." in k}
    # only w4a4's statistics and input ranges moved (and the shared first layer's input range)
    assert changed - private <= {"c1.input_quant.range_min", "c1.input_quant.range_max"}
    assert {"b1.choices.w4a4.running_mean", "b2.choices.w4a4.running_var", "fc.input_quants.w4a4.range_max"} <= private
    assert not any(".w8a8." in k for k in changed)


def test_gradients_accumulate_over_switches():
    net = Small()
    x, y = _data(32)
    twin = copy.deepcopy(net)
    net.train()
    net.zero_grad()
    switch_step(net, x, y, list(SW))
    summed = {n: torch.zeros_like(p) for n, p in twin.named_parameters()}
    twin.train()
    per_switch = {}
    for name in SW:                                  # one switch at a time, same order: same EMA states
        twin.zero_grad()
        set_switch(twin, name)
        nn.functional.cross_entropy(twin(x), y).backward()
        per_switch[name] = twin.c2.weight.grad.clone()
        for n, p in twin.named_parameters():
            if p.grad is not None:
                summed[n] += p.grad
    for n, p in net.named_parameters():
        if p.grad is not None:
            assert torch.allclose(p.grad, summed[n], rtol=1e-5, atol=1e-7), n
    for name, g in per_switch.items():               # every switch reaches the shared weight
        assert g.abs().sum() > 0, name
    assert torch.count_nonzero(net.b2.choices["w2a2"].weight.grad) > 0
    assert net.c2.input_quants["w4a4"].clip.grad is not None


def test_feature_distillation_adds_a_feature_term():
    """logits+features adds the MSE between the students' and the teacher's batch-norm
    outputs; the teacher's own loss is plain cross-entropy."""
    net = Small()
    x, y = _data(32)
    order = ["fp"] + DEPLOYABLE
    losses = {}
    for mode in (None, "logits", "logits+features"):
        twin = copy.deepcopy(net).train()
        losses[mode] = switch_step(twin, x, y, order, distill=mode)
    for name in order:
        if name == "fp":
            assert losses[None][name] == losses["logits"][name] == losses["logits+features"][name]
        else:
            assert losses[None][name] < losses["logits"][name] < losses["logits+features"][name], name


def test_train_switchable_learns_and_checks_its_arguments():
    torch.manual_seed(0)
    net = Small()
    x, y = _data(64, seed=5)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    history = train_switchable(net, [(x, y)], opt, 15, distill="logits")
    for name in SW:
        assert history[-1][name] < history[0][name], name
    assert not net.training and current_switch(net) == "w8a8"
    with pytest.raises(ModelError, match="distill"):
        train_switchable(net, [(x, y)], opt, 1, distill="features")
    with pytest.raises(ModelError, match="teacher switch 'w3a3'"):
        train_switchable(net, [(x, y)], opt, 1, distill="logits", teacher="w3a3")


# --------------------------------------------------------------------------- export and compile

def _plain_like(net: Small, name: str) -> Plain:
    """A Plain model holding `net`'s weights and switch `name`'s private state."""
    plain = Plain(SW[name])
    state = {}
    for k, v in net.state_dict().items():
        k = k.replace(f"choices.{name}.", "").replace(f"input_quants.{name}.", "input_quant.")
        state[k] = v
    missing, _ = plain.load_state_dict(state, strict=False)
    assert not missing
    return plain.eval()


def _ops(program):
    return [(str(n.target), n.args[-1] if "tinygen" in str(n.target) else None)
            for n in program.graph.nodes if n.op == "call_function"]


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_each_switch_exports_like_a_plain_model(trained, name):
    net = set_switch(trained, name).eval()
    plain = _plain_like(net, name)
    x = _data(8, seed=9)[0]
    with torch.no_grad():
        assert torch.equal(net(x), plain(x))
    got, want = torch.export.export(net, (x[:1],)), torch.export.export(plain, (x[:1],))
    assert _ops(got) == _ops(want)
    assert torch.equal(net.c2.w_int, plain.c2.w_int) and torch.equal(net.c2.w_scale, plain.c2.w_scale)
    assert torch.equal(net.fc.act_qparams, plain.fc.act_qparams)


@pytest.fixture(scope="module")
def compiled_switches(trained, tmp_path_factory):
    out = tmp_path_factory.mktemp("switches")
    x, _ = _data(48, seed=7)
    np.save(out / "calib.npy", x.numpy())
    result = {}
    for name in DEPLOYABLE:
        set_switch(trained, name).eval()
        path = out / f"{name}.pt2"
        torch.export.save(torch.export.export(trained, (x[:1],)), str(path))
        source = load_source(path)
        result[name] = source, compile_source(source, str(out / "calib.npy"), CompileOptions())
    return out, result


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_each_switch_compiles_bit_exact_on_host(compiled_switches, name):
    out, result = compiled_switches
    source, graph = result[name]
    formats = [n.attrs.get("weight_format") for n in graph.nodes if "lowbit" in n.attrs]
    assert formats == ["int8", MIDDLE_FORMAT[name], "int8"]
    host = build_host(source, graph, out / f"host_{name}")
    assert_bit_exact(graph, host, random_inputs(source, graph, 6, seed=1))


def test_negative_gamma_nested_layer_is_stored_int8_and_exact(trained, tmp_path):
    """A negative batch-norm scale negates its channel's weights; a nested 4-bit -8 becomes
    +8, which 4 bits cannot hold: that layer is stored int8 and stays exact."""
    net = copy.deepcopy(trained)
    set_switch(net, "w4a4").eval()
    W = net.c2.w_int
    channel = int(torch.nonzero((W == -8).flatten(1).any(1))[0])
    with torch.no_grad():
        net.b2.choices["w4a4"].weight[channel] = -1.0
    x, _ = _data(32, seed=4)
    np.save(tmp_path / "calib.npy", x.numpy())
    torch.export.save(torch.export.export(net, (x[:1],)), str(tmp_path / "neg.pt2"))
    source = load_source(tmp_path / "neg.pt2")
    graph = compile_source(source, str(tmp_path / "calib.npy"), CompileOptions())
    assert [n.attrs.get("weight_format") for n in graph.nodes if "lowbit" in n.attrs][1] == "int8"
    host = build_host(source, graph, tmp_path / "host")
    assert_bit_exact(graph, host, random_inputs(source, graph, 4, seed=2))


# --------------------------------------------------------------------------- the example

ACC_BOUND = 5e-5     # eval accuracy is deterministic: RESULTS.md's number to its printed precision


def _results() -> dict[str, float]:
    rows = re.findall(r"^\| (\w+) \| \d \| \d \| ([\d.]+)% \|", (SWITCHABLE / "RESULTS.md").read_text(), re.M)
    return {name: float(acc) / 100 for name, acc in rows}


def test_example_loads_and_each_switch_matches_results(monkeypatch):
    path = SWITCHABLE / "sp_digits.py"
    assert path.with_suffix(".pt").stat().st_size < 200 * 1024
    loaded = torch_loader.load(path)
    targets = [str(n.target) for n in loaded.program.graph.nodes if n.op == "call_function"]
    assert sum(t.startswith("tinygen.") for t in targets) == 4
    monkeypatch.syspath_prepend(str(SWITCHABLE))
    sp = importlib.import_module("sp_digits")
    net = sp.model()
    assert switches(net) == ["w8a8", "w4a4", "w2a2", "w1a8", "w1a1"]
    nested = [m for m in net.modules() if isinstance(m, SwitchableQConv2d)]
    assert len(nested) == 2 and all(m.switch_spec(n)[0].kind == "nested" for m in nested for n in switches(net))
    results = _results()
    assert set(results) == set(switches(net))
    for name, acc in sp.accuracies(net).items():
        assert acc == pytest.approx(results[name], abs=ACC_BOUND), name
