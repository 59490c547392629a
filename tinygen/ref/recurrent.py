"""Numpy twins of the recurrent kernels (firmware/kernels/recurrent/): the int8 LSTM of
TFLite Micro's UNIDIRECTIONAL_SEQUENCE_LSTM (lstm_eval: int16 gates, int16 cell state on a
power-of-two scale) and its 16x8 variant (int16 activations, int64 sums), tinygen's GRU in the same conventions, and TFLite Micro's int8 SVDF
with its int16 or int8 activation state; and the float LSTM / GRU the float interpreter and the
calibration run.

Every integer twin takes its parameter dict `p` (the C struct's fields), the arrays the C
kernel takes, and `state`: a dict holding the layer's persistent state between calls
("h" int8 [B, H] and "c" int16 [B, H] for the LSTM, "h" for the GRU, "s" int16 or
int8 [B, F * M] for the SVDF), updated in place. An empty dict is a state after
tg_model_reset_state(): it is initialised from h0 / c0 (or zeros) first. A layer that is
not stateful (p["stateful"] == 0) starts from h0 / c0 on every call, as PyTorch does.

The gate arithmetic (tinygen/ref mirrors firmware/kernels/recurrent/tg_kernels_recurrent.h):
- a gate's pre-activation is Q3.12 int16: the input product and the recurrent product,
  each requantized (TFLite MultiplyByQuantizedMultiplier) and saturated to int16, then
  added with saturation;
- sigmoid and tanh are TFLite's int16 LUT functions (reference_integer_ops::Logistic and
  Tanh, input multiplier 3), giving Q0.15;
- products of gates are TFLite's int16 MulElementwise.
"""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.quant.fixedpoint import requantize_s64

INT16_MIN, INT16_MAX = -32768, 32767

# TFLite's integer sigmoid table (tensorflow/lite/kernels/internal/common.h,
# sigmoid_table_uint16): sigmoid(k / 24) in units of 2^-16, k = 0..255, saturated at 65535.
# Data of the reference kernels' arithmetic, tabulated there; the C kernels hold the same 256
# values (firmware/kernels/recurrent/tg_sigmoid_table_s16.c, checked equal by the tests).
SIGMOID_TABLE = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
], dtype=np.int64)

# the gate pre-activations' scale (Q3.12) and the activations' (Q0.15)
GATE_SCALE = 2.0 ** -12
ACTIVATION_SCALE = 2.0 ** -15
# (multiplier, shift) of a product of a Q0.15 value and a value it keeps the scale of: 2^-15
HALF_Q15 = fp.quantize_multiplier(2.0 ** -15)
# the gates' tanh input multiplier and shift: Q3.12 in, multiplier 3 (TFLite's power-of-two case)
GATE_TANH = (3, 0)


# -- the int16 gate functions ------------------------------------------------------------------

def sigmoid_s16(x) -> np.ndarray:
    """Mirrors tg_sigmoid_s16 (TFLite reference_integer_ops::Logistic, int16, input multiplier
    3, no shift): Q3.12 -> Q0.15."""
    return sigmoid_scaled_s16(np.asarray(x, dtype=np.int64) * 3)


def sigmoid_scaled_s16(v) -> np.ndarray:
    """Mirrors tg_sigmoid_scaled_s16: the sigmoid of v on the table's grid (3 * 2^12 is 1.0),
    Q0.15 out."""
    v = np.asarray(v, dtype=np.int64)
    a = np.abs(v)
    uh = a >> 9
    k = np.minimum(uh, 254)
    ua, ub = SIGMOID_TABLE[k], SIGMOID_TABLE[k + 1]
    r = np.where(uh >= 255, 0x7FFF << 10, (ua << 9) + (a & 0x1FF) * (ub - ua))
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1)
    return (r >> 10).astype(np.int16)


def tanh_s16(x, multiplier: int, shift: int) -> np.ndarray:
    """Mirrors tg_tanh_s16 (TFLite reference_integer_ops::Tanh, int16): the input times
    `multiplier`, rounded right by `shift`, then the table; Q0.15 out."""
    rnd = (1 << (shift - 1)) if shift > 0 else 0
    v = (np.asarray(x, dtype=np.int64) * multiplier + rnd) >> shift
    a = np.abs(v)
    uh = a >> 8
    k = np.minimum(uh, 254)
    ua, ub = SIGMOID_TABLE[k], SIGMOID_TABLE[k + 1]
    r = np.where(uh >= 255, 0xFFFF << 8, (ua << 8) + (a & 0xFF) * (ub - ua))
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return (r >> 8).astype(np.int16)


def tanh_params(cell_scale_power: int) -> tuple[int, int]:
    """(multiplier, shift) of the cell state's tanh for a cell scale of 2^cell_scale_power
    (TFLite Micro lstm_internal::Tanh: left shift 15 + power - 3, multiplier 3 << it where
    it is not negative, else multiplier 3 and a rounding right shift)."""
    left = 15 + cell_scale_power - 3
    return (3 << left, 0) if left >= 0 else (3, -left)


def _mbqm(acc, multiplier: int, shift: int) -> np.ndarray:
    return fp.multiply_by_quantized_multiplier(np.asarray(acc, dtype=np.int64), multiplier, shift)


def _fc16(v, w, bias, offset: int, multiplier: int, shift: int, wide: bool = False) -> np.ndarray:
    """int8 vectors [B, K] (plus offset) by int8 rows [N, K] (+ bias), requantized, int16
    saturated: TFLite's int8 FULLY_CONNECTED with an int16 output. `wide`: int16 vectors, the sum
    in int64 with an int64 bias, requantized as TFLite's MultiplyByQuantizedMultiplier for int64
    (the 16x8 FULLY_CONNECTED TFLite Micro's int16 LSTM runs)."""
    acc = (np.asarray(v, np.int64) + offset) @ np.asarray(w, np.int64).T
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    scaled = requantize_s64(acc, multiplier, shift) if wide else _mbqm(acc, multiplier, shift)
    return np.clip(scaled, INT16_MIN, INT16_MAX)


def _mul(a, b, multiplier: int, shift: int, lo: int, hi: int, offset: int = 0) -> np.ndarray:
    """TFLite MulElementwise of two int16 operands (offsets 0)."""
    prod = np.asarray(a, np.int64) * np.asarray(b, np.int64)
    return np.clip(offset + _mbqm(prod, multiplier, shift), lo, hi)


def _sat16(x) -> np.ndarray:
    return np.clip(x, INT16_MIN, INT16_MAX)


# -- LSTM ----------------------------------------------------------------------------------------

def _init_state(p: dict, state: dict | None, shapes: dict, inits: dict) -> dict:
    """The state to run from: `state` (kept between calls) where the layer is stateful and it
    holds one, else a fresh one from the initial values (zeros, or h's zero point)."""
    state = {} if state is None else state
    if not p["stateful"] or not state:
        for key, (shape, dtype, fill) in shapes.items():
            init = inits.get(key)
            state[key] = (np.full(shape, fill, dtype) if init is None
                          else np.asarray(init, dtype).reshape(shape).copy())
    return state


def lstm_s8(p: dict, input, w_ih, w_hh, bias, h0=None, c0=None, c0_input=None,
            state: dict | None = None) -> np.ndarray:
    """Mirrors tg_lstm_s8. input int8 [B, T, I]; w_ih int8 [4, H, I], w_hh int8 [4, H, H], bias
    int32 [4, H], gates in PyTorch's order (input, forget, cell, output); h0 int8 [B, H] and c0
    int16 [B, H] or None. Returns int8 [B, T, H] (p["sequence"]) or the last step [B, H]."""
    return _lstm(p, input, w_ih, w_hh, bias, h0, c0, c0_input, state, np.int8)


def lstm_s16(p: dict, input, w_ih, w_hh, bias, h0=None, c0=None, c0_input=None,
             state: dict | None = None) -> np.ndarray:
    """Mirrors tg_lstm_s16 (TFLite Micro's 16x8 LSTM): lstm_s8 with int16 input, hidden state h0 and
    output, int64 biases, each gate product summed in int64 and requantized as TFLite does an
    int64 sum."""
    return _lstm(p, input, w_ih, w_hh, bias, h0, c0, c0_input, state, np.int16)


def _lstm(p: dict, input, w_ih, w_hh, bias, h0, c0, c0_input, state: dict | None, act_type) -> np.ndarray:
    """The integer LSTM over activations of `act_type` (np.int8: 8x8_16, np.int16: 16x8_16)."""
    b_, t_, h_ = p["batches"], p["steps"], p["hidden"]
    wide, info = act_type == np.int16, np.iinfo(act_type)
    if c0 is None and c0_input is not None:     # an int8 input on its own grid, onto the cell's
        c0 = _sat16(_mbqm(np.asarray(c0_input, np.int64) + p["c0_offset"], p["c0_mult"], p["c0_shift"]))
    st = _init_state(p, state, {"h": ((b_, h_), act_type, p["hidden_zero_point"]), "c": ((b_, h_), np.int16, 0)},
                     {"h": h0, "c": c0})
    x = np.asarray(input, np.int64).reshape(b_, t_, p["input_size"])
    w_ih = np.asarray(w_ih).reshape(4, h_, -1)
    w_hh = np.asarray(w_hh).reshape(4, h_, h_)
    bias = np.asarray(bias).reshape(4, h_)
    h, c = st["h"].astype(np.int64), st["c"].astype(np.int64)
    out = np.empty((b_, t_, h_), act_type)
    for t in range(t_):
        pre = [_sat16(_fc16(x[:, t], w_ih[g], bias[g], p["input_offset"], p["in_mult"][g], p["in_shift"][g], wide)
                      + _fc16(h, w_hh[g], None, p["hidden_offset"], p["rec_mult"][g], p["rec_shift"][g], wide))
               for g in range(4)]
        i_gate, f_gate, o_gate = sigmoid_s16(pre[0]), sigmoid_s16(pre[1]), sigmoid_s16(pre[3])
        g_gate = tanh_s16(pre[2], *GATE_TANH)
        c = _mul(f_gate, c, p["forget_mult"], p["forget_shift"], INT16_MIN, INT16_MAX)
        c = _sat16(c + _mul(i_gate, g_gate, p["cell_mult"], p["cell_shift"], INT16_MIN, INT16_MAX))
        if p["cell_clip"] > 0:
            c = np.clip(c, -p["cell_clip"], p["cell_clip"])
        h = _mul(tanh_s16(c, p["tanh_mult"], p["tanh_shift"]), o_gate, p["output_mult"], p["output_shift"],
                 info.min, info.max, p["hidden_zero_point"])
        out[:, t] = h
    st["h"], st["c"] = h.astype(act_type), c.astype(np.int16)
    return out if p["sequence"] else out[:, -1]


# -- GRU -------------------------------------------------------------------------------------------

def gru_s8(p: dict, input, w_ih, w_hh, bias, h0=None, state: dict | None = None) -> np.ndarray:
    """Mirrors tg_gru_s8. input int8 [B, T, I]; w_ih int8 [3, H, I], w_hh int8 [3, H, H] (gates
    reset, update, new: PyTorch's order); bias int32 [4, H]: the input side's three (reset and
    update with their recurrent biases folded in) and the new gate's recurrent bias b_hn."""
    b_, t_, h_ = p["batches"], p["steps"], p["hidden"]
    zp = p["hidden_zero_point"]
    st = _init_state(p, state, {"h": ((b_, h_), np.int8, zp)}, {"h": h0})
    x = np.asarray(input, np.int64).reshape(b_, t_, p["input_size"])
    w_ih = np.asarray(w_ih).reshape(3, h_, -1)
    w_hh = np.asarray(w_hh).reshape(3, h_, h_)
    bias = np.asarray(bias).reshape(4, h_)
    h = st["h"].astype(np.int64)
    out = np.empty((b_, t_, h_), np.int8)
    for t in range(t_):
        xs = [_fc16(x[:, t], w_ih[g], bias[g], p["input_offset"], p["in_mult"][g], p["in_shift"][g]) for g in range(3)]
        hs = [_fc16(h, w_hh[g], bias[3] if g == 2 else None, p["hidden_offset"], p["rec_mult"][g], p["rec_shift"][g])
              for g in range(3)]
        r = sigmoid_s16(_sat16(xs[0] + hs[0]))
        z = sigmoid_s16(_sat16(xs[1] + hs[1])).astype(np.int64)
        rn = _mul(r, hs[2], *HALF_Q15, INT16_MIN, INT16_MAX)
        n = tanh_s16(_sat16(xs[2] + rn), *GATE_TANH).astype(np.int64)
        keep = _mbqm((32768 - z) * n, p["output_mult"], p["output_shift"])
        carry = _mbqm(z * (h - zp), *HALF_Q15)
        h = np.clip(zp + keep + carry, -128, 127)
        out[:, t] = h
    st["h"] = h.astype(np.int8)
    return out if p["sequence"] else out[:, -1]


# -- SVDF -----------------------------------------------------------------------------------------

def _svdf(p: dict, input, weights_feature, weights_time, bias, state: dict | None, state_type) -> np.ndarray:
    """TFLite Micro's EvalIntegerSvdfReference with time weights and state of `state_type`
    (np.int16 or np.int8): the feature product saturated to the state type's range, plus the
    state's zero point, stored in the state type (it wraps there, as in TFLite Micro)."""
    b_, f_, m_ = p["batches"], p["filters"], p["memory"]
    # TFLite Micro resets an int8 variable tensor to its zero point, an int16 one to 0
    fill = p["state_zero_point"] if state_type == np.int8 else 0
    st = _init_state(p, state, {"s": ((b_, f_ * m_), state_type, fill)}, {})
    info = np.iinfo(state_type)
    s = st["s"].reshape(-1).astype(np.int64)
    s[:-1] = s[1:].copy()                  # every value one place down, across filters too
    s = s.reshape(b_, f_, m_)
    x = np.asarray(input, np.int64).reshape(b_, p["input_size"])
    dot = (x - p["input_zero_point"]) @ np.asarray(weights_feature, np.int64).reshape(f_, -1).T
    newest = p["state_zero_point"] + np.clip(_mbqm(dot, p["mult1"], p["shift1"]), info.min, info.max)
    s[:, :, m_ - 1] = newest.astype(state_type)          # wraps where the zero point pushes it out
    wt = np.asarray(weights_time, np.int64).reshape(f_, m_)
    per_filter = np.sum(wt[None] * (s - p["state_zero_point"]), axis=2)          # [B, F]
    acc = per_filter.reshape(b_, p["units"], p["rank"]).sum(axis=2)
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    out = np.clip(_mbqm(acc, p["mult2"], p["shift2"]) + p["output_zero_point"], -128, 127)
    st["s"] = s.reshape(b_, f_ * m_).astype(state_type)
    return out.astype(np.int8)


def svdf_s8(p: dict, input, weights_feature, weights_time, bias=None, state: dict | None = None) -> np.ndarray:
    """Mirrors tg_svdf_s8 (TFLite Micro EvalIntegerSvdfReference, int16 state and time
    weights). input int8 [B, I]; weights_feature int8 [F, I]; weights_time int16 [F, M]; bias
    int32 [U] or None; state "s" int16 [B, F * M]. Returns int8 [B, U]. As in TFLite Micro the
    fused activation is not applied to the integer output."""
    return _svdf(p, input, weights_feature, weights_time, bias, state, np.int16)


def svdf_s8_s8(p: dict, input, weights_feature, weights_time, bias=None, state: dict | None = None) -> np.ndarray:
    """Mirrors tg_svdf_s8_s8 (TFLite Micro EvalInt8SvdfReference): svdf_s8 with int8 time weights
    [F, M] and an int8 state "s" [B, F * M] on a grid with a zero point, reset to that zero point."""
    return _svdf(p, input, weights_feature, weights_time, bias, state, np.int8)


# -- float ---------------------------------------------------------------------------------------

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_float(x, w_ih, w_hh, bias, h0=None, c0=None) -> tuple[np.ndarray, np.ndarray]:
    """A float LSTM layer (PyTorch's arithmetic, gates i, f, g, o) over x [N, T, I]: every
    step's h and c, each [N, T, H]."""
    n, t_, _ = x.shape
    hdim = w_hh.shape[-1]
    w_ih, w_hh = np.asarray(w_ih, np.float64).reshape(4 * hdim, -1), np.asarray(w_hh, np.float64).reshape(4 * hdim, hdim)
    h = np.zeros((n, hdim)) if h0 is None else np.broadcast_to(np.asarray(h0, np.float64).reshape(-1, hdim), (n, hdim))
    c = np.zeros((n, hdim)) if c0 is None else np.broadcast_to(np.asarray(c0, np.float64).reshape(-1, hdim), (n, hdim))
    hs, cs = np.empty((n, t_, hdim)), np.empty((n, t_, hdim))
    for t in range(t_):
        g = x[:, t].astype(np.float64) @ w_ih.T + h @ w_hh.T + np.asarray(bias, np.float64).reshape(-1)
        i, f, gg, o = np.split(g, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(gg)
        h = _sigmoid(o) * np.tanh(c)
        hs[:, t], cs[:, t] = h, c
    return hs, cs


def gru_float(x, w_ih, w_hh, b_ih, b_hh, h0=None) -> np.ndarray:
    """A float GRU layer (PyTorch's arithmetic, gates r, z, n) over x [N, T, I]: every step's h."""
    n, t_, _ = x.shape
    hdim = w_hh.shape[-1]
    w_ih, w_hh = np.asarray(w_ih, np.float64).reshape(3 * hdim, -1), np.asarray(w_hh, np.float64).reshape(3 * hdim, hdim)
    h = np.zeros((n, hdim)) if h0 is None else np.broadcast_to(np.asarray(h0, np.float64).reshape(-1, hdim), (n, hdim))
    hs = np.empty((n, t_, hdim))
    for t in range(t_):
        gi = x[:, t].astype(np.float64) @ w_ih.T + np.asarray(b_ih, np.float64).reshape(-1)
        gh = h @ w_hh.T + np.asarray(b_hh, np.float64).reshape(-1)
        ir, iz, i_n = np.split(gi, 3, axis=1)
        hr, hz, h_n = np.split(gh, 3, axis=1)
        r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
        nn_ = np.tanh(i_n + r * h_n)
        h = (1 - z) * nn_ + z * h
        hs[:, t] = h
    return hs


def recurrent_ranges(graph, node, values: dict) -> tuple[float, float, float]:
    """(least h, largest h, largest |c|) of an LSTM / GRU node over every step of a calibration
    batch (`values`: the float interpreter's tensors); |c| is 0 for a GRU."""
    x = values[node.inputs[0]]
    x = x.reshape(x.shape[0], *graph.tensors[node.inputs[0]].shape[1:])
    consts = {role: graph.tensors[name].data for role, name in node.params[0].items()}
    extra = [values[t] for t in node.inputs[1:]]
    if node.op == "lstm":
        h0, c0 = extra if extra else (consts.get("h0"), consts.get("c0"))
        hs, cs = lstm_float(x, consts["w_ih"], consts["w_hh"], consts["bias"], h0, c0)
        c_max = float(np.max(np.abs(cs)))
    else:
        h0 = extra[0] if extra else consts.get("h0")
        hs, c_max = gru_float(x, consts["w_ih"], consts["w_hh"], consts["b_ih"], consts["b_hh"], h0), 0.0
    lo, hi = float(hs.min()), float(hs.max())
    if h0 is not None:
        lo, hi = min(lo, float(np.min(h0))), max(hi, float(np.max(h0)))
    return lo, hi, c_max


def call_recurrent(fn, graph, node, values: dict, p: dict, state: dict | None, switch: int = 0) -> np.ndarray:
    """Run a recurrent layer's twin `fn` on the reference interpreter's values: its input, its
    initial state from the node's inputs (h0, c0 as an int8 input) or constants, its weights."""
    consts = {role: graph.const(node, role, switch) for role in node.params[switch]}
    x = values[node.inputs[0]]
    if node.op == "svdf":
        return fn(p, x, consts["weights_feature"], consts["weights_time"], consts.get("bias"), state=state)
    h0 = values[node.inputs[1]] if len(node.inputs) > 1 else consts.get("h0")
    if node.op == "gru":
        return fn(p, x, consts["w_ih"], consts["w_hh"], consts["bias"], h0, state=state)
    c0_input = values[node.inputs[2]] if len(node.inputs) > 2 else None
    return fn(p, x, consts["w_ih"], consts["w_hh"], consts["bias"], h0, consts.get("c0"), c0_input, state=state)
