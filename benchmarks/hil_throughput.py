"""End-to-end HIL throughput: 100 DS-CNN inferences on the f746zg stand-in
(target: < 60 s for the 100, build excluded).

    .venv/bin/python benchmarks/hil_throughput.py [--board f746zg] [--model examples/models/dscnn.py]
                                                 [-n 100] [--json out.json]

Builds the model for the board (timed separately), boots firmware-emu.elf under
QEMU, and sends every input through `tg run` (binary upload, one inference, the
outputs back), each checked against the numpy reference. Prints inferences per
second, total seconds, executed instructions per inference (the stand-in's
counter: never cycles or time) and the bytes that crossed the serial link.
--timeout: seconds of the emulator's own time per answer beyond the known work
(tinygen.hil.deadline). A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from tinygen.board import get_board
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.deadline import add_timeout_option
    from tinygen.hil.session import run_samples, sample_inputs
    from tinygen.hil.target import open_device
    from tinygen.report import table

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--board", default="f746zg")
    p.add_argument("--model", default=str(ROOT / "examples" / "models" / "dscnn.py"))
    p.add_argument("-n", type=int, default=100, help="inferences (default 100)")
    p.add_argument("--json", metavar="FILE")
    add_timeout_option(p)
    args = p.parse_args()

    board = get_board(args.board)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        source = load_source(args.model)
        graph = compile_source(source)
        result = build(source, graph, board, Path(tmp) / source.name)
        build_s = time.perf_counter() - t
        inputs = sample_inputs(source, graph, args.n, seed=1)

        t = time.perf_counter()
        with open_device(board, result.out_dir, emulate=board.build != "host", timeout=args.timeout) as dev:
            boot_s = time.perf_counter() - t
            counter = dev.info()["counter"]
            sent0, recv0 = dev.link.bytes_sent, dev.link.bytes_received
            t = time.perf_counter()
            run = run_samples(dev, graph, inputs)
            total_s = time.perf_counter() - t
            sent, received = dev.link.bytes_sent - sent0, dev.link.bytes_received - recv0

    per_inference = sum(run.counts) / run.samples
    numbers = {
        "model": source.name, "board": board.name, "inferences": run.samples,
        "bit-exact": f"{run.exact}/{run.samples}",
        "build (s, excluded)": round(build_s, 2), "boot + handshake (s)": round(boot_s, 3),
        "total (s)": round(total_s, 2), "inferences/s": round(run.samples / total_s, 2),
        f"{counter} per inference": round(per_inference),
        "bytes sent": sent, "bytes received": received,
        "bytes per inference": round((sent + received) / run.samples),
    }
    print(table(["", "value"], [[k, v] for k, v in numbers.items()], "lr"))
    if args.json:
        Path(args.json).write_text(json.dumps(numbers, indent=2) + "\n")
    return 0 if run.exact == run.samples else 1


if __name__ == "__main__":
    sys.exit(main())
