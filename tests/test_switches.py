"""One image holding every precision switch (tinygen.switches, codegen, `switch K%`,
`tinygen hil --switch`): each switch is bit-exact with its own reference graph, run
from the one build through the protocol; arrays equal across switches are stored
once; the arena is the largest switch's.
"""

from __future__ import annotations

import json
import shutil
import textwrap

import numpy as np
import pytest

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import ModelError
from tinygen.hil.client import DeviceError
from tinygen.hil.session import run_samples, sample_inputs
from tinygen.hil.target import open_device
from tinygen.switches import find, switch_graphs

MODEL = textwrap.dedent('''
    import torch
    from torch import nn
    from tinygen.nn import (ActQuant, PerSwitch, QConv2d, SwitchableBatchNorm2d, SwitchableQConv2d,
                            SwitchableQLinear, WeightQuant, set_switch, switches)

    SW = {
        "w8a8": (WeightQuant("nested", bits=8), ActQuant("int8")),
        "w4a4": (WeightQuant("nested", bits=4), ActQuant("uniform", 4, clip=2.0)),
        "w1a8": (WeightQuant("nested", bits=1), ActQuant("int8")),
        "w1a1": (WeightQuant("nested", bits=1), ActQuant("binary")),
    }
    INT8 = {n: (WeightQuant("int8"), ActQuant("int8")) for n in SW}


    def model():
        torch.manual_seed(3)
        net = nn.Sequential(
            QConv2d(1, 8, 3, padding=1, bias=False),
            SwitchableBatchNorm2d(8, SW), PerSwitch({n: nn.Identity() if n == "w1a1" else nn.ReLU() for n in SW}),
            SwitchableQConv2d(8, 40, 3, SW, stride=2, padding=1, bias=False, pad_value=1),
            SwitchableBatchNorm2d(40, SW), nn.ReLU(),
            nn.Flatten(), SwitchableQLinear(40 * 16, 10, INT8))
        bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
        for i, m in enumerate(bns):      # distinct batch-norm statistics per switch
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            if i % len(SW) == 0:         # switch w8a8: some negative scales (negated channels)
                m.weight.data[::3] *= -1
            m.bias.data.uniform_(-0.5, 0.5)
        net.train()                      # the int8 input ranges: an EMA over a few batches per switch
        with torch.no_grad():
            for name in switches(net):
                set_switch(net, name)
                for m in net.modules():  # keep the batch norms' statistics as set
                    if isinstance(m, nn.BatchNorm2d):
                        m.eval()
                for _ in range(20):
                    net(torch.randn(16, 1, 8, 8))
        set_switch(net, switches(net)[0])
        return net.eval()


    def example_input():
        return torch.randn(1, 1, 8, 8)


    def calibration_data():
        return torch.randn(32, 1, 8, 8, generator=torch.Generator().manual_seed(5))
''')


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    root = tmp_path_factory.mktemp("switches")
    path = root / "sw_net.py"
    path.write_text(MODEL)
    source = load_source(path)
    graph = compile_source(source)
    result = build(source, graph, get_board("host"), root / "build")
    return source, graph, result


def test_every_switch_compiled_with_its_own_plan(switched):
    source, graph, result = switched
    names = [n for n, _ in switch_graphs(graph)]
    assert names == ["w8a8", "w4a4", "w1a8", "w1a1"]
    m = result.manifest
    assert [s["name"] for s in m["switches"]] == names
    arenas = [g.meta["memory"].arena_size for _, g in switch_graphs(graph)]
    assert m["arena_size"] == max(arenas)
    # the switches differ in kernels: the binary-input switch runs XNOR, the 4-bit one sub-byte
    kernels = {s["name"]: {layer["kernel"] for layer in s["layers"]} for s in m["switches"]}
    assert any("b1_b1" in k for k in kernels["w1a1"]), kernels["w1a1"]
    assert any("s4" in k for k in kernels["w4a4"]), kernels["w4a4"]
    # the first layer's int8 weights are the same in every switch: stored once
    assert m["weight_bytes"] < sum(s["weight_bytes"] for s in m["switches"])
    model_c = (result.out_dir / "model.c").read_text()
    assert "int tg_set_switch(int k)" in model_c and "sw3_" in model_c
    assert "#define TG_MODEL_NUM_SWITCHES 4" in (result.out_dir / "model.h").read_text()


def test_each_switch_bit_exact_from_one_image(switched):
    source, graph, result = switched
    with open_device(get_board("host"), result.out_dir) as dev:
        assert dev.switch() == (0, "w8a8", 4)
        outs = {}
        for k, (name, g) in enumerate(switch_graphs(graph)):
            assert dev.switch(k) == (k, name, 4)
            assert int(dev.info()["switch"]) == k
            x = sample_inputs(source, g, 12, seed=k)
            run = run_samples(dev, g, x)
            assert run.exact == run.samples == 12, run.mismatches[:1]
            outs[name] = bytes(dev.out())
        # back to the first switch: the same outputs as a fresh start (nothing re-initialized)
        dev.switch(0)
        g0 = switch_graphs(graph)[0][1]
        assert run_samples(dev, g0, sample_inputs(source, g0, 4, seed=0)).exact == 4
    assert len(set(outs.values())) == len(outs), "two switches gave identical outputs: the switch has no teeth"


def test_switch_errors(switched):
    _, graph, result = switched
    with open_device(get_board("host"), result.out_dir) as dev:
        with pytest.raises(DeviceError, match=r"switch 4 out of range: the model has 4 switches"):
            dev.switch(4)
        with pytest.raises(DeviceError, match="bad number: w4a4"):
            dev.command("switch w4a4")
        assert dev.switch() == (0, "w8a8", 4), "a rejected switch changes nothing"
    assert find(graph, "w1a8")[0] == 2 and find(graph, "3")[1] == "w1a1"
    with pytest.raises(ModelError, match="no switch 'w3a3'"):
        find(graph, "w3a3")


def test_hil_switch_all_table_json_plot(switched, tmp_path, capsys):
    from tinygen.cli import main

    source, graph, _ = switched
    rng = np.random.default_rng(0)
    data = tmp_path / "d.npz"
    np.savez(data, x=rng.standard_normal((6, 1, 8, 8)).astype(np.float32), y=rng.integers(0, 10, 6))
    out_json, png = tmp_path / "r.json", tmp_path / "acc.png"
    rc = main(["hil", str(source.path), "--board", "host", "--data", str(data), "--switch", "all", "-q",
               "-o", str(tmp_path / "b"), "--json", str(out_json), "--plot", str(png)])
    assert rc == 0
    report = json.loads(out_json.read_text())
    rows = report["table"]
    assert [r["name"] for r in rows] == ["w8a8", "w4a4", "w1a8", "w1a1"]
    assert all(r["bit_exact"] == r["samples"] == 6 for r in rows)
    assert all(r["mean"] > 0 and 0.0 <= r["accuracy"] <= 1.0 for r in rows)
    assert "accuracy" in capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hil_switch_on_a_plain_model_is_refused(tmp_path, capsys):
    from tinygen.cli import main

    data = tmp_path / "d.npy"
    np.save(data, np.zeros((2, 64), np.float32))
    rc = main(["hil", "examples/models/mlp.py", "--board", "host", "--data", str(data), "--switch", "1", "-q",
               "-o", str(tmp_path / "b")])
    assert rc != 0
    assert "one precision" in capsys.readouterr().err


def test_each_switch_exports_its_own_weights(switched):
    """The exported programs must not share the module's buffers: each switch's integer
    weights are its own (the nested ones, C's top bits), not the last exported switch's."""
    from tinygen.compiler import _nested_codes

    source = switched[0]
    codes = _nested_codes(source.switches)
    assert codes and all(np.abs(c).max() == 127 for c in codes.values())
    for name, g in source.switches:
        for n in g.nodes:
            if n.source in codes:
                cfg = n.attrs["lowbit"]["weight"]
                w = g.tensor(n.param("weight"))
                scale = np.asarray(w.qparams.scale, np.float64).reshape(-1, 1, 1, 1)
                got = np.rint(w.data / scale).astype(np.int64)
                c = codes[n.source]
                want = np.where(c >= 0, 1, -1) if cfg["bits"] == 1 else c >> (8 - cfg["bits"])
                assert np.array_equal(got, want), f"switch {name}: not the top {cfg['bits']} bits of C"


def test_nested_storage_bit_exact_and_stored_once(switched, tmp_path):
    from tinygen.passes import CompileOptions

    source = switched[0]
    graph = compile_source(source, options=CompileOptions(storage="nested"))
    result = build(source, graph, get_board("host"), tmp_path / "nested")
    m = result.manifest
    kernels = {s["name"]: {layer["kernel"] for layer in s["layers"]} for s in m["switches"]}
    for name in ("w8a8", "w4a4", "w1a8"):            # int8 / 4-bit inputs: the bit-serial kernel on planes
        assert "tg_conv2d_s8_planes_s8" in kernels[name], kernels[name]
    assert "tg_conv2d_b1_b1_s8" in kernels["w1a1"]    # binary inputs: XNOR on its own sign bits
    weights_c = (result.out_dir / "weights.c").read_text()
    assert weights_c.count("uint32_t sw0_qconv_3_w[") == 1 and "sw1_qconv_3_w[" not in weights_c
    with open_device(get_board("host"), result.out_dir) as dev:
        for k, (name, g) in enumerate(switch_graphs(graph)):
            dev.switch(k)
            run = run_samples(dev, g, sample_inputs(source, g, 10, seed=k))
            assert run.exact == run.samples == 10, (name, run.mismatches[:1])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the Cortex-M7 stand-in needs qemu-system-arm and arm-none-eabi-gcc")
@pytest.mark.parametrize("storage", ["separate", "nested"])
def test_every_switch_bit_exact_on_the_f746zg_standin(switched, storage, tmp_path):
    """One firmware image on the Cortex-M7 stand-in (DSP kernels: sub-byte, XNOR, bit-serial
    with negated multipliers), every switch selected by `switch K%` and bit-exact."""
    from tinygen.passes import CompileOptions

    source = switched[0]
    board = get_board("f746zg")
    graph = compile_source(source, options=CompileOptions(features=frozenset(board.isa_features), storage=storage))
    result = build(source, graph, board, tmp_path / "fw")
    counts = {}
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, (name, g) in enumerate(switch_graphs(graph)):
            assert dev.switch(k) == (k, name, 4)
            run = run_samples(dev, g, sample_inputs(source, g, 6, seed=k))
            assert run.exact == run.samples == 6, (storage, name, run.mismatches[:1])
            counts[name] = run.counts[0]
    assert len(set(counts.values())) == len(counts), f"the switches ran the same code: {counts}"


def test_nested_mixed_storage_top_switch_keeps_int8(switched, tmp_path):
    """--storage nested with nested_int8 "*": the top switch runs int8 kernels on its own
    codes, the others still read the planes; every switch bit-exact on the host."""
    from tinygen.passes import CompileOptions
    from tinygen.passes.nested import int8_flash_bytes

    source = switched[0]
    graph = compile_source(source, options=CompileOptions(storage="nested", nested_int8=("*",)))
    kernels = {name: {n.kernel for n in g.nodes if n.kernel} for name, g in switch_graphs(graph)}
    assert not any("planes" in k for k in kernels["w8a8"]), kernels["w8a8"]
    assert "tg_conv2d_s8_planes_s8" in kernels["w4a4"]
    codes = graph.meta["nested_codes"]
    assert int8_flash_bytes(next(iter(codes.values()))) == next(iter(codes.values())).size
    result = build(source, graph, get_board("host"), tmp_path / "mixed")
    with open_device(get_board("host"), result.out_dir) as dev:
        for k, (name, g) in enumerate(switch_graphs(graph)):
            dev.switch(k)
            run = run_samples(dev, g, sample_inputs(source, g, 6, seed=k))
            assert run.exact == run.samples == 6, (name, run.mismatches[:1])


def test_build_and_inspect_report_the_image_arena_not_the_first_switch(tmp_path, capsys):
    """`build`'s summary and `inspect --json` give the image's arena (the largest switch's),
    also when the first switch needs less (here w1a1, with packed-bit activations, first)."""
    from tinygen.cli import main
    from tinygen.report import human_bytes

    order = '"w1a1": (WeightQuant("nested", bits=1), ActQuant("binary")),\n'
    text = MODEL.replace("    " + order, "").replace("SW = {\n", "SW = {\n    " + order)
    assert text != MODEL
    path = tmp_path / "sw_first_small.py"
    path.write_text(text)
    graph = compile_source(load_source(path))
    arenas = [g.meta["memory"].arena_size for _, g in switch_graphs(graph)]
    assert switch_graphs(graph)[0][0] == "w1a1" and arenas[0] < max(arenas)

    assert main(["build", str(path), "--board", "host", "-o", str(tmp_path / "b")]) == 0
    summary = next(line for line in capsys.readouterr().out.splitlines() if "arena" in line and "MACs" in line)
    assert f"arena {human_bytes(max(arenas))} (RAM, the largest switch's)" in summary, summary

    out_json = tmp_path / "i.json"
    assert main(["inspect", str(path), "--json", str(out_json)]) == 0
    assert json.loads(out_json.read_text())["arena_size"] == max(arenas)
