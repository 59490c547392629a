"""The audio front end's numpy twin (tinygen.ref.mfcc), stage by stage against direct
formulas: the FFT against the DFT sum, the mel matrix against its definition and its
properties, the DCT against scipy's and the explicit sum, the whole chain's shape and the
normalisation's edge cases. (Against TensorFlow's tf.signal it agrees to 1e-5 on the
features; TensorFlow is too heavy for the suite, see the module docstring.)"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft

from tinygen.ref import mfcc as fe


def test_frontend_constants():
    assert fe.NUM_FRAMES == 49 and fe.NUM_BINS == 257


def test_frontend_window_is_periodic_hann():
    w = fe.hann_window()
    assert w[0] == 0 and np.isclose(w[240], 1.0)
    # periodic: the symmetric window of length 481 without its last point
    assert np.allclose(w, np.hanning(481)[:-1])


def test_frontend_spectrum_equals_the_dft_sum():
    rng = np.random.default_rng(1)
    framed = rng.standard_normal((3, fe.FRAME_LENGTH))
    got = fe.spectrum(framed)
    x = framed * fe.hann_window()
    n = np.arange(fe.FRAME_LENGTH)
    k = np.arange(fe.NUM_BINS)[:, None]
    dft = (x[:, None, :] * np.exp(-2j * np.pi * k * n / fe.FFT_LENGTH)).sum(-1)
    assert got.shape == (3, 257)
    assert np.allclose(got, np.abs(dft), rtol=1e-9, atol=1e-9)


def test_frontend_mel_matrix_definition_and_properties():
    m = fe.mel_matrix()
    assert m.shape == (257, 40)
    assert not m[0].any(), "the DC bin has no weight"
    assert m.min() >= 0 and m.max() <= 1
    # the definition, bin by bin
    edges = np.linspace(1127 * np.log(1 + 20 / 700), 1127 * np.log(1 + 4000 / 700), 42)
    for k in (3, 17, 64, 100):
        mel = 1127 * np.log(1 + k * 8000 / 256 / 700)
        for j in range(40):
            lo, c, hi = edges[j], edges[j + 1], edges[j + 2]
            want = max(0.0, min((mel - lo) / (c - lo), (hi - mel) / (hi - c)))
            assert m[k, j] == pytest.approx(want, abs=1e-12)
    # every filter is one run of adjacent bins, nothing above 4 kHz (bin 128), and the
    # filters' peaks rise with their index
    runs = fe.mel_runs(m)
    for j in range(40):
        nz = np.flatnonzero(m[:, j])
        assert nz.size and np.array_equal(nz, np.arange(nz[0], nz[-1] + 1))
        assert runs.start[j] == nz[0] and runs.length[j] == nz.size
    assert not m[129:].any()
    assert np.all(np.diff(m.argmax(0)) >= 0)
    assert runs.weights.size == runs.length.sum()
    rebuilt = np.zeros_like(m)
    offset = 0
    for j in range(40):
        rebuilt[runs.start[j]:runs.start[j] + runs.length[j], j] = runs.weights[offset:offset + runs.length[j]]
        offset += runs.length[j]
    assert np.array_equal(rebuilt, m)


def test_frontend_dct_equals_scipy_and_the_sum():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 40))
    got = fe.mfcc(x)
    assert np.allclose(got, scipy.fft.dct(x, type=2, axis=-1)[:, :10] / np.sqrt(80))
    n = np.arange(40)
    direct = np.array([[2 * np.sum(row * np.cos(np.pi * k * (2 * n + 1) / 80)) / np.sqrt(80) for k in range(10)]
                       for row in x])
    assert np.allclose(got, direct)


def test_frontend_normalize_pads_and_scales():
    clip = np.array([100, -400, 200], np.int16)
    x = fe.normalize(clip)
    assert x.shape == (16000,) and np.array_equal(x[:3], [0.5, -2.0, 1.0]) and not x[3:].any()
    long = np.arange(20000, dtype=np.int16)
    assert fe.normalize(long)[-1] == 15999 / 15999
    silent = np.zeros(16000, np.int16)
    assert not fe.normalize(silent).any()               # no division by a zero maximum
    with pytest.raises(ValueError, match="int16"):
        fe.normalize(np.zeros(10, np.float32))


def test_frontend_features_and_quantize():
    rng = np.random.default_rng(3)
    t = np.arange(16000) / 16000
    clip = (6000 * np.sin(2 * np.pi * 440 * t) + rng.normal(0, 500, 16000)).astype(np.int16)
    f = fe.features(clip)
    assert f.shape == (49, 10) and np.isfinite(f).all()
    # a 440 Hz tone: in every frame the strongest mel filter is the one centred nearest 440 Hz
    logmel = fe.log_mel(fe.spectrum(fe.frames(fe.normalize(clip))))
    centres = np.linspace(fe.hertz_to_mel(20), fe.hertz_to_mel(4000), 42)[1:-1]
    assert np.all(logmel.argmax(1) == np.abs(centres - fe.hertz_to_mel(440)).argmin())
    q = fe.quantize(f, 0.5, 10)
    assert q.dtype == np.int8
    assert np.array_equal(q, np.clip(np.sign(f / 0.5) * np.floor(np.abs(f / 0.5) + 0.5) + 10, -128, 127))
    assert fe.quantize(np.array([1e9, -1e9]), 0.5, 0).tolist() == [127, -128]
