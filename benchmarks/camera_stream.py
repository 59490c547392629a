"""The camera input streaming into a model in row bands (issue 18 part 2): RAM and executed
instructions of MobileNetV2 0.35 (or another image model) built `--camera`, banded, streamed.

    .venv/bin/python benchmarks/camera_stream.py [--model examples/mobilenetv2/model.py]
        [--split add_24 --bands 8] [--board f446re] [--frame rgb565:160x120] [--json out.json]

Compiles the model for the board untiled without a front end (the reference RAM: what the
issue's 0.4x is of), then banded with the camera front end (QVGA frames at most), whose input
streams in (plan_memory.STREAM_INPUT); prints the predicted RAM by part (arena, the input
window, the front end's state, stack, runtime; the front end's scratch lies inside the arena),
fits it to the board's flash as `tinygen build` does (tinygen/fit/), builds the firmware
(on the f746zg, with the same int8 kernels, where even the fit cannot make it fit), prints its linked RAM, and sends one frame through the stand-in: the outputs
the last chunk answers must equal the banded graph's reference on the twin's preprocessed
input; it prints the preprocessing's and the model's instructions. A benchmark: numbers, not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def frame(fmt: str, width: int, height: int) -> bytes:
    """A photograph-like frame: gradients plus noise, packed as a camera sends it."""
    from tinygen.ref.frame_formats import frame_format, pack_frame

    rng = np.random.default_rng(11)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 // max(width - 1, 1), yy * 255 // max(height - 1, 1), (xx + yy) % 256], -1)
    return pack_frame(np.clip(base + rng.integers(-40, 41, base.shape), 0, 255).astype(np.uint8), frame_format(fmt))


def main(argv=None) -> int:
    from tinygen.board import get_board
    from tinygen.build.linked import linked_image
    from tinygen.build.memory import MemoryFitError, predict
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.fit import fit_lines, fit_model
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions
    from tinygen.passes.stream_input import band_windows_of, window_rows
    from tinygen.ref.interpreter import run
    from tinygen.ref import camera as twin
    from tinygen.ref.frame_formats import frame_format
    from tinygen.vision.link import CameraLink
    from tinygen.passes.camera_input import CameraSpec

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(ROOT / "examples" / "mobilenetv2" / "model.py"))
    p.add_argument("--split", default="add_24")
    p.add_argument("--bands", type=int, default=8)
    p.add_argument("--board", default="f446re")
    p.add_argument("--frame", default="rgb565:160x120", help="FORMAT:WxH of the frame sent")
    p.add_argument("--json")
    args = p.parse_args(argv)
    board = get_board(args.board)
    source = load_source(args.model)
    untiled = compile_source(source, None, CompileOptions(features=board.isa_features, tile="off"))
    base = predict(untiled, board, 0).regions["ram"]
    options = CompileOptions(features=board.isa_features, camera=CameraSpec(), tile=(args.split, "bands", args.bands))
    graph = compile_source(source, None, options)
    try:            # fitted to the board's flash as `tinygen build` fits it (tinygen/fit/)
        graph = fit_model(source, None, options, board, graph)
        print(*fit_lines(graph.meta.get("fit")), sep="\n")
    except MemoryFitError as e:
        print(f"fit: {e.message}")
    ram = predict(graph, board, 0).regions["ram"]
    cam = graph.meta["camera"]
    row = {"model": args.model, "split": args.split, "untiled_ram": base.used,
           "untiled_parts": base.parts, "predicted_ram": ram.used, "predicted_parts": ram.parts,
           "ratio": ram.used / base.used, "window_rows": window_rows(graph),
           "bands": len(band_windows_of(graph, graph.nodes)[0]),
           "camera_scratch": cam.scratch_bytes, "camera_scratch_offset": cam.scratch_offset,
           "arena_before_camera": cam.model_arena}
    print(f"untiled, no front end: RAM {base.used:,} B {base.parts}")
    print(f"banded {args.split} x{args.bands}, --camera, streamed: RAM {ram.used:,} B = {row['ratio']:.3f}x "
          f"{ram.parts}; input window {row['window_rows']} rows; camera scratch {cam.scratch_bytes} B at arena "
          f"offset {cam.scratch_offset} (arena {cam.model_arena:,} B before it, {graph.meta['memory'].arena_size:,} "
          "after)")
    fmt, size = args.frame.split(":")
    width, height = (int(v) for v in size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = build(source, graph, board, Path(tmp) / board.name)
        except MemoryFitError as e:
            print(f"{board.name}: {e}; running on the f746zg stand-in (the same int8 kernels)")
            row["refused"] = str(e)
            board = get_board("f746zg")
            result = build(source, graph, board, Path(tmp) / board.name)
        elf = result.manifest["memory"][linked_image(result.manifest)]
        row.update(board=board.name, linked_ram=elf["ram"]["used"], linked_parts=elf["ram"]["parts"],
                   linked_flash=elf["flash"]["used"])
        print(f"{board.name} linked RAM {row['linked_ram']:,} B ({row['linked_ram'] / base.used:.3f}x) "
              f"{row['linked_parts']}; flash {row['linked_flash']:,} B")
        data = frame(fmt, width, height)
        with open_device(board, result.out_dir, emulate=True) as dev:
            sent = CameraLink(dev).send_frame(data, frame_format(fmt), width, height, streamed=True)
    target = twin.Target(cam.out_w, cam.out_h, cam.channels, cam.lut, cam.spec.max_width, cam.spec.max_height)
    x = twin.preprocess(data, frame_format(fmt), width, height, target, sent.crop)
    want = np.concatenate([run(graph, x)[name].ravel() for name in graph.outputs])
    row.update(preprocess=sent.count, model=sent.model_count,
               exact=bool(np.array_equal(np.frombuffer(sent.outputs, np.int8), want)))
    print(f"one {width}x{height} {fmt} frame on the {board.name} stand-in: preprocessing {sent.count:,} + model "
          f"{sent.model_count:,} instructions; outputs equal to the reference: {row['exact']}")
    if args.json:
        Path(args.json).write_text(json.dumps(row, indent=2) + "\n")
    return 0 if row["exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
