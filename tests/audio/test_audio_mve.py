"""The float MFCC front end's Helium stages (firmware/audio/tg_*_f32_mve.c) on the Cortex-M55
stand-in (the stm32n6570-dk's): bit-exact with the scalar stages they replace.

- A bare harness runs whole frames through tg_mfcc_frame_f32 and dumps every stage's float32
  output (the FFT, the magnitudes, the log-mel energies, the coefficients) as bits; built three
  times, with the scalar stages on the host, with the scalar stages on the M55 stand-in and with
  the Helium ones there, the three dumps are equal byte for byte. The frames: seeded random
  audio, silence, very quiet input (one or two LSB, a lone impulse), loud clipped input and real
  speech, at the clip gain and stream mode's fixed gain; and frames at gains so small that the
  scalar path computes subnormals (checked in its own dump), where Helium flushes to zero and
  the stages' guard must redo the vectors in scalar.
- The KWS firmware built for the n6570 holds the _mve stages (the f746zg's does not), and its
  clip features equal the scalar C's (the host build of tests/audio_lib.py) byte for byte.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import numpy as np

from audio_data import KWS_SCALE, KWS_ZERO_POINT, few_clips, speech, to_int16
from audio_lib import DEVICE_IO, HOST_IO, FrontendLib, build as build_frontend
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.codegen import audio as afw
from tinygen.codegen.audio_tables import render_tables
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.audio import client as ac
from tinygen.passes import CompileOptions
from tinygen.ref import mfcc as fe
from tinygen.resources import firmware_path
from mlperf_models import mlperf_model

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from standin_firmware import run_firmware  # noqa: E402

M55 = "stm32n6570-dk"
STAGES = ("tg_mfcc_frame_f32.c", "tg_cfft_f32.c", "tg_rfft_mag_f32.c", "tg_mel_log_f32.c", "tg_dct_f32.c")
HELPERS = ("tg_log_f32.c", "tg_sqrt_f32.c")
# what one frame's dump holds, in order: float32 words per part
PARTS = ("fft", "mag", "logmel", "mfcc")     # the FFT's 256 complex points, bin_first..bin_last, 40, 10
FLT_MIN = np.finfo(np.float32).tiny

HARNESS = r"""
#include <stddef.h>
#include <stdint.h>
#include "tg_audio_tables.h"

void tgt_write(const char *s, size_t n);
void tgt_init(void);
void tgt_exit(void);

static const int16_t frames[%(count)d][TG_MFCC_FRAME_LENGTH] = {%(frames)s};
static const float gains[%(count)d] = {%(gains)s};
static tg_mfcc_scratch_f32 scratch;
static float mfcc[TG_MFCC_NUM_COEFFS];

static void put_words(const float *x, int32_t n)
{
    static const char digits[] = "0123456789abcdef";
    union {
        float f;
        uint32_t u;
    } v;
    char line[9];
    for (int32_t i = 0; i < n; i++) {
        v.f = x[i];
        for (int32_t d = 0; d < 8; d++) {
            line[d] = digits[(v.u >> (28 - 4 * d)) & 15u];
        }
        line[8] = i + 1 < n ? ' ' : '\n';
        tgt_write(line, sizeof line);
    }
}

int main(void)
{
    const tg_mfcc_tables_f32 *t = &tg_audio_tables;
    tgt_init();
    for (int32_t f = 0; f < %(count)d; f++) {
        tg_mfcc_frame_f32(frames[f], gains[f], t, &scratch, mfcc);
        put_words(scratch.fft, 2 * TG_MFCC_FFT_HALF);
        put_words(scratch.mag, t->bin_last - t->bin_first + 1);
        put_words(scratch.logmel, TG_MFCC_NUM_MEL);
        put_words(mfcc, TG_MFCC_NUM_COEFFS);
    }
    tgt_write("done\n", 5);
    tgt_exit();
    return 0;
}
"""


def frames() -> list[tuple[str, np.ndarray, float]]:
    """(name, 480 int16 samples, gain) for every case."""
    rng = np.random.default_rng(55)
    words = speech()
    out = []
    for name in ("us_yes", "f3_right", "rp_yes"):
        clip = words[name]
        at = int(np.argmax(np.abs(clip))) // 2
        frame = clip[at:at + fe.FRAME_LENGTH]
        out += [(f"{name} clip gain", frame, 1.0 / max(1, int(np.abs(clip).max()))),
                (f"{name} stream gain", frame, 1.0 / 32768)]
    noise = rng.integers(-32768, 32768, fe.FRAME_LENGTH).astype(np.int16)
    quiet = rng.integers(-1, 2, fe.FRAME_LENGTH).astype(np.int16)
    impulse = np.zeros(fe.FRAME_LENGTH, np.int16)
    impulse[rng.integers(0, fe.FRAME_LENGTH)] = 1
    t = np.arange(fe.FRAME_LENGTH)
    clipped = to_int16(3 * 32767 * np.sin(2 * np.pi * 440 * t / fe.SAMPLE_RATE))
    out += [("random", noise, 1.0 / 32768),
            ("silence", np.zeros(fe.FRAME_LENGTH, np.int16), 1.0 / 32768), ("one LSB", quiet, 1.0 / 32768),
            ("one LSB clip gain", quiet, 1.0), ("two LSB", (2 * quiet).astype(np.int16), 1.0 / 32768),
            ("impulse", impulse, 1.0 / 32768), ("clipped sine", clipped, 1.0 / 32767)]
    # gains that make the scalar path compute subnormals (the last one is itself subnormal)
    for gain in (1e-20, 1e-24, 1e-30, 1e-36, 1e-40):
        out += [(f"random gain {gain:g}", noise, gain), (f"us_yes gain {gain:g}", out[0][1], gain)]
    return out


def harness_source(cases) -> str:
    rows = ",\n".join("{" + ",".join(str(int(v)) for v in x) + "}" for _, x, _ in cases)
    gains = ",".join(f"{float(np.float32(g)).hex()}f" for _, _, g in cases)     # exact: C99 hex floats
    return HARNESS % {"count": len(cases), "frames": rows, "gains": gains}


def layout(work: Path, cases) -> list[Path]:
    """The harness, its tables and I/O shims in `work`; returns [harness.c, tables.c]."""
    work.mkdir(parents=True, exist_ok=True)
    source, header = render_tables(afw.Frontend("mfcc", "f32"), KWS_SCALE, KWS_ZERO_POINT)
    (work / "tg_audio_tables.c").write_text(source)
    (work / "tg_audio_tables.h").write_text(header)     # it includes tinygen/audio/tg_audio.h
    (work / "tinygen" / "audio").mkdir(parents=True, exist_ok=True)
    (work / "tinygen" / "audio" / "tg_audio.h").write_text(firmware_path("audio/tg_audio.h").read_text())
    (work / "harness.c").write_text(harness_source(cases))
    return [work / "harness.c", work / "tg_audio_tables.c"]


def stage_files(features) -> list[Path]:
    """The stages as the front end picks them for a board with these features."""
    chosen = afw.Frontend("mfcc", "f32", frozenset(features)).firmware_files()
    return [firmware_path(f) for f in chosen if Path(f).name.replace("_mve.c", ".c") in STAGES + HELPERS]


def parse(text: str, cases, bins: int) -> list[dict[str, np.ndarray]]:
    lines = [line for line in text.splitlines() if line and line != "done"]
    assert len(lines) == 4 * len(cases), f"{len(lines)} lines for {len(cases)} frames"
    out = []
    for f in range(len(cases)):
        words = [np.array([int(w, 16) for w in lines[4 * f + p].split()], np.uint32) for p in range(4)]
        out.append(dict(zip(PARTS, words)))
        assert out[-1]["mag"].size == bins
    return out


def first_difference(a, b, cases) -> str | None:
    for (name, _, gain), x, y in zip(cases, a, b):
        for part in x:
            if not np.array_equal(x[part], y[part]):
                i = int(np.argmax(x[part] != y[part]))
                return (f"{name} (gain {gain:g}): {part}[{i}] {x[part][i].view(np.float32)!r} != "
                        f"{y[part][i].view(np.float32)!r} ({int((x[part] != y[part]).sum())} words differ)")
    return None


@functools.lru_cache(maxsize=None)
def bins() -> int:
    t = afw.Frontend("mfcc", "f32").tables(KWS_SCALE, KWS_ZERO_POINT)
    return int(t["bin_last"]) - int(t["bin_first"]) + 1


def run_host(work: Path, cases) -> str:
    sources = layout(work, cases)
    (work / "host_io.c").write_text(HOST_IO)
    exe = work / "harness"
    cmd = ["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wdouble-promotion", "-o", str(exe), *map(str, sources), str(work / "host_io.c"), *map(str, stage_files(()))]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, f"the harness does not build on the host:\n{done.stderr}"
    return subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout


def run_m55(work: Path, cases, features) -> str:
    sources = layout(work, cases)
    (work / "device_io.c").write_text(DEVICE_IO)
    return run_firmware(M55, [*sources, work / "device_io.c", *stage_files(features)], work)


def test_stage_files_picked_per_board():
    helium = stage_files(get_board(M55).isa_features)
    assert sorted(p.name for p in helium) == sorted(["tg_mfcc_frame_f32_mve.c", "tg_cfft_f32_mve.c",
                                                     "tg_rfft_mag_f32_mve.c", "tg_mel_log_f32_mve.c",
                                                     "tg_dct_f32_mve.c", *HELPERS])
    for board in ("nucleo-f746zg", "nucleo-f446re", "host"):
        assert sorted(p.name for p in stage_files(get_board(board).isa_features)) == sorted(STAGES + HELPERS)


@needs_qemu
def test_mfcc_frame_f32_mve_bit_exact_on_the_m55_standin(tmp_path):
    cases = frames()
    host = parse(run_host(tmp_path / "host", cases), cases, bins())
    scalar = parse(run_m55(tmp_path / "scalar", cases, ()), cases, bins())
    helium = parse(run_m55(tmp_path / "mve", cases, get_board(M55).isa_features), cases, bins())
    assert first_difference(host, scalar, cases) is None, "the M55's scalar stages differ from the host's: " + \
        first_difference(host, scalar, cases)
    difference = first_difference(scalar, helium, cases)
    assert difference is None, f"the Helium stages differ from the scalar ones: {difference}"
    # the cases have teeth: distinct outputs, and subnormals where the guard has to act
    assert len({h["fft"].tobytes() for h in helium}) == len(cases)
    assert len({h["mfcc"].tobytes() for h in helium}) > len(cases) // 2
    # a magnitude below sqrt(FLT_MIN), not 0, had a subnormal power (xr^2 + xi^2) in scalar, which
    # Helium's VMUL flushes to 0: equal magnitudes there mean the guard redid those bins
    tiny_power = [name for (name, _, _), s in zip(cases, scalar)
                  if ((s["mag"].view(np.float32) < np.sqrt(FLT_MIN)) & (s["mag"] != 0)).any()]
    tiny_fft = [name for (name, _, _), s in zip(cases, scalar)
                if ((np.abs(s["fft"].view(np.float32)) < FLT_MIN) & (s["fft"] << 1 != 0)).any()]
    assert tiny_power and tiny_fft, f"the guard is not exercised: {tiny_power} {tiny_fft}"
    # a subnormal gain: Helium's first VMUL flushes it, every sample would be 0; the window's guard
    assert all(s["fft"].any() for (n, _, g), s in zip(cases, scalar) if g < FLT_MIN)
    ordinary = {n for n, _, g in cases if g > 1e-19}
    assert not ordinary & (set(tiny_power) | set(tiny_fft)), f"subnormals in ordinary audio: {tiny_power} {tiny_fft}"


# -- the KWS firmware --------------------------------------------------------------------------

def kws_project(board_name: str, folder: Path):
    board = get_board(board_name)
    source = load_source(mlperf_model("kws_dscnn"))
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="tinygen"))
    afw.attach(graph, afw.choose("mfcc", board))
    return graph, build(source, graph, board, folder / board_name)


def test_kws_project_holds_the_mve_stages_on_n6570_only(tmp_path):
    copied = {}
    for name in (M55, "nucleo-f746zg"):
        _, result = kws_project(name, tmp_path)
        copied[name] = {p.name for p in (result.out_dir / "tinygen" / "audio").iterdir()}
    mve = {"tg_cfft_f32_mve.c", "tg_rfft_mag_f32_mve.c", "tg_mel_log_f32_mve.c", "tg_dct_f32_mve.c",
           "tg_mfcc_frame_f32_mve.c", "tg_audio_mve.h"}
    assert mve <= copied[M55] and not {"tg_cfft_f32.c", "tg_dct_f32.c"} & copied[M55]
    assert not {f for f in copied["nucleo-f746zg"] if "_mve" in f}
    assert {"tg_cfft_f32.c", "tg_rfft_mag_f32.c", "tg_mel_log_f32.c", "tg_dct_f32.c"} <= copied["nucleo-f746zg"]


@needs_qemu
def test_kws_clip_features_mve_equal_the_scalar_c(tmp_path):
    _, result = kws_project(M55, tmp_path)
    scalar = FrontendLib(build_frontend("f32", tmp_path / "host"), "f32")
    rng = np.random.default_rng(56)
    clips = few_clips(4) + [
        ("silence", np.zeros(fe.CLIP_SAMPLES, np.int16)),
        ("one LSB", rng.integers(-1, 2, fe.CLIP_SAMPLES).astype(np.int16)),
        ("clipped noise", to_int16(np.clip(rng.normal(0, 40000, fe.CLIP_SAMPLES), -32768, 32767)))]
    with open_device(get_board(M55), result.out_dir, emulate=True, timeout=120) as dev:
        assert ac.frontend_name(dev) == "mfcc-f32"
        for name, clip in clips:
            features = ac.audio_clip(dev, clip)[0].reshape(fe.NUM_FRAMES, fe.NUM_MFCC)
            want = scalar.clip(clip)
            assert np.array_equal(features, want), (f"{name}: {int((features != want).sum())} feature bytes differ "
                                                    f"from the scalar C's, first at {np.argwhere(features != want)[0]}")
