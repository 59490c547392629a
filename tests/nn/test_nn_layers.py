"""tinygen.nn's QConv2d / QLinear: eval mode equals an independent numpy computation of
LOWBIT.md's y exactly (binary padding P = 0 / +1 / -1 included), the training forward
matches eval, STE gradients reach every parameter, torch.export shows one custom op per
layer, and a short training run learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from tinygen.errors import ModelError
from tinygen.nn import ActQuant, QConv2d, QLinear, WeightQuant
from tinygen.quant import lowbit

GEN = torch.Generator().manual_seed(0)

CASES = [  # (weight, act, pad_value)
    (WeightQuant("int8"), ActQuant("int8"), 0),
    (WeightQuant("uniform", 4), ActQuant("uniform", 4, clip=2.0), 0),
    (WeightQuant("uniform", 2), ActQuant("uniform", 2, clip=1.0), 0),
    (WeightQuant("dorefa", 2), ActQuant("int8"), 0),
    (WeightQuant("binary"), ActQuant("int8"), 0),
    (WeightQuant("binary", alpha="channel"), ActQuant("binary"), 0),
    (WeightQuant("binary", alpha="layer", alpha_bits=2), ActQuant("binary"), 1),
    (WeightQuant("binary", alpha="kernel", alpha_bits=2), ActQuant("binary"), -1),
    (WeightQuant("pow2", 4), ActQuant("int8"), 0),
    (WeightQuant("pow2", 4, zero=False), ActQuant("uniform", 4, clip=3.0), 0),
    (WeightQuant("ternary"), ActQuant("binary"), 1),
]
IDS = [f"{w.kind}{w.bits}{w.alpha if w.kind == 'binary' else ''}-{a.kind}{a.bits}-P{p}" for w, a, p in CASES]


def _trained(layer: nn.Module, x: torch.Tensor) -> nn.Module:
    """One training-mode forward (sets an int8 input range), then eval mode."""
    layer.train()
    with torch.no_grad():
        layer(x)
    return layer.eval()


def _codes(x: np.ndarray, act: ActQuant, scale: float, zp: int) -> np.ndarray:
    """The accumulator operand a, written out from LOWBIT.md (not via lowbit.py)."""
    if act.kind == "binary":
        return np.where(x >= 0, 1, -1).astype(np.int64)
    v = x.astype(np.float64) / np.float64(scale)
    r = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int64)
    if act.kind == "int8":
        return np.clip(r + zp, -128, 127) - zp
    return np.clip(r, 0, 2 ** act.bits - 1)


def _reference_conv(layer: QConv2d, x: torch.Tensor) -> np.ndarray:
    """LOWBIT.md's y: acc over in-bounds taps of W * a plus padded taps of W * P, int64."""
    W, s_w = lowbit.quantize_weights(layer.weight.detach().double().numpy(), layer.weight_quant)
    scale, zp = layer.input_quant.qparams()
    a = _codes(x.numpy(), layer.input_quant.spec, float(scale), zp)
    (sh, sw), (ph, pw), (dh, dw) = layer.stride, layer.padding, layer.dilation
    n, _, h, w = a.shape
    o, _, kh, kw = W.shape
    padded = np.pad(a, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=layer.pad_value)
    oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    acc = np.zeros((n, o, oh, ow), np.int64)
    for ky in range(kh):
        for kx in range(kw):
            win = padded[:, :, ky * dh: ky * dh + sh * (oh - 1) + 1: sh, kx * dw: kx * dw + sw * (ow - 1) + 1: sw]
            acc += np.einsum("nihw,oi->nohw", win, W[:, :, ky, kx])
    y = (np.float64(scale) * s_w.astype(np.float64)).reshape(1, -1, 1, 1) * acc
    if layer.bias is not None:
        y = y + layer.bias.detach().double().numpy().reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def _assert_equal(actual: torch.Tensor, expect: np.ndarray) -> None:
    got = actual.detach().numpy()
    bad = np.argwhere(got != expect)
    assert got.shape == expect.shape
    assert bad.size == 0, f"{len(bad)} outputs differ, first at {bad[0].tolist()}: " \
                          f"{got[tuple(bad[0])]} != {expect[tuple(bad[0])]}"


@pytest.mark.parametrize("weight,act,pad", CASES, ids=IDS)
def test_qconv2d_eval_equals_lowbit_y(weight, act, pad):
    layer = QConv2d(5, 7, 3, stride=2, padding=(1, 2), dilation=(1, 2), bias=True, weight=weight, act=act,
                    pad_value=pad)
    x = torch.randn(2, 5, 9, 10, generator=GEN) * 1.5
    _trained(layer, x)
    _assert_equal(layer(x), _reference_conv(layer, x))


@pytest.mark.parametrize("weight,act,pad", CASES, ids=IDS)
def test_qconv2d_train_forward_matches_eval(weight, act, pad):
    layer = QConv2d(6, 4, 3, padding=1, bias=False, weight=weight, act=act, pad_value=pad)
    x = torch.randn(3, 6, 7, 7, generator=GEN)
    layer.train()
    y_train = layer(x)
    y_eval = layer.eval()(x)
    torch.testing.assert_close(y_train, y_eval, rtol=1e-5, atol=1e-5 * float(y_eval.abs().max()))


@pytest.mark.parametrize("pad", [0, 1, -1])
def test_qconv2d_binary_padding_value(pad):
    torch.manual_seed(3)
    layers = {p: QConv2d(33, 8, 3, padding=1, bias=False, weight=WeightQuant("binary"), act=ActQuant("binary"),
                         pad_value=p).eval() for p in (0, 1, -1)}
    for p in (1, -1):
        layers[p].load_state_dict(layers[0].state_dict())
    x = torch.randn(1, 33, 5, 6, generator=GEN)
    y = {p: layer(x) for p, layer in layers.items()}
    _assert_equal(y[pad], _reference_conv(layers[pad], x))
    inner = (slice(None), slice(None), slice(1, -1), slice(1, -1))
    others = [p for p in y if p != pad]
    for p in others:
        assert torch.equal(y[pad][inner], y[p][inner])       # padding only changes the border
        assert not torch.equal(y[pad], y[p])
    # P = +-1 adds P * (sum of W over the padded taps) to the P = 0 accumulator, at the corner (0, 0)
    W, _ = lowbit.quantize_weights(layers[0].weight.detach().double().numpy(), WeightQuant("binary"))
    padded_taps = W[:, :, 0, :].sum(axis=(1, 2)) + W[:, :, 1:, 0].sum(axis=(1, 2))
    np.testing.assert_array_equal((y[pad] - y[0])[0, :, 0, 0].numpy(), pad * padded_taps)


@pytest.mark.parametrize("weight,act", [(WeightQuant("int8"), ActQuant("binary")),
                                        (WeightQuant("uniform", 4), ActQuant("int8")),
                                        (WeightQuant("pow2", 4), ActQuant("uniform", 2, clip=1.0))],
                         ids=["int8-binary", "uniform4-int8", "pow2-uniform2"])
def test_qlinear_eval_equals_lowbit_y(weight, act):
    layer = QLinear(37, 5, weight=weight, act=act)
    x = torch.randn(4, 37, generator=GEN)
    _trained(layer, x)
    W, s_w = lowbit.quantize_weights(layer.weight.detach().double().numpy(), weight)
    scale, zp = layer.input_quant.qparams()
    acc = _codes(x.numpy(), act, float(scale), zp) @ W.T
    y = (np.float64(scale) * s_w.astype(np.float64)) * acc + layer.bias.detach().double().numpy()
    _assert_equal(layer(x), y.astype(np.float32))


def _net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        QConv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
        QConv2d(8, 16, 3, stride=2, padding=1, bias=False, weight=WeightQuant("binary", alpha="channel"),
                act=ActQuant("binary"), pad_value=1), nn.BatchNorm2d(16), nn.ReLU(),
        QConv2d(16, 16, 3, padding=1, weight=WeightQuant("pow2", 4), act=ActQuant("uniform", 4, clip=2.0)),
        nn.Flatten(), QLinear(16 * 4 * 4, 10, weight=WeightQuant("int8"), act=ActQuant("int8")))


def test_export_has_one_node_per_layer():
    net = _trained(_net(), torch.rand(8, 1, 8, 8, generator=GEN))
    x = torch.rand(1, 1, 8, 8, generator=GEN)
    ep = torch.export.export(net, (x,))
    calls = [n for n in ep.graph.nodes if n.op == "call_function"]
    names = [str(n.target) for n in calls]
    assert names.count("tinygen.qconv2d.default") == 3 and names.count("tinygen.qlinear.default") == 1
    allowed = {"tinygen.qconv2d.default", "tinygen.qlinear.default", "aten.batch_norm.default",
               "aten.relu.default", "aten.flatten.using_ints"}
    assert set(names) <= allowed, f"unexpected ops {set(names) - allowed}"
    for n in calls:
        if str(n.target).startswith("tinygen."):
            config = n.args[5]
            assert '"weight"' in config and '"act"' in config
    assert torch.equal(ep.module()(x), net(x))


def test_load_state_dict_in_eval_refreezes_export_constants():
    src = _trained(_net(), torch.rand(8, 1, 8, 8, generator=GEN))
    torch.manual_seed(5)
    dst = _net().eval()                            # never run: its int8 ranges are empty
    dst.load_state_dict(src.state_dict())
    for a, b in zip(src, dst):
        if isinstance(a, (QConv2d, QLinear)):
            assert torch.equal(a.w_int, b.w_int) and torch.equal(a.act_qparams, b.act_qparams)


def test_eval_freezes_int8_range():
    layer = _trained(QConv2d(3, 4, 1), torch.randn(2, 3, 4, 4, generator=GEN))
    before = layer.input_quant.range_max.clone()
    layer(torch.randn(2, 3, 4, 4, generator=GEN) * 100)
    assert torch.equal(layer.input_quant.range_max, before)


def test_gradients_reach_every_parameter():
    net = _net().train()
    x = torch.rand(8, 1, 8, 8, generator=GEN)
    net(x).square().mean().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert p.grad.abs().sum() > 0, f"no gradient reaches {name}"


def test_training_reduces_loss():
    torch.manual_seed(0)
    x = torch.rand(64, 1, 8, 8, generator=GEN)
    y = (x[:, 0, :4].mean((1, 2)) > x[:, 0, 4:].mean((1, 2))).long() * 3 + (x[:, 0, :, 0].mean(1) > 0.5).long()
    net = _net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    net.train()
    losses = []
    for _ in range(40):
        loss = nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5]), losses


def test_layer_errors_say_what_to_do():
    with pytest.raises(ModelError, match="pad_value"):
        QConv2d(2, 2, 3, padding=1, act=ActQuant("int8"), pad_value=1)
    with pytest.raises(ModelError, match="explicit padding"):
        QConv2d(2, 2, 3, padding="same")
    with pytest.raises(ModelError, match="clip"):
        ActQuant("uniform", 4)
    with pytest.raises(ModelError, match="never run in training mode"):
        QLinear(3, 2).eval()(torch.zeros(1, 3))
