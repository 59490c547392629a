"""Dynamic inference (tinygen/gating): the gate's reference against a direct numpy
computation, the gated convolution's C kernel against the dense convolution with the dropped
channels zeroed (all, none, one and random channels kept), compiled gated and multi-exit
models bit-exact on the host and the f746zg stand-in (outputs, every gate decision, the exit
taken and not taken), and the errors for bad densities, thresholds and sweeps."""

from __future__ import annotations

import ctypes
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from e2e import assert_bit_exact, build_host
from gating_models import calibration, gated_net, multi_exit_net
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_lib import KERNEL_INCLUDES
from torch_models import compile_module

from tinygen.errors import ModelError, UsageError
from tinygen.gating import choose, sweep
from tinygen.ref.gating_trace import gate_channels, trace
from tinygen.ref import gating as gref
from tinygen.gating.inspect import notes
from tinygen.nn.gating import EarlyExit, GatedConv2d
from tinygen.passes import CompileOptions
from tinygen.quant import op_params
from tinygen.ref import kernels as ref
from tinygen.ref.interpreter import quantize_input, run

SETTINGS = settings(derandomize=True, max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the gate's reference ------------------------------------------------------------------

def _direct_topk(s: np.ndarray, k: int, zp: int) -> np.ndarray:
    """Top-k by a plain loop: repeatedly the largest value not taken, the lowest index first."""
    taken: list[int] = []
    for _ in range(k):
        best = None
        for c, v in enumerate(s):
            if c not in taken and (best is None or v > s[best]):
                best = c
        taken.append(best)
    return np.array([s[c] if c in taken and s[c] != zp else zp for c in range(len(s))], np.int8)


@SETTINGS
@given(st.lists(st.integers(-128, 127), min_size=1, max_size=40), st.data())
def test_channel_gate_topk_reference_equals_direct_numpy(values, data):
    # few distinct values: ties everywhere
    s = np.array([v // 32 * 32 for v in values], np.int8)
    zp = data.draw(st.sampled_from([-128, 0, int(s[0])]))
    k = data.draw(st.integers(1, len(s)))
    p = {"channels": len(s), "k": k, "threshold_q": 0, "zero_point": zp}
    np.testing.assert_array_equal(gref.channel_gate_s8(p, s), _direct_topk(s, k, zp))


def test_channel_gate_ties_go_to_the_lowest_channel():
    s = np.array([5, 9, 5, 9, 5], np.int8)
    p = {"channels": 5, "k": 3, "threshold_q": 0, "zero_point": -128}
    assert gref.channel_gate_s8(p, s).tolist() == [5, 9, -128, 9, -128]


@SETTINGS
@given(st.lists(st.integers(-128, 127), min_size=1, max_size=40), st.integers(0, 256), st.integers(-128, 127))
def test_channel_gate_threshold_reference_equals_direct_numpy(values, tq, zp):
    s = np.array(values, np.int8)
    top = int(s.max()) - zp
    want = [v if v != zp and (int(v) - zp) / 256 * 256 >= tq / 256 * top else zp for v in s.astype(int)]
    p = {"channels": len(s), "k": 0, "threshold_q": tq, "zero_point": zp}
    assert gref.channel_gate_s8(p, s).tolist() == want


# -- the C kernels on the host (ctypes) -------------------------------------------------------

def _struct(types, name: str, p: dict):
    cls = types[name]
    return cls(**{f: int(p[f]) for f, _ in cls._fields_})


def _p8(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_int8))


def _p32(a):
    return None if a is None else a.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))


@SETTINGS
@given(st.lists(st.integers(-128, 127), min_size=1, max_size=64), st.data())
def test_channel_gate_s8_c_equals_reference(gating_lib, values, data):
    lib, types = gating_lib
    s = np.array([v // 16 * 16 for v in values], np.int8)
    zp = data.draw(st.sampled_from([-128, 0, int(s[0])]))
    topk = data.draw(st.booleans())
    p = {"channels": len(s), "k": data.draw(st.integers(1, len(s))) if topk else 0,
         "threshold_q": 0 if topk else data.draw(st.integers(0, 256)), "zero_point": zp}
    out = np.zeros(len(s), np.int8)
    kept = lib.tg_channel_gate_s8(ctypes.byref(_struct(types, "tg_channel_gate_params_t", p)), _p8(s), _p8(out))
    want = gref.channel_gate_s8(p, s)
    np.testing.assert_array_equal(out, want)
    assert kept == int(np.count_nonzero(want != zp))


MASKS = ("all", "none", "one", "random")


@st.composite
def gated_case(draw):
    kh, kw = draw(st.sampled_from([1, 3])), draw(st.sampled_from([1, 2, 3]))
    in_c, out_c = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    in_h, in_w = draw(st.integers(kh, 7)), draw(st.integers(kw, 7))
    pad = draw(st.integers(0, 1)) if kh == 3 else 0
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 31)))
    zx, zc, zg, zo = (int(v) for v in rng.integers(-128, 128, 4))
    p = {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": in_h + 2 * pad - kh + 1,
         "out_w": in_w + 2 * min(pad, kw // 2) - kw + 1, "out_c": out_c, "kernel_h": kh, "kernel_w": kw,
         "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": pad,
         "pad_left": min(pad, kw // 2), "depth_multiplier": 1, "input_offset": -zx, "output_offset": zc,
         "act_min": zc if draw(st.booleans()) else -128, "act_max": 127}
    mul = op_params.mul_params(0.02, zc, 0.01, zg, float(rng.uniform(0.001, 0.05)), zo, -128, 127)
    p.update(gate_input_offset=mul["input2_offset"], gate_output_offset=mul["output_offset"],
             gate_multiplier=mul["output_multiplier"], gate_shift=mul["output_shift"], gate_act_min=-128,
             gate_act_max=127, in_gate_input_offset=0, skip_inputs=0)
    mask = draw(st.sampled_from(MASKS))
    keep = {"all": np.ones(out_c, bool), "none": np.zeros(out_c, bool),
            "one": np.arange(out_c) == rng.integers(out_c), "random": rng.random(out_c) < 0.5}[mask]
    gate = np.where(keep, rng.integers(-128, 128, out_c), zg).astype(np.int8)
    gate[keep & (gate == zg)] = np.int8(zg + 1 if zg < 127 else zg - 1)
    x = rng.integers(-128, 128, (in_h, in_w, in_c)).astype(np.int8)
    w = rng.integers(-127, 128, (out_c, kh, kw, in_c)).astype(np.int8)
    bias = rng.integers(-5000, 5000, out_c).astype(np.int32) if draw(st.booleans()) else None
    m = rng.integers(2 ** 30, 2 ** 31 - 1, out_c).astype(np.int32)
    sh = rng.integers(-12, -6, out_c).astype(np.int32)
    return p, x, gate, w, bias, m, sh, keep


@SETTINGS
@given(gated_case())
def test_conv2d_gated_s8_equals_dense_with_dropped_channels_zeroed(gating_lib, case):
    lib, types = gating_lib
    p, x, gate, w, bias, m, sh, keep = case
    out = np.zeros(p["out_h"] * p["out_w"] * p["out_c"], np.int8)
    lib.tg_conv2d_gated_s8(ctypes.byref(_struct(types, "tg_conv2d_gated_params_t", p)), _p8(x), _p8(gate), None,
                           _p8(w), _p32(bias), _p32(m), _p8(sh.astype(np.int8)), _p8(out))
    got = out.reshape(p["out_h"], p["out_w"], p["out_c"])
    np.testing.assert_array_equal(got, gref.conv2d_gated_s8(p, x, gate, w, bias, m, sh))
    # the dense convolution, then each channel times its gate; dropped channels are exactly 0
    dense = ref.conv2d_s8(p, x, w, bias, m, sh)
    geometry = {"shape": [1, p["out_h"], p["out_w"], p["out_c"]], "input1_strides": [0, p["out_w"] * p["out_c"],
                p["out_c"], 1], "input2_strides": [0, 0, 0, 1]}
    mul = {**geometry, "input1_offset": -p["output_offset"], "input2_offset": p["gate_input_offset"],
           "output_offset": p["gate_output_offset"], "output_multiplier": p["gate_multiplier"],
           "output_shift": p["gate_shift"], "act_min": p["gate_act_min"], "act_max": p["gate_act_max"]}
    np.testing.assert_array_equal(got.reshape(-1), ref.mul_s8(mul, dense, gate).reshape(-1))
    assert (got[..., ~keep] == np.clip(p["gate_output_offset"], -128, 127)).all()


# -- compiled models --------------------------------------------------------------------------

def _inputs(source, graph, n=12):
    shape = source.input_shape[1:]
    return [quantize_input(graph, source.to_graph_layout(calibration(1, seed=100 + s, shape=shape) * 1.5))
            for s in range(n)]


def _host_decisions(source, graph, tmp_path, n=12) -> set:
    """Build for the host, check every output and every gate / exit decision against the
    reference on n inputs; return the distinct gate decisions (kept channels per gate)."""
    host = build_host(source, graph, tmp_path / "host")
    xs = _inputs(source, graph, n)
    assert_bit_exact(graph, host, xs)
    kept = set()
    for x in xs:
        host.invoke(x)
        want = trace(graph, run(graph, x, keep_all=True))
        assert host.dynamic() == (want.exit, list(want.kept))
        kept.add(want.kept)
    return kept


def test_gated_model_bit_exact_on_host_with_gate_decisions(tmp_path):
    source, graph = compile_module(gated_net(), calibration())
    assert [n.op for n in graph.nodes].count("conv2d_gated") == 2
    kept = _host_decisions(source, graph, tmp_path)
    # top-k at density 0.5 of 32 channels: 16, fewer where a kept saliency is 0 (a ReLU zero)
    assert (16, 16) in kept and all(k <= 16 for pair in kept for k in pair), kept


def test_threshold_gates_vary_per_input_and_stay_exact(tmp_path):
    source, graph = compile_module(gated_net(density=None, threshold=0.5), calibration())
    seen = _host_decisions(source, graph, tmp_path)
    assert len(seen) > 1, "a threshold gate keeps a number of channels that depends on the input"


@pytest.mark.parametrize("threshold, exit_", [(0.0, 0), (1.0, 1)], ids=["taken", "not-taken"])
def test_exit_taken_and_not_taken_on_host(threshold, exit_, tmp_path):
    source, graph = compile_module(multi_exit_net(thresholds=(threshold,)), calibration())
    host = build_host(source, graph, tmp_path / "host")
    xs = _inputs(source, graph, 6)
    assert_bit_exact(graph, host, xs)
    for x in xs:
        host.invoke(x)
        assert host.dynamic() == (exit_, [])
        assert trace(graph, run(graph, x, keep_all=True)).exit == exit_
    # the layer-by-layer run answers like the early return
    values = run(graph, xs[0], keep_all=True)
    assert np.array_equal(host.invoke_layers(xs[0])[-1], values[graph.outputs[0]].ravel())


def test_exit_head_with_hidden_layer_bit_exact_on_host(tmp_path):
    """ExitHead(hidden=12): grid pool -> linear -> ReLU -> linear; exact on the host, and at
    threshold 0.2 some inputs answer at the early head and some at the last."""
    net = multi_exit_net(thresholds=(0.2,), hidden=12)
    assert isinstance(net.exit1.hidden[0], torch.nn.Linear) and net.exit1.hidden[0].out_features == 12
    source, graph = compile_module(net, calibration())
    host = build_host(source, graph, tmp_path / "host")
    xs = _inputs(source, graph, 12)
    assert_bit_exact(graph, host, xs)
    exits = set()
    for x in xs:
        host.invoke(x)
        want = trace(graph, run(graph, x, keep_all=True)).exit
        assert host.dynamic() == (want, [])
        exits.add(want)
    assert exits == {0, 1}, exits


def test_exit_head_runs_before_the_layers_it_skips():
    _, graph = compile_module(multi_exit_net(thresholds=(0.5,)), calibration())
    order = [n.name for n in graph.nodes]
    head = graph.producer(graph.nodes[-1].inputs[0]).name
    later = next(n.name for n in graph.nodes if n.op == "conv2d" and n.source.startswith("block2"))
    assert order.index(head) < order.index(later)


@pytest.mark.slow
def test_gated_and_exit_models_bit_exact_on_f746zg_standin(tmp_path):
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.session import run_samples
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    options = CompileOptions(features=frozenset(board.isa_features))
    # awkward shapes for the DSP kernel: 5x5 pixels (odd), 5 -> 7 -> 9 channels (odd kept counts)
    for net, knob, values in ((gated_net(channels=5), "density", (1.0, 0.5, 0.15)),
                              (multi_exit_net(), "exit", (0.0, 1.0))):
        source, graph = compile_module(net, calibration(shape=(3, 10, 10)), options=options)
        xs = np.stack(_inputs(source, graph, 4))
        for value in values:
            point = sweep.at(graph, knob, value)
            project = build(source, point, board, tmp_path / f"{knob}{value}").out_dir
            with open_device(board, project, emulate=True) as dev:
                result = run_samples(dev, point, xs)
            assert result.exact == len(xs), [m.detail for m in result.mismatches]


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("density", [0.0, -0.5, 1.5])
def test_bad_density_is_refused(density):
    with pytest.raises(ModelError, match=r"density .* outside \(0, 1\]"):
        GatedConv2d(4, 8, 3, density=density)


@pytest.mark.parametrize("threshold", [-0.1, 1.01])
def test_bad_thresholds_are_refused(threshold):
    with pytest.raises(ModelError, match=r"outside \[0, 1\]"):
        GatedConv2d(4, 8, 3, threshold=threshold)
    with pytest.raises(ModelError, match=r"exit threshold .* outside \[0, 1\]"):
        EarlyExit([threshold])


@pytest.mark.parametrize("spec", ["density=0", "exit=2", "speed=1", "density=a"])
def test_bad_sweeps_are_refused(spec):
    with pytest.raises((UsageError, ModelError)):
        sweep.parse_sweep(spec)


def test_layer_after_a_gate_that_cannot_skip_is_exact_and_inspect_says_so(tmp_path):
    # portable kernels (the host) read every input channel; the DSP kernel skips the dropped ones
    source, graph = compile_module(gated_net(), calibration())
    lines = notes(graph)
    assert any("conv_18 (tg_conv2d_gated_s8) cannot skip the dropped input channels" in line for line in lines), lines
    assert gate_channels(graph) == [32, 32]
    _host_decisions(source, graph, tmp_path, n=2)
    _, dsp = compile_module(gated_net(), calibration(), options=CompileOptions(features=frozenset({"dsp"})))
    assert any("conv_18 (tg_conv2d_gated_s8_dsp) skips the dropped input channels" in line for line in notes(dsp))
    # each gated layer is named once, under its own gate (the reader of a gated layer also takes
    # that layer's gate, as its third input, and is not gated by it)
    gated = [line for line in notes(dsp) if line.startswith("gate ") and "computes only the kept channels" in line]
    assert len(gated) == 2 and len({line.split("; ")[1].split(" ")[0] for line in gated}) == 2, gated


def c_buffer_sizes(tmp_path, cases) -> list[int]:
    """Per (assignments to p, a buffer-size expression) the value the C header gives, by a
    host program over tg_kernels_gating.h (p: a zeroed tg_conv2d_gated_params_t)."""
    import subprocess

    body = "\n".join(f'    {{ tg_conv2d_gated_params_t p = {{0}}; {sets} printf("%ld\\n", (long){expr}); }}'
                     for sets, expr in cases)
    src = tmp_path / "size.c"
    src.write_text(f'#include <stdio.h>\n#include "tg_kernels_gating.h"\nint main(void)\n{{\n{body}\n    return 0;\n}}\n')
    exe = tmp_path / "size"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", *KERNEL_INCLUDES, str(src), "-o", str(exe)],
                   check=True)
    return [int(v) for v in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()]


def test_gated_dsp_scratch_formula_equals_c_buffer_size(tmp_path):
    """tinygen.kernels.gating.conv2d_gated_dsp_scratch == tg_conv2d_gated_s8_dsp_buffer_size."""
    from tinygen.kernels.gating import conv2d_gated_dsp_scratch

    cases = [(3, 3, 3, 16, 8, 8, 0), (1, 1, 5, 7, 3, 5, 1), (3, 2, 9, 1, 4, 4, 1), (3, 3, 64, 64, 4, 4, 1)]
    fields = ("kernel_h", "kernel_w", "in_c", "out_c", "in_h", "in_w", "skip_inputs")
    got = c_buffer_sizes(tmp_path, [(" ".join(f"p.{f} = {v};" for f, v in zip(fields, c)),
                                     "tg_conv2d_gated_s8_dsp_buffer_size(&p)") for c in cases])
    assert got == [conv2d_gated_dsp_scratch(dict(zip(fields, c))) for c in cases]


@pytest.mark.slow
def test_hil_reports_exits_and_sweeps_thresholds_on_standin(tmp_path):
    """`tinygen hil --sweep exit=0,1` on a multi-exit model on the F746 stand-in: the report,
    the JSON and the PNG say which exit answered per input, the sweep moves every answer, and
    the early exit takes fewer instructions (counted, so the same on every run; the host
    bridge's nanoseconds of thread time once ordered the two the wrong way under load). The
    preferred kernels: --kernels auto would measure candidates first, which this test is not about."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parents[1]
    model = tmp_path / "exits.py"
    model.write_text(f"import sys\nsys.path.insert(0, {str(tests)!r})\nimport torch\n"
                     "from gating_models import calibration, multi_exit_net\n"
                     "def model():\n    return multi_exit_net(thresholds=(0.3,))\n"
                     "def example_input():\n    return torch.from_numpy(calibration(1))\n"
                     "def calibration_data():\n    return torch.from_numpy(calibration(16))\n")
    x = calibration(4, seed=7)
    np.savez(tmp_path / "data.npz", x=x, y=np.arange(4) % 10)
    done = subprocess.run([sys.executable, "-m", "tinygen", "hil", str(model), "--board", "f746zg", "--emulate",
                           "--kernels", "tinygen", "--data", str(tmp_path / "data.npz"), "--sweep", "exit=0,1",
                           "-o", str(tmp_path / "build"), "--json", str(tmp_path / "r.json"),
                           "--plot", str(tmp_path / "r.png"), "-q"],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert len(report["dynamic"]["per_input"]) == 4 and report["bit_exact"] == 4
    rows = {r["value"]: r for r in report["sweep"]}
    assert rows["0"]["exits"] == [4] and rows["1"]["exits"] == [0, 4]
    assert rows["0"]["mean"] < rows["1"]["mean"], "an early exit skips the rest of the model"
    assert (tmp_path / "r.sweep.png").exists()


# -- per-exit thresholds, chosen by the reference -----------------------------------------------

def test_sweep_exit_takes_one_threshold_per_early_exit():
    assert sweep.parse_sweep("exit=0.9/0.7,0.5") == ("exit", [(0.9, 0.7), 0.5])
    _, graph = compile_module(multi_exit_net(thresholds=(0.5,)), calibration())
    point = sweep.at(graph, "exit", (0.75,))
    node = next(n for n in point.nodes if n.op == "exit_select")
    assert node.attrs["thresholds"] == (0.75,) and node.attrs["kparams"]["thresholds"] == [64]
    with pytest.raises(UsageError, match="2 thresholds for 1 early exits"):
        sweep.at(graph, "exit", (0.5, 0.5))


@pytest.mark.parametrize("spec", ["density=0.5/0.3", "exit=0.9/1.5"])
def test_bad_per_exit_sweeps_are_refused(spec):
    with pytest.raises((UsageError, ModelError)):
        sweep.parse_sweep(spec)


def test_choose_exit_thresholds_cheapest_above_the_floor():
    # 4 inputs, heads 0, 1 and the last: largest int8 probability and the class each picks
    h = choose.Heads(top=np.array([[100, 120, 0], [10, 127, 0], [50, 20, 0], [-100, -50, 0]]),
                     pred=np.array([[1, 1, 1], [0, 2, 2], [0, 3, 3], [1, 1, 3]]))
    labels = np.array([1, 2, 3, 3])
    costs = (1.0, 2.0, 4.0)
    # head 0 is right only on input 0 (top 100); head 1 on inputs 0-2 (tops 120, 127, 20), not 3 (-50)
    thresholds, acc, cost = choose.choose(h, labels, costs, 1.0)
    codes = [round(t * 256) - 128 for t in thresholds]
    assert (acc, cost) == (1.0, (1 + 2 + 2 + 4) / 4)
    assert list(choose.answered(h.top, codes)) == [0, 1, 1, 2]
    for x, want in zip(h.top, [0, 1, 1, 2]):
        assert gref.exit_index({"thresholds": codes}, *[[v] for v in x]) == want
    assert choose.choose(h, labels, costs, 0.0)[2] == 1.0       # no floor: everything exits first
    assert choose.evaluate(h, labels, costs, (128, 128)) == (1.0, 4.0)      # never early: the last head


def test_choose_heads_match_the_reference_exit():
    source, graph = compile_module(multi_exit_net(thresholds=(0.5,)), calibration())
    xs = _inputs(source, graph, 6)
    h = choose.heads(graph, xs)
    assert h.top.shape == h.pred.shape == (6, 2)
    for x, top in zip(xs, h.top):     # threshold 0.5 is code 0
        assert choose.answered(top[None], [0])[0] == trace(graph, run(graph, x, keep_all=True)).exit


# -- the digits examples ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["gated", "exits"])
def test_digits_example_int8_host(kind, tmp_path):
    """examples/gating/digits_{gated,exits}.py (trained on first use, seconds) compile and run
    bit-exact on the host over real test digits: outputs, every gate decision and exit."""
    from tinygen.compiler import compile_source, load_source

    root = Path(__file__).resolve().parents[2] / "examples" / "gating"
    source = load_source(root / f"digits_{kind}.py")
    graph = compile_source(source)
    sys.path.insert(0, str(root))
    import _gated_digits

    x, y = _gated_digits.dataset()[1]
    xs = list(quantize_input(graph, source.to_graph_layout(x[:40])))
    host = build_host(source, graph, tmp_path / "host")
    assert_bit_exact(graph, host, xs)
    seen, right = set(), 0
    for x, label in zip(xs, y):
        out = host.invoke(x)[0]
        want = trace(graph, run(graph, x, keep_all=True))
        assert host.dynamic() == (want.exit, list(want.kept))
        seen.add(want.exit if kind == "exits" else want.kept)
        right += int(np.argmax(out) == label)
    assert right >= 0.8 * len(xs), "a trained example answers most digits right"
    if kind == "exits":
        assert len(seen) > 1, "different digits answer at different exits"
    else:
        top_k = [max(1, round(_gated_digits.DENSITY * c)) for c in gate_channels(graph)]
        assert all(0 < a <= k for kept in seen for a, k in zip(kept, top_k)), (seen, top_k)
