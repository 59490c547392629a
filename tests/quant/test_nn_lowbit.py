"""tinygen.quant.lowbit against LOWBIT.md's tables, checked by independent means
(brute-force nearest values, the papers' formulas, the bit layouts written out), and
tinygen.nn's torch quantizers against lowbit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tinygen.errors import ModelError
from tinygen.nn import ActQuant, WeightQuant, fake_quant_weight
from tinygen.nn.quantizers import InputQuantizer
from tinygen.quant import lowbit
from tinygen.quant.params import activation_qparams, quantize_weights as int8_quantize

SPECS = [
    WeightQuant("int8"), WeightQuant("uniform", 4), WeightQuant("uniform", 2),
    WeightQuant("dorefa", 4), WeightQuant("dorefa", 2),
    WeightQuant("binary"), WeightQuant("binary", alpha="layer"), WeightQuant("binary", alpha="channel"),
    WeightQuant("binary", alpha="channel", alpha_bits=2), WeightQuant("binary", alpha="kernel", alpha_bits=2),
    WeightQuant("binary", alpha="kernel", alpha_bits=3),
    WeightQuant("pow2", 4), WeightQuant("pow2", 4, zero=False), WeightQuant("pow2", 3), WeightQuant("ternary"),
]
IDS = [f"{s.kind}{s.bits}-{s.alpha}{s.alpha_bits or ''}{'' if s.zero else '-nozero'}" for s in SPECS]


def _weights(seed: int, shape=(6, 5, 3, 3)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.3, shape)
    w[0, 0, 0, 0] = 0.0                    # sign(0) = +1
    w[1] = 0.0                             # an all-zero channel
    w[2] *= 10                             # channels of different magnitude
    return w


def _per_channel(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_weight_codes_in_range_and_decode(spec):
    w = _weights(0)
    W, s = lowbit.quantize_weights(w, spec)
    lo, hi = lowbit.weight_range(spec)
    assert W.shape == w.shape and s.shape == (w.shape[0],) and s.dtype == np.float32
    assert W.min() >= lo and W.max() <= hi
    assert (s > 0).all()
    codes = lowbit.encode_weights(W, spec)
    assert codes.min() >= 0 and codes.max() < 2 ** spec.storage_bits
    np.testing.assert_array_equal(lowbit.decode_weights(codes, spec), W)


def test_weight_stored_codes_follow_lowbit_md():
    # uniform: two's complement k bits
    s4 = WeightQuant("uniform", 4)
    np.testing.assert_array_equal(lowbit.encode_weights(np.array([-7, -1, 0, 1, 7]), s4), [9, 15, 0, 1, 7])
    # dorefa: W = 2c + 1, c two's complement
    d2 = WeightQuant("dorefa", 2)
    np.testing.assert_array_equal(lowbit.encode_weights(np.array([-3, -1, 1, 3]), d2), [2, 3, 0, 1])
    # binary: bit 1 = -1
    np.testing.assert_array_equal(lowbit.encode_weights(np.array([1, -1, 1]), WeightQuant("binary")), [0, 1, 0])
    # pow2 with zero: sign bit 3, e = 0 is zero, value 2^(e-1)
    p4 = WeightQuant("pow2", 4)
    np.testing.assert_array_equal(lowbit.encode_weights(np.array([0, 1, -4, 64, -64]), p4),
                                  [0, 1, 8 | 3, 7, 8 | 7])
    # pow2 without zero: value 2^e
    p4n = WeightQuant("pow2", 4, zero=False)
    np.testing.assert_array_equal(lowbit.encode_weights(np.array([1, -1, 128]), p4n), [0, 8, 7])
    with pytest.raises(ModelError):
        lowbit.encode_weights(np.array([8]), s4)


def test_weight_int8_matches_tflite_per_channel():
    w = _weights(1)
    W, s = lowbit.quantize_weights(w, WeightQuant("int8"))
    np.testing.assert_array_equal(W, int8_quantize(w.astype(np.float32), s, axis=0))
    assert s[1] == 1.0    # all-zero channel


@pytest.mark.parametrize("bits", [4, 2])
def test_weight_uniform_rounds_to_nearest(bits):
    w = _weights(2)
    W, s = lowbit.quantize_weights(w, WeightQuant("uniform", bits))
    qmax = 2 ** (bits - 1) - 1
    s64 = s.astype(np.float64).reshape(-1, 1, 1, 1)
    assert (np.abs(w - s64 * W) <= s64 / 2 + 1e-12).all()
    np.testing.assert_allclose(s[[0, 2]], _per_channel(np.abs(w)).max(1)[[0, 2]] / qmax, rtol=1e-6)


@pytest.mark.parametrize("bits", [4, 2])
def test_weight_dorefa_is_the_paper_formula(bits):
    w = _weights(3)
    W, s = lowbit.quantize_weights(w, WeightQuant("dorefa", bits))
    n = 2 ** bits - 1
    t = np.tanh(w) / (2 * np.abs(np.tanh(w)).max()) + 0.5
    dorefa = 2 * (np.floor(n * t + 0.5) / n) - 1          # t >= 0: round half up = half away
    np.testing.assert_allclose(W * s.astype(np.float64).reshape(-1, 1, 1, 1), dorefa, atol=1e-7)
    assert (W % 2 == 1).all() and (s == np.float32(1 / n)).all()


def test_weight_binary_alphas():
    w = _weights(4)
    sign = np.where(w >= 0, 1, -1)
    for alpha in ("none", "layer", "channel"):
        W, s = lowbit.quantize_weights(w, WeightQuant("binary", alpha=alpha))
        np.testing.assert_array_equal(W, sign)
        expect = {"none": np.ones(6), "layer": np.full(6, np.abs(w).mean()),
                  "channel": _per_channel(np.abs(w)).mean(1)}[alpha]
        expect = np.where(expect > 0, expect, 1.0)
        np.testing.assert_allclose(s, expect, rtol=1e-6)
    # alphas on a 2-bit grid: s = base * n, n in [1, 3], base = max alpha / 3
    W, s = lowbit.quantize_weights(w, WeightQuant("binary", alpha="channel", alpha_bits=2))
    alpha = _per_channel(np.abs(w)).mean(1)
    base = alpha.max() / 3
    n = s / base
    np.testing.assert_allclose(n, np.round(n), atol=1e-5)
    assert set(np.round(n).astype(int)) <= {1, 2, 3}
    np.testing.assert_allclose(s, base * np.clip(np.floor(alpha / base + 0.5), 1, 3), rtol=1e-6)


def test_weight_binary_kernelwise_alpha():
    w = _weights(5)
    k = 3
    W, s = lowbit.quantize_weights(w, WeightQuant("binary", alpha="kernel", alpha_bits=k))
    kernel_alpha = np.abs(w).mean(axis=(2, 3))                       # [O, I]
    n = np.abs(W[:, :, 0, 0])
    assert (np.abs(W) == n[:, :, None, None]).all()                  # one n per kernel
    assert ((W == 0) | (np.sign(W) == np.where(w >= 0, 1, -1))).all()
    assert n.max() <= 2 ** k - 1
    for o in (0, 2, 3):
        base = kernel_alpha[o].max() / (2 ** k - 1)
        assert s[o] == pytest.approx(base, rel=1e-6)
        assert (np.abs(kernel_alpha[o] - s[o] * n[o]) <= s[o] / 2 + 1e-7).all()


@pytest.mark.parametrize("zero", [True, False])
def test_weight_pow2_nearest_allowed_magnitude(zero):
    spec = WeightQuant("pow2", 4, zero=zero)
    w = _weights(6)
    W, s = lowbit.quantize_weights(w, spec)
    top_e = 2 ** (spec.bits - 1) - 1
    allowed = [0.0] + [2.0 ** (e - 1) for e in range(1, top_e + 1)] if zero else \
        [2.0 ** e for e in range(top_e + 1)]
    m = np.abs(w) / s.astype(np.float64).reshape(-1, 1, 1, 1)
    dist = np.abs(m[..., None] - np.array(allowed))
    assert np.isin(np.abs(W), allowed).all()
    np.testing.assert_array_equal(np.abs(m - np.abs(W)), dist.min(-1))     # brute-force nearest
    assert np.abs(W[[0, 2, 3]]).max() == max(allowed)                      # absmax maps to the top
    assert ((W == 0) | (np.sign(W) == np.where(w >= 0, 1, -1))).all()


def test_weight_pow2_ties_go_away_from_zero():
    spec = WeightQuant("pow2", 4)
    w = np.array([[64.0, 0.5, 1.5, 3.0, 0.49, -6.0]])                       # s = 1
    W, s = lowbit.quantize_weights(w, spec)
    assert s[0] == 1.0
    np.testing.assert_array_equal(W[0], [64, 1, 2, 4, 0, -8])


def test_weight_ternary_twn():
    w = _weights(7)
    W, s = lowbit.quantize_weights(w, WeightQuant("ternary"))
    a = _per_channel(np.abs(w))
    keep = a > 0.7 * a.mean(1, keepdims=True)
    np.testing.assert_array_equal(_per_channel(np.abs(W)), keep.astype(int))
    np.testing.assert_allclose(s[0], a[0][keep[0]].mean(), rtol=1e-6)


def test_weight_spec_errors_say_what_to_do():
    for kwargs in [dict(kind="int4"), dict(kind="uniform", bits=3), dict(kind="binary", alpha="kernel"),
                   dict(kind="int8", alpha="channel"), dict(kind="pow2", bits=2)]:
        with pytest.raises(ModelError) as e:
            WeightQuant(**kwargs)
        assert e.value.hint
    with pytest.raises(ModelError):
        lowbit.quantize_weights(np.array([[np.nan]]), WeightQuant())


def test_activation_grids():
    x = np.array([-3.0, -0.26, -0.0, 0.0, 0.25, 0.75, 1.0, 5.0])
    scale, zp = lowbit.act_qparams("int8", 8, -1.0, 2.0)
    assert (scale, zp) == activation_qparams(-1.0, 2.0)
    q = lowbit.quantize_activations(x, "int8", 8, scale, zp)
    expect = np.clip(zp + np.sign(x / np.float64(scale)) * np.floor(np.abs(x / np.float64(scale)) + 0.5), -128, 127)
    np.testing.assert_array_equal(q, expect)
    s4, zp4 = lowbit.act_qparams("uniform", 4, clip=1.5)
    assert s4 == np.float32(0.1) and zp4 == 0
    np.testing.assert_array_equal(lowbit.quantize_activations(x, "uniform", 2, 0.5, 0), [0, 0, 0, 0, 1, 2, 2, 3])
    np.testing.assert_array_equal(lowbit.quantize_activations(x, "binary", 1, 1.0, 0), [-1, -1, 1, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(lowbit.accumulator_operand(np.array([-128, 5]), "int8", 5), [-133, 0])


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_torch_weight_quantizer_equals_lowbit(spec):
    w = torch.from_numpy(_weights(8)).float().requires_grad_()
    fake = fake_quant_weight(w, spec)
    W, s = lowbit.quantize_weights(w.detach().double().numpy(), spec)
    np.testing.assert_array_equal(fake.detach().numpy(),
                                  (W * s.astype(np.float64).reshape(-1, 1, 1, 1)).astype(np.float32))
    fake.sum().backward()                                 # the STE gradient reaches the latent weights
    assert w.grad.shape == w.shape and w.grad.abs().sum() > 0


@pytest.mark.parametrize("act", [ActQuant("int8"), ActQuant("uniform", 4, clip=2.0),
                                 ActQuant("uniform", 2, clip=1.0, learn_clip=True), ActQuant("binary")],
                         ids=["int8", "uniform4", "uniform2-pact", "binary"])
def test_torch_input_quantizer_equals_lowbit_and_has_gradients(act):
    iq = InputQuantizer(act)
    x = (torch.randn(4, 3, 5, 5, generator=torch.Generator().manual_seed(0)) * 2).requires_grad_()
    iq.observe(x)
    fake = iq.fake_quant(x)
    scale, zp = iq.qparams()
    q = lowbit.quantize_activations(x.detach().numpy(), act.kind, act.bits, scale, zp)
    expect = np.float64(scale) * lowbit.accumulator_operand(q, act.kind, zp)
    np.testing.assert_array_equal(fake.detach().numpy(), expect.astype(np.float32))
    fake.pow(2).sum().backward()
    assert x.grad.shape == x.shape and x.grad.abs().sum() > 0
    if act.kind == "binary":   # tanh backward: 1 - tanh^2(x)
        np.testing.assert_allclose(x.grad.numpy(), (2 * fake * (1 - torch.tanh(x) ** 2)).detach().numpy(),
                                   rtol=1e-5, atol=1e-6)
    if act.learn_clip:
        assert iq.clip.grad is not None and iq.clip.grad.abs() > 0


def test_int8_input_range_is_an_ema():
    iq = InputQuantizer(ActQuant("int8", momentum=0.5))
    assert not iq.ready
    with pytest.raises(ModelError):
        iq.qparams()
    iq.observe(torch.tensor([-1.0, 3.0]))
    iq.observe(torch.tensor([-3.0, 1.0]))
    assert float(iq.range_min) == -2.0 and float(iq.range_max) == 2.0
