"""Camera preprocessing against the network: executed instructions per frame on the
Cortex-M7 (f746zg, `mps2-an500`) and Cortex-M4 (f446re, `mps2-an386`) stand-ins, and on the
Cortex-M55's (n6570, `mps3-an547`: the Helium area paths for RGB565, YUYV and gray) with
`--boards n6570`.

    .venv/bin/python benchmarks/camera_preprocess.py [--boards f746zg f446re] [--json out.json]

Builds the MLPerf Tiny VWW model (96x96x3 int8) with the camera front end for each board
(`--kernels tinygen` unless --kernels is given), then sends one photograph-like frame per
format and size (QVGA RGB565 both byte orders, YUYV and gray; QQVGA RGB565) through
`tg frame` / `tg chunk`, checks the device's int8 input against the twin, and runs one
inference: the preprocessing count (`m-tg-frame-done`) beside the network's (`tg invoke`).
QEMU counts executed instructions: never cycles or time. A benchmark, not a test: it
prints numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODEL = ROOT / "examples" / "mlperf-tiny" / "vww_mobilenet_int8.tflite"
CASES = [("rgb565", 320, 240), ("rgb565be", 320, 240), ("yuyv", 320, 240), ("gray", 320, 240), ("rgb565", 160, 120)]


def photo(width: int, height: int) -> np.ndarray:
    """scikit-image's astronaut as a camera would see it at width x height."""
    import skimage.data

    from tinygen.ref.frame_formats import frame_format
    from tinygen.vision.frames import camera_frame
    from tinygen.ref.camera import unpack

    raw = camera_frame(skimage.data.astronaut(), width, height, frame_format("rgb565"))
    return unpack(np.frombuffer(raw, np.uint8).reshape(height, -1), frame_format("rgb565"), 0, width, 3)


def measure(board_name: str, kernels: str, tmp: Path) -> list[dict]:
    from tinygen.board import get_board
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions
    from tinygen.ref import camera as twin
    from tinygen.ref.frame_formats import frame_format, pack_frame
    from tinygen.vision.link import CameraLink
    from tinygen.passes.camera_input import CameraSpec, target

    board = get_board(board_name)
    source = load_source(MODEL)
    spec = CameraSpec()
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels=kernels, camera=spec))
    build(source, graph, board, tmp / board_name)
    tgt = target(graph, spec)
    rows = []
    with open_device(board, tmp / board_name, emulate=True, timeout=120) as dev:
        cam = CameraLink(dev)
        for fmt_name, width, height in CASES:
            fmt = frame_format(fmt_name)
            frame = pack_frame(photo(width, height), fmt)
            sent = cam.send_frame(frame, fmt, width, height)
            exact = np.array_equal(np.frombuffer(cam.input(), np.int8).reshape(96, 96, 3),
                                   twin.preprocess(frame, fmt, width, height, tgt))
            _, network = dev.invoke(timeout=120)
            crop = sent.crop
            rows.append({"board": board.name, "format": fmt_name, "frame": f"{width}x{height}",
                         "region": f"{crop.w}x{crop.h}", "preprocess": sent.count, "network": network,
                         "preprocess_readings": sent.chunks,      # one timer interval a chunk, each to a tick
                         "per_pixel": sent.count / (crop.w * crop.h), "input_equal_twin": exact})
    return rows


def main() -> int:
    from tinygen.report import table

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--boards", nargs="+", default=["f746zg", "f446re"])
    p.add_argument("--kernels", default="tinygen", help="the network's kernels (default tinygen: no measuring)")
    p.add_argument("--json", metavar="FILE")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [r for b in args.boards for r in measure(b, args.kernels, Path(tmp))]
    print(table(["board", "format", "frame", "region", "preprocessing", "per region pixel", "network (VWW)",
                 "preprocessing / network", "input == twin"],
                [[r["board"], r["format"], r["frame"], r["region"], f"{r['preprocess']:,}", f"{r['per_pixel']:.1f}",
                  f"{r['network']:,}", f"{r['preprocess'] / r['network']:.1%}", "yes" if r["input_equal_twin"] else "NO"]
                 for r in rows], "lllrrrrrl"))
    print("\nexecuted instructions per frame on the QEMU stand-ins (not cycles); the network: one "
          f"inference of the VWW model with --kernels {args.kernels}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r["input_equal_twin"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
