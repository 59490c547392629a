"""The audio front end's cost on the stand-ins: executed instructions per 20 ms frame and RAM.

    .venv/bin/python benchmarks/audio_frontend.py [--boards f746zg f446re esp32-c3 n6570] [--json out.json]

Builds the MLPerf Tiny KWS model with `--frontend mfcc` for each board (the float front end
on the Cortex-M7, M4F and M55 (Helium stages there), the fixed-point one on the ESP32-C3's RV32IMC), boots its QEMU
stand-in and measures, through the protocol (tinygen.audio.client):

- clip mode: `tg audio` on spoken words (tests/data/audio/speech.npz) and on 1 s of
  full-scale noise; the front end's count covers 49 frames plus the clip's peak scan and
  quantization: per frame = count / 49;
- stream mode, the network every 2 frames: a first chunk fills the ring (49 frames, one
  window), a second second of speech is the steady state: its 50 frames' MFCCs, each computed
  once, and 25 windows normalised and quantized; per frame = that chunk's frames' count / 50,
  per inference = its windows' count / 25 (the device reports the two apart: m-tg-windows);
- RAM: the front end's static buffers (the tg_audio_* symbols of the linked image: the audio
  upload, FFT scratch, feature ring, stream state) and flash: its tables.

The budget line is 5% of the board's clock for one frame every 20 ms (216,000 instructions on
the 216 MHz F746ZG), counting one instruction as one cycle. Stand-ins count executed
instructions (never cycles or time); the network's count is printed beside it. A benchmark,
not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite"
SPEECH = ROOT / "tests" / "data" / "audio" / "speech.npz"
BOARDS = ("nucleo-f746zg", "nucleo-f446re", "esp32-c3", "stm32n6570-dk")
FRAME_SECONDS = 0.020
BUDGET_SHARE = 0.05          # of the core's cycles for one frame every 20 ms


def words(count: int = 3) -> list[np.ndarray]:
    with np.load(SPEECH) as z:
        names = [k for k in sorted(z.files) if k != "provenance"]
        return [z[n] for n in names[:count]]


def build_for(board, folder: Path):
    from tinygen.codegen.audio import attach, choose
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.passes import CompileOptions

    source = load_source(MODEL)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="tinygen"))
    attach(graph, choose("mfcc", board))
    return graph, build(source, graph, board, folder / board.name)


def flash_tables(elf_path: Path, flash: tuple[int, int]) -> int:
    from tinygen.codegen.audio import SYMBOL_PREFIX
    from tinygen.build.elf import read_elf

    origin, size = flash
    return sum(s.size for s in read_elf(elf_path).symbols
               if s.name.startswith(SYMBOL_PREFIX) and origin <= s.value < origin + size)


def measure(board, graph, result) -> dict:
    from tinygen.ref import mfcc as fe
    from tinygen.audio.stream import StreamConfig
    from tinygen.audio import client as ac
    from tinygen.hil.target import open_device

    rng = np.random.default_rng(0)
    clips = words() + [np.clip(rng.normal(0, 12000, fe.CLIP_SAMPLES), -32768, 32767).astype(np.int16)]
    speech = np.concatenate(words(8))
    fill = fe.FRAME_LENGTH + (fe.NUM_FRAMES - 1) * fe.FRAME_STEP        # exactly the first 49 frames
    image = result.manifest["images"]["firmware-emu.elf"]
    with open_device(board, result.out_dir, emulate=True) as dev:
        name = ac.frontend_name(dev)
        clip_counts = [ac.audio_clip(dev, c)[2:] for c in clips]
        ac.stream_start(dev, StreamConfig.for_graph(graph, hop_every=2))
        ac.stream_chunk(dev, speech[:fill])
        steady = ac.stream_chunk(dev, speech[fill:fill + 50 * fe.FRAME_STEP])
        totals = ac.stream_stop(dev)
    steady_frames, steady_inferences = totals.frames - fe.NUM_FRAMES, totals.inferences - 1
    per_frame = [c[0] / fe.NUM_FRAMES for c in clip_counts]
    budget = BUDGET_SHARE * board.clock_hz * FRAME_SECONDS
    regions = image["regions"]
    return {
        "board": board.name, "core": board.core, "clock_hz": board.clock_hz, "frontend": name,
        "clip_per_frame_min": min(per_frame), "clip_per_frame_max": max(per_frame),
        "stream_per_frame": steady.counts.frames / steady_frames, "stream_frames": steady_frames,
        "stream_window_per_inference": steady.counts.windows / steady_inferences,
        "stream_inferences": steady_inferences,
        "network_per_inference": float(np.mean([c[1] for c in clip_counts])),
        "budget_per_frame": budget,
        "ram_bytes": result.manifest["memory"]["firmware-emu.elf"]["frontend"],
        "ram_predicted": result.manifest["memory"]["predicted"]["frontend"],
        "flash_table_bytes": flash_tables(result.out_dir / "firmware-emu.elf",
                                          (regions["flash"]["origin"], regions["flash"]["size"])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--boards", nargs="+", default=list(BOARDS))
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tinygen.board import get_board
    from tinygen.report import human_bytes, table

    rows, data = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.boards:
            board = get_board(name)
            print(f"building and measuring {board.name} ...", file=sys.stderr, flush=True)
            graph, result = build_for(board, Path(tmp))
            m = measure(board, graph, result)
            data.append(m)
            share = 100 * m["stream_per_frame"] / (m["budget_per_frame"] / BUDGET_SHARE)
            rows.append([m["board"], m["frontend"], f"{m['clip_per_frame_min']:,.0f}-{m['clip_per_frame_max']:,.0f}",
                         f"{m['stream_per_frame']:,.0f}", f"{m['stream_window_per_inference']:,.0f}",
                         f"{m['budget_per_frame']:,.0f}",
                         f"{share:.2f}%", "yes" if m["stream_per_frame"] <= m["budget_per_frame"] else "NO",
                         human_bytes(m["ram_bytes"]), human_bytes(m["flash_table_bytes"]),
                         f"{m['network_per_inference']:,.0f}"])
    print(table(["board", "front end", "instr/frame (clip)", "instr/frame (stream, hop 2)", "instr/window (stream)",
                 "5% budget", "of a 20 ms frame", "within", "RAM", "tables (flash)", "network instr"], rows,
                "llrrrrrlrrr"))
    print("\ninstructions executed on the QEMU stand-in (mps2-an500 / mps2-an386 / RISC-V virt / mps3-an547), counted as one "
          "cycle each for the budget; RAM: the front end's static buffers (32,000 B of it the audio upload)")
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
