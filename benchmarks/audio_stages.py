"""The MFCC front end per stage on the Cortex-M7, M4 and M55 stand-ins: executed instructions of one
20 ms frame in each stage of tg_mfcc_frame_f32 (firmware/audio), beside its floor.

    .venv/bin/python benchmarks/audio_stages.py [--boards f746zg f446re n6570] [--json out.json]
    .venv/bin/python benchmarks/audio_stages.py --arithmetic q31 --boards f746zg f446re   # mfcc-q31

Each board runs the stages it compiles (tinygen.codegen.audio: the tg_*_f32_mve.c files on a
Helium core, the M55's n6570); where those are not the scalar files, the scalar ones are
measured too on the same stand-in (the "scalar" column: before and after). `--arithmetic q31`
measures the fixed-point front end (tg_mfcc_frame_q31) the same way: on a board with the DSP
extension its _dsp stages (tg_cfft_q31_dsp.c, tg_rfft_mag_q31_dsp.c) beside the portable ones
(the floors are the float stages': none there).

One bare firmware per board (benchmarks/standin_firmware.py) with the front end's tables
(tinygen.codegen.audio_tables, as a `--frontend mfcc` build renders them) runs, on one frame of
spoken words (tests/data/audio/speech.npz), the whole frame (tg_mfcc_frame_f32) and then each
stage it calls on the same data, the port counter around each: the window (with the bit-reversed
placement of the sample pairs) is the frame less the four called stages. The floor column is the
stage's own lower bound in instructions, from its operation count on this ISA (single-precision
FPU: VMLA / VFMA count one instruction per multiply-add, VLDM loads several values):

- window: per pair of samples two halfword loads, two converts (VMOV + VCVT each), two window
  loads (VLDM), two multiplies by the gain-scaled window, the bit-reversal table's byte and one
  store of the pair (VSTM): ~14 per pair, 3,360 for the 240 pairs;
- FFT: the 256-point complex radix-2 FFT, 8 stages x 128 butterflies, each the twiddle product
  (2 VMUL + 2 VFMA), 4 adds, the two points' loads and stores (VLDM / VSTM of a pair) and the
  twiddle's load: ~12 per butterfly, 12,288;
- magnitude: per bin the mel bank uses (bin_first..bin_last, about 128) the real FFT's split (~10
  operations with its loads) and a square root (VSQRT): ~12 per bin, ~1,500;
- mel + log: one multiply-add (and load) per filter weight (~2 per bin, ~260) and 40 logarithms
  (tg_log_f32, ~20 each): ~1,300;
- DCT: 40 x 10 multiply-adds, their weights read by VLDM: ~500.

On Helium (the FLOOR_MVE column, argued in each tg_*_f32_mve.c's header): four lanes, the same
operations as the scalar code (no fused multiply-add), and what needs a division (the square
roots, the logarithms) stays scalar.

QEMU counts executed instructions (never cycles). A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from standin_firmware import FIRMWARE, run_firmware  # noqa: E402

from tinygen.codegen.audio import Frontend  # noqa: E402
from tinygen.codegen.audio_tables import render_tables  # noqa: E402
from tinygen.codegen.isa_variants import isa_variants, with_variants  # noqa: E402
from tinygen.board import get_board  # noqa: E402

SPEECH = ROOT / "tests" / "data" / "audio" / "speech.npz"
STAGES = ("window", "fft", "magnitude", "mel + log", "dct")
SOURCES = {"f32": ("tg_mfcc_frame_f32.c", "tg_cfft_f32.c", "tg_rfft_mag_f32.c", "tg_mel_log_f32.c", "tg_dct_f32.c",
                   "tg_log_f32.c", "tg_sqrt_f32.c"),     # each as the board's variant (tinygen.codegen.isa_variants)
           "q31": ("tg_mfcc_frame_q31.c", "tg_cfft_q31.c", "tg_rfft_mag_q31.c", "tg_mel_log_q31.c", "tg_dct_q31.c",
                   "tg_log_q31.c", "tg_sqrt_u64.c", "tg_c0_offset_q31.c")}
# operation counts per frame (see the docstring): the floor of each stage on this ISA
FLOOR = {"window": 14 * 240, "fft": 12 * 8 * 128, "magnitude": 12 * 128, "mel + log": 2 * 130 + 40 * 20,
         "dct": 500}
# the same on the Cortex-M55's Helium, bit-exact with the scalar stages (the argument in each
# firmware/audio/tg_*_f32_mve.c's header): 4 lanes, no fused multiply-add, no vector division
FLOOR_MVE = {"window": 6 * 120 + 2 * 8,              # 2 products, 4 memory operations a vector; the zero pairs
             "fft": 18 * 256,                        # 10 float operations, 8 memory operations a vector of butterflies
             "magnitude": 32 * 32 + 15 * 128,        # the split's loads and 15 operations a vector; a scalar sqrt a bin
             "mel + log": 4 * 70 + 25 * 40,          # a gather pair, product, sum a step of 4 filters; scalar logs
             "dct": 10 * 40}                         # x[m], 3 loads, 3 products, 3 sums an input
MAIN = r"""
#include <stddef.h>
#include <stdint.h>
#include "tg_port.h"
#include "tg_audio_tables.h"

static const int16_t frame[TG_MFCC_FRAME_LENGTH] = {%(frame)s};
static tg_mfcc_scratch_%(a)s scratch;
static %(coef)s mfcc[TG_MFCC_NUM_COEFFS];

static void put(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    tg_port_write(s, n);
}

static void put_count(const char *name, uint64_t v)
{
    char buf[21];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + (int)(v %% 10u));
        v /= 10u;
    } while (v != 0u);
    put(name);
    put(" ");
    tg_port_write(&buf[i], sizeof buf - i);
    put("\n");
}

int main(void)
{
    const tg_mfcc_tables_%(a)s *t = &tg_audio_tables;
    uint64_t c;
    tg_port_init();
    tg_mfcc_frame_%(a)s(frame, %(gain)s, t, &scratch, mfcc);       /* warm-up */
    c = tg_port_counter();
    tg_mfcc_frame_%(a)s(frame, %(gain)s, t, &scratch, mfcc);
    put_count("frame", tg_port_counter() - c);
    c = tg_port_counter();
    tg_cfft_%(a)s(scratch.fft, TG_MFCC_FFT_HALF, t->twiddles);
    put_count("fft", tg_port_counter() - c);
    c = tg_port_counter();
    tg_rfft_mag_%(a)s(scratch.fft, TG_MFCC_FFT_HALF, t->split, t->bin_first, t->bin_last, scratch.mag);
    put_count("magnitude", tg_port_counter() - c);
    c = tg_port_counter();
    tg_mel_log_%(a)s(scratch.mag, t->bin_first, &t->mel, %(mel_args)s, scratch.logmel);
    put_count("mel + log", tg_port_counter() - c);
    c = tg_port_counter();
    tg_dct_%(a)s(scratch.logmel, TG_MFCC_NUM_MEL, t->dct, TG_MFCC_NUM_COEFFS, mfcc);
    put_count("dct", tg_port_counter() - c);
    put("done\n");
    tg_port_exit(0);
}
"""


def stage_sources(features, arithmetic: str = "f32") -> list[Path]:
    """The stages' files for a board with these ISA features: X_mve.c on a Helium core,
    X_dsp.c with the DSP extension."""
    chosen = Frontend("mfcc", arithmetic, frozenset(features)).firmware_files()
    return [FIRMWARE / f for f in isa_variants(with_variants([f"audio/{s}" for s in SOURCES[arithmetic]]), features)
            if f in chosen]


# what the template's calls take, per arithmetic: the frame's gain (f32) or divisor (q31), the
# mel stage's eps (any value: the count does not depend on it) and the q31 stage's log table
CALLS = {"f32": {"coef": "float", "mel_args": "1e-6f"},
         "q31": {"coef": "int32_t", "mel_args": "1u, t->log2_table"}}


def measure(board: str, work: Path, features, arithmetic: str = "f32") -> dict:
    clip = np.load(SPEECH)["us_yes"]
    frame = clip[1600:1600 + 480]
    source, header = render_tables(Frontend("mfcc", arithmetic), 1.0, 0)
    (work / "tinygen" / "audio").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIRMWARE / "audio" / "tg_audio.h", work / "tinygen" / "audio" / "tg_audio.h")
    (work / "tg_audio_tables.c").write_text(source)
    (work / "tg_audio_tables.h").write_text(header)
    peak = max(1, int(np.abs(clip).max()))
    gain = f"{1.0 / peak:.9g}f" if arithmetic == "f32" else f"{peak}u"
    (work / "main.c").write_text(MAIN % {"frame": ",".join(str(int(v)) for v in frame), "gain": gain,
                                         "a": arithmetic, **CALLS[arithmetic]})
    sources = [work / "main.c", work / "tg_audio_tables.c"] + stage_sources(features, arithmetic)
    text = run_firmware(board, sources, work)
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(frame|fft|magnitude|mel \+ log|dct) (\d+)$", text, re.M)}
    counts["window"] = counts["frame"] - sum(counts[s] for s in STAGES[1:])
    return counts


def main() -> int:
    from tinygen.report import table

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--boards", nargs="+", default=["f746zg", "f446re", "n6570"])
    ap.add_argument("--arithmetic", choices=("f32", "q31"), default="f32",
                    help="the float front end (the figure's) or the fixed-point one")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    a = args.arithmetic
    before, variant = ("scalar", "Helium") if a == "f32" else ("portable", "DSP")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for b in args.boards:
            features = get_board(b).isa_features
            if stage_sources(features, a) != stage_sources((), a):     # the portable stages too: before / after
                results[f"{b} {before}"] = measure(b, Path(tmp) / f"{b}-{before}", (), a)
                results[f"{b} {variant}"] = measure(b, Path(tmp) / b, features, a)
            else:
                results[b] = measure(b, Path(tmp) / b, features, a)
    rows, data = [], []
    for s in (*STAGES, "frame"):
        floor, floor_mve = (FLOOR.get(s), FLOOR_MVE.get(s)) if a == "f32" else (None, None)   # the float stages'
        rows.append([s, *(f"{results[b][s]:,}" for b in results), f"~{floor:,}" if floor else "-",
                     f"~{floor_mve:,}" if floor_mve else "-"])
        data.append({"stage": s, **{f"{b} instructions": results[b][s] for b in results},
                     "floor": floor, "floor_mve": floor_mve})
    print(table(["stage", *(f"{b} instructions" for b in results), "floor (estimate)", "Helium floor (estimate)"],
                rows, "l" + "r" * (len(results) + 2)))
    print("\nexecuted instructions of one 20 ms frame on the QEMU stand-ins (not cycles); the window is the frame "
          "less the stages it calls")
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
