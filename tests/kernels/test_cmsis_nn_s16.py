"""CMSIS-NN's int16 kernels (TFLite's 16x8 quantization) under --kernels cmsis-nn and auto:
the adapters of tinygen.kernels.cmsis_nn_s16 (firmware/cmsis_nn/tg_*_s16_cmsis_nn.c), which call
arm_convolve_wrapper_s16, arm_depthwise_conv_wrapper_s16, arm_fully_connected_s16,
arm_elementwise_add_s16 and arm_elementwise_mul_s16.

Always run: the specs, the bounds their `accepts` predicates put on CMSIS-NN's int32 sums and
its int64 requantization, which layers of a 16x8 model take them under cmsis-nn and auto (with a
stand-in tree). With CMSIS_NN_PATH (CI: .ci/third_party.sh): the scratch formulas equal the tree's
*_get_buffer_size_dsp functions; on the f746zg stand-in (Cortex-M7, DSP) each adapter equals
tinygen's portable int16 kernel and its numpy twin byte for byte over many shapes (the
instructions of both printed), and the layers the predicates turn away do differ there; a whole
16x8 .tflite model built with --kernels cmsis-nn equals TFLite Micro's host interpreter.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest
from tflite.Padding import Padding

from e2e import ROOT, assert_device_equals_reference, first_difference
from kernel_lib import assert_same
from standin_lib import needs_qemu
from test_cmsis_nn import ADAPTER_DIR, TREE, fake_tree, needs_host_cc, needs_tree
from tflite_builder import ModelBuilder
from tflite_op_cases import int32s, s16, s16_weights
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.session import input_bytes, split_outputs
from tinygen.hil.target import open_device
from tinygen.kernels import cmsis_nn_s16 as spec16
from tinygen.kernels.cmsis_nn_tree import find_cmsis_nn, source_key
from tinygen.kernels.params_elementwise import broadcast_geometry
from tinygen.kernels.table import KERNELS
from tinygen.passes import CompileOptions
from tinygen.passes.choose_kernels import kernel_candidates
from tinygen.quant import op_params
from tinygen.ref import int16 as ref16
from tinygen.report.kernels import cmsis_nn_note
from tinygen.resources import firmware_path

sys.path.insert(0, str(ROOT / "benchmarks"))
from standin_calls import UART_HELPERS  # noqa: E402
from standin_firmware import run_firmware  # noqa: E402

F746 = get_board("f746zg")
ADAPTERS = {"conv": "tg_conv2d_s16_cmsis_nn", "dw": "tg_depthwise_conv2d_s16_cmsis_nn",
            "fc": "tg_fully_connected_s16_cmsis_nn", "add": "tg_add_s16_cmsis_nn", "mul": "tg_mul_s16_cmsis_nn"}
PORTABLE = {k: v[:-len("_cmsis_nn")] for k, v in ADAPTERS.items()}
OPS = {"conv": "conv2d", "dw": "depthwise_conv2d", "fc": "fully_connected", "add": "add", "mul": "mul"}


# -- the specs and their bounds ------------------------------------------------------------------

def test_s16_adapters_in_the_table():
    specs = {s.name: s for s in KERNELS if s.name in ADAPTERS.values()}
    assert sorted(specs) == sorted(ADAPTERS.values())
    declared = (ADAPTER_DIR / "tg_cmsis_nn.h").read_text()
    for kind, name in ADAPTERS.items():
        spec = specs[name]
        assert (spec.op, spec.act_dtype, spec.backend) == (OPS[kind], "int16", "cmsis-nn")
        assert spec.requires == frozenset({"dsp", "cmsis-nn"}) and spec.excludes == frozenset({"mve"})
        assert spec.ref_name == PORTABLE[kind][len("tg_"):] and hasattr(ref16, spec.ref_name)
        assert spec.stored_dtype("shift", "int32") == "int32"       # CMSIS-NN reads int32 shifts
        assert f"void {name}(" in declared and (ADAPTER_DIR / f"{name}.c").is_file()


def test_s16_int32_sum_bound():
    """512 taps of -128 times -32768 make exactly 2^31: one past int32; 511 fit."""
    assert spec16.int32_sums_fit(np.full((2, 511), 128))
    assert not spec16.int32_sums_fit(np.full((2, 512), 128))
    assert spec16.int32_sums_fit(np.full((1, 600), 128), 500) and not spec16.int32_sums_fit(np.full((1, 600), 128))


def test_s16_requantize_s64_bound():
    """acc * reduced_multiplier >> (14 - shift) must stay in [-2^31, 2^31 - 2]."""
    m, s = [1 << 30], [0]                      # reduced multiplier 2^14: acc * 2^14 >> 14 = acc
    assert spec16.requantize_s64_fits([(1 << 31) - 2], m, s)
    assert not spec16.requantize_s64_fits([(1 << 31) - 1], m, s)
    assert not spec16.requantize_s64_fits([1], m, [15])                     # a shift past 14
    assert spec16.requantize_s64_fits([1 << 40], [1 << 30], [-20])


def test_s16_conv_odd_channels_past_max_col_count_refused():
    p = {"out_h": 2, "out_w": 2, "out_c": 3}
    ones = np.ones((3, 1, 1, 513), np.int8)
    q = (np.zeros(3, np.int64), np.full(3, 1 << 30), np.full(3, -20))
    assert not spec16.conv_s16_fits(p, ones, *q)
    assert spec16.conv_s16_fits(p, np.ones((3, 1, 1, 516), np.int8), *q)          # a multiple of 4
    assert spec16.conv_s16_fits(dict(p, out_c=4), np.ones((4, 1, 1, 513), np.int8), *(np.resize(a, 4) for a in q))


# -- a 16x8 model --------------------------------------------------------------------------------------

def per_tensor_weights(b: ModelBuilder, rng, name: str, shape) -> tuple[int, int]:
    """int8 weights with one scale (arm_fully_connected_s16 takes one multiplier) and their int64 bias."""
    w = b.tensor(name, shape, scale=[0.004], zero_point=[0], data=rng.integers(-127, 128, shape))
    bias = b.tensor(f"{name}_bias", [shape[0]], "int64", data=rng.integers(-2 ** 20, 2 ** 20, shape[0]))
    return w, bias


def s16_cmsis_model(rng, fc_per_tensor: bool = True) -> bytes:
    """CONV_2D (3x3 SAME, stride 2), DEPTHWISE_CONV_2D with multiplier 1 (CMSIS-NN's fast kernel)
    and 2 (its generic one, dilated), ADD, MUL of two activations, FULLY_CONNECTED over 720 inputs
    (past MAX_COL_COUNT: int32 sums, then int64)."""
    b = ModelBuilder("int16 CMSIS-NN layers")
    x = s16(b, rng, "x", [1, 11, 10, 6], scale=1e-3)
    c, d = s16(b, rng, "conv", [1, 6, 5, 12], scale=0.02), s16(b, rng, "dw", [1, 6, 5, 12], scale=0.04)
    e, f = s16(b, rng, "dw2", [1, 6, 5, 24], scale=0.05), s16(b, rng, "flat", [1, 720], scale=0.05)
    s, m = s16(b, rng, "sum", [1, 6, 5, 12], scale=0.05), s16(b, rng, "prod", [1, 6, 5, 12], scale=0.1)
    y = s16(b, rng, "y", [1, 10], scale=2.0)
    fc_w = per_tensor_weights(b, rng, "w_fc", [10, 720]) if fc_per_tensor else s16_weights(b, rng, "w_fc", [10, 720], 0)
    for op, inputs, out, options, fields in (
            ("CONV_2D", [x, *s16_weights(b, rng, "w_conv", [12, 3, 3, 6], 0)], c, "Conv2DOptions",
             dict(Padding=Padding.SAME, StrideH=2, StrideW=2, DilationHFactor=1, DilationWFactor=1)),
            ("DEPTHWISE_CONV_2D", [c, *s16_weights(b, rng, "w_dw", [1, 3, 3, 12], 3)], d, "DepthwiseConv2DOptions",
             dict(Padding=Padding.SAME, StrideH=1, StrideW=1, DepthMultiplier=1, DilationHFactor=1,
                  DilationWFactor=1)),
            ("DEPTHWISE_CONV_2D", [d, *s16_weights(b, rng, "w_dw2", [1, 3, 3, 24], 3)], e, "DepthwiseConv2DOptions",
             dict(Padding=Padding.SAME, StrideH=1, StrideW=1, DepthMultiplier=2, DilationHFactor=2,
                  DilationWFactor=2)),
            ("ADD", [c, d], s, "AddOptions", {}),
            ("MUL", [s, d], m, "MulOptions", {}),
            ("RESHAPE", [e, int32s(b, "flat_shape", [1, 720])], f, None, {}),
            ("FULLY_CONNECTED", [f, *fc_w], y, "FullyConnectedOptions", {})):
        b.op(op, inputs, [out], options, **fields)
    return b.finish([x], [y, m])


MODEL_KERNELS = ["tg_conv2d_s16_cmsis_nn", "tg_depthwise_conv2d_s16_cmsis_nn", "tg_depthwise_conv2d_s16_cmsis_nn",
                 "tg_add_s16_cmsis_nn", "tg_mul_s16_cmsis_nn", "tg_fully_connected_s16_cmsis_nn"]


def _compile(tmp_path, data: bytes, kernels: str, tree):
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    source = load_source(path)
    return source, compile_source(source, options=CompileOptions(features=F746.isa_features, kernels=kernels,
                                                                 cmsis_nn=str(tree)))


def test_s16_model_takes_cmsis_nn_where_exact(tmp_path):
    """Every layer on CMSIS-NN; a per-channel FULLY_CONNECTED (one multiplier per output) keeps
    tinygen's kernel; the tree's s16 sources (keyed <op>_s16) are those of the chosen ops."""
    tree = fake_tree(tmp_path / "tree")
    _, graph = _compile(tmp_path, s16_cmsis_model(np.random.default_rng(5)), "cmsis-nn", tree)
    assert sorted(n.kernel for n in graph.nodes if n.kernel) == sorted(MODEL_KERNELS)
    scratch = {(n.op, n.attrs.get("depth_multiplier", 1)): n.scratch_bytes for n in graph.nodes if n.kernel}
    assert scratch == {("conv2d", 1): 4 * 9 * 6, ("depthwise_conv2d", 1): 2 * 9 * 12, ("depthwise_conv2d", 2): 0,
                       ("add", 1): 0, ("mul", 1): 0, ("fully_connected", 1): 0}
    _, per_channel = _compile(tmp_path, s16_cmsis_model(np.random.default_rng(5), False), "cmsis-nn", tree)
    # tinygen's own: its DSP kernel (the F746's features have DSP)
    assert [n.kernel for n in per_channel.nodes if n.op == "fully_connected"] == ["tg_fully_connected_s16_dsp"]
    note = cmsis_nn_note(per_channel)
    assert "runs 5 of 6 layers" in note and "arm_fully_connected_s16 takes one multiplier" in note, note
    assert source_key("conv2d", "int16") == "conv2d_s16" and source_key("conv2d", "int8") == "conv2d"


def test_s16_auto_measures_both(tmp_path):
    """--kernels auto: the adapter beside the portable kernel for every layer it is exact for."""
    tree = fake_tree(tmp_path / "tree")
    _, graph = _compile(tmp_path, s16_cmsis_model(np.random.default_rng(5)), "auto", tree)
    features = frozenset(F746.isa_features) | {"cmsis-nn"}
    for node in (n for n in graph.nodes if n.kernel):
        names = [k.name for k in kernel_candidates(graph, node, features, "auto")]
        assert any(k.endswith("_s16_cmsis_nn") for k in names) and any(not k.endswith("_cmsis_nn") for k in names), \
            (node.name, names)


def test_s16_mul_broadcast_keeps_tinygens_kernel(tmp_path):
    b, rng = ModelBuilder("broadcast mul"), np.random.default_rng(2)
    x, y = s16(b, rng, "x", [1, 3, 4, 8]), s16(b, rng, "y", [1, 3, 4, 8])
    c = b.tensor("c", [8], "int16", scale=1e-3, zero_point=0, data=rng.integers(-32768, 32768, 8))
    b.op("MUL", [x, c], [y], "MulOptions")
    _, graph = _compile(tmp_path, b.finish([x], [y]), "cmsis-nn", fake_tree(tmp_path / "tree"))
    assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_mul_s16"]


# -- with a CMSIS-NN tree: scratch --------------------------------------------------------------

QUERY_C = r"""
#include <stdio.h>
#include "arm_nnfunctions.h"
int main(void)
{
    int in_h, in_w, in_c, out_c, kh, kw, dh, dw, mult;
    while (scanf("%d %d %d %d %d %d %d %d %d", &in_h, &in_w, &in_c, &out_c, &kh, &kw, &dh, &dw, &mult) == 9) {
        const cmsis_nn_dims in = {1, in_h, in_w, in_c}, out = {1, in_h, in_w, out_c};
        const cmsis_nn_conv_params c = {0, 0, {1, 1}, {0, 0}, {dw, dh}, {-32768, 32767}};
        const cmsis_nn_dims f = {out_c, kh, kw, in_c}, fd = {1, kh, kw, out_c}, ff = {in_h * in_w * in_c, 1, 1, out_c};
        const cmsis_nn_dw_conv_params d = {0, 0, mult, {1, 1}, {0, 0}, {dw, dh}, {-32768, 32767}};
        printf("%d %d %d\n", (int)arm_convolve_wrapper_s16_get_buffer_size_dsp(&c, &in, &f, &out),
               (int)arm_depthwise_conv_wrapper_s16_get_buffer_size_dsp(&d, &in, &fd, &out),
               (int)arm_fully_connected_s16_get_buffer_size_dsp(&ff));
    }
    return 0;
}
"""


@needs_tree
@needs_host_cc
def test_s16_scratch_equals_get_buffer_size_dsp(tmp_path):
    tree = find_cmsis_nn(TREE)
    src = tree.path / "Source"
    (tmp_path / "q.c").write_text(QUERY_C)
    done = subprocess.run(["cc", "-O1", f"-I{tree.include_dir}", str(tmp_path / "q.c"),
                           str(src / "ConvolutionFunctions" / "arm_convolve_get_buffer_sizes_s16.c"),
                           str(src / "ConvolutionFunctions" / "arm_depthwise_conv_get_buffer_sizes_s16.c"),
                           str(src / "FullyConnectedFunctions" / "arm_fully_connected_get_buffer_sizes_s16.c"),
                           "-o", str(tmp_path / "q")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rng = np.random.default_rng(7)
    cases = []
    for i in range(400):
        k = [int(v) for v in rng.choice([1, 2, 3, 5, 7, 23, 25], size=2)]      # 23 x 23 = 529 taps: past 512
        mult = 1 if i % 3 else int(rng.integers(1, 4))
        in_c = int(rng.integers(1, 40))
        cases.append({"in_h": int(rng.integers(1, 12)), "in_w": int(rng.integers(1, 12)), "in_c": in_c,
                      "out_c": in_c * mult, "kernel_h": k[0], "kernel_w": k[1], "dilation_h": 1 if i % 5 else 2,
                      "dilation_w": 1 if i % 7 else 2, "depth_multiplier": mult})
    keys = ("in_h", "in_w", "in_c", "out_c", "kernel_h", "kernel_w", "dilation_h", "dilation_w", "depth_multiplier")
    out = subprocess.run([str(tmp_path / "q")], input="".join(" ".join(str(p[k]) for k in keys) + "\n" for p in cases),
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert any(c["kernel_h"] * c["kernel_w"] >= 512 and c["depth_multiplier"] == 1 for c in cases)
    bad = [(p, line) for p, line in zip(cases, out)
           if [int(v) for v in line.split()] != [spec16.conv_s16_scratch(p), spec16.depthwise_s16_scratch(p), 0]]
    assert not bad, f"{len(bad)} differ, first (case, CMSIS-NN conv dw fc): {bad[:3]}"


# -- with a CMSIS-NN tree: each adapter against the portable kernel on the f746zg stand-in --------

STRUCTS = {"conv": "tg_conv2d_params_t", "dw": "tg_conv2d_params_t", "fc": "tg_fully_connected_params_t",
           "add": "tg_add_params_t", "mul": "tg_mul_params_t"}
CTYPES = {np.dtype(np.int8): "int8_t", np.dtype(np.int16): "int16_t", np.dtype(np.int32): "int32_t",
          np.dtype(np.int64): "int64_t"}


@dataclass
class Case:
    """One layer: kind (ADAPTERS' keys), tinygen's params, arrays (input(s), then for the MAC
    layers weights, bias or None, multiplier, shift)."""

    kind: str
    p: dict
    arrays: tuple
    label: str = ""
    weights_tail: int = 0       # bytes of 127 after the weights in flash (what a kernel reading past them sees)
    results: dict = field(default_factory=dict)          # kernel name -> (output, instructions)

    @property
    def mac(self) -> bool:
        return self.kind in ("conv", "dw", "fc")

    def twin(self) -> np.ndarray:
        return getattr(ref16, PORTABLE[self.kind][len("tg_"):])(self.p, *self.arrays).reshape(-1)

    def fits(self) -> bool:
        fits = {"conv": spec16.conv_s16_fits, "dw": spec16.depthwise_s16_fits, "fc": spec16.fully_connected_s16_fits}
        return fits[self.kind](self.p, *self.arrays[1:]) if self.mac else True


def _geometry(in_hw, in_c, out_c, k, s=(1, 1), pad=(0, 0), d=(1, 1), mult=1) -> dict:
    out_h = (in_hw[0] + 2 * pad[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    out_w = (in_hw[1] + 2 * pad[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    return {"in_h": in_hw[0], "in_w": in_hw[1], "in_c": in_c, "out_h": out_h, "out_w": out_w, "out_c": out_c,
            "kernel_h": k[0], "kernel_w": k[1], "stride_h": s[0], "stride_w": s[1], "dilation_h": d[0],
            "dilation_w": d[1], "pad_top": pad[0], "pad_left": pad[1], "depth_multiplier": mult,
            "input_offset": 0, "output_offset": 0, "act_min": -32768, "act_max": 32767}


def _quant(rng, channels: int, taps: int, per_tensor: bool = False, shift_bias: int = 0):
    """Multipliers in [2^30, 2^31) and shifts that spread sums of `taps` products over int16."""
    shift = -int(round(np.log2(np.sqrt(taps) * 64 * 18000 / 12000))) + shift_bias
    m = rng.integers(1 << 30, (1 << 31) - 1, 1 if per_tensor else channels)
    return np.resize(m, channels).astype(np.int32), np.full(channels, shift, np.int32)


def mac_case(kind: str, p: dict, seed: int, label: str = "", bias: bool = True, extreme: bool = False) -> Case:
    rng = np.random.default_rng(seed)
    if kind == "fc":
        x_shape, w_shape, channels = (p["rows"], p["in_features"]), (p["out_features"], p["in_features"]), p["out_features"]
        taps = p["in_features"]
    else:
        x_shape, channels = (p["in_h"], p["in_w"], p["in_c"]), p["out_c"]
        w_shape = (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]) if kind == "conv" else \
            (1, p["kernel_h"], p["kernel_w"], p["out_c"])
        taps = p["kernel_h"] * p["kernel_w"] * (p["in_c"] if kind == "conv" else 1)
    if extreme:       # the ends of both ranges: sums at their largest
        x = np.where(rng.random(x_shape) < 0.5, -32768, 32767).astype(np.int16)
        w = np.where(rng.random(w_shape) < 0.5, -127, 127).astype(np.int8)
    else:
        x = rng.integers(-32768, 32768, x_shape).astype(np.int16)
        w = rng.integers(-127, 128, w_shape).astype(np.int8)
    b = rng.integers(-2 ** 30, 2 ** 30, channels).astype(np.int64) if bias else None
    m, s = _quant(rng, channels, taps, kind == "fc", 3 if extreme else 0)
    return Case(kind, p, (x, w, b, m, s), label or f"{kind} seed {seed}")


def elementwise_case(kind: str, shape, seed: int, clamp=(-32768, 32767)) -> Case:
    rng = np.random.default_rng(seed)
    a, b = (rng.integers(-32768, 32768, shape).astype(np.int16) for _ in range(2))
    s1, s2, so = (float(v) for v in rng.uniform(2e-5, 2e-3, 3))
    size = int(np.prod(shape))
    if kind == "add":
        p = op_params.add_params(size, s1, 0, s2, 0, so, 0, *clamp, op_params.ADD_LEFT_SHIFT_S16)
    else:
        p = {**broadcast_geometry(shape, shape, shape), **op_params.mul_params(s1, 0, s2, 0, s1 * s2 * 40000, 0, *clamp)}
    return Case(kind, p, (a, b), f"{kind} {list(shape)} seed {seed}")


def drawn_cases() -> list[Case]:
    """Awkward shapes per adapter, and the limits its predicate allows."""
    rng = np.random.default_rng(16)
    cases = [
        mac_case("conv", _geometry((9, 11), 6, 10, (3, 3), (2, 2), (1, 1)), 1, "conv 3x3 s2 p1, odd pixels"),
        mac_case("conv", _geometry((6, 6), 5, 7, (1, 1)), 2, "conv 1x1, odd out_c"),
        mac_case("conv", _geometry((5, 7), 3, 4, (2, 3), (1, 2), (1, 0), (2, 1)), 3, "conv dilated, no bias", False),
        mac_case("conv", _geometry((4, 4), 72, 6, (3, 3), pad=(1, 1)), 4, "conv 648 columns: int32 then int64"),
        mac_case("conv", _geometry((3, 4), 64, 5, (3, 3), pad=(1, 1)), 5, "conv 576 columns, odd out_c"),
        mac_case("conv", _geometry((4, 5), 8, 9, (3, 3)), 6, "conv extreme values", extreme=True),
        mac_case("dw", _geometry((8, 9), 12, 12, (3, 3), pad=(1, 1)), 7, "dw 3x3 (fast)"),
        mac_case("dw", _geometry((7, 6), 5, 5, (5, 5), (2, 2), (2, 2)), 8, "dw 5x5 s2 odd channels (fast)"),
        mac_case("dw", _geometry((6, 7), 3, 6, (3, 3), pad=(1, 1), mult=2), 9, "dw multiplier 2 (generic)"),
        mac_case("dw", _geometry((9, 9), 4, 4, (3, 3), pad=(2, 2), d=(2, 2)), 10, "dw dilation 2 (generic)", False),
        mac_case("dw", _geometry((6, 6), 7, 7, (3, 2)), 11, "dw extreme values", extreme=True),
        mac_case("fc", {"rows": 1, "in_features": 37, "out_features": 9, "input_offset": 0, "output_offset": 0,
                        "act_min": -32768, "act_max": 32767}, 12, "fc 37 -> 9"),
        mac_case("fc", {"rows": 3, "in_features": 700, "out_features": 6, "input_offset": 0, "output_offset": 0,
                        "act_min": -1000, "act_max": 2000}, 13, "fc 3 rows of 700 (int64 tail), clamped"),
        mac_case("fc", {"rows": 2, "in_features": 64, "out_features": 5, "input_offset": 0, "output_offset": 0,
                        "act_min": -32768, "act_max": 32767}, 14, "fc extreme values", extreme=True),
    ]
    for i in range(8):       # drawn convolutions and depthwise layers
        k = tuple(int(v) for v in rng.integers(1, 5, 2))
        s = tuple(int(v) for v in rng.integers(1, 3, 2))
        pad = tuple(int(rng.integers(0, kk)) for kk in k)
        in_c = int(rng.integers(1, 20))
        hw = tuple(int(v) for v in rng.integers(k[0] + 1, 10, 2))
        cases.append(mac_case("conv", _geometry(hw, in_c, int(rng.integers(1, 12)), k, s, pad), 100 + i))
        mult = int(rng.choice([1, 1, 2, 3]))
        cases.append(mac_case("dw", _geometry(hw, in_c, in_c * mult, k, s, pad, mult=mult), 200 + i))
    cases += [elementwise_case(kind, shape, 300 + i, clamp)
              for i, (shape, clamp) in enumerate([((1, 1, 1, 1), (-32768, 32767)), ((3, 5, 7), (-32768, 32767)),
                                                  ((2, 64), (-500, 700)), ((1, 4, 4, 9), (0, 32767))])
              for kind in ("add", "mul")]
    return cases


def _c_array(name: str, a: np.ndarray, ctype: str | None = None) -> str:
    ctype = ctype or CTYPES[a.dtype]
    suffix = "LL" if ctype == "int64_t" else ""
    body = ",".join(f"{int(v)}{suffix}" for v in np.asarray(a).reshape(-1))
    return f"static const {ctype} {name}[{max(a.size, 1)}] __attribute__((aligned(8))) = {{{body or '0'}}};\n"


def _c_init(v) -> str:
    return "{" + ", ".join(str(int(x)) for x in v) + "}" if isinstance(v, (list, tuple)) else str(int(v))


def _program(cases: list[Case]) -> str:
    """main.c: per case the adapter, then the portable kernel, each output printed with its instructions."""
    out = ["#include <stddef.h>\n#include <stdint.h>\n#include \"tg_port.h\"\n#include \"tg_kernels.h\"\n"
           "#include \"tg_cmsis_nn.h\"\n", UART_HELPERS]
    body = []
    for i, c in enumerate(cases):
        names = [f"a{i}_{j}" for j in range(len(c.arrays))]
        for j, (n, a) in enumerate(zip(names, c.arrays)):
            if a is not None:
                tail = c.weights_tail if c.mac and j == 1 else 0
                out.append(_c_array(n, np.concatenate([a.reshape(-1), np.full(tail, 127, a.dtype)])))
        args = [n if a is not None else "NULL" for n, a in zip(names, c.arrays)]
        init = ", ".join(f".{k} = {_c_init(v)}" for k, v in c.p.items() if k not in ("depth_multiplier",) or c.kind != "fc")
        out.append(f"static const {STRUCTS[c.kind]} p{i} = {{{init}}};\n")
        n_out = c.twin().size
        calls = {ADAPTERS[c.kind]: args, PORTABLE[c.kind]: args}
        if c.mac:       # the portable kernel reads int8 shifts; the adapter int32 ones and its scratch
            out.append(_c_array(f"s8_{i}", c.arrays[4].astype(np.int8)))
            calls[PORTABLE[c.kind]] = args[:4] + [f"s8_{i}"]
            scratch = {"conv": spec16.conv_s16_scratch, "dw": spec16.depthwise_s16_scratch}.get(c.kind)
            if scratch is not None and scratch(c.p):
                out.append(f"static int8_t sc{i}[{scratch(c.p)}] __attribute__((aligned(8)));\n")
            if scratch is not None:
                calls[ADAPTERS[c.kind]] = args + [f"sc{i}" if scratch(c.p) else "NULL"]
        for j, (name, a) in enumerate(calls.items()):
            out.append(f"static int16_t o{i}_{j}[{n_out}] __attribute__((aligned(8)));\n")
            body.append(f"    t = tg_port_counter();\n    {name}(&p{i}, {', '.join(a)}, o{i}_{j});\n"
                        f"    t = tg_port_counter() - t;\n    put_case({2 * i + j}, t, o{i}_{j}, sizeof o{i}_{j});\n")
    out.append("int main(void)\n{\n    uint64_t t;\n    tg_port_init();\n" + "".join(body)
               + "    put(\"done\\n\");\n    tg_port_exit(0);\n}\n")
    return "".join(out)


def run_on_standin(cases: list[Case], work) -> list[Case]:
    """One firmware for the f746zg stand-in running every case's adapter and portable kernel,
    against the tree at CMSIS_NN_PATH; fills each case's results."""
    tree = find_cmsis_nn(TREE)
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.c").write_text(_program(cases))
    kinds = sorted({c.kind for c in cases})
    sources = [work / "main.c", *(ADAPTER_DIR / f"{ADAPTERS[k]}.c" for k in kinds),
               *(firmware_path(f"kernels/{PORTABLE[k]}.c") for k in kinds),
               *(tree.path / "Source" / rel for rel in tree.sources([source_key(OPS[k], "int16") for k in kinds]))]
    text = run_firmware("f746zg", sources, work, includes=(ADAPTER_DIR, tree.include_dir))
    for line in text.splitlines():
        if line.startswith("case "):
            _, i, count, data = line.split(" ")
            c = cases[int(i) // 2]
            name = (ADAPTERS if int(i) % 2 == 0 else PORTABLE)[c.kind]
            c.results[name] = (np.frombuffer(bytes.fromhex(data), np.int16), int(count))
    return cases


@needs_tree
@needs_qemu
def test_s16_adapters_equal_portable_kernels_f746zg_standin(tmp_path):
    """Each adapter, its portable kernel and the numpy twin agree byte for byte on every case its
    predicate accepts (all of them here, the limits included); instructions printed."""
    cases = drawn_cases()
    assert all(c.fits() for c in cases), [c.label for c in cases if not c.fits()]
    run_on_standin(cases, tmp_path / "fw")
    rows = []
    for c in cases:
        want = c.twin()
        assert set(c.results) == {ADAPTERS[c.kind], PORTABLE[c.kind]}, c.label
        for name, (got, _) in c.results.items():
            assert_same(want, got, f"{name}, {c.label}")
        rows.append(f"{c.label:45s} {c.results[PORTABLE[c.kind]][1]:>10d} {c.results[ADAPTERS[c.kind]][1]:>10d}")
    print("\ninstructions on the f746zg stand-in: portable, CMSIS-NN\n" + "\n".join(rows))


def refused_cases() -> list[Case]:
    """Layers the predicates turn away, each where CMSIS-NN's arithmetic leaves TFLite's."""
    # 516 columns of -127 (then one 127 column) against inputs of -32768: the last pixel of an odd
    # count sums all columns in int32, which wraps
    wide = mac_case("conv", _geometry((1, 1), 520, 2, (1, 1)), 20, "conv int32 sum wraps")
    x, w, b, m, s = wide.arrays
    wide.arrays = (np.full_like(x, -32768), np.full_like(w, -127), np.zeros_like(b), m, np.full_like(s, -16))
    # odd out_c past MAX_COL_COUNT columns, not a multiple of 4: the last channel is misread
    odd = mac_case("conv", _geometry((2, 2), 515, 3, (1, 1)), 21, "conv odd channels, 515 columns")
    odd.arrays = (*odd.arrays[:2], np.zeros(3, np.int64), odd.arrays[3], np.full(3, -14, np.int32))
    odd.weights_tail = 8
    # a sum whose requantized value (about 1.6e9) fits int32, but not twice it, one shift before
    big = mac_case("dw", _geometry((3, 3), 4, 4, (3, 3)), 22, "dw requantization narrows")
    x, w, b, m, s = big.arrays
    big.arrays = (np.full_like(x, 32767), np.full_like(w, 127), np.full_like(b, 3 << 30), np.full_like(m, 1 << 30),
                  np.zeros_like(s))
    return [wide, odd, big]


@needs_tree
@needs_qemu
def test_s16_refused_layers_differ_f746zg_standin(tmp_path):
    """Why the predicates refuse: on each such layer CMSIS-NN's bytes differ from the portable
    kernel's (which still equal the twin)."""
    cases = refused_cases()
    assert not any(c.fits() for c in cases)
    run_on_standin(cases, tmp_path / "fw")
    for c in cases:
        want = c.twin()
        assert_same(want, c.results[PORTABLE[c.kind]][0], f"{PORTABLE[c.kind]}, {c.label}")
        assert not np.array_equal(want, c.results[ADAPTERS[c.kind]][0]), c.label


# -- with a CMSIS-NN tree: a whole 16x8 model against TFLite Micro --------------------------------

@needs_tree
@needs_qemu
def test_s16_model_cmsis_nn_equals_tflm_f746zg_standin(tmp_path):
    """s16_cmsis_model built with --kernels cmsis-nn (every layer on CMSIS-NN) equals the numpy
    reference layer by layer on the f746zg stand-in, and its outputs TFLite Micro's host interpreter."""
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(21)
    data = s16_cmsis_model(rng)
    source, graph = _compile(tmp_path, data, "cmsis-nn", TREE)
    assert sorted(n.kernel for n in graph.nodes if n.kernel) == sorted(MODEL_KERNELS)
    result = build(source, graph, F746, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    shape = graph.tensor(graph.inputs[0]).shape
    xs = [rng.integers(-32768, 32768, shape).astype(np.int16),
          np.clip(rng.normal(0, 3000, shape), -32768, 32767).astype(np.int16)]
    with open_device(F746, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(xs):
            assert_device_equals_reference(dev, graph, x, f"sample {k}")
            interp.set_input(x, 0)
            interp.invoke()
            raw, _ = dev.run(input_bytes(x))
            for j, got in enumerate(split_outputs(graph, raw)):
                want = np.array(interp.get_output(j))
                assert np.array_equal(got.reshape(want.shape), want), \
                    f"sample {k}, output {j}: {first_difference(got, want.reshape(-1))}"
