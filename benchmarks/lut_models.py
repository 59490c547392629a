"""--weights lut on the MLPerf KWS and IC models (and AD, the autoencoder of one-row fully connected
layers, with --models ad): weight flash against int8, how often the shared-weight model's top-1
class agrees with int8's (and by how many LSB the outputs differ), and executed instructions on a
board's stand-in against the int8 build.

    .venv/bin/python benchmarks/lut_models.py [--models kws ic ad] [--bits 4 3 2] [--tables tensor channel]
                                              [--samples 64] [--standin [--board n6570] [--estimate]]
                                              [--kws-corpus] [--json out.json]

The models come quantized (.tflite) and the repository holds none of their data sets, so the
clustering is weighed on random int8 inputs (passes/share_weights.py) and the agreement is
measured with the reference interpreter on other random int8 inputs (`--samples`): a proxy, not
top-1 accuracy on the test set. Weight bytes: the MAC layers' weights as built (packed indices,
tables, header and word-aligned rows; int8 where a layer stays int8). --standin builds each for
the f746zg (Cortex-M7 DSP kernels for int8; the portable LUT kernels for the shared layers) and
counts one inference's instructions on its QEMU stand-in (after a warm-up), checking the output
against the reference. --board picks the board (f746zg by default; n6570: the Cortex-M55, whose
shared layers run the Helium kernels decoding into scratch; esp32-c3). --estimate adds, per layer
and in total, the core's cycle model's estimate (tinygen.cycles; uncalibrated for the M55) next to
the exact per-layer instructions, and each shared layer's ratio to the same layer of int8.

--kws-corpus: the KWS model on the project's synthesized keyword corpus (tinygen.audio.corpus,
its test split, synthesized once into build/kws-corpus): the first half of the clips (their
MFCC features, clip mode) calibrates the clustering (--calib), the second half measures top-1
accuracy against the labels, int8 and shared.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tinygen.board import get_board  # noqa: E402
from tinygen.compiler import build, compile_source, load_source  # noqa: E402
from tinygen.kernels.lut_table import OUT_AXIS  # noqa: E402
from tinygen.passes import CompileOptions  # noqa: E402
from tinygen.quant.weight_spec import parse_weights  # noqa: E402
from tinygen.ref.interpreter import run  # noqa: E402
from tinygen.report.weights import stored_weight_bytes  # noqa: E402

MODELS = {"kws": "kws_dscnn_int8.tflite", "ic": "ic_resnet8_int8.tflite", "ad": "ad_autoencoder_int8.tflite"}
DEFAULT_MODELS = ["kws", "ic"]
DIR = Path(__file__).resolve().parents[1] / "examples" / "mlperf-tiny"


def weight_bytes(graph) -> int:
    return sum(stored_weight_bytes(graph, n) for n in graph.nodes
               if n.op in OUT_AXIS and n.kernel and n.params and n.param("weight"))


def agreement(a, b, samples: int) -> dict:
    rng = np.random.default_rng(2026)
    same, diffs = 0, []
    for _ in range(samples):
        x = rng.integers(-128, 128, a.tensor(a.inputs[0]).shape).astype(np.int8)
        ya, yb = run(a, x)[a.outputs[0]], run(b, x)[b.outputs[0]]
        same += int(np.argmax(ya)) == int(np.argmax(yb))
        diffs.append(np.abs(ya.astype(np.int64) - yb.astype(np.int64)))
    d = np.concatenate([x.reshape(-1) for x in diffs])
    return {"agreement": same / samples, "mean_abs_lsb": float(d.mean()), "max_abs_lsb": int(d.max())}


def kws_corpus(source, work: Path):
    """(calibration .npy of float features, int8 evaluation inputs, labels) from the test split."""
    from tinygen.audio import corpus, evaluate
    from tinygen.ref.interpreter import dequantize

    test = corpus.load_split("test")
    graph = compile_source(source)
    q = evaluate.clip_inputs(graph, test.clips)
    half = len(q) // 2
    shape = graph.tensor(graph.inputs[0]).shape
    calib = np.stack([dequantize(graph, graph.inputs[0], x.reshape(shape))[0] for x in q[:half]])
    work.mkdir(parents=True, exist_ok=True)
    np.save(work / "kws_calib.npy", calib.reshape((half,) + tuple(source.input_shapes[0][1:])))
    return str(work / "kws_calib.npy"), q[half:], np.asarray(test.labels)[half:]


def predictions(graph, inputs) -> np.ndarray:
    from tinygen.audio import evaluate

    return evaluate.predict(graph, inputs)


def instructions(source, graph, board, work: Path) -> int:
    from tinygen.hil.target import open_device

    result = build(source, graph, board, work)
    x = np.random.default_rng(1).integers(-128, 128, graph.tensor(graph.inputs[0]).shape).astype(np.int8)
    with open_device(board, result.out_dir, emulate=True) as dev:
        dev.run(x.tobytes())
        raw, count = dev.run(x.tobytes())
    want = run(graph, x)[graph.outputs[0]]
    if not np.array_equal(np.frombuffer(raw, np.int8), want.reshape(-1).view(np.int8)):
        raise SystemExit(f"{graph.name}: the stand-in's output differs from the reference")
    return int(count)


def estimate(source, graph, board, work: Path) -> dict:
    """The cycle model's estimate of one inference (tinygen.cycles.estimate_standin: exact
    instructions and estimated cycles per layer) of the build instructions() made in `work`."""
    from tinygen.cycles import estimate_standin

    x = np.random.default_rng(1).integers(-128, 128, graph.tensor(graph.inputs[0]).shape).astype(np.int8)
    est = estimate_standin(board, work, x.tobytes())
    kernels = {n.name: n.kernel for n in graph.nodes}
    return {"cycles": est["total"]["cycles"], "model": est["model"],
            "layers": [{"name": r["name"], "kernel": kernels.get(r["name"]), "instructions": r["instructions"],
                        "cycles": r["cycles"]} for r in est["layers"]]}


def per_layer(lut: dict, int8: dict) -> list[dict]:
    """Per layer of both builds (by name): the shared build's instructions and estimated cycles
    against int8's."""
    base = {r["name"]: r for r in int8["layers"]}
    return [{"name": r["name"], "kernel": r["kernel"], "int8_kernel": base[r["name"]]["kernel"],
             "instructions": r["instructions"], "int8_instructions": base[r["name"]]["instructions"],
             "cycles": r["cycles"], "int8_cycles": base[r["name"]]["cycles"]}
            for r in lut["layers"] if r["name"] in base]


def _print_layers(rows: list[dict]) -> None:
    for r in rows:
        if r["kernel"] != r["int8_kernel"]:
            print(f"      {r['name']:<22} {r['kernel']:<40} instructions {r['instructions']:>9,} / "
                  f"{r['int8_instructions']:>9,} x{r['instructions'] / r['int8_instructions']:.3f}   est. cycles "
                  f"x{r['cycles'] / r['int8_cycles']:.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=list(MODELS))
    ap.add_argument("--bits", nargs="+", type=int, default=[4, 3, 2])
    ap.add_argument("--tables", nargs="+", default=["tensor", "channel"], choices=["tensor", "channel"])
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--standin", action="store_true")
    ap.add_argument("--board", default="f746zg", help="the board built for with --standin (f746zg, n6570, esp32-c3)")
    ap.add_argument("--estimate", action="store_true",
                    help="with --standin: per-layer instructions and the core's estimated cycles (tinygen.cycles)")
    ap.add_argument("--kws-corpus", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--work", type=Path, default=Path("build/lut_models"))
    args = ap.parse_args(argv)
    board = get_board(args.board)
    features = board.isa_features if args.standin else frozenset()
    rows = []
    for name in args.models:
        source = load_source(DIR / MODELS[name])
        int8 = compile_source(source, options=CompileOptions(features=features))
        base = {"bytes": weight_bytes(int8)}
        calib, evaluation = None, None
        if name == "kws" and args.kws_corpus:
            calib, *evaluation = kws_corpus(source, args.work)
            base["predicted"] = predictions(int8, evaluation[0])
            base["accuracy"] = float(np.mean(base["predicted"] == evaluation[1]))
            print(f"{name}: int8 top-1 {base['accuracy']:.2%} on {len(evaluation[1])} corpus clips")
        if args.standin:
            base["instructions"] = instructions(source, int8, board, args.work / name / "int8")
            if args.estimate:
                base["estimate"] = estimate(source, int8, board, args.work / name / "int8")
        print(f"{name}: int8 weights {base['bytes']:,} B" + (f", {base['instructions']:,} instructions"
                                                              if args.standin else "")
              + (f", {base['estimate']['cycles']:,.0f} est. cycles" if "estimate" in base else ""))
        for bits in args.bits:
            for tables in args.tables:
                spec = f"lut:{bits}:{tables}"
                lut = compile_source(source, calib, CompileOptions(features=features, weights=parse_weights(spec)))
                row = {"model": name, "spec": spec, "bytes": weight_bytes(lut), "int8_bytes": base["bytes"],
                       **agreement(int8, lut, args.samples)}
                if evaluation:
                    predicted = predictions(lut, evaluation[0])
                    row.update(accuracy=float(np.mean(predicted == evaluation[1])), int8_accuracy=base["accuracy"],
                               corpus_agreement=float(np.mean(predicted == base["predicted"])))
                if args.standin:
                    row["instructions"] = instructions(source, lut, board, args.work / name / spec)
                    row["int8_instructions"] = base["instructions"]
                if "estimate" in base:
                    est = estimate(source, lut, board, args.work / name / spec)
                    row.update(cycles=est["cycles"], int8_cycles=base["estimate"]["cycles"], cycle_model=est["model"],
                               layers=per_layer(est, base["estimate"]))
                rows.append(row)
                print(f"  {spec:<16} weights {row['bytes']:>7,} B ({row['bytes'] / base['bytes']:.2f}x int8)  "
                      f"top-1 agreement {row['agreement']:.1%}  output diff mean {row['mean_abs_lsb']:.2f} LSB, "
                      f"max {row['max_abs_lsb']}"
                      + (f"  corpus: top-1 {row['accuracy']:.2%} (int8 {base['accuracy']:.2%}), same class as int8 "
                         f"{row['corpus_agreement']:.1%}" if evaluation else "")
                      + (f"  instructions {row['instructions']:,} ({row['instructions'] / base['instructions']:.3f}x)"
                         if args.standin else "")
                      + (f"  est. cycles {row['cycles']:,.0f} ({row['cycles'] / row['int8_cycles']:.3f}x)"
                         if "cycles" in row else ""))
                if "layers" in row:
                    _print_layers(row["layers"])
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
