"""numpy twins of the float32 kernels that call the C library's transcendental functions
(a float .tflite run as it is): softmax, logistic, tanh and the float LSTM, each TFLite Micro's
float reference kernel in the same order of float32 operations.

TFLite Micro calls libm (std::exp, std::tanh on a float: expf, tanhf), and so do the C kernels.
libms differ: newlib's expf (the arm-none-eabi toolchains, single-precision FPU multilibs) and
glibc's round differently on a fraction of the inputs, and numpy's own exp differs from both
(benchmarks/libm_agreement.py measures it). So this reference calls the host's libm, the one
the tflite-micro package and a host build of the generated C use, through ctypes: on the host
tinygen equals TFLM bit for bit, and on a device its code calls the device's libm exactly
where TFLM built for that device does. Named like the C kernel minus the ``tg_`` prefix."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util

import numpy as np

from tinygen.ref.float32 import F32, FLT_MAX, clamp_values, fully_connected_f32

_LIBM = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
for _name in ("expf", "tanhf", "logf", "cosf", "sinf", "expm1f"):
    getattr(_LIBM, _name).restype = ctypes.c_float
    getattr(_LIBM, _name).argtypes = (ctypes.c_float,)


def host_libm(name: str):
    """The host libm's float function `name`, element by element over an array (numpy's np.exp
    rounds otherwise)."""
    fn = getattr(_LIBM, name)
    ufunc = np.frompyfunc(lambda v: fn(v), 1, 1)

    def call(x) -> np.ndarray:
        x = np.asarray(x, F32)
        return np.asarray(ufunc(x), dtype=np.float64).astype(F32).reshape(x.shape)
    return call


# the libm the twins call, by function name: the host's; use_libm puts another in (a device's
# values, to check that device's build against the reference: tests/libm_probe.py)
LIBM = {"expf": host_libm("expf"), "tanhf": host_libm("tanhf"),
        # the float math operators' (tinygen.ref.mathops_f32: EXP, LOG, COS, SIN, ELU)
        "logf": host_libm("logf"), "cosf": host_libm("cosf"), "sinf": host_libm("sinf"),
        "expm1f": host_libm("expm1f")}


@contextlib.contextmanager
def use_libm(functions: dict):
    """Within the block the twins call `functions` ({"expf": f, "tanhf": g}, each float32
    array -> float32 array) instead of the host libm's."""
    saved = dict(LIBM)
    LIBM.update(functions)
    try:
        yield
    finally:
        LIBM.update(saved)


def expf(x) -> np.ndarray:
    return LIBM["expf"](x)


def tanhf(x) -> np.ndarray:
    return LIBM["tanhf"](x)

# TFLite's reference Logistic on float: 1 above this, exp(x) below the lower cutoff
LOGISTIC_UPPER = F32(16.619047164916992188)
LOGISTIC_LOWER = F32(-9.0)


def softmax_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_softmax_f32 (TFLite reference_ops::Softmax, float): per row, the max by
    std::max from the lowest float; e = expf((x - max) * beta) summed in order from 0; each e / sum.
    float32 [rows, depth]."""
    x = np.asarray(input, F32).reshape(p["rows"], p["depth"])
    top = np.full((p["rows"], 1), -FLT_MAX, F32)
    for c in range(p["depth"]):
        top = np.where(top < x[:, c:c + 1], x[:, c:c + 1], top)
    e = expf((x - top) * F32(p["beta"]))
    total = np.zeros((p["rows"], 1), F32)
    for c in range(p["depth"]):
        total = total + e[:, c:c + 1]
    return (e / total).astype(F32)


def logistic_values(x) -> np.ndarray:
    """TFLite's reference Logistic on float32 values (upper cutoff 1, lower exp(x), else
    1 / (1 + exp(-x)))."""
    x = np.asarray(x, F32)
    with np.errstate(over="ignore"):
        mid = F32(1) / (F32(1) + expf(-x))
        return np.where(x > LOGISTIC_UPPER, F32(1), np.where(x < LOGISTIC_LOWER, expf(x), mid)).astype(F32)


def logistic_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_logistic_f32 (TFLite reference_ops::Logistic, float); float32 [size]."""
    return logistic_values(np.asarray(input, F32).reshape(p["size"]))


def tanh_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_tanh_f32 (TFLite reference_ops::Tanh, float: tanhf); float32 [size]."""
    return tanhf(np.asarray(input, F32).reshape(p["size"]))


_NO_CLAMP = {"act_min": -FLT_MAX, "act_max": FLT_MAX}       # TFLM's kTfLiteActNone range


def lstm_f32(p: dict, input, w_ih, w_hh, bias, h0=None, c0=None, c0_input=None,
             state: dict | None = None) -> np.ndarray:
    """Mirrors tg_lstm_f32 (TFLite Micro lstm_eval's float path, LstmStep): per step and gate
    (i, f, c, o), the input's FULLY_CONNECTED with the gate's bias plus the hidden state's
    without one (total + 0), added; sigmoid (the cell gate: tanh); c = f * c, then + i * g,
    clipped to +-cell_clip where it is > 0; h = tanh(c) * o, the step's output. Every product
    through TFLite's Mul, which clamps to +-FLT_MAX. input float32 [B, T, I]; w_ih [4, H, I],
    w_hh [4, H, H], bias [4, H] in TFLite's gate order; the state {"h", "c"} float32 [B, H]
    carries over where p["stateful"]. Returns float32 [B, T, H]."""
    b_, t_, h_ = p["batches"], p["steps"], p["hidden"]
    state = {} if state is None else state
    if not p["stateful"] or not state:
        state["h"] = np.zeros((b_, h_), F32) if h0 is None else np.asarray(h0, F32).reshape(b_, h_).copy()
        state["c"] = np.zeros((b_, h_), F32) if c0 is None else np.asarray(c0, F32).reshape(b_, h_).copy()
    x = np.asarray(input, F32).reshape(b_, t_, p["input_size"])
    w_ih = np.asarray(w_ih, F32).reshape(4, h_, -1)
    w_hh = np.asarray(w_hh, F32).reshape(4, h_, h_)
    bias = np.asarray(bias, F32).reshape(4, h_)
    fc = {"rows": b_, "out_features": h_, **_NO_CLAMP}
    h, c = state["h"], state["c"]
    out = np.empty((b_, t_, h_), F32)
    for t in range(t_):
        gates = []
        for g in range(4):
            pre = fully_connected_f32({**fc, "in_features": p["input_size"]}, x[:, t], w_ih[g], bias[g])
            pre = pre + fully_connected_f32({**fc, "in_features": h_}, h, w_hh[g], None)
            gates.append(tanhf(pre) if g == 2 else logistic_values(pre))
        i_gate, f_gate, g_gate, o_gate = gates
        c = clamp_values(_NO_CLAMP, f_gate * c) + clamp_values(_NO_CLAMP, i_gate * g_gate)
        if p["cell_clip"] > 0:
            clip = F32(p["cell_clip"])
            c = np.maximum(np.minimum(clip, c), -clip).astype(F32)
        h = clamp_values(_NO_CLAMP, tanhf(c) * o_gate)
        out[:, t] = h
    state["h"], state["c"] = h, c
    return out if p["sequence"] else out[:, -1]
