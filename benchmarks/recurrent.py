"""Executed instructions of the recurrent layers on a Cortex-M stand-in: an LSTM (64 inputs, 64
units, 49 steps, an int8 .tflite UNIDIRECTIONAL_SEQUENCE_LSTM), a GRU of the same size (PyTorch)
and an SVDF (micro_speech's kind: 40 inputs, 64 filters of rank 1, 49 frames of memory), each
built with tinygen's kernels (the DSP ones on Cortex-M4/M7, the RV32IM ones on the ESP32-C3), its
portable kernels and, on cores with the DSP extension, CMSIS-NN's
(arm_lstm_unidirectional_s8, arm_svdf_state_s16_s8; CMSIS-NN has no GRU), counted per layer by
`tg layers` on the stand-in; the table gives instructions, per MAC and CMSIS-NN's over tinygen's,
and where the board has a cycle model ([timing]) the layer's estimated cycles (tinygen.cycles, the
stand-in's execution log priced) and CMSIS-NN's over tinygen's in those, and each firmware image's
arena, constants, RAM and flash (bytes, from its ELF).

    source .ci/third_party.sh && .venv/bin/python benchmarks/recurrent.py [--board f746zg | f446re | esp32-c3]
        [--layers lstm,gru,svdf] [--weights-in flash | auto | ram] [--json FILE]

--weights-in places the layers' constants as the firmware build does (tinygen.fit.weights_ram):
in flash (default), in RAM where the flash reads they save are worth the bytes (auto), or all in RAM;
the estimated cycles price the reads of those in RAM at no stall (tinygen.cycles.weight_reads).
--json writes the rows (the figure `recurrent-layers`, benchmarks/figure_recurrent.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from tflite.ActivationFunctionType import ActivationFunctionType as Act

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from tflite_builder import ModelBuilder  # noqa: E402

from tinygen.board import get_board  # noqa: E402
from tinygen.compiler import build, compile_source, load_source  # noqa: E402
from tinygen.cycles import estimate_standin  # noqa: E402
from tinygen.fit.weights_ram import place_weights  # noqa: E402
from tinygen.hil.target import open_device  # noqa: E402
from tinygen.passes import CompileOptions  # noqa: E402

INPUTS, UNITS, STEPS = 64, 64, 49
SVDF_INPUTS, SVDF_FILTERS, SVDF_MEMORY = 40, 64, 49


def _weights(rng, shape, std: float) -> np.ndarray:
    return np.clip(np.round(rng.normal(0, std, shape)), -127, 127)


def lstm_tflite(rng) -> bytes:
    """Weights drawn like a trained layer's (normal, per-tensor scales), so that no gate's
    recurrent product can saturate and CMSIS-NN's kernel computes it exactly."""
    b = ModelBuilder("benchmark lstm")
    x = b.tensor("x", [1, STEPS, INPUTS], scale=0.05, zero_point=3)
    ins = [x]
    for k in range(8):
        cols = INPUTS if k < 4 else UNITS
        ins.append(b.tensor(f"w{k}", [UNITS, cols], scale=0.004 if k < 4 else 0.002, zero_point=0,
                            data=_weights(rng, (UNITS, cols), 25)))
    ins += [-1, -1, -1]
    for k in range(4):
        ins.append(b.tensor(f"b{k}", [UNITS], "int32", scale=0.05 * 0.004, data=rng.integers(-500, 500, UNITS)))
    ins += [-1, -1, b.tensor("h", [1, UNITS], scale=1 / 128, zero_point=0, variable=True),
            b.tensor("c", [1, UNITS], "int16", scale=2.0 ** -11, variable=True), -1, -1, -1, -1]
    y = b.tensor("y", [1, STEPS, UNITS], scale=1 / 128, zero_point=0)
    b.op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [y], "UnidirectionalSequenceLSTMOptions",
         FusedActivationFunction=Act.TANH, TimeMajor=False)
    return b.finish([x], [y])


def svdf_tflite(rng) -> bytes:
    b = ModelBuilder("benchmark svdf")
    x = b.tensor("x", [1, SVDF_INPUTS], scale=0.1, zero_point=-2)
    wf = b.tensor("wf", [SVDF_FILTERS, SVDF_INPUTS], scale=0.005, data=_weights(rng, (SVDF_FILTERS, SVDF_INPUTS), 30))
    wt = b.tensor("wt", [SVDF_FILTERS, SVDF_MEMORY], "int16", scale=3e-5,
                  data=np.clip(rng.normal(0, 5000, (SVDF_FILTERS, SVDF_MEMORY)), -32767, 32767))
    bias = b.tensor("bias", [SVDF_FILTERS], "int32", scale=0.05 * 3e-5, data=rng.integers(-5000, 5000, SVDF_FILTERS))
    state = b.tensor("state", [1, SVDF_FILTERS * SVDF_MEMORY], "int16", scale=0.05, variable=True)
    y = b.tensor("y", [1, SVDF_FILTERS], scale=0.1, zero_point=-10)
    b.op("SVDF", [x, wf, wt, bias, state], [y], "SVDFOptions", Rank=1, FusedActivationFunction=Act.RELU)
    return b.finish([x], [y])


class Gru(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(INPUTS, UNITS, batch_first=True)

    def forward(self, x):
        return self.gru(x)[0][:, -1]


def _memory(result) -> tuple[int, int, int, int]:
    """The firmware image's arena, constants, RAM and flash in bytes (its ELF's, tinygen.build.memory)."""
    use = result.memory[0]
    return (use.arena, use.weights, sum(r.used for r in use.regions.values() if r.kind == "ram"),
            sum(r.used for r in use.regions.values() if r.kind == "flash"))


def _count(source, graph, board, out: Path, op: str) -> tuple[str, int, float | None, tuple[int, int, int, int]]:
    """The layer's kernel, its instructions, where the board has a cycle model its estimated cycles, and the
    firmware's memory (_memory)."""
    result = build(source, graph, board, out)
    node = next(n for n in graph.nodes if n.op == op)
    index = [n for n in graph.nodes if n.kernel].index(node)
    x = np.zeros(graph.tensor(graph.inputs[0]).size, np.int8).tobytes()
    if board.raw.get("timing"):
        row = estimate_standin(board, result.out_dir, x)["layers"][index]
        return node.kernel, row["instructions"], row["cycles"], _memory(result)
    with open_device(board, result.out_dir, emulate=True) as dev:
        dev.upload(x)
        layers, _, _ = dev.layers()
    return node.kernel, layers[index].count, None, _memory(result)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--layers", default="lstm,gru,svdf", help="comma-separated: lstm, gru, svdf")
    ap.add_argument("--weights-in", default="flash", choices=("flash", "auto", "ram"),
                    help="where the constants go (tinygen.fit.weights_ram); default flash")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = ap.parse_args()
    wanted = args.layers.split(",")
    board = get_board(args.board)
    tree = os.environ.get("CMSIS_NN_PATH")
    rng = np.random.default_rng(0)
    macs = {"lstm": STEPS * 4 * UNITS * (INPUTS + UNITS), "gru": STEPS * 3 * UNITS * (INPUTS + UNITS),
            "svdf": SVDF_FILTERS * (SVDF_INPUTS + SVDF_MEMORY)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "lstm.tflite").write_bytes(lstm_tflite(rng))
        (tmp / "svdf.tflite").write_bytes(svdf_tflite(rng))
        torch.manual_seed(0)
        calib = rng.standard_normal((16, STEPS, INPUTS)).astype(np.float32)
        np.save(tmp / "calib.npy", calib)
        ep = torch.export.export(Gru().eval(), (torch.from_numpy(calib[:1]),))
        torch.export.save(ep, tmp / "gru.pt2")
        for op, path, calib_path in (("lstm", tmp / "lstm.tflite", None), ("gru", tmp / "gru.pt2", tmp / "calib.npy"),
                                     ("svdf", tmp / "svdf.tflite", None)):
            if op not in wanted:
                continue
            source = load_source(path)
            counts = {}
            for kernels in ("tinygen", "portable", "cmsis-nn"):
                if kernels == "cmsis-nn" and (tree is None or op == "gru" or "dsp" not in board.isa_features):
                    continue
                options = CompileOptions(features=board.isa_features, kernels=kernels, cmsis_nn=tree)
                graph = place_weights(compile_source(source, str(calib_path) if calib_path else None, options), board,
                                      args.weights_in)
                counts[kernels] = _count(source, graph, board, tmp / f"{op}_{kernels}", op)
            base = counts.get("cmsis-nn")
            for kernels, (kernel, n, cycles, memory) in counts.items():
                ratio = f"{base[1] / n:.2f}x" if base else "-"
                cycle_ratio = f"{base[2] / cycles:.2f}x" if base and cycles else "-"
                rows.append((op.upper(), kernels, kernel, n, n / macs[op], ratio, cycles, cycle_ratio, memory))
    print(f"{args.board} stand-in: LSTM {INPUTS} inputs x {UNITS} units x {STEPS} steps, GRU the same, "
          f"SVDF {SVDF_INPUTS} inputs x {SVDF_FILTERS} filters x {SVDF_MEMORY} memory (instructions per inference), "
          f"--weights-in {args.weights_in}")
    print(f"{'layer':6} {'--kernels':10} {'kernel':22} {'instructions':>13} {'per MAC':>8} {'CMSIS-NN / it':>14} "
          f"{'est. cycles':>12} {'CMSIS-NN / it':>14} {'arena B':>8} {'consts B':>9} {'RAM B':>8} {'flash B':>8}")
    for layer, kernels, kernel, n, per_mac, ratio, cycles, cycle_ratio, memory in rows:
        shown = "-" if cycles is None else f"{cycles:,.0f}"
        print(f"{layer:6} {kernels:10} {kernel:22} {n:13,d} {per_mac:8.2f} {ratio:>14} {shown:>12} {cycle_ratio:>14} "
              + " ".join(f"{v:{w},d}" for v, w in zip(memory, (8, 9, 8, 8))))
    if args.json:
        Path(args.json).write_text(json.dumps([
            {"board": args.board, "layer": layer, "kernels": kernels, "kernel": kernel, "instructions": n,
             "macs": macs[layer.lower()], "cycles": cycles, "weights_in": args.weights_in,
             **dict(zip(("arena", "consts", "ram", "flash"), memory))}
            for layer, kernels, kernel, n, _, _, cycles, _, memory in rows], indent=1) + "\n")


if __name__ == "__main__":
    main()
