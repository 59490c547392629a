"""Low-bit quantizers: integer weights, weight scales and activation grids.

The one implementation of firmware/kernels/lowbit/LOWBIT.md's quantizer tables, in numpy
(no torch): `tinygen.nn`'s layers call it in training and eval mode, the compiler
calls it when it lowers a layer. Every weight quantizer maps float weights
`w[O, ...]` (output channel first: OIHW or [O, I]) to integer weights `W` (same
shape) and per-output-channel float32 scales `s_w[O]`; the real weight is
`s_w[o] * W`. Rounding is `round_half_away` (TFLite's std::round) throughout.

Weight kinds (`WeightQuant.kind`):

* ``int8``: W in [-127, 127], s_w = per channel max|w| / 127.
* ``uniform`` k = 4, 2: W in [-(2^(k-1)-1), 2^(k-1)-1], s_w = per channel max|w| / (2^(k-1)-1).
* ``dorefa`` k = 4, 2: DoReFa's tanh quantizer, n = round((2^k-1) (tanh w / (2 max|tanh w|) + 1/2)),
  W = 2n - (2^k-1) (odd), s_w = 1 / (2^k-1) for every channel.
* ``binary``: W = sign(w) (sign(0) = +1) and s_w = alpha: ``none`` 1, ``layer`` mean|w|,
  ``channel`` per channel mean|w|. With ``alpha_bits`` = k the alphas lie on a k-bit grid:
  base = max alpha / (2^k-1), alpha = base * n, n = round(alpha / base) in [1, 2^k-1].
  ``kernel``: one alpha per kernel w[o, i] (mean|w[o, i]|, needs alpha_bits = k): base[o] =
  max_i alpha[o, i] / (2^k-1), n = round(alpha / base[o]) in [0, 2^k-1], W = n * sign(w),
  s_w[o] = base[o]; W spans k+1 bits.
* ``pow2`` b bits, ``zero=True``: |W| in {0} + {2^(e-1), e in [1, 2^(b-1)-1]}, s_w = per channel
  max|w| / 2^(2^(b-1)-2); ``zero=False``: |W| = 2^e, e in [0, 2^(b-1)-1], s_w = max|w| / 2^(2^(b-1)-1).
  |w| / s_w goes to the nearest allowed magnitude (linear distance; ties away from zero).
* ``ternary`` (TWN): W = sign(w) where |w| > 0.7 mean|w| (per channel), else 0; s_w = per channel
  mean of |w| over the kept weights. Stored and compiled exactly as ``uniform`` k = 2.
* ``nested`` k bits of ``top`` = K (default 8; switchable precision, tinygen.nn.switchable): the
  top codes C are symmetric per channel K-bit (K = 8: exactly ``int8``'s C in [-127, 127],
  s_K = absmax / 127); the k-bit weights are C's k most significant bits as a two's-complement
  number: k >= 2: W = floor(C / 2^(K-k)) (arithmetic shift, W in [-2^(k-1), 2^(k-1)-1]),
  s_w = s_K * 2^(K-k); k = 1: W = +1 where C >= 0, -1 where C < 0 (C's sign bit, the binary
  code), s_w = per channel mean|w| (binary alpha "channel"). So every lower switch's stored
  bits are the top bits of the top switch's codes (`nested_codes`).

Scales are never 0: a channel whose weights are all zero gets s_w = 1 (as int8's
`weight_scales`), so W = real / s_w always recovers the integers.

Activation grids (the input of a layer): ``int8`` q in [-128, 127], real = s (q - zp),
(s, zp) from a range by TFLite's rule (`params.activation_qparams`); ``uniform`` k-bit
ReLU clip, s = clip / (2^k-1), zp = 0, q in [0, 2^k-1]; ``binary`` q = +1 if x >= 0 else
-1, (s, zp) = (1, 0).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from tinygen.errors import ModelError
from tinygen.quant.params import activation_qparams, round_half_away, weight_scales
from tinygen.quant.spec import ACT_QMAX, ACT_QMIN, WEIGHT_QMAX

WEIGHT_KINDS = ("int8", "uniform", "dorefa", "binary", "pow2", "ternary", "nested")
ALPHA_MODES = ("none", "layer", "channel", "kernel")
ACT_KINDS = ("int8", "uniform", "binary")
SUBBYTE_BITS = (2, 4)          # uniform / dorefa weights and uniform activations
POW2_BITS = range(3, 9)
TWN_THRESHOLD = 0.7            # ternary: |w| > 0.7 mean|w| is kept (Li & Liu, TWN)
NESTED_BITS = (1, 2, 4, 8)     # nested: the switch widths the storage formats hold
NESTED_TOP = range(2, 9)       # nested: the top code width K


def _spec_error(what: str, hint: str) -> ModelError:
    return ModelError(what, hint=hint)


@dataclass(frozen=True)
class WeightQuant:
    """A layer's weight quantizer (see the module docstring for each kind).

    bits: the code width (int8 8, uniform / dorefa 2 or 4, binary 1, pow2 3-8,
    ternary 2, nested 1, 2, 4 or 8 up to top); left None it takes the kind's default (uniform /
    dorefa 4, pow2 4, nested top). alpha, alpha_bits: binary only. zero: pow2 only (whether 0 is
    a weight value). top: nested only, the width K of the codes the k bits are taken from
    (default 8).
    """

    kind: str = "int8"
    bits: int | None = None
    alpha: str = "none"
    alpha_bits: int | None = None
    zero: bool = True
    top: int | None = None

    def __post_init__(self):
        if self.kind == "nested":
            self._check_nested()
        elif self.top is not None:
            raise _spec_error(f"top is for nested weights, not {self.kind}", "leave top=None")
        defaults = {"int8": 8, "uniform": 4, "dorefa": 4, "binary": 1, "pow2": 4, "ternary": 2,
                    "nested": self.top}
        if self.kind not in WEIGHT_KINDS:
            raise _spec_error(f"unknown weight quantizer kind {self.kind!r}",
                              f"use one of {', '.join(WEIGHT_KINDS)}")
        if self.bits is None:
            object.__setattr__(self, "bits", defaults[self.kind])
        allowed = {"uniform": SUBBYTE_BITS, "dorefa": SUBBYTE_BITS, "pow2": POW2_BITS,
                   "nested": sorted({b for b in NESTED_BITS if b <= (self.top or 0)} | {self.top})}.get(
            self.kind, (defaults[self.kind],))
        if self.bits not in allowed:
            raise _spec_error(f"{self.kind} weights cannot have {self.bits} bits",
                              f"use bits in {list(allowed)}")
        if self.alpha not in ALPHA_MODES:
            raise _spec_error(f"unknown binary scaling alpha={self.alpha!r}", f"use one of {ALPHA_MODES}")
        if self.kind != "binary" and (self.alpha != "none" or self.alpha_bits is not None):
            raise _spec_error(f"alpha / alpha_bits are for binary weights, not {self.kind}",
                              "leave alpha='none' and alpha_bits=None")
        if self.alpha_bits is not None and not 1 <= self.alpha_bits <= 7:
            raise _spec_error(f"alpha_bits={self.alpha_bits} is out of range", "use 1 to 7 bits")
        if self.alpha == "kernel" and self.alpha_bits is None:
            raise _spec_error("kernel-wise alpha needs alpha_bits (the alphas are integers n * base)",
                              "give alpha_bits=k, e.g. 2 or 3")
        if self.alpha == "none" and self.alpha_bits is not None:
            raise _spec_error("alpha_bits without an alpha", "choose alpha='layer', 'channel' or 'kernel'")

    def _check_nested(self) -> None:
        if self.top is None:
            object.__setattr__(self, "top", 8)
        if self.top not in NESTED_TOP:
            raise _spec_error(f"nested weights cannot take their bits from {self.top}-bit codes",
                              f"use top in {list(NESTED_TOP)} (8: int8's codes)")

    @property
    def storage_bits(self) -> int:
        """Bits per stored weight code (kernel-wise binary: k+1, the integer n * sign)."""
        return self.alpha_bits + 1 if self.alpha == "kernel" else self.bits

    def as_dict(self) -> dict:
        """The fields as a dict (the op config's "weight"); "top" only for nested weights."""
        d = asdict(self)
        if self.kind != "nested":
            del d["top"]
        return d


def weight_range(spec: WeightQuant) -> tuple[int, int]:
    """The smallest and largest integer weight W the quantizer produces."""
    if spec.kind == "int8":
        return -WEIGHT_QMAX, WEIGHT_QMAX
    if spec.kind == "uniform":
        return -(2 ** (spec.bits - 1) - 1), 2 ** (spec.bits - 1) - 1
    if spec.kind == "dorefa":
        return -(2 ** spec.bits - 1), 2 ** spec.bits - 1
    if spec.kind == "binary":
        top = 2 ** spec.alpha_bits - 1 if spec.alpha == "kernel" else 1
        return -top, top
    if spec.kind == "pow2":
        top = 2 ** (_pow2_top_exponent(spec) - (1 if spec.zero else 0))
        return -top, top
    if spec.kind == "nested":
        if spec.bits == 1:
            return -1, 1
        if spec.bits == spec.top:
            return -(2 ** (spec.top - 1) - 1), 2 ** (spec.top - 1) - 1
        return -(2 ** (spec.bits - 1)), 2 ** (spec.bits - 1) - 1
    return -1, 1  # ternary


def quantize_weights(w: np.ndarray, spec: WeightQuant) -> tuple[np.ndarray, np.ndarray]:
    """Float weights [O, ...] -> (integer weights W, int64, same shape; scales s_w, float32 [O])."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim < 2:
        raise _spec_error(f"weights of shape {w.shape} have no output-channel axis",
                          "pass OIHW convolution or [O, I] linear weights")
    if not np.isfinite(w).all():
        raise _spec_error("weights contain NaN or Inf", "check the training run that produced them")
    fn = {"int8": _int8, "uniform": _uniform, "dorefa": _dorefa, "binary": _binary,
          "pow2": _pow2, "ternary": _ternary, "nested": _nested}[spec.kind]
    W, s = fn(w, spec)
    return W.astype(np.int64), np.asarray(s, dtype=np.float32)


def _per_channel(w: np.ndarray, fn) -> np.ndarray:
    return fn(np.abs(w).reshape(w.shape[0], -1), axis=1)


def _bcast(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.asarray(s, dtype=np.float64).reshape((-1,) + (1,) * (w.ndim - 1))


def _nonzero_scale(s: np.ndarray) -> np.ndarray:
    s = np.asarray(s, dtype=np.float32)
    return np.where(s > 0, s, np.float32(1.0)).astype(np.float32)


def _int8(w, spec):
    s = weight_scales(w, axis=0)
    return np.clip(round_half_away(w / _bcast(s, w)), -WEIGHT_QMAX, WEIGHT_QMAX), s


def _uniform(w, spec):
    qmax = 2 ** (spec.bits - 1) - 1
    s = _nonzero_scale(_per_channel(w, np.max) / qmax)
    return np.clip(round_half_away(w / _bcast(s, w)), -qmax, qmax), s


def _dorefa(w, spec):
    levels = 2 ** spec.bits - 1
    t = np.tanh(w)
    m = np.max(np.abs(t)) or 1.0
    n = np.clip(round_half_away(levels * (t / (2 * m) + 0.5)), 0, levels)
    return 2 * n - levels, np.full(w.shape[0], 1.0 / levels, np.float32)


def _sign(w):
    return np.where(w >= 0, 1.0, -1.0)


def _binary(w, spec):
    sign = _sign(w)
    if spec.alpha == "none":
        return sign, np.ones(w.shape[0], np.float32)
    if spec.alpha == "kernel":
        kernel = np.abs(w).reshape(w.shape[0], w.shape[1], -1).mean(axis=2)      # [O, I]
        levels = 2 ** spec.alpha_bits - 1
        base = _nonzero_scale(kernel.max(axis=1) / levels)
        n = np.clip(round_half_away(kernel / base[:, None].astype(np.float64)), 0, levels)
        return sign * n.reshape(n.shape + (1,) * (w.ndim - 2)), base
    alpha = np.full(w.shape[0], np.abs(w).mean()) if spec.alpha == "layer" else _per_channel(w, np.mean)
    if spec.alpha_bits is not None:
        levels = 2 ** spec.alpha_bits - 1
        base = float(alpha.max() / levels) or 1.0
        alpha = base * np.clip(round_half_away(alpha / base), 1, levels)
    return sign, _nonzero_scale(alpha)


def _pow2_top_exponent(spec) -> int:
    return 2 ** (spec.bits - 1) - 1       # largest exponent code e


def _pow2(w, spec):
    top = 2.0 ** (_pow2_top_exponent(spec) - (1 if spec.zero else 0))   # largest |W|
    s = _nonzero_scale(_per_channel(w, np.max) / top)
    m = np.abs(w) / _bcast(s, w)
    _, ex = np.frexp(m)                                  # m = f 2^ex, f in [0.5, 1)
    low = np.ldexp(1.0, ex - 1)                          # the power of two at or below m
    mag = np.where(m >= 1.5 * low, 2 * low, low)         # nearest; 1.5 low ties go up
    mag = np.clip(mag, 1.0, top)
    if spec.zero:
        mag = np.where(m < 0.5, 0.0, mag)                # nearer 0 than 1 (0.5 goes to 1)
    return _sign(w) * mag, s


def _ternary(w, spec):
    a = np.abs(w).reshape(w.shape[0], -1)
    keep = a > TWN_THRESHOLD * a.mean(axis=1, keepdims=True)
    kept = np.where(keep, a, 0.0).sum(axis=1) / np.maximum(keep.sum(axis=1), 1)
    W = _sign(w) * keep.reshape(w.shape)
    return W, _nonzero_scale(kept)


def nested_codes(C: np.ndarray, bits: int, top: int) -> np.ndarray:
    """The k = `bits` most significant bits of the `top`-bit codes C as a signed integer:
    floor(C / 2^(top-bits)) (k >= 2), +-1 from the sign bit (k = 1)."""
    C = np.asarray(C, dtype=np.int64)
    if bits == 1:
        return np.where(C >= 0, 1, -1).astype(np.int64)
    return C >> (top - bits)


def _nested(w, spec):
    qmax = 2 ** (spec.top - 1) - 1
    s_top = weight_scales(w, axis=0) if spec.top == 8 else _nonzero_scale(_per_channel(w, np.max) / qmax)
    C = np.clip(round_half_away(w / _bcast(s_top, w)), -qmax, qmax).astype(np.int64)
    W = nested_codes(C, spec.bits, spec.top)
    if spec.bits == 1:
        return W, _nonzero_scale(_per_channel(w, np.mean))
    return W, (s_top * np.float32(2.0 ** (spec.top - spec.bits))).astype(np.float32)


# ---------------------------------------------------------------------------
# stored codes (the bit patterns LOWBIT.md's table stores before packing)

def encode_weights(W: np.ndarray, spec: WeightQuant) -> np.ndarray:
    """Integer weights -> unsigned codes of `spec.storage_bits` bits (LOWBIT.md's "stored code")."""
    W = np.asarray(W, dtype=np.int64)
    lo, hi = weight_range(spec)
    if W.size and (W.min() < lo or W.max() > hi):
        raise _spec_error(f"integer weights outside [{lo}, {hi}] for {spec.kind}",
                          "quantize them with tinygen.quant.lowbit.quantize_weights")
    bits = spec.storage_bits
    if (spec.kind == "binary" and spec.alpha != "kernel") or (spec.kind == "nested" and bits == 1):
        return (W < 0).astype(np.int64)
    if spec.kind == "dorefa":
        return ((W - 1) // 2) & (2 ** bits - 1)
    if spec.kind == "pow2":
        mag = np.abs(W)
        e = np.log2(np.maximum(mag, 1)).round().astype(np.int64) + (1 if spec.zero else 0)
        e = np.where(mag == 0, 0, e)
        return ((W < 0).astype(np.int64) << (bits - 1)) | e
    return W & (2 ** bits - 1)                           # two's complement


def decode_weights(codes: np.ndarray, spec: WeightQuant) -> np.ndarray:
    """Stored codes -> integer weights W (the inverse of `encode_weights`)."""
    c = np.asarray(codes, dtype=np.int64)
    bits = spec.storage_bits
    if (spec.kind == "binary" and spec.alpha != "kernel") or (spec.kind == "nested" and bits == 1):
        return 1 - 2 * c
    if spec.kind == "pow2":
        neg, e = c >> (bits - 1), c & (2 ** (bits - 1) - 1)
        mag = np.where(e == 0, 0, 2 ** np.maximum(e - 1, 0)) if spec.zero else 2 ** e
        return np.where(neg == 1, -mag, mag)
    signed = np.where(c >= 2 ** (bits - 1), c - 2 ** bits, c)
    return 2 * signed + 1 if spec.kind == "dorefa" else signed


# ---------------------------------------------------------------------------
# activation grids

def uniform_act_scale(clip: float, bits: int) -> np.float32:
    """The k-bit ReLU-clip grid's scale: clip / (2^k - 1)."""
    if not clip > 0:
        raise _spec_error(f"ReLU clip {clip} must be positive", "initialise the clip to e.g. 1.0 or 6.0")
    return np.float32(float(clip) / (2 ** int(bits) - 1))


def act_qparams(kind: str, bits: int, rmin: float = 0.0, rmax: float = 0.0,
                clip: float | None = None) -> tuple[np.float32, int]:
    """(scale, zero point) of a layer's input grid: int8 from the range [rmin, rmax]
    (TFLite's rule), uniform from the clip, binary (1, 0)."""
    if kind == "int8":
        return activation_qparams(rmin, rmax)
    if kind == "uniform":
        return uniform_act_scale(clip, bits), 0
    if kind == "binary":
        return np.float32(1.0), 0
    raise _spec_error(f"unknown activation quantizer kind {kind!r}", f"use one of {', '.join(ACT_KINDS)}")


def quantize_activations(x: np.ndarray, kind: str, bits: int, scale: float, zero_point: int) -> np.ndarray:
    """Real inputs -> integer codes q (int64) on the layer's input grid."""
    x = np.asarray(x, dtype=np.float64)
    if kind == "binary":
        return np.where(x >= 0, 1, -1).astype(np.int64)
    q = round_half_away(x / np.float64(scale))
    if kind == "int8":
        return np.clip(q + int(zero_point), ACT_QMIN, ACT_QMAX).astype(np.int64)
    if kind == "uniform":
        return np.clip(q, 0, 2 ** int(bits) - 1).astype(np.int64)
    raise _spec_error(f"unknown activation quantizer kind {kind!r}", f"use one of {', '.join(ACT_KINDS)}")


def accumulator_operand(q: np.ndarray, kind: str, zero_point: int) -> np.ndarray:
    """The value a code contributes to the accumulator: q - zp (int8, uniform), +-1 (binary)."""
    return np.asarray(q, np.int64) if kind == "binary" else np.asarray(q, np.int64) - int(zero_point)


def real_output(acc: np.ndarray, s_in: float, s_w: np.ndarray, bias: np.ndarray | None,
                channel_axis: int = 1) -> np.ndarray:
    """LOWBIT.md's real output y = (s_in * s_w[o]) * acc + b[o], in float64, returned as float32."""
    acc = np.asarray(acc, dtype=np.float64)
    shape = [1] * acc.ndim
    shape[channel_axis] = -1
    y = (np.float64(s_in) * np.asarray(s_w, np.float64)).reshape(shape) * acc
    if bias is not None:
        y = y + np.asarray(bias, np.float64).reshape(shape)
    return y.astype(np.float32)
