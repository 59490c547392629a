"""The fixed-point front end's DSP-extension FFT (firmware/audio/tg_cfft_q31_dsp.c) on the
Cortex-M7 and M4 stand-ins (the f746zg's and f446re's): bit-exact with the portable
tg_cfft_q31 and with an integer model of it written here in numpy; and its magnitude step
(tg_rfft_mag_q31_dsp.c), bit-exact with the portable tg_rfft_mag_q31.

- A bare harness runs tg_cfft_q31 on bit-reversed int32 inputs (random at the kernel's bound,
  a full-scale impulse of either sign, silence, one LSB, a full-scale alternation) and whole
  frames through tg_mfcc_frame_q31 (random full scale, silence, an impulse, a clipped sine,
  speech, at the clip's divisor and stream mode's), and dumps the FFT's output, the
  magnitudes from it (and each frame's coefficients) as hex words. Built for the host with the portable kernel and for both
  stand-ins with the DSP one, the dumps are equal byte for byte, and the FFTs, raw and of the
  frames (window, block scaling and bit reversal modelled too), equal the numpy model's.
- `--frontend mfcc-q31` on a board with the DSP extension compiles the _dsp files (the ESP32-C3
  and the host keep the portable ones), and the f446re's KWS firmware gives the portable C's
  clip features over the protocol.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio_data import KWS_SCALE, KWS_ZERO_POINT, few_clips, speech, to_int16
from audio_lib import DEVICE_IO, HOST_IO, FrontendLib, build as build_frontend
from mlperf_models import mlperf_model
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.codegen import audio as afw
from tinygen.audio import client as ac
from tinygen.codegen.audio_tables import render_tables
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.kernels import mfcc_tables as tb
from tinygen.passes import CompileOptions
from tinygen.ref import mfcc as fe
from tinygen.resources import firmware_path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from standin_firmware import run_firmware  # noqa: E402

N = tb.FFT_HALF
BOUND_BITS, SCALE_UP_MAX = 30, 7     # TG_MFCC_FFT_BOUND_BITS, TG_MFCC_SCALE_UP_MAX
BOUND = 2 ** BOUND_BITS              # tg_cfft_q31's precondition: the sum of |values| below it
# what the harness compiles besides itself: the q31 stages tg_mfcc_frame_q31 calls
STAGES = ("tg_mfcc_frame_q31.c", "tg_cfft_q31.c", "tg_rfft_mag_q31.c", "tg_mel_log_q31.c", "tg_dct_q31.c",
          "tg_log_q31.c", "tg_sqrt_u64.c", "tg_c0_offset_q31.c")

HARNESS = r"""
#include <stddef.h>
#include <stdint.h>
#include "tg_audio_tables.h"

void tgt_write(const char *s, size_t n);
void tgt_init(void);
void tgt_exit(void);

static const int32_t inputs[%(ffts)d][2 * TG_MFCC_FFT_HALF] = {%(inputs)s};
static const int16_t frames[%(count)d][TG_MFCC_FRAME_LENGTH] = {%(frames)s};
static const uint32_t divisors[%(count)d] = {%(divisors)s};
static int32_t z[2 * TG_MFCC_FFT_HALF];
static tg_mfcc_scratch_q31 scratch;
static int32_t mfcc[TG_MFCC_NUM_COEFFS];

static void put_words(const int32_t *x, int32_t n)
{
    static const char digits[] = "0123456789abcdef";
    char line[9];
    for (int32_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)x[i];
        for (int32_t d = 0; d < 8; d++) {
            line[d] = digits[(u >> (28 - 4 * d)) & 15u];
        }
        line[8] = i + 1 < n ? ' ' : '\n';
        tgt_write(line, sizeof line);
    }
}

int main(void)
{
    tgt_init();
    for (int32_t f = 0; f < %(ffts)d; f++) {
        for (int32_t i = 0; i < 2 * TG_MFCC_FFT_HALF; i++) {
            z[i] = inputs[f][i];
        }
        tg_cfft_q31(z, TG_MFCC_FFT_HALF, tg_audio_tables.twiddles);
        put_words(z, 2 * TG_MFCC_FFT_HALF);
        tg_rfft_mag_q31(z, TG_MFCC_FFT_HALF, tg_audio_tables.split, tg_audio_tables.bin_first,
                        tg_audio_tables.bin_last, scratch.mag);
        put_words((const int32_t *)scratch.mag, tg_audio_tables.bin_last - tg_audio_tables.bin_first + 1);
    }
    for (int32_t f = 0; f < %(count)d; f++) {
        tg_mfcc_frame_q31(frames[f], divisors[f], &tg_audio_tables, &scratch, mfcc);
        put_words(scratch.fft, 2 * TG_MFCC_FFT_HALF);
        put_words((const int32_t *)scratch.mag, tg_audio_tables.bin_last - tg_audio_tables.bin_first + 1);
        put_words(mfcc, TG_MFCC_NUM_COEFFS);
    }
    tgt_write("done\n", 5);
    tgt_exit();
    return 0;
}
"""


def fft_inputs() -> list[tuple[str, np.ndarray]]:
    """(name, int32 [N, 2] in bit-reversed order) at and around tg_cfft_q31's bound."""
    rng = np.random.default_rng(72)
    out = []
    for s in range(4):
        x = rng.normal(0, 1, (N, 2))
        x = np.floor(x / np.abs(x).sum() * (BOUND - 1)).astype(np.int32)      # sum of |values| just under 2^30
        out.append((f"random {s}", x))
    for sign in (1, -1):
        x = np.zeros((N, 2), np.int32)
        x[rng.integers(0, N), rng.integers(0, 2)] = sign * (BOUND - 1)       # full scale in one value
        out.append((f"impulse {sign:+d}", x))
    x = np.zeros((N, 2), np.int32)
    x[0] = [(BOUND - 1) // 2, -((BOUND - 1) // 2)]                           # both parts of the first point
    out.append(("impulse at 0", x))
    alternating = np.where(np.arange(2 * N) % 2 == 0, 1, -1).reshape(N, 2) * ((BOUND - 1) // (2 * N))
    out += [("silence", np.zeros((N, 2), np.int32)), ("one LSB", rng.integers(-1, 2, (N, 2)).astype(np.int32)),
            ("alternating full scale", alternating.astype(np.int32))]
    return out


def frames() -> list[tuple[str, np.ndarray, int]]:
    """(name, 480 int16 samples, divisor) for whole frames."""
    rng = np.random.default_rng(73)
    clip = speech()["us_yes"]
    at = int(np.argmax(np.abs(clip))) // 2
    impulse = np.zeros(fe.FRAME_LENGTH, np.int16)
    impulse[rng.integers(0, fe.FRAME_LENGTH)] = -32768
    edge = np.zeros(fe.FRAME_LENGTH, np.int16)
    edge[[1, fe.FRAME_LENGTH - 2]] = [1, -3]          # where the window is tiny: scaled up (e > 0)
    t = np.arange(fe.FRAME_LENGTH)
    return [("quiet edges", edge, 32768), ("random full scale", rng.integers(-32768, 32768, fe.FRAME_LENGTH).astype(np.int16), 32768),
            ("silence", np.zeros(fe.FRAME_LENGTH, np.int16), 32768), ("impulse", impulse, 32768),
            ("all -32768", np.full(fe.FRAME_LENGTH, -32768, np.int16), 32768),
            ("clipped sine", to_int16(3 * 32767 * np.sin(2 * np.pi * 440 * t / fe.SAMPLE_RATE)), 32767),
            ("speech clip divisor", clip[at:at + fe.FRAME_LENGTH], max(1, int(np.abs(clip).max()))),
            ("speech stream", clip[at:at + fe.FRAME_LENGTH], 32768)]


def cfft_model(z: np.ndarray, twiddles: np.ndarray) -> np.ndarray:
    """tg_cfft_q31 in numpy int64: each b * w rounded from the exact sum, (... + 2^30) >> 31."""
    z = z.astype(np.int64).copy()
    w = twiddles.reshape(-1, 2).astype(np.int64)
    half = 1
    while half < N:
        stride = N // (2 * half)
        for j in range(half):
            a = np.arange(j, N, 2 * half)
            b = a + half
            br, bi = z[b, 0], z[b, 1]
            if j == 0:
                tr, ti = br, bi
            else:
                wr, wi = w[j * stride]
                tr = (br * wr - bi * wi + 2 ** 30) >> 31
                ti = (br * wi + bi * wr + 2 ** 30) >> 31
            ar, ai = z[a, 0].copy(), z[a, 1].copy()
            z[a, 0], z[a, 1], z[b, 0], z[b, 1] = ar + tr, ai + ti, ar - tr, ai - ti
        half *= 2
    assert np.abs(z).max() < 2 ** 31
    return z.astype(np.int32)


def frame_fft_model(frame: np.ndarray) -> np.ndarray:
    """tg_mfcc_frame_q31's FFT in Python integers: the window (Q30) with the block exponent e
    (the sum of |s w| below 2^30, e <= 7), rounded half up where e < 0, the pairs placed
    bit-reversed, then cfft_model."""
    t = tb.tables_q31(KWS_SCALE, KWS_ZERO_POINT)
    p = [int(s) * int(w) for s, w in zip(frame, t["window"])]
    l1 = sum(abs(v) for v in p)
    e = min(BOUND_BITS - l1.bit_length(), SCALE_UP_MAX) if l1 else 0
    windowed = [v << e if e >= 0 else (v + (1 << (-e - 1))) >> -e for v in p]
    z = np.zeros((N, 2), np.int64)
    z[tb.bit_reversal()[:fe.FRAME_LENGTH // 2]] = np.array(windowed, np.int64).reshape(-1, 2)
    return cfft_model(z, t["twiddles"])


def layout(work: Path, ffts, cases) -> list[Path]:
    work.mkdir(parents=True, exist_ok=True)
    source, header = render_tables(afw.Frontend("mfcc", "q31"), KWS_SCALE, KWS_ZERO_POINT)
    (work / "tg_audio_tables.c").write_text(source)
    (work / "tg_audio_tables.h").write_text(header)
    (work / "tinygen" / "audio").mkdir(parents=True, exist_ok=True)
    (work / "tinygen" / "audio" / "tg_audio.h").write_text(firmware_path("audio/tg_audio.h").read_text())
    rows = ",\n".join("{" + ",".join(str(int(v)) for v in x.ravel()) + "}" for _, x in ffts)
    frame_rows = ",\n".join("{" + ",".join(str(int(v)) for v in x) + "}" for _, x, _ in cases)
    (work / "harness.c").write_text(HARNESS % {
        "ffts": len(ffts), "inputs": rows, "count": len(cases), "frames": frame_rows,
        "divisors": ",".join(f"{d}u" for _, _, d in cases)})
    return [work / "harness.c", work / "tg_audio_tables.c"]


def stage_files(features) -> list[Path]:
    """The q31 stages as the front end picks them for a board with these features."""
    chosen = afw.Frontend("mfcc", "q31", frozenset(features)).firmware_files()
    return [firmware_path(f) for f in chosen if Path(f).name.replace("_dsp.c", ".c") in STAGES]


def parse(text: str) -> list[np.ndarray]:
    return [np.array([int(w, 16) for w in line.split()], np.uint32).view(np.int32)
            for line in text.splitlines() if line and line != "done"]


def run_host(work: Path, ffts, cases) -> str:
    sources = layout(work, ffts, cases)
    (work / "host_io.c").write_text(HOST_IO)
    exe = work / "harness"
    cmd = ["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-o", str(exe), *map(str, sources),
           str(work / "host_io.c"), *map(str, stage_files(()))]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, f"the harness does not build on the host:\n{done.stderr}"
    return subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout


def run_standin(board: str, work: Path, ffts, cases) -> str:
    sources = layout(work, ffts, cases)
    (work / "device_io.c").write_text(DEVICE_IO)
    return run_firmware(board, [*sources, work / "device_io.c", *stage_files(get_board(board).isa_features)], work)


def test_cfft_q31_dsp_picked_per_board():
    for board in ("nucleo-f746zg", "nucleo-f446re", "b-u585i-iot02a", "stm32n6570-dk"):
        names = {p.name for p in stage_files(get_board(board).isa_features)}
        assert {"tg_cfft_q31_dsp.c", "tg_rfft_mag_q31_dsp.c"} <= names, board
        assert not {"tg_cfft_q31.c", "tg_rfft_mag_q31.c"} & names, board
    for board in ("esp32-c3", "host"):
        names = {p.name for p in stage_files(get_board(board).isa_features)}
        assert {"tg_cfft_q31.c", "tg_rfft_mag_q31.c"} <= names and not any("_dsp" in f for f in names), board


def test_cfft_q31_model_is_the_portable_kernel(tmp_path):
    """The numpy model against the portable C on the host: the reference the stand-ins meet."""
    ffts = fft_inputs()
    host = parse(run_host(tmp_path, ffts, []))
    twiddles = tb.to_fixed(tb.twiddles(), 31, np.int32)
    for (name, x), got in zip(ffts, host[::2]):
        assert np.array_equal(got, cfft_model(x, twiddles).ravel()), name


@needs_qemu
@pytest.mark.parametrize("board", ["nucleo-f746zg", "nucleo-f446re"])
def test_cfft_q31_dsp_bit_exact_on_the_standin(tmp_path, board):
    ffts, cases = fft_inputs(), frames()
    host = parse(run_host(tmp_path / "host", ffts, cases))
    device = parse(run_standin(board, tmp_path / board, ffts, cases))
    names = ([f"{n} {part}" for n, _ in ffts for part in ("fft", "magnitude")]
             + [f"{n} {part}" for n, _, _ in cases for part in ("fft", "magnitude", "mfcc")])
    assert len(host) == len(device) == len(names)
    for name, h, d in zip(names, host, device):
        assert np.array_equal(h, d), f"{board}, {name}: {int((h != d).sum())} words differ from the portable C"
    twiddles = tb.to_fixed(tb.twiddles(), 31, np.int32)
    for (name, x), got in zip(ffts, device[:2 * len(ffts):2]):
        assert np.array_equal(got, cfft_model(x, twiddles).ravel()), name
    for (name, x, _), got in zip(cases, device[2 * len(ffts)::3]):
        assert np.array_equal(got, frame_fft_model(x).ravel()), f"{name}: the frame's FFT"
    # the cases have teeth: distinct spectra, the bound's values reached
    raw, framed = device[:2 * len(ffts)], device[2 * len(ffts):]
    assert len({d.tobytes() for d in raw[::2]}) == len(ffts)
    assert len({d.tobytes() for d in raw[1::2]}) == len(ffts) - 1      # the two impulses' magnitudes are one
    # the frames' FFTs: speech at either divisor is one (block scaling), its coefficients two
    assert len({d.tobytes() for d in framed[::3]}) == len({d.tobytes() for d in framed[1::3]}) == len(cases) - 1
    assert len({d.tobytes() for d in framed[2::3]}) == len(cases)
    assert max(int(np.abs(d.astype(np.int64)).max()) for d in raw[::2]) >= 2 ** 29


@needs_qemu
def test_kws_clip_features_q31_dsp_equal_the_portable_c(tmp_path):
    """`--frontend mfcc-q31` on the f446re: its firmware holds the _dsp stages, and its clip
    features over the protocol equal the host's portable q31 C byte for byte."""
    board = get_board("nucleo-f446re")
    source = load_source(mlperf_model("kws_dscnn"))
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="tinygen"))
    afw.attach(graph, afw.choose("mfcc-q31", board))
    result = build(source, graph, board, tmp_path / board.name)
    copied = {p.name for p in (result.out_dir / "tinygen" / "audio").iterdir()}
    assert {"tg_cfft_q31_dsp.c", "tg_rfft_mag_q31_dsp.c"} <= copied and "tg_cfft_q31.c" not in copied
    portable = FrontendLib(build_frontend("q31", tmp_path / "host"), "q31")
    rng = np.random.default_rng(74)
    clips = few_clips(2) + [
        ("silence", np.zeros(fe.CLIP_SAMPLES, np.int16)),
        ("full-scale noise", rng.integers(-32768, 32768, fe.CLIP_SAMPLES).astype(np.int16))]
    with open_device(board, result.out_dir, emulate=True, timeout=120) as dev:
        assert ac.frontend_name(dev) == "mfcc-q31"
        for name, clip in clips:
            features = ac.audio_clip(dev, clip)[0].reshape(fe.NUM_FRAMES, fe.NUM_MFCC)
            want = portable.clip(clip)
            assert np.array_equal(features, want), f"{name}: {int((features != want).sum())} feature bytes differ"
