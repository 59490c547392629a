"""Run every .tflite model under a folder through tinygen and TensorFlow Lite Micro: whether
tinygen accepts it (else its one-line refusal), and for the accepted ones whether tinygen's
numpy reference (which the generated C equals byte for byte) gives TFLite Micro's outputs on
random inputs, bit for bit. A held-out set of real models is the check that "every model
TFLite Micro runs, tinygen runs".

    python benchmarks/tflite_survey.py MODELS_DIR [--samples N] [--json out.json]

Prints one row per model (accepted / bit-exact / the refusal) and a summary; needs the
tflite_micro package (TFLM runs in a child process: tinygen.hil.tflm_check.run_tflm).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from tinygen.compiler import compile_source, load_source
from tinygen.errors import TinygenError
from tinygen.hil.session import carries_state
from tinygen.hil.tflm_check import TFLMUnavailable, feeds_for, missing, run_tflm
from tinygen.ref.interpreter import dequantize, run


def random_sample(graph, rng) -> tuple[np.ndarray, ...]:
    """One sample per compiled input: the whole range of an integer port, N(0, 2) for a float one."""
    xs = []
    for name in graph.inputs:
        t = graph.tensor(name)
        if t.dtype == "float32":
            xs.append(rng.normal(0, 2, t.shape).astype(np.float32))
        else:
            info = np.iinfo(t.np_dtype)
            xs.append(rng.integers(info.min, info.max + 1, t.shape, dtype=np.int64).astype(t.np_dtype))
    return tuple(xs)


def survey_one(path: Path, samples: int, seed: int = 0) -> dict:
    row = {"model": str(path), "accepted": False}
    start = time.perf_counter()
    try:
        graph = compile_source(load_source(path))
    except TinygenError as e:
        row["refusal"] = str(e).split("\n")[0]
        return row
    row["accepted"] = True
    rng = np.random.default_rng(seed)
    xs = [random_sample(graph, rng) for _ in range(samples)]
    # a recurrent state that carries over: the samples are one sequence, in TFLM and the reference
    state = {} if carries_state(graph) else None
    try:
        tflm = run_tflm(path.read_bytes(), feeds_for(graph, xs), [[] for _ in xs], keep_state=state is not None)
    except TFLMUnavailable as e:
        row["tflm"] = f"TFLite Micro cannot run it: {e}"
        return row
    equal = 0
    for x, theirs in zip(xs, tflm):
        ours = run(graph, x, state=state)
        same = True
        for k, name in enumerate(graph.outputs):
            got = ours[name]
            if name in graph.meta.get("float_outputs", []):
                got = dequantize(graph, name, got)
            want = np.asarray(theirs["outputs"][k])
            same &= got.size == want.size and np.array_equal(got.reshape(-1).view(np.uint8),
                                                             want.astype(got.dtype).reshape(-1).view(np.uint8))
        equal += same
    row.update(samples=samples, bit_exact=equal, seconds=round(time.perf_counter() - start, 1))
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if missing():
        print(f"tflite_survey: {missing()}", file=sys.stderr)
        return 2
    rows = []
    for path in sorted(args.folder.rglob("*.tflite")):
        row = survey_one(path, args.samples)
        rows.append(row)
        status = ("refused: " + row["refusal"]) if not row["accepted"] else (
            row.get("tflm") or f"bit-exact {row['bit_exact']}/{row['samples']}")
        print(f"{path.relative_to(args.folder)}  {status}", flush=True)
    accepted = [r for r in rows if r["accepted"]]
    exact = [r for r in accepted if r.get("bit_exact") == r.get("samples")]
    print(f"\n{len(rows)} models: {len(accepted)} accepted, {len(exact)} of them bit-exact with TFLite Micro "
          f"on every sample, {len(rows) - len(accepted)} refused")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
