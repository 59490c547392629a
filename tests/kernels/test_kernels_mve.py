"""Helium (MVE) kernels (firmware/kernels/*/tg_*_mve.c) for the Cortex-M55 (stm32n6570-dk).

They compile with the strict flags for the Cortex-M55; the kernel table picks them only for
boards listing the "mve" feature (the DSP and portable kernels elsewhere, and where an MVE
kernel does not serve a layer); their packed constants are what tinygen/kernels/mve_pack.py
says (checked against an independent numpy model of the kernels' arithmetic); and firmware
built for the STM32N6570-DK, run on its QEMU stand-in (mps3-an547), equals the numpy
reference byte for byte, layer by layer, over chains of layers with awkward shapes:
pointwise and fully connected layers of depth 1, 3, 8, 13, 16, 33, 64, 100 (partial steps
of 16) onto 1, 2, 3, 5, 7, 13 and 64 channels (partial blocks of 4), odd and even pixel
counts (the pair loop's odd row), general convolutions (a KWS-like 10x4 stride-2 window
on 1 channel, 3x3 stride 2 with ReLU6, dilation 2, unequal padding, an even window
without padding), depthwise layers (3x3 stride 1 and 2, 5x5, 1 x k, k x 1, 3, 12, 7, 65
channels, padding same and valid, widths of 1 to 13, the 8-pixel groups' tails as groups
of 8 and of 4), residual adds fused into convolutions and plain ones, max and average
pooling (padding counted and not, global over more than 256 pixels, 16-channel blocks and a
predicated rest), softmax, with ReLU and ReLU6 and the asymmetric zero points calibration
gives, and layers whose requantization shifts left (scales above 1/2).
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
import torch
from torch import nn

from tflite.ActivationFunctionType import ActivationFunctionType as Act

from e2e import assert_device_equals_reference
from standin_lib import ARM_GCC, STRICT, needs_arm_gcc, needs_qemu
from tflite_builder import ModelBuilder
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels import mve_pack
from tinygen.kernels.table import KERNELS
from tinygen.passes import CompileOptions
from tinygen.quant import fixedpoint as fp
from tinygen.ref.interpreter import quantize_input
from tinygen.resources import kernel_paths

from kernel_lib import KERNEL_INCLUDES

MVE_SOURCES = kernel_paths("tg_*_mve.c")
BOARD = "stm32n6570-dk"


def test_every_mve_kernel_is_in_the_table_and_requires_mve():
    # tinygen's (CMSIS-NN's Helium adapters: tests/kernels/test_cmsis_nn_mve.py)
    specs = {s.name: s for s in KERNELS if s.name.endswith("_mve") and s.backend == "tinygen"}
    assert sorted(f"kernels/{p.name}" for p in MVE_SOURCES) == sorted(s.source for s in specs.values())
    for spec in specs.values():
        assert spec.requires == frozenset({"mve"})
        assert not spec.ref_name.endswith("_mve"), f"{spec.name} must name its portable numpy twin"
    # before the DSP kernels of the same op and types, which the Cortex-M55 also runs
    def kind(k):
        return k.op, k.in_dtype, k.weight_dtype, k.act_dtype

    for key in {kind(spec) for spec in specs.values()}:
        ours = [(i, k) for i, k in enumerate(KERNELS) if kind(k) == key and k.backend == "tinygen"]
        mve = [i for i, k in ours if "mve" in k.requires]
        dsp = [i for i, k in ours if "dsp" in k.requires]
        assert not dsp or max(mve) < min(dsp), key


@needs_arm_gcc
@pytest.mark.parametrize("source", MVE_SOURCES, ids=lambda p: p.stem)
def test_mve_kernel_compiles_strict(source, tmp_path):
    cmd = [ARM_GCC, "-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard", *STRICT, *KERNEL_INCLUDES,
           "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # QEMU 7.2 (the stand-in) swaps the lanes of the two-lane VMOV Qd[2], Qd[0], Rt, Rt2 (and
    # its reverse) against the architecture: no kernel may contain one, whatever wrote it
    objdump = ARM_GCC.removesuffix("gcc") + "objdump"
    dump = subprocess.run([objdump, "-d", "-m", "armv8.1-m.main", str(tmp_path / "k.o")], capture_output=True,
                          text=True, check=True).stdout
    two_lane = re.findall(r"vmov(?:\.\w+)?\s+(?:q\d+\[\d\],\s*q\d+\[\d\]|r\d+,\s*r\d+,\s*q\d+\[\d\])", dump)
    assert re.search(r"vmladav|vmlav|vmax|vldr[bw]", dump), "objdump shows no MVE instruction: a wrong dump"
    assert not two_lane, f"{source.name}: {two_lane[:3]}"


# -- the packed constants against a numpy model of the kernels' arithmetic --------------------

def _requant_mve(acc, mult, rshift, lshift, sign=True):
    """tg_requant_mve.h's sequence, lane by lane, in numpy: VSHL, VQRDMULH, the tie
    correction, VRSHL."""
    acc = fp.wrap_int32(np.asarray(acc, np.int64) << lshift)
    x = np.where((acc == -2**31) & (mult == -2**31), 2**31 - 1, (2 * acc * mult + 2**31) >> 32)
    if sign:
        x = x + np.where((x < 0) & (rshift < 0), -1, 0)
    n = -rshift
    return np.where(n > 0, (x + (np.int64(1) << np.maximum(n - 1, 0))) >> n, x)


@pytest.mark.parametrize("depth, out_c", [(1, 1), (8, 3), (13, 7), (16, 4), (33, 13), (100, 5)])
def test_mat_mult_records_give_the_reference(depth, out_c):
    """Decoding mat_mult_mve_records as the C loop reads them (folded biases, 16-byte steps,
    blocks of 4) and requantizing as tg_requant_mve.h does equals multiply_by_quantized_multiplier
    on the plain sums, left shifts and ties included."""
    rng = np.random.default_rng(depth)
    w = rng.integers(-127, 128, (out_c, depth)).astype(np.int8)
    bias = rng.integers(-5000, 5000, out_c).astype(np.int32)
    mult = rng.integers(1 << 30, 2**31 - 1, out_c).astype(np.int32)
    shift = rng.integers(-12, 3, out_c).astype(np.int32)
    p = {"out_c": out_c, "input_offset": 17}
    rec = mve_pack.mat_mult_mve_records(p, {"weight": w, "bias": bias, "multiplier": mult, "shift": shift})
    steps = rec[1]
    assert steps == -(-depth // 16) and rec[0] == (1 if np.any(shift > 0) else 0)
    blocks = rec[2:].reshape(-1, 16 + 16 * steps)
    x = rng.integers(-128, 128, (9, depth)).astype(np.int64)
    xs = np.zeros((9, 16 * steps), np.int64)
    xs[:, :depth] = x
    for b, block in enumerate(blocks):
        req = block[:16].reshape(4, 4).astype(np.int64)
        wb = block[16:].view(np.int8).reshape(steps, 4, 16).transpose(1, 0, 2).reshape(4, -1).astype(np.int64)
        chans = [c for c in range(4) if 4 * b + c < out_c]
        acc = xs @ wb.T + req[0]
        got = _requant_mve(acc, req[1], req[2], req[3])
        want = fp.multiply_by_quantized_multiplier(
            (x + 17) @ w.T.astype(np.int64) + bias, mult, shift)
        assert np.array_equal(got[:, chans], want[:, [4 * b + c for c in chans]])


def test_add_tables_give_the_reference_sum():
    p = {"input1_offset": 5, "input1_multiplier": 1 << 30, "input1_shift": -1, "input2_offset": -128,
         "input2_multiplier": 1518500250, "input2_shift": -3, "left_shift": 20}
    tables = mve_pack.add_mve_tables(p).astype(np.int64)
    x = np.arange(-128, 128)
    for k, off, m, s in ((0, 5, 1 << 30, -1), (1, -128, 1518500250, -3)):
        want = fp.multiply_by_quantized_multiplier_smaller_than_one_exp((x + off) << 20, m, s)
        assert np.array_equal(tables[256 * k + (x & 0xFF)], want)


# -- models around the kernels on the stand-in -------------------------------------------------

class Products(nn.Module):
    """Pointwise convolutions through awkward depths and channel counts (35 pixels: the pair
    loop's odd row), then fully connected layers."""

    def __init__(self):
        super().__init__()
        chans = (3, 1, 13, 16, 64, 33, 8, 5, 100, 2)
        self.convs = nn.Sequential(*[m for i, (a, b) in enumerate(zip(chans, chans[1:]))
                                     for m in ((nn.Conv2d(a, b, 1), nn.ReLU()) if i % 2 else (nn.Conv2d(a, b, 1),))])
        sizes = (2 * 5 * 7, 37, 1, 16, 7)
        self.fcs = nn.Sequential(*[nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])

    def forward(self, x):
        return self.fcs(torch.flatten(self.convs(x), 1))


class Convs(nn.Module):
    """General convolutions (as test_kernels_dsp.py's), a residual add fused into a 3x3
    convolution with ReLU, and two plain adds (their operand feeds both)."""

    def __init__(self):
        super().__init__()
        self.head = nn.Sequential(
            nn.Conv2d(1, 5, (10, 4), stride=2, padding=(4, 1)), nn.ReLU(),
            nn.Conv2d(5, 7, 3, stride=2, padding=1), nn.ReLU6(),
            nn.Conv2d(7, 6, 3, dilation=2, padding=2),
            nn.Conv2d(6, 9, (3, 5), padding=(1, 2), bias=False),
            nn.Conv2d(9, 16, 2))
        self.res = nn.Conv2d(16, 16, 3, padding=1)
        self.res2 = nn.Conv2d(16, 16, 1)
        self.fc = nn.Linear(16 * 6 * 2, 5)

    def forward(self, x):
        h = self.head(x)
        h = torch.relu(self.res(h) + h)          # conv + add + ReLU: fused
        a = torch.relu(self.res2(h))
        h = (a + h) + a                          # a feeds two adds: both stay adds
        return self.fc(torch.flatten(h, 1))


def _dw(channels, kernel=3, stride=1, padding=1, bias=True):
    return nn.Conv2d(channels, channels, kernel, stride=stride, padding=padding, groups=channels, bias=bias)


class Depthwise(nn.Module):
    """Depthwise layers (as test_kernels_dsp_depthwise.py's, dilation and multiplier aside:
    those stay on the DSP kernels), 1 x k and k x 1 windows, tails of 1, 2 and 3 pixels."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            _dw(3), nn.ReLU6(),                                      # 3 ch, 11x13, same
            nn.Conv2d(3, 12, 1), _dw(12),                            # 12 ch
            nn.Conv2d(12, 7, 1), _dw(7, stride=2),                   # 7 ch, stride 2 -> 6x7
            nn.Conv2d(7, 4, 1), _dw(4, kernel=5, padding=2, bias=False), nn.ReLU(),     # 5x5
            _dw(4, kernel=(1, 5), padding=(0, 2)),                   # 1 x 5
            _dw(4, kernel=(3, 1), padding=(1, 0)),                   # 3 x 1
            nn.Conv2d(4, 65, 1), _dw(65, padding=0), nn.ReLU6(),    # 65 ch, valid -> 4x5
            nn.Conv2d(65, 9, 1), _dw(9, stride=2, padding=1))        # -> 2x3
        self.fc = nn.Linear(9 * 2 * 3, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


class Pools(nn.Module):
    """Max and average pooling with padding (PyTorch's count_include_pad and TFLite's count),
    18 channels (a 16-lane block and a predicated rest), a global average over 306 pixels
    (past the int16 lanes' 256) and one over 25, softmax over 37 (a 4-lane tail of 1)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 18, 1)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)                      # 18x17 -> 9x9
        self.avg_pad = nn.AvgPool2d(3, stride=1, padding=1)                      # counts the padding
        self.avg_tfl = nn.AvgPool2d(2, stride=2, padding=1, count_include_pad=False)     # -> 5x5
        self.fc = nn.Linear(18, 37)

    def forward(self, x):
        y = self.a(x)
        g = nn.functional.avg_pool2d(y, (18, 17))
        r = nn.functional.avg_pool2d(self.avg_tfl(self.avg_pad(self.maxpool(y))), 5)
        return torch.softmax(self.fc(torch.flatten(g + r, 1)), dim=1)


MODELS = {"products": (Products, (1, 3, 5, 7)), "convs": (Convs, (1, 1, 27, 11)),
          "depthwise": (Depthwise, (1, 3, 11, 13)), "pools": (Pools, (1, 3, 18, 17))}


def compiled(name: str, tmp_path_factory, scale: float = 1.0):
    factory, shape = MODELS[name]
    torch.manual_seed(3)
    net = factory()
    for p in net.parameters():
        torch.nn.init.uniform_(p, -scale, scale)
    net.eval()
    tmp = tmp_path_factory.mktemp(name)
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp / "m.pt2")
    rng = np.random.default_rng(0)
    np.save(tmp / "calib.npy", rng.standard_normal((32,) + shape[1:]).astype(np.float32))
    source = load_source(tmp / "m.pt2")
    graph = compile_source(source, str(tmp / "calib.npy"),
                           CompileOptions(features=get_board(BOARD).isa_features, lower_peak=False))
    inputs = [quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32) * 1.5))
              for _ in range(3)]
    return source, graph, inputs, tmp


def kernels_of(graph, op: str) -> list[str]:
    return [n.kernel for n in graph.nodes if n.op == op]


def test_mve_kernels_chosen_for_the_cortex_m55(tmp_path_factory):
    _, products, _, _ = compiled("products", tmp_path_factory)
    assert set(kernels_of(products, "conv2d")) == {"tg_conv2d_1x1_s8_mve"}
    assert set(kernels_of(products, "fully_connected")) == {"tg_fully_connected_s8_mve"}
    _, convs, _, _ = compiled("convs", tmp_path_factory)
    assert set(kernels_of(convs, "conv2d")) == {"tg_conv2d_s8_mve", "tg_conv2d_1x1_s8_mve"}
    assert kernels_of(convs, "conv2d_add") == ["tg_conv2d_add_s8_mve"]
    assert kernels_of(convs, "add") == ["tg_add_s8_mve"] * 2
    _, dw, _, _ = compiled("depthwise", tmp_path_factory)
    kernels = kernels_of(dw, "depthwise_conv2d")
    # the 5x5 window (25 taps > 16) stays on the DSP kernel
    assert kernels[3] == "tg_depthwise_conv2d_s8_dsp"
    assert set(kernels[:3] + kernels[4:]) == {"tg_depthwise_conv2d_s8_mve"}
    _, pools, _, _ = compiled("pools", tmp_path_factory)
    assert kernels_of(pools, "max_pool2d") == ["tg_max_pool2d_s8_mve"]
    assert kernels_of(pools, "avg_pool2d") == ["tg_avg_pool2d_s8_mve"] * 4
    assert kernels_of(pools, "softmax") == ["tg_softmax_s8_mve"]


@pytest.mark.parametrize("board", ["f746zg", "u585", "esp32-c3", "host"])
def test_no_mve_kernel_without_the_feature(board, tmp_path_factory):
    """The Cortex-M33 boards (DSP, no Helium) take the DSP kernels, as the M4/M7 do."""
    features = get_board(board).isa_features
    factory, shape = MODELS["convs"]
    torch.manual_seed(3)
    tmp = tmp_path_factory.mktemp("convs_for")
    torch.export.save(torch.export.export(factory().eval(), (torch.randn(shape),)), tmp / "m.pt2")
    graph = compile_source(load_source(tmp / "m.pt2"), "random", CompileOptions(features=features, lower_peak=False))
    assert not [n.kernel for n in graph.nodes if n.kernel and n.kernel.endswith("_mve")]
    if "dsp" in features:
        assert any(n.kernel.endswith("_dsp") for n in graph.nodes if n.kernel)


def _check_on_standin(name: str, tmp_path_factory, scale: float = 1.0) -> None:
    from tinygen.hil.target import open_device

    board = get_board(BOARD)
    source, graph, inputs, tmp = compiled(name, tmp_path_factory, scale)
    assert any(n.kernel.endswith("_mve") for n in graph.nodes if n.kernel)
    project = build(source, graph, board, tmp / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"{name} input {i}")


@needs_qemu
@pytest.mark.parametrize("name", list(MODELS))
def test_mve_kernels_standin(name, tmp_path_factory):
    _check_on_standin(name, tmp_path_factory)


# -- ties and left shifts: int8 .tflite chains with chosen scales -------------------------------

HW, C, CLASSES = 6, 8, 10
# (output zero point, fused activation): ReLU at -128 (act_min = zp: no tie correction), ReLU
# at -100 (the clamp), none at -127 (act_min = zp - 1: the correction), RELU_N1_TO_1 at -100 (both)
ACTS = {"relu": (-128, Act.RELU), "relu_mid": (-100, Act.RELU), "below": (-127, Act.NONE),
        "below_mid": (-100, Act.RELU_N1_TO_1)}
CHAIN_KERNELS = {"conv2d_0": "tg_conv2d_s8_mve", "depthwise_conv2d_1": "tg_depthwise_conv2d_s8_mve",
                 "conv2d_2": "tg_conv2d_add_s8_mve", "fully_connected_4": "tg_fully_connected_s8_mve"}


def chain_model(act, w_scale: float, seed: int = 0) -> bytes:
    """x -> conv 3x3 -> depthwise 3x3 -> (conv 1x1 + ADD with the depthwise output: fused)
    -> FULLY_CONNECTED, activations of scale 1, weights in {-1, 0, 1} of scale w_scale: the
    requantization multiplier is w_scale exactly (1/4: multiplier 2^30, shift -1, and sums near
    0, so many outputs land on exact ties below zero; 4: shift +3, the left shift)."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder("tinygen test: mve ties and left shifts")
    x = b.tensor("x", [1, HW, HW, C], scale=1.0, zero_point=0)

    def weights(shape, zeros):
        w = rng.choice([-1, 1], size=shape)
        return np.where(rng.random(shape) < zeros, 0, w).astype(np.int8)

    def consts(name, wshape, axis, channels, zeros):
        w = b.tensor(f"{name}_w", wshape, scale=[w_scale] * channels, zero_point=[0] * channels,
                     data=weights(wshape, zeros), axis=axis)
        bias = b.tensor(f"{name}_b", [channels], "int32", scale=[w_scale] * channels, zero_point=[0] * channels,
                        data=rng.integers(-3, 4, channels))
        return w, bias

    def conv(cur, name, kernel, padding, zp, activation):
        w, bias = consts(name, [C, kernel, kernel, C], 0, C, 0.8 if kernel == 3 else 0.5)
        y = b.tensor(name, [1, HW, HW, C], scale=1.0, zero_point=zp)
        b.op("CONV_2D", [cur, w, bias], [y], "Conv2DOptions", Padding=padding, StrideW=1, StrideH=1,
             FusedActivationFunction=activation, DilationWFactor=1, DilationHFactor=1)
        return y

    c0 = conv(x, "c0", 3, 0, *act)
    w, bias = consts("dw", [1, 3, 3, C], 3, C, 0.5)
    d = b.tensor("d", [1, HW, HW, C], scale=1.0, zero_point=act[0])
    b.op("DEPTHWISE_CONV_2D", [c0, w, bias], [d], "DepthwiseConv2DOptions", Padding=0, StrideW=1, StrideH=1,
         DepthMultiplier=1, FusedActivationFunction=act[1], DilationWFactor=1, DilationHFactor=1)
    c2 = conv(d, "c2", 1, 1, 3, Act.NONE)
    a = b.tensor("a", [1, HW, HW, C], scale=2.0, zero_point=act[0])
    b.op("ADD", [c2, d], [a], "AddOptions", FusedActivationFunction=act[1])
    w, bias = consts("fc", [CLASSES, HW * HW * C], 0, CLASSES, 0.99)
    y = b.tensor("y", [1, CLASSES], scale=1.0, zero_point=act[0])
    b.op("FULLY_CONNECTED", [a, w, bias], [y], "FullyConnectedOptions", FusedActivationFunction=act[1],
         WeightsFormat=0, KeepNumDims=False)
    return b.finish([x], [y])


@needs_qemu
@pytest.mark.parametrize("w_scale", [0.25, 4.0], ids=["ties", "left_shift"])
@pytest.mark.parametrize("act", list(ACTS))
def test_mve_requantization_variants_standin(act, w_scale, tmp_path):
    """Each requantization variant (tie correction or not, clamp or not, left shift) on the
    stand-in, every layer equal to the reference; inputs in {-2 .. 2} keep sums near 0."""
    from tinygen.hil.target import open_device

    path = tmp_path / "chain.tflite"
    path.write_bytes(chain_model(ACTS[act], w_scale))
    board = get_board(BOARD)
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, lower_peak=False))
    kernels = {n.name: n.kernel for n in graph.nodes if n.kernel}
    assert {k: kernels.get(k) for k in CHAIN_KERNELS} == CHAIN_KERNELS, kernels
    shifts = np.concatenate([np.asarray(graph.const(n, "shift")).ravel() for n in graph.nodes if n.param("shift")])
    assert (shifts.max() > 0) == (w_scale > 1)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    rng = np.random.default_rng(1)
    with open_device(board, project, emulate=True) as dev:
        for i in range(3):
            x = rng.integers(-2, 3, (1, HW, HW, C)).astype(np.int8)
            assert_device_equals_reference(dev, graph, x, f"{act}, w_scale {w_scale}, input {i}")
