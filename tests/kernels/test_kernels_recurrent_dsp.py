"""The recurrent layers' DSP kernels (tg_lstm_s8_dsp, tg_gru_s8_dsp, tg_svdf_s8_dsp: int16 weight
pairs packed at build time, tinygen/kernels/recurrent_dsp.py; tg_lstm_s8_pairs_dsp: two gates' int8
weights to a halfword, recurrent_pairs_dsp.py) on the f746zg and f446re stand-ins:
byte for byte the numpy reference, layer by layer, over awkward sizes (input and hidden sizes not
multiples of 4, one unit, two layers, whole sequences, two batches from a .tflite LSTM; 20 inputs
and 18 units: tg_lstm_s8_dsp's four-group pass and a group left over on both sides), the SVDF
against TFLite Micro over odd input and memory sizes and ranks; and the packing against the int8
weights it came from."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from e2e import assert_device_equals_reference, first_difference
from tflite_recurrent_cases import assert_device_equals_tflm, lstm_model, svdf_model
from torch import nn
from torch_models import compile_module

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.kernels.recurrent_dsp import lstm_dsp_fits, pack_gru_dsp, pack_lstm_dsp
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="the Cortex-M stand-ins need qemu-system-arm and arm-none-eabi-gcc")
BOARDS = ("f746zg", "f446re")


class Stack(nn.Module):
    def __init__(self, kind: str, features: int, hidden: int, layers: int, last: bool):
        super().__init__()
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(features, hidden, num_layers=layers, batch_first=True)
        self.last = last

    def forward(self, x):
        y = self.rnn(x)[0]
        return y[:, -1] if self.last else y


# (kind, features, hidden, layers, steps, last step only); the pairs kernel's input side takes 16
# columns a pass (40 features: three passes, the last one half padding), its recurrent
# side 8 columns a turn, four turns a pass on the M7 (32 units: one whole pass; 41: six turns, a pass
# entered at its third turn and a whole one; 7, 12, 18: one, two, three turns)
CASES = [("lstm", 5, 7, 1, 4, True), ("gru", 13, 10, 2, 3, False), ("lstm", 1, 1, 1, 2, False),
         ("gru", 8, 4, 1, 5, True), ("lstm", 16, 12, 2, 3, False), ("lstm", 20, 18, 1, 3, False),
         ("lstm", 40, 32, 1, 3, False), ("lstm", 9, 41, 1, 2, True)]


def kernel_runs(cases):
    """Each case under each of its DSP kernels: the LSTM's two (int16 weight pairs, and two gates' int8
    weights to a halfword: tg_lstm_s8_pairs_dsp), the GRU's one."""
    return [(case, kernel) for case in cases
            for kernel in ((f"tg_{case[0]}_s8_dsp",) + (("tg_lstm_s8_pairs_dsp",) if case[0] == "lstm" else ()))]


def case_id(c) -> str:
    return c if isinstance(c, str) else "{}_i{}_h{}_l{}_t{}{}".format(*c[:5], "_last" if c[5] else "")


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("case, kernel", kernel_runs(CASES), ids=case_id)
def test_recurrent_s8_dsp_equals_reference(board, case, kernel, tmp_path):
    kind, features, hidden, layers, steps, last = case
    b = get_board(board)
    torch.manual_seed(features * hidden)
    rng = np.random.default_rng(hidden)
    calib = rng.standard_normal((32, steps, features)).astype(np.float32)
    net = Stack(kind, features, hidden, layers, last).eval()
    source, graph = compile_module(net, calib, kind, CompileOptions(features=b.isa_features))
    choice = {n.name: kernel for n in graph.nodes if n.op == kind}
    source, graph = compile_module(net, calib, kind, CompileOptions(features=b.isa_features, kernel_choice=choice))
    assert {n.kernel for n in graph.nodes if n.op == kind} == {kernel}
    result = build(source, graph, b, tmp_path / "fw")
    with open_device(b, result.out_dir, emulate=True) as dev:
        for k in range(2):
            x = rng.integers(-128, 128, graph.tensor(graph.inputs[0]).size, dtype=np.int8)
            assert_device_equals_reference(dev, graph, x, f"{board} input {k}")


def _assert_invocations_equal_reference(b, source, graph, rng, tmp_path) -> None:
    """The firmware built from a .tflite LSTM against the reference over 3 invocations (TFLite's LSTM is
    stateful: compared invocation after invocation)."""
    result = build(source, graph, b, tmp_path / "fw")
    state: dict = {}
    with open_device(b, result.out_dir, emulate=True) as dev:
        for k in range(3):
            x = rng.integers(-128, 128, graph.tensor(graph.inputs[0]).size, dtype=np.int8)
            want = run(graph, x, state=state)[graph.outputs[0]].ravel()
            got = np.frombuffer(dev.run(x.tobytes())[0], np.int8)
            assert np.array_equal(got, want), f"invocation {k}: {first_difference(want, got)}"


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board, seed", [("f446re", 9), ("f746zg", 10)])
def test_tflite_lstm_two_batches_dsp(board, seed, tmp_path):
    """Gates whose requantization shifts left (seed 9: input sides; seed 10: both sides), their factors
    packed into their weights."""
    b = get_board(board)
    rng = np.random.default_rng(seed)
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(rng, 2, 3, 9, 6))
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=b.isa_features))
    # the gates' left shifts go into int16 weights: no two gates' int8 weights to a halfword
    assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_lstm_s8_dsp"]
    kparams = next(n for n in graph.nodes if n.kernel).attrs["kparams"]
    assert max(kparams["in_shift"]) > 0 and (seed == 9 or max(kparams["rec_shift"]) > 0)
    _assert_invocations_equal_reference(b, source, graph, rng, tmp_path)


def _side_kind(shifts) -> str:
    """S: every record of the side shifts right; P: none does (a shift of 0, or left: in the weights)."""
    return "S" if all(s <= -1 for s in shifts) else ("P" if all(s >= 0 for s in shifts) else "mixed")


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "u585", "f446re"])
@pytest.mark.parametrize("seed, kernel, kinds, inputs", [(3, "tg_lstm_s8_pairs_dsp", "SS", 9),
                                                         (6, "tg_lstm_s8_dsp", "PS", 9),
                                                         (20, "tg_lstm_s8_pairs_dsp", "mixedmixed", 9),
                                                         (32, "tg_lstm_s8_pairs_dsp", "SS", 32)])
def test_tflite_lstm_gate_requantization_kinds_dsp(board, seed, kernel, kinds, inputs, tmp_path):
    """The gates' requantizations by kind: in tg_lstm_s8_dsp (tg_lstm_s8_dsp.h) every record shifting right
    (tg_lstm_pre2's TG_LSTM_SS), the input side's not shifting and the recurrent side's shifting (TG_LSTM_PS: its
    M7 schedule, and TG_LSTM_PRE_PS_LDRD on the cores without TG_DUAL_ISSUE), and sides of mixed records
    (tg_lstm_pre_any); in tg_lstm_s8_pairs_dsp the input side's records shifting (the input pass's raw sums
    packed after it: tg_lstm_pairs_x22_dsp.h, with 9 inputs an odd count of 16-column blocks, with 32 an even
    one) and mixed recurrent records (tg_lstm_rec_any, tg_lstm_pairs_unit_dsp.h); each against the reference
    on the f746zg, u585 and f446re stand-ins (each core's schedule: TG_DUAL_ISSUE, LDRDs, LDMs)."""
    b = get_board(board)
    rng = np.random.default_rng(seed)
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(rng, 2, 3, inputs, 6))
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=b.isa_features))
    node = next(n for n in graph.nodes if n.kernel)
    kparams = node.attrs["kparams"]
    assert node.kernel == kernel and _side_kind(kparams["in_shift"]) + _side_kind(kparams["rec_shift"]) == kinds
    _assert_invocations_equal_reference(b, source, graph, rng, tmp_path)


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("clip, hidden", [(0.0, 32), (0.25, 6)])
def test_tflite_lstm_pairs_ps_kind_dsp(board, clip, hidden, tmp_path):
    """tg_lstm_s8_pairs_dsp's version for the input side's records not shifting and the recurrent side's
    shifting (TG_LSTM_PS) with f * c, i * g and tanh(c) * o shifting right, constants in its unit update
    (the benchmark's kind: input products on a scale in [0.5, 1); 32 units: whole passes of the recurrent
    side on every board), and with a cell clip (and 6 units) the version that tests each (clip: the cell
    clip in the model's units), 2 batches of 5 steps (two pairs of steps and one alone), on each
    stand-in (its dual-issue schedule and the other) against the reference."""
    b = get_board(board)
    rng = np.random.default_rng(0)
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(rng, 2, 5, 9, hidden, cell_clip=clip, input_product=0.75))
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=b.isa_features))
    node = next(n for n in graph.nodes if n.kernel)
    kparams = node.attrs["kparams"]
    assert node.kernel == "tg_lstm_s8_pairs_dsp"
    assert _side_kind(kparams["in_shift"]) + _side_kind(kparams["rec_shift"]) == "PS"
    assert all(kparams[f"{k}_shift"] <= -1 for k in ("forget", "cell", "output"))
    assert (kparams["cell_clip"] > 0) == (clip > 0)
    _assert_invocations_equal_reference(b, source, graph, rng, tmp_path)


def _assert_pairs_lstm_equal_reference(b, rng, steps: int, inputs: int, hidden: int, tmp_path) -> None:
    """A PS-kind LSTM of 2 batches (lstm_model's input_product) compiled to tg_lstm_s8_pairs_dsp for board b,
    3 invocations against the reference (_assert_invocations_equal_reference)."""
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(rng, 2, steps, inputs, hidden, input_product=0.75))
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=b.isa_features))
    assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_lstm_s8_pairs_dsp"]
    _assert_invocations_equal_reference(b, source, graph, rng, tmp_path)


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board, steps, hidden", [("f746zg", 7, 32), ("f746zg", 6, 41), ("u585", 7, 41),
                                                  ("f446re", 6, 32)])
def test_tflite_lstm_pairs_two_steps_dsp(board, steps, hidden, tmp_path):
    """tg_lstm_s8_pairs_dsp's input side two steps and both gate pairs a pass (tg_lstm_pairs_x22_dsp.h) by each
    core's schedule against the reference: the f746zg's pipelined loads paired with the SMLADs (TG_DUAL_ISSUE),
    the u585's the same with no load read by the next instruction, the f446re's by LDMs (-DTG_LSTM_LDM=1);
    40 inputs (three 16-column passes, the loop ending at the inputs' end); 7 steps (three pairs, then the last
    step alone, tg_lstm_pairs_inputs1, into the two-step layout) and 6 (three pairs); the recurrent side's
    turns a pass as each board sets them (32 units whole, 41 entering a pass after its first turn); 2
    batches, 3 invocations (the state carried)."""
    b = get_board(board)
    assert ("-DTG_DUAL_ISSUE=1" in b.cflags) == (board == "f746zg")
    assert ("-DTG_LSTM_LDM=1" in b.cflags) == (board == "f446re")
    rng = np.random.default_rng(100 + steps * hidden)
    _assert_pairs_lstm_equal_reference(b, rng, steps, 40, hidden, tmp_path)


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("hidden", [6, 20, 50, 64])
def test_tflite_lstm_pairs_eight_turns_dsp(hidden, tmp_path):
    """tg_lstm_s8_pairs_dsp's recurrent side eight turns a pass (-DTG_LSTM_PAIRS_TURNS=8: the u585) against the
    reference: 6 units (one turn: the pass entered at its eighth), 20 (three: at its sixth), 50 (seven: at its
    second), 64 (eight: one whole pass, no entry); 5 steps of 24 inputs (two pairs, then the one-step
    loop's LDRDs), 2 batches, 3 invocations."""
    b = get_board("u585")
    assert "-DTG_LSTM_PAIRS_TURNS=8" in b.cflags
    rng = np.random.default_rng(hidden)
    _assert_pairs_lstm_equal_reference(b, rng, 5, 24, hidden, tmp_path)


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", ["nano33ble", "pico2"])
def test_tflite_lstm_pairs_default_passes_dsp(board, tmp_path):
    """tg_lstm_s8_pairs_dsp on a single-issue core with none of the F446's and U585's switches (the M4 and M33
    defaults: the two-step input loop's pipelined loads, 40 inputs in three passes; the recurrent side's two
    turns a pass, 41 units entering at the second; 7 steps: three pairs and the one-step loop's LDRDs) against
    the reference."""
    b = get_board(board)
    assert not any(f.startswith(("-DTG_DUAL_ISSUE", "-DTG_LSTM_")) for f in b.cflags)
    rng = np.random.default_rng(7)
    _assert_pairs_lstm_equal_reference(b, rng, 7, 40, 41, tmp_path)


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board, inputs", [("u585", 16), ("u585", 80), ("f746zg", 16), ("f746zg", 64)])
def test_tflite_lstm_pairs_input_passes_dsp(board, inputs, tmp_path):
    """tg_lstm_s8_pairs_dsp's input side over one to five 16-column passes (the pipelined schedule's last
    column pair moving w and v on by write-back, the loop ending where v reaches the inputs' end) against the
    reference: 16 inputs (one pass), 64 (four), 80 (five; 70 real columns, the rest zero padding); 5 steps (two
    pairs, then one alone), 8 units, 2 batches, 3 invocations."""
    b = get_board(board)
    rng = np.random.default_rng(inputs)
    _assert_pairs_lstm_equal_reference(b, rng, 5, inputs if inputs != 80 else 70, 8, tmp_path)


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("steps, inputs, hidden", [(5, 40, 41), (4, 64, 16)])
def test_tflite_lstm_pairs_ldm_dsp(steps, inputs, hidden, tmp_path):
    """tg_lstm_s8_pairs_dsp's LDM versions (-DTG_LSTM_LDM=1: the f446re) against the reference: the input
    side's two steps a pass by LDMs of the two gate pairs' words and the steps' inputs (40 inputs: three
    16-column passes; 64: four; 5 steps: two pairs, then one alone by the one-step loop's LDMs; 4: two pairs),
    the recurrent side's groups
    by LDMs (41 units: a pass entered at its third turn, then a whole one; 16: entered at its third turn);
    2 batches, 3 invocations."""
    b = get_board("f446re")
    assert "-DTG_LSTM_LDM=1" in b.cflags and "-DTG_LSTM_PAIRS_TURNS=4" in b.cflags
    rng = np.random.default_rng(steps * inputs + hidden)
    _assert_pairs_lstm_equal_reference(b, rng, steps, inputs, hidden, tmp_path)


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", ["u585", "f446re"])
def test_lstm_pairs_hidden_state_from_the_output_rows_dsp(board, tmp_path):
    """tg_lstm_s8_pairs_dsp stores each new hidden value into the step's output row only, the next step
    widening that row and the state taking a batch row's last one at its end: a one-step stateful .tflite
    LSTM over 2 batches and 3 invocations (the state is the only row, copied; a missing copy leaves the
    second invocation's state stale), and a two-layer torch LSTM keeping its last step only (the steps
    before it write the spare row, which the next step must widen), on the single-issue stand-ins."""
    b = get_board(board)
    rng = np.random.default_rng(72)
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(rng, 2, 1, 20, 12, input_product=0.75))
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=b.isa_features))
    assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_lstm_s8_pairs_dsp"]
    _assert_invocations_equal_reference(b, source, graph, rng, tmp_path / "one_step")

    torch.manual_seed(72)
    calib = rng.standard_normal((32, 5, 9)).astype(np.float32)
    net = Stack("lstm", 9, 11, 2, True).eval()
    source, graph = compile_module(net, calib, "lstm", CompileOptions(features=b.isa_features))
    choice = {n.name: "tg_lstm_s8_pairs_dsp" for n in graph.nodes if n.op == "lstm"}
    source, graph = compile_module(net, calib, "lstm",
                                   CompileOptions(features=b.isa_features, kernel_choice=choice))
    assert [n.kernel for n in graph.nodes if n.op == "lstm"] == ["tg_lstm_s8_pairs_dsp"] * 2
    result = build(source, graph, b, tmp_path / "last_step")
    with open_device(b, result.out_dir, emulate=True) as dev:
        for k in range(2):
            x = rng.integers(-128, 128, graph.tensor(graph.inputs[0]).size, dtype=np.int8)
            assert_device_equals_reference(dev, graph, x, f"{board} last step, input {k}")


def test_dsp_packing_holds_the_weights_and_folded_biases():
    rng = np.random.default_rng(0)
    h, i = 3, 5
    # gate 1's input side shifts left by 2 (its factor 4 goes into its weights), gate 3's recurrent
    # multiplier is 0 (its side packs as zeros)
    p = {"hidden": h, "input_offset": 7, "hidden_offset": -3,
         "in_mult": [1 << 30, 1 << 30, 1 << 30, 1 << 30], "in_shift": [0, 2, -1, -5],
         "rec_mult": [1 << 30, 1 << 30, 1 << 30, 0], "rec_shift": [-3, -3, -3, 0],
         "forget_mult": 1 << 30, "forget_shift": -14, "cell_mult": 1 << 30, "cell_shift": -4,
         "output_mult": 3 << 29, "output_shift": -20}
    w_ih, w_hh = rng.integers(-127, 128, (4, h, i)), rng.integers(-127, 128, (4, h, h))
    bias = rng.integers(-1000, 1000, (4, h))
    words = pack_lstm_dsp(p, {"w_ih": w_ih, "w_hh": w_hh, "bias": bias}).astype(np.int64)
    head = 11 * 3                                    # (factor, 2 x multiplier, right shift - 1) per requantization
    assert np.array_equal(words[:head].reshape(11, 3)[[0, 1, 2, 6, 7, 10]],
                          [[1, -(1 << 31), -1], [1, -(1 << 31), 2], [1, -(1 << 31), -1], [1, -(1 << 31), 4],
                           [1, 0, -1], [1, -(1 << 30), 19]])
    fx, fh = np.array([1, 4, 1, 1]), np.array([1, 1, 1, 0])
    side_x, side_h = 4 + 8 * 2, 4 + 8 * 1            # biases, then 2 groups of 4 input columns (1 of hidden)
    assert words.size == head + h * (side_x + side_h)

    def halves(u):                                   # int16 pair words -> [group][gate][4 columns]
        return np.stack([((u & 0xFFFF) ^ 0x8000) - 0x8000, u >> 16], axis=1).ravel().reshape(-1, 4, 4)

    for j in range(h):
        u = words[head + j * (side_x + side_h):head + (j + 1) * (side_x + side_h)]
        assert np.array_equal(u[:4], fx * (bias[:, j] + 7 * w_ih[:, j].sum(1)))
        xs = np.concatenate(list(halves(u[4:side_x])), axis=1)
        assert np.array_equal(xs[:, :i], fx[:, None] * w_ih[:, j]) and not np.any(xs[:, i:])
        assert np.array_equal(u[side_x:side_x + 4], fh * -3 * w_hh[:, j].sum(1))
        hs = np.concatenate(list(halves(u[side_x + 4:])), axis=1)
        assert np.array_equal(hs[:, :h], fh[:, None] * w_hh[:, j]) and not np.any(hs[:, h:])
    assert lstm_dsp_fits(p)
    assert not lstm_dsp_fits({**p, "rec_shift": [-3, 9, -3, 0]})           # 127 x 2^9 leaves int16
    assert not lstm_dsp_fits({**p, "output_shift": 1}) and not lstm_dsp_fits({**p, "cell_mult": 0})
    g = pack_gru_dsp(p, {"w_ih": w_ih[:3], "w_hh": w_hh[:3], "bias": bias})
    assert np.array_equal(g[3:6].astype(np.int64), np.array([0, 0, bias[3, 0]]) - 3 * w_hh[:3, 0].sum(1))


# (batches, inputs, units, rank, memory)
SVDF_CASES = [(1, 40, 8, 1, 49), (2, 7, 3, 2, 5), (1, 1, 1, 1, 1), (1, 13, 4, 3, 6)]


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", BOARDS)
def test_svdf_s8_dsp_equals_tflm(board, tmp_path):
    pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    b = get_board(board)
    rng = np.random.default_rng(len(board))
    for k, case in enumerate(SVDF_CASES):
        data = svdf_model(rng, *case)
        path = tmp_path / f"svdf{k}.tflite"
        path.write_bytes(data)
        source = load_source(path)
        graph = compile_source(source, options=CompileOptions(features=b.isa_features))
        assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_svdf_s8_dsp"]
        result = build(source, graph, b, tmp_path / f"fw{k}")
        xs = [rng.integers(-128, 128, graph.tensor(graph.inputs[0]).shape, dtype=np.int8) for _ in range(case[4] + 2)]
        with open_device(b, result.out_dir, emulate=True) as dev:
            assert_device_equals_tflm(dev, data, xs, f"svdf {case}")
