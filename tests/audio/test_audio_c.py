"""The audio front end's C (firmware/audio) built for the host, stage by stage and whole,
against the numpy twin (tinygen.ref.mfcc, tinygen.audio.stream): both arithmetics,
float (f32, for cores with an FPU) and fixed point (q31, for cores without).

The stated agreement (tests/audio_data.py): on the int8 features the model sees, at least
99.5% of bytes identical to the twin's and none more than 1 apart, over real audio (eSpeak
NG words, three voices, five levels from 2% of full scale to clipping, noise, a level
change inside the clip). The stand-ins run the same C (tests/audio/test_audio_device.py)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from audio_data import KWS_SCALE, KWS_ZERO_POINT, agreement, speech, speech_clips, twin_features
from audio_lib import FrontendLib, build
from tinygen.ref import mfcc as fe
from tinygen.audio import stream as st
from tinygen.kernels import mfcc_tables as tb

HEADER = Path(__file__).resolve().parents[2] / "firmware" / "audio" / "tg_audio.h"
ARITHMETICS = ("f32", "q31")


@pytest.fixture(scope="module")
def libs(tmp_path_factory) -> dict[str, FrontendLib]:
    """Both arithmetics' front ends, built once."""
    return {a: FrontendLib(build(a, tmp_path_factory.mktemp(f"audio_{a}")), a) for a in ARITHMETICS}


@pytest.fixture(params=ARITHMETICS)
def lib(request, libs) -> FrontendLib:
    return libs[request.param]


def header_macros() -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"#define (TG_MFCC_\w+) (\d+)", HEADER.read_text())}


def test_audio_header_geometry_is_the_twins():
    m = header_macros()
    assert (m["TG_MFCC_SAMPLE_RATE"], m["TG_MFCC_CLIP_SAMPLES"], m["TG_MFCC_FRAME_LENGTH"], m["TG_MFCC_FRAME_STEP"],
            m["TG_MFCC_NUM_FRAMES"], m["TG_MFCC_FFT_LENGTH"], m["TG_MFCC_NUM_MEL"], m["TG_MFCC_NUM_COEFFS"]) == \
        (fe.SAMPLE_RATE, fe.CLIP_SAMPLES, fe.FRAME_LENGTH, fe.FRAME_STEP, fe.NUM_FRAMES, fe.FFT_LENGTH, fe.NUM_MEL,
         fe.NUM_MFCC)
    assert m["TG_MFCC_FFT_HALF"] == tb.FFT_HALF and m["TG_MFCC_MAX_BINS"] == fe.FFT_LENGTH // 4 + 1
    for key in ("window", "twiddle", "mag", "mel", "energy", "log", "dct", "mfcc"):
        assert m[f"TG_MFCC_Q_{key.upper()}"] == tb.Q[key], key


def test_audio_tables_from_the_twin():
    t = tb.tables_q31(KWS_SCALE, KWS_ZERO_POINT)
    runs = fe.mel_runs()
    assert (t["bin_first"], t["bin_last"]) == (1, 127)
    # every filter's run, rebuilt from the Q28 weights, is the twin's mel matrix
    m = np.zeros((fe.NUM_BINS, fe.NUM_MEL))
    w = t["mel_weights"] / 2.0 ** 28
    offset = 0
    for j in range(fe.NUM_MEL):
        m[runs.start[j]:runs.start[j] + runs.length[j], j] = w[offset:offset + runs.length[j]]
        offset += runs.length[j]
    assert np.allclose(m, fe.mel_matrix(), atol=2 ** -28)
    assert np.array_equal(np.sort(tb.bit_reversal()), np.arange(256))
    assert tb.bit_reversal()[1] == 128 and tb.bit_reversal()[3] == 192
    inv, shift = t["inv_scale"].astype(np.int64), t["inv_scale_shift"]
    assert np.all(inv < 2 ** 31) and np.all(inv * 2 > 2 ** 31)
    assert np.allclose(inv / 2.0 ** shift, 1 / KWS_SCALE, rtol=0, atol=1e-8)
    # feature gains: coefficient k's step is the scale over its gain
    gains = np.array([0.125] + [1.0] * 9) * np.linspace(1, 2, fe.NUM_MFCC)
    g = tb.tables_q31(KWS_SCALE, KWS_ZERO_POINT, gains)
    assert np.allclose(g["inv_scale"] / 2.0 ** g["inv_scale_shift"], gains / KWS_SCALE, rtol=1e-9, atol=0)
    assert np.array_equal(tb.tables_f32(KWS_SCALE, KWS_ZERO_POINT, gains)["input_scale"],
                          (KWS_SCALE / gains).astype(np.float32))


def test_audio_frontend_agrees_with_twin_host(lib):
    clips = speech_clips()
    got = agreement((lib.clip(x), twin_features(x)) for _, x in clips)
    assert got.ok(), f"{lib.arithmetic}: {got}"
    print(f"{lib.arithmetic} on the host, {len(clips)} clips: {got}")


def test_audio_frame_coefficients_near_the_twin(lib):
    """The coefficients before quantization, frame by frame, at the clip's gain: within
    2e-4 of the twin's (the int8 grid's step is 0.58)."""
    worst = 0.0
    for _, clip in speech_clips()[::4]:
        x = fe.pad_clip(clip)
        peak = int(x.max())
        want = fe.features(clip)
        for f in range(0, fe.NUM_FRAMES, 3):
            got = lib.frame(x[f * fe.FRAME_STEP:f * fe.FRAME_STEP + fe.FRAME_LENGTH], peak)
            worst = max(worst, float(np.abs(got - want[f]).max()))
    assert worst < 2e-4, f"{lib.arithmetic}: |c - twin| up to {worst:.3g}"


@pytest.mark.parametrize("case", ["silence", "negative", "full scale", "impulse at the edge", "one lsb", "short"])
def test_audio_frontend_edge_cases(lib, case):
    """Digital silence (ln of the offset alone), a clip whose maximum is not positive (left
    unscaled), a square wave at full scale, a click at a frame's edge, +-1 LSB, a clip of
    three samples."""
    rng = np.random.default_rng(3)
    x = np.zeros(fe.CLIP_SAMPLES, np.int16)
    if case == "negative":
        x = -rng.integers(1, 3000, fe.CLIP_SAMPLES).astype(np.int16)
    elif case == "full scale":
        x = np.where(np.arange(fe.CLIP_SAMPLES) // 20 % 2, 32767, -32768).astype(np.int16)
    elif case == "impulse at the edge":
        x[fe.FRAME_STEP * 7 + 1] = 20000
        x[fe.FRAME_STEP * 9 + fe.FRAME_LENGTH - 2] = -9000
    elif case == "one lsb":
        x = rng.integers(-1, 2, fe.CLIP_SAMPLES).astype(np.int16)
    elif case == "short":
        x = np.array([5, -7, 300], np.int16)
    got, want = lib.clip(x), twin_features(x)
    a = agreement([(got, want)])
    assert a.max_apart <= 1 and a.fraction >= 0.99, f"{lib.arithmetic} {case}: {a}"
    if case == "silence":
        assert np.array_equal(got, want)


def test_audio_log_and_sqrt_f32_host(libs):
    lib = libs["f32"]
    rng = np.random.default_rng(5)
    xs = np.concatenate([np.float32(10.0) ** rng.uniform(-30, 30, 2000), [1.0, 2.0, 0.5, 1e-6, 3.4e38, 1.17549435e-38]])
    for x in xs.astype(np.float32):
        want = math.log(float(x))
        assert abs(lib.log_f32(float(x)) - want) <= 2.5e-7 * max(1.0, abs(want)), x
        root = lib.sqrt_f32(float(x))
        exact = math.sqrt(float(x))
        assert abs(root - exact) <= float(np.spacing(np.float32(exact))), x
    assert lib.sqrt_f32(0.0) == 0.0 and lib.sqrt_f32(-4.0) == 0.0


def test_audio_log_and_sqrt_q31_host(libs):
    lib = libs["q31"]
    rng = np.random.default_rng(6)
    values = [1, 2, 3, 255, 256, 257, 2 ** 32 - 1, 2 ** 32, 2 ** 63, 2 ** 64 - 1]
    values += [int(v) for v in rng.integers(1, 2 ** 63, 500, dtype=np.int64)]
    values += [int(2 ** e) for e in rng.uniform(0, 63.9, 500)]
    for v in values:
        assert abs(lib.log_q31(v) / 2 ** 24 - math.log(v)) < 4e-6, v
        for frac in (0, 1, 2, 9):
            want = math.isqrt(v << (2 * frac))
            got = lib.sqrt_u64(v, frac)
            if want >= 2 ** 32:
                assert got == 2 ** 32 - 1, (v, frac)
            elif v << (2 * frac) < 2 ** 62:
                assert got == want, (v, frac, got, want)
            else:
                assert want - 2 ** (frac + 1) < got <= want, (v, frac, got, want)   # last bits zero
    assert lib.sqrt_u64(0, 2) == 0


def test_audio_sqrt_u64_at_every_root_host(libs):
    """tg_sqrt_u64's 32-bit root (tg_isqrt32: Newton's steps, then exact) at both sides of every
    square its range holds: x = (r^2 + d) * 2^32 + lo for every r in [2^14, 2^15), where the
    result is floor(sqrt(x)) exactly."""
    lib = libs["q31"]
    rng = np.random.default_rng(61)
    for r in range(2 ** 14, 2 ** 15):
        for d in (-1, 0, 2 * r):
            hi = r * r + d
            if not 2 ** 28 <= hi < 2 ** 30:
                continue
            v = (hi << 32) | int(rng.integers(0, 2 ** 32))
            assert lib.sqrt_u64(v, 0) == math.isqrt(v), (r, d, v)


def test_audio_fft_stages_host(lib):
    """The complex FFT (bit-reversed in, natural out) against numpy's, and the real FFT's
    magnitudes from it against |rfft|."""
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1, fe.FRAME_LENGTH) * fe.hann_window()
    rev = tb.bit_reversal()
    pairs = np.zeros((tb.FFT_HALF, 2))
    pairs[:fe.FRAME_LENGTH // 2] = x.reshape(-1, 2)
    z = np.zeros_like(pairs)
    z[rev] = pairs
    first, last = 1, 127
    if lib.arithmetic == "f32":
        unit = 1.0
        spectrum = lib.cfft(z.astype(np.float32), tb.twiddles().astype(np.float32))
        split = tb.split_twiddles(last).astype(np.float32)
        rtol = 1e-5
    else:
        unit = 2.0 ** 30 / np.abs(x).sum()          # the sum of |values| just under 2^30, as the frame scales it
        spectrum = lib.cfft(np.round(z * unit).astype(np.int32), tb.to_fixed(tb.twiddles(), 31, np.int32))
        split = tb.to_fixed(tb.split_twiddles(last), 31, np.int32)
        rtol = 1e-6
    want = np.fft.fft(pairs[:, 0] + 1j * pairs[:, 1])
    got = (spectrum[:, 0] + 1j * spectrum[:, 1]) / unit
    assert np.allclose(got, want, rtol=0, atol=rtol * np.abs(want).max())
    mag = lib.rfft_mag(spectrum, split, first, last) / unit
    want_mag = np.abs(np.fft.rfft(x, fe.FFT_LENGTH))[first:last + 1]
    assert np.allclose(mag, want_mag, rtol=0, atol=rtol * want_mag.max())


def radix2_f32(z: np.ndarray, twiddles: np.ndarray) -> np.ndarray:
    """tg_cfft_f32's arithmetic, stage by stage in numpy float32: every butterfly's products and
    sums rounded one operation at a time, in the C's order (no fused multiply-add)."""
    z, n, half = z.astype(np.float32).copy(), len(z), 1
    while half < n:
        for j in range(half):
            wr, wi = twiddles[j * n // (2 * half)]
            a = np.arange(j, n, 2 * half)
            br, bi = z[a + half, 0], z[a + half, 1]
            tr, ti = br * wr - bi * wi, br * wi + bi * wr
            ar, ai = z[a, 0].copy(), z[a, 1].copy()
            z[a, 0], z[a, 1], z[a + half, 0], z[a + half, 1] = ar + tr, ai + ti, ar - tr, ai - ti
        half *= 2
    return z


@pytest.mark.parametrize("n", [2, 8, 128, 256])
def test_cfft_f32_equals_radix2_stage_by_stage_host(libs, n):
    """tg_cfft_f32 runs two stages per pass over the data (and a last one alone where the number of
    stages is odd): the same float32 bits as the plain radix-2 FFT, stage by stage, zeros' signs
    included."""
    rng = np.random.default_rng(n)
    k = np.arange(n // 2)
    twiddles = np.stack([np.cos(-2 * np.pi * k / n), np.sin(-2 * np.pi * k / n)], axis=1).astype(np.float32)
    for scale in (1.0, 1e-30, 3e4):
        z = (rng.normal(0, scale, (n, 2)) * (rng.random((n, 2)) > 0.1)).astype(np.float32)
        z[rng.random((n, 2)) < 0.05] = np.float32(-0.0)
        got = libs["f32"].cfft(z, twiddles)
        assert got.tobytes() == radix2_f32(z, twiddles).tobytes(), (n, scale)


def test_audio_stream_window_host(lib):
    """Stream mode's frames (fixed gain) and windows (normalised through c0) against
    stream.frame_mfcc / window_input, the ring used as the device uses it."""
    _stream_windows_agree(lib, st.StreamConfig(input_scale=KWS_SCALE, input_zero_point=KWS_ZERO_POINT))


# a model file's feature_gains(): c0 (the energy, about eight times the others' range) at 1/8,
# the rest uneven, so that every coefficient has its own step
GAINS = tuple(float(g) for g in np.array([0.125] + [1.0] * 9) * np.linspace(1.0, 2.0, fe.NUM_MFCC))


@pytest.fixture(scope="module")
def gained_libs(tmp_path_factory) -> dict[str, FrontendLib]:
    return {a: FrontendLib(build(a, tmp_path_factory.mktemp(f"audio_gains_{a}"), gains=GAINS), a)
            for a in ARITHMETICS}


@pytest.mark.parametrize("arithmetic", ARITHMETICS)
def test_audio_feature_gains_host(gained_libs, arithmetic):
    """With feature gains, each coefficient quantized on its own step (scale / gain), in clip
    mode and in stream windows, as the twin does (fe.coefficient_scales); not the one grid."""
    lib = gained_libs[arithmetic]
    scales = fe.coefficient_scales(KWS_SCALE, GAINS)
    clips = speech_clips()[::3]
    got = [lib.clip(x) for _, x in clips]
    assert agreement(zip(got, (fe.quantize(fe.features(x), scales, KWS_ZERO_POINT) for _, x in clips))).ok()
    one_grid = agreement(zip(got, (twin_features(x) for _, x in clips)))
    assert one_grid.fraction < 0.9 and one_grid.max_apart > 1, f"{arithmetic}: the gains changed too little ({one_grid})"
    _stream_windows_agree(lib, st.StreamConfig(input_scale=KWS_SCALE, input_zero_point=KWS_ZERO_POINT,
                                               input_gains=GAINS))


def _stream_windows_agree(lib, cfg: st.StreamConfig) -> None:
    rng = np.random.default_rng(8)
    words = list(speech().values())
    x = np.concatenate([np.zeros(3000)] + [w * rng.uniform(0.1, 1.5) for w in words[:8]])
    x = np.clip(np.round(x + rng.normal(0, 30, len(x))), -32768, 32767).astype(np.int16)
    count = 1 + (len(x) - fe.FRAME_LENGTH) // fe.FRAME_STEP
    mfccs, peaks, pairs = [], [], []
    for f in range(count):
        frame = x[f * fe.FRAME_STEP:f * fe.FRAME_STEP + fe.FRAME_LENGTH]
        lib.stream_frame(frame, f % fe.NUM_FRAMES)
        m, p = st.frame_mfcc(frame)
        mfccs.append(m)
        peaks.append(p)
        if f + 1 >= fe.NUM_FRAMES and (f + 1) % 5 == 0:
            want = st.window_input(np.array(mfccs[-fe.NUM_FRAMES:]), np.array(peaks[-fe.NUM_FRAMES:]), cfg)
            pairs.append((lib.stream_window((f + 1) % fe.NUM_FRAMES), want))
    got = agreement(pairs)
    assert len(pairs) > 20 and got.ok(), f"{lib.arithmetic}: {got}"


def test_audio_detector_equals_the_twin_host(libs):
    """tg_detector step for step against stream.Detector on random softmax-like outputs:
    the same sums after every inference and the same events."""
    lib = libs["f32"]
    rng = np.random.default_rng(9)
    fired = 0
    for trial in range(20):
        smooth = int(rng.integers(1, 17))
        cfg = st.StreamConfig(hop_every=1, smooth=smooth, threshold_units=int(rng.integers(1, 200 * smooth)),
                              refractory=int(rng.integers(0, 20000)), output_zero_point=-128)
        state = lib.detector(12, smooth, cfg.threshold_units, cfg.refractory, sum(1 << c for c in cfg.keywords))
        twin = st.Detector(cfg)
        for i in range(200):
            u = np.zeros(12, np.int64)
            u[int(rng.integers(0, 12))] = int(rng.integers(0, 256))
            u[int(rng.integers(0, 12))] += int(rng.integers(0, 256 - u.max()))
            out = (u - 128).astype(np.int8)
            sample = 480 + 640 * i
            sums, event = lib.detector_step(state, out, -128, sample)
            want_sums, want = twin.step(out, sample)
            assert np.array_equal(sums, want_sums), (trial, i)
            want = None if want is None else (cfg.labels.index(want.label), want.sample, want.score)
            assert event == want, (trial, i)
            fired += event is not None
    assert fired > 50, f"only {fired} events: the trials hardly exercise the threshold and refractory period"
