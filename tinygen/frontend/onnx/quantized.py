"""Quantized ONNX models onto the IR with the file's own scales: the int8 nodes a pending node
or a View becomes at its output grid; the QuantizeLinear / DequantizeLinear handlers (QDQ) are in
qdq.py, the elementwise ops of a quantized model in elementwise_q.py, the QOperator ops
(QLinearConv, QLinearMatMul, QGemm, QLinearAdd, ...) and ConvInteger / MatMulInteger in
qoperator.py.

How onnxruntime's arithmetic maps onto tinygen's (docs/onnx.md):

- onnxruntime requantizes a QLinear op's int32 accumulator with a float32 multiply,
  acc * float32(x_scale * w_scale / y_scale), rounded half to even. tinygen runs TFLite's
  kernels with the fixed-point multiplier nearest that same float32 scale. TFLite's
  normalized pair (multiplier in [2^30, 2^31), a right shift n) rounds twice, the doubling
  high multiply then the shift, and so differs from one rounding where the product lies
  within 2^-(n + 1) of a half (n of 8 to 10 for usual scales: a few bytes in a thousand);
  tinygen gives an ONNX model's MAC ops the pair that rounds once (single_rounding_multiplier:
  shift 0, multiplier round(scale * 2^31)), so the two differ only within about 2^-25 /
  scale of a half, and at exact halves (onnxruntime goes to even, TFLite away from zero).
  The kernels take any multiplier; the DSP conv, fully connected and narrow 3x3 depthwise
  kernels compute this pair's one rounding as SMMLAR(2 acc, m, zero point)
  (tinygen/kernels/specialize.py ONCE), as fast as TFLite's pair; the other fast paths that need
  a normalized one (requant_bounded) step aside for these layers.
  --onnx-rounding tflite (requant_pair) takes TFLite's normalized pair instead: within 1 LSB
  per layer, and the same kernels, speed and arena as the network's .tflite twin.
- an elementwise function of one quantized tensor (QLinearSigmoid, QLinearLeakyRelu, and
  any float op between DequantizeLinear and QuantizeLinear: Sigmoid, Tanh, HardSigmoid,
  HardSwish, LeakyRelu, Relu, a change of scale) is computed by onnxruntime in float32 on
  the 256 possible inputs; tinygen emits the same computation as a 256-byte table
  (the `lut` op, tg_lut_s8), built at compile time with numpy in float32: exact up to
  onnxruntime's own approximations of exp and tanh.
- QLinearAdd runs TFLite's ADD arithmetic; QLinearMul (and a Mul between DequantizeLinear
  and QuantizeLinear, which onnxruntime runs as QLinearMul) TFLite's MUL with the pair that
  rounds once for onnxruntime's float32 scale ratio, as the MAC ops;
  QLinearGlobalAveragePool and ReduceMean run TFLite's MEAN; Softmax runs TFLite's int8
  softmax arithmetic up to its fixed-point probability, then multiplies it by an integer
  number of codes per unit and rounds once onto the output grid (tg_softmax_scaled_s8;
  TFLite's own kernel where the grid is 1/256): for QLinearSoftmax its kernel's
  floor(1 / y_scale), for DequantizeLinear -> Softmax -> QuantizeLinear (the float softmax
  divided by y_scale, as onnxruntime runs the graph as written) the integer nearest 1 / y_scale;
  an AveragePool (QLinearAveragePool, which onnxruntime computes in float) quantizes each
  window's real average on the output grid once, half to even, by an exact division
  (tg_avg_pool2d_requant_s8); a concatenation whose inputs are on other grids than the output
  requantizes them by table (onnxruntime's QLinearConcat does the same).
- uint8 tensors become int8 (q - 128, zero point - 128: the same real values); weights
  with a zero point are taken less it where that stays within int8.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from tinygen.errors import ModelError
from tinygen.frontend.layout import nchw_constant
from tinygen.frontend.quant_grid import SUBBYTE_FORMATS, Grid, code_bits, code_range, lowbit_config
from tinygen.frontend.onnx.float_tail import float_made, quantized_value
from tinygen.frontend.onnx.builder import const_array
from tinygen.frontend.onnx.importer import Importer
from tinygen.frontend.onnx.values import Act, IntWeight, Pending, QConst, View, grid_values, ir_of, qparams_of
from tinygen.ir import QParams, Tensor
from tinygen.quant.fixedpoint import quantize_multiplier
from tinygen.quant.spec import WEIGHT_CHANNEL_AXIS
from tinygen.ref.lookup import by_uint8

MS = "com.microsoft"
ETYPE = {"uint8": 2, "int8": 3}


# -- the arithmetic ----------------------------------------------------------------------------

def quantize_half_even(real: np.ndarray, q: QParams) -> np.ndarray:
    """onnxruntime's QuantizeLinear on the int8 grid: float32 division, round half to even,
    plus the zero point, saturated."""
    y = np.asarray(real, np.float32) / np.float32(q.scale[0])
    return np.clip(np.rint(y).astype(np.int64) + int(q.zero_point[0]), -128, 127)


def lut_table(src: QParams, fns, out: QParams) -> np.ndarray:
    """The table of a View: for each int8 input q (-128..127), its real value (DequantizeLinear
    in float32), the functions applied, quantized on `out` (QuantizeLinear). The lut op holds
    it in tg_lut_s8's order (tinygen.ref.lookup.by_uint8)."""
    return quantize_half_even(grid_values(src, fns), out).astype(np.int8)


def single_rounding_multiplier(real: float) -> tuple[int, int]:
    """The fixed-point (multiplier, shift) of TFLite's requantization nearest `real`, chosen
    so that it rounds once, as onnxruntime does: for 2^-12 <= real < 1/2, the multiplier
    round(real * 2^31) with shift 0 (the doubling high multiply is then the only rounding;
    its multiplier, below 2^30, keeps at least 19 bits: an output off by 2^-25 / real at
    most); elsewhere TFLite's own normalized pair (a left shift rounds once already; below
    2^-12 the second rounding's window, 2^-(n + 1), is the smaller error)."""
    m, shift = quantize_multiplier(real)
    if shift >= 0 or real < SINGLE_ROUNDING_MIN:
        return m, shift
    return int(math.floor(real * (1 << 31) + 0.5)), 0


SINGLE_ROUNDING_MIN = 2.0 ** -12
# how an ONNX model's MAC ops, MUL and MEAN requantize (--onnx-rounding): "onnxruntime", the pair that
# rounds once (single_rounding_multiplier: equal to onnxruntime far more often; the DSP conv / FC
# kernels' rounds-once mode, specialize.ONCE, keeps the .tflite build's kernels, a few fast paths
# step aside); "tflite", TFLite's normalized pair (within 1 LSB of onnxruntime; the same kernels,
# speed and arena as the model's .tflite twin)
ROUNDINGS = ("onnxruntime", "tflite")


def requant_pair(im: Importer, real: float) -> tuple[int, int]:
    """The (multiplier, shift) of requantization scale `real` under the import's rounding."""
    return single_rounding_multiplier(real) if im.rounding == "onnxruntime" else quantize_multiplier(real)
# tg_avg_pool2d_requant_s8's exact division: input scale / output scale in [2^-15, 2^8), windows up to 4096
AVG_POOL_RATIO = (2.0 ** -15, 2.0 ** 8)
AVG_POOL_MAX_AREA = 4096


def clamp_bounds(activation, q: QParams) -> tuple[int, int]:
    """A fused clamp (real lo, hi) on the output grid: a clamp before QuantizeLinear equals
    a clamp of its result to the bounds quantized alike (quantization is monotonic)."""
    if activation is None:
        return -128, 127
    lo, hi = activation
    qlo = -128 if lo == -math.inf else int(quantize_half_even(np.float32(lo), q))
    qhi = 127 if hi == math.inf else int(quantize_half_even(np.float32(hi), q))
    return qlo, qhi


def float_bias(im: Importer, real: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """A float bias (the quantizer left it float: NNCF, Brevitas' default export) on its MAC
    op's accumulator grid `acc` (float32 input scale x weight scale, per output channel), as
    TFLite's converter and onnxruntime's quantize_static quantize biases: the float64 quotient
    rounded half to even (onnxruntime's numpy round; TFLite's std::round goes away from zero at
    exact halves, which a float bias practically never is); refused beyond int32. onnxruntime
    adds the float bias in float32 instead: the two differ by half a step of that grid at most,
    a small fraction of an output step (docs/onnx.md)."""
    q = np.rint(np.asarray(real, np.float64) / np.asarray(acc, np.float64))
    if np.abs(q).max(initial=0) >= 2 ** 31:
        raise ModelError(f"{im.filename}: {im.where()}: its float bias leaves int32 on the accumulator's grid "
                         "(input scale x weight scale)", "the model's scales are damaged or extreme: quantize it again")
    return q.astype(np.int64)


# -- building the int8 IR --------------------------------------------------------------------------

def grid(im: Importer, act: Act) -> QParams:
    """The grid of activation `act`, one scale: a tensor quantized per channel (channel_grid) is
    read only by a depthwise convolution."""
    q = im.graph.tensor(act.name).qparams
    if q is not None and q.per_channel:
        raise im.unsupported(f"it reads {act.name!r}, which is quantized per channel; only a depthwise "
                             "convolution reads such a tensor")
    return q


def channel_grid(im: Importer, v, scale, zp, dtype: str, axis: int) -> Act:
    """QuantizeLinear per channel of a convolution's output (NNCF quantizes a depthwise
    convolution's input so): the convolution requantizes each output channel onto its own scale
    (its multiplier per channel), the zero point must be one for all; the tensor's QParams say
    axis 3, and only a depthwise convolution reads it (its accumulator grid is per channel too)."""
    ok = isinstance(v, Pending) and v.op in ("conv2d", "depthwise_conv2d") and len(v.tshape) == 4
    if not ok or axis % 4 != 1 or np.unique(zp).size != 1 or dtype not in ETYPE:
        raise im.unsupported("an activation quantized per channel; tinygen takes one only as a convolution's "
                             "output along its channels, with one zero point")
    channels = v.tshape[1]
    one = qparams_of(scale.reshape(-1)[:1], zp.reshape(-1)[:1], dtype)
    q = QParams(np.broadcast_to(scale.reshape(-1), (channels,)), np.full(channels, int(one.zero_point[0])), axis=3)
    return materialize(im, v, q, ETYPE[dtype])


def lut(im: Importer, view: View, q: QParams) -> Act:
    src = view.src
    table = lut_table(grid(im, src), view.fns, q)
    if np.array_equal(table, np.arange(-128, 128)) and grid(im, src).same_as(q):
        return src
    what = " then ".join(w for w, _ in view.fns) or "requantize"
    name = im.emit("lut", "lut", [src.name], ir_of(src.tshape), {}, {"table": by_uint8(table)}, q, dtype=np.int8,
                   source=f"{im.source()} ({what}, by table)")
    return Act(name, src.tshape, src.etype)


def requantize(im: Importer, act: Act, q: QParams) -> Act:
    return act if grid(im, act).same_as(q) else lut(im, View(act), q)


def value_on(im: Importer, v, q: QParams, etype: int = 3) -> Act:
    """Any quantized value as an int8 activation on grid `q` (what QuantizeLinear does)."""
    if isinstance(v, Act):
        return requantize(im, v, q)
    if isinstance(v, View):
        return lut(im, v, q)
    if float_made(v):
        return quantized_value(im, v, q, etype)
    if isinstance(v, Pending):
        if v.stage not in ("done",):
            raise im.unsupported("an integer accumulator (ConvInteger / MatMulInteger) quantized before its "
                                 "scale is applied (Cast, then Mul by the scales)")
        return materialize(im, v, q, etype)
    raise im.unsupported("QuantizeLinear of a value tinygen cannot compute")


def materialize(im: Importer, p: Pending, q: QParams, etype: int = 3) -> Act:
    """The IR node(s) of a pending node whose output is on grid `q`."""
    if p.op == "concat":
        ins = [value_on(im, x, q, etype) for x in p.inputs]
    else:
        inner = operand_grid(q) if p.op in ("add", "sub") else q
        ins = [materialize(im, x, inner, etype) if isinstance(x, Pending) else x for x in p.inputs]
    shape, attrs = ir_of(p.tshape), dict(p.attrs)
    if p.op in WEIGHT_CHANNEL_AXIS:
        return Act(_mac_node(im, p, ins[0], q), p.tshape, etype)
    if p.op in ("add", "mul", "sub"):
        attrs["act_min"], attrs["act_max"] = clamp_bounds(p.activation, q)
        params = {}
        if "operand" in p.params:
            params["operand"] = _operand(im, p.params["operand"], len(p.tshape))
        if p.op == "mul":
            # onnxruntime's QLinearMul: (a - za)(b - zb) * float32(float32(a_scale * b_scale) / y_scale), rounded once
            scales = [grid(im, x).scale[0] for x in ins] + ([im.graph.tensor(params["operand"]).qparams.scale[0]]
                                                             if "operand" in params else [])
            real = (np.float32(scales[0]) * np.float32(scales[1])) / np.float32(q.scale[0])
            attrs["requant"] = requant_pair(im, float(real))
        return Act(im.emit(p.op, p.prefix, [x.name for x in ins], shape, attrs, params, q, source=p.source),
                   p.tshape, etype)
    if p.op == "avg_pool2d":
        # onnxruntime's QLinearAveragePool: the real average quantized once, half to even
        # (tg_avg_pool2d_requant_s8, an exact division by the element count)
        real = np.float32(grid(im, ins[0]).scale[0]) / np.float32(q.scale[0])
        if not AVG_POOL_RATIO[0] <= real < AVG_POOL_RATIO[1] or math.prod(attrs["kernel"]) > AVG_POOL_MAX_AREA:
            raise im.unsupported(f"an average pool of {list(attrs['kernel'])} with input scale / output scale {real:g}: "
                                 f"tinygen takes windows up to {AVG_POOL_MAX_AREA} elements, ratios from 2^-15 "
                                 "below 2^8")
        attrs["act_min"], attrs["act_max"] = clamp_bounds(p.activation, q)
        if not tflite_average(grid(im, ins[0]), q, attrs):
            attrs["requant"] = quantize_multiplier(float(real))
    if p.op == "softmax":
        # on the output grid itself, rounded once (tg_softmax_scaled_s8 where it is not 1/256)
        return Act(im.emit(p.op, p.prefix, [ins[0].name], shape, attrs, qparams=q, source=p.source), p.tshape,
                   etype)
    if p.op == "mean":
        # onnxruntime's QLinearGlobalAveragePool: (sum - N zp) * float32(x_scale / (y_scale * N)), rounded once
        n = math.prod(ir_of(ins[0].tshape)[a] for a in attrs["axes"])
        x = grid(im, ins[0])
        real = np.float32(x.scale[0]) / (np.float32(q.scale[0]) * np.float32(n))
        attrs["requant"] = requant_pair(im, float(real))
    if p.op == "pad" and "pad_real" in attrs:
        attrs["pad_value"] = int(quantize_half_even(np.float32(attrs.pop("pad_real")), q))
    if p.op == "clamp":
        attrs["act_min"], attrs["act_max"] = clamp_bounds((attrs["lo"], attrs["hi"]), q)
    return Act(im.emit(p.op, p.prefix, [x.name for x in ins], shape, attrs, qparams=q, source=p.source),
               p.tshape, etype)


def operand_grid(q: QParams) -> QParams:
    """The grid of a float operand of an Add / Sub (a Conv -> BatchNormalization of a residual
    block, Brevitas' default export) that only its output quantizes: the output's own, or, where
    that holds no negative value (a Relu after the add, zero point -128), twice its scale centred
    on 0: the operand's values of either sign over the output's whole range, none clamped before
    the sum (one more rounding of up to one output step: within 1 LSB in the tests)."""
    if int(q.zero_point[0]) > -128 or q.per_channel:
        return q
    return QParams(q.scale * 2, np.zeros(1, np.int64))


def tflite_average(x: QParams, q: QParams, attrs: dict) -> bool:
    """Whether TFLite's own average pool (tg_avg_pool2d_s8: the sum of the int8 window, divided
    with rounding half away from zero) equals onnxruntime's QLinearAveragePool here: the same grid
    in and out, no padding, and an odd window, whose averages are never exact halves (so that
    half away from zero and half to even agree). The MLPerf KWS DS-CNN's 25 x 5 pooling is one."""
    return (x.same_as(q) and not any(attrs["padding"]) and math.prod(attrs["kernel"]) % 2 == 1)


def _mac_node(im: Importer, p: Pending, x: Act, q: QParams) -> str:
    w: IntWeight = p.params["weight"]
    channels = w.q.shape[WEIGHT_CHANNEL_AXIS[p.op]]
    acc = np.broadcast_to(np.asarray(p.params["acc_scale"], np.float32).reshape(-1), (channels,))
    # onnxruntime's requantization scale, in float32: (x_scale * w_scale) / y_scale
    real = (acc / q.scale.astype(np.float32)).astype(np.float32)
    mults, shifts = zip(*(requant_pair(im, float(r)) for r in real))
    g = im.graph
    base = f"{p.prefix}_{len(g.nodes)}"
    wt = g.add_const(g.unique_name(f"{base}_w"), w.q.astype(np.int8), "int8")
    scales = np.broadcast_to(w.scale.reshape(-1), (channels,)).astype(np.float32)
    wt.qparams = QParams(scales, np.zeros(channels, np.int64), axis=WEIGHT_CHANNEL_AXIS[p.op])
    attrs = dict(p.attrs) | _subbyte(im, x, w, p.op, wt)
    bias = p.params.get("bias")
    bias = np.zeros(channels, np.int64) if bias is None else np.asarray(bias, np.int64)
    if bias.min(initial=0) < -(2 ** 31) or bias.max(initial=0) >= 2 ** 31:
        raise ModelError(f"{im.filename}: {p.source}: a bias leaves int32")
    bt = g.add_const(g.unique_name(f"{base}_b"), bias.astype(np.int32), "int32")
    mt = g.add_const(g.unique_name(f"{base}_mult"), np.array(mults, np.int32), "int32")
    st = g.add_const(g.unique_name(f"{base}_shift"), np.array(shifts, np.int32), "int32")
    bounds = {clamp_bounds(p.activation, QParams(s, q.zero_point[:1])) for s in q.scale}
    if len(bounds) > 1:
        raise im.unsupported(f"a clamp {p.activation} on an output quantized per channel: its bounds differ "
                             "between channels, and tinygen's kernels take one")
    attrs["act_min"], attrs["act_max"] = bounds.pop()
    return im.emit(p.op, p.prefix, [x.name], ir_of(p.tshape), attrs,
                   {"weight": wt.name, "bias": bt.name, "multiplier": mt.name, "shift": st.name}, q, source=p.source)


def _subbyte(im: Importer, x: Act, w: IntWeight, op: str, wt: Tensor) -> dict:
    """The attrs of a MAC op whose weights are 4- or 2-bit codes (a Clip said so: Brevitas' QCDQ
    export) and fit that width (a batch norm folded in may have negated a -8): the low-bit layer
    config tinygen.nn's layers carry (quant_grid.lowbit_config, as QONNX's), its weights stored at
    their width (passes/lower_bits.py packs them) and run by the sub-byte kernels, which compute the
    same accumulator; {} for int8 weights."""
    lo, hi = code_range(w.bits, True, False)
    if w.bits not in SUBBYTE_FORMATS or op == "depthwise_conv2d" or w.q.min(initial=0) < lo or w.q.max(initial=0) > hi:
        return {}
    wt.bits = w.bits
    q = grid(im, x)
    on = Grid(float(q.scale[0]), int(q.zero_point[0]), 8, True)
    return {"lowbit": lowbit_config(on, w.bits, op), "weight_format": SUBBYTE_FORMATS[w.bits]}


def _operand(im: Importer, c: QConst, rank: int) -> str:
    if c.scale.size > 1 or c.zero_point.size > 1:
        raise ModelError(f"{im.filename}: a constant operand quantized per channel: tinygen takes one scale")
    q = qparams_of(c.scale, c.zero_point, c.dtype)
    data = c.q - (128 if c.dtype == "uint8" else 0)
    if data.min(initial=0) < -128 or data.max(initial=0) > 127:
        raise ModelError(f"{im.filename}: constant operand {c.origin} is not 8-bit")
    arr = nchw_constant(data.astype(np.float32), rank).astype(np.int8)
    t = im.graph.add_const(im.graph.unique_name("operand"), arr, "int8")
    t.qparams = q
    return t.name


def clipped_codes(im: Importer, v, lo, hi) -> QConst:
    """Clip of integer codes (Brevitas' QCDQ export: QuantizeLinear -> Clip -> DequantizeLinear of
    the weights): the codes clipped, and their width where the bounds are a signed range's
    (-7..7 or -8..7: 4 bits, -1..1 or -2..1: 2 bits), which DequantizeLinear and the MAC op keep
    (4- and 2-bit weights run the sub-byte kernels, stored at their width)."""
    codes = np.asarray(const_array(v), np.int64)
    bounds = [None if b is None else float(np.asarray(b).reshape(-1)[0]) for b in (lo, hi)]
    if any(b is not None and (np.asarray(b).size != 1 or b != round(b)) for b in bounds):
        raise im.unsupported("a Clip of integer constants with bounds that are not one integer each")
    clipped = np.clip(codes, *[None if b is None else int(b) for b in bounds])
    bits = None if None in bounds else code_bits(int(bounds[0]), int(bounds[1]))
    if isinstance(v, QConst):
        return replace(v, q=clipped, bits=bits)
    dtype = str(np.asarray(v.value).dtype)
    return QConst(clipped, dtype, np.ones(1, np.float32), np.zeros(1, np.int64), None, v.origin, bits)
