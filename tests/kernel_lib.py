"""Host build of the C kernels, called through ctypes with the numpy twins' arguments.

`build()` compiles every portable kernel of firmware/kernels/<family>/ (plus a small test shim exporting
the static inline helpers of tg_requant.h over arrays) with the strict flags
below into one shared library; the kernels' objects come from tinygen's object
cache (benchmarks/standin_firmware.py's _objects), so each xdist worker's build
after the first only compiles the shim and links. `KernelLib` then offers one method per kernel,
named like the numpy twin in tinygen.ref.kernels and taking the same
(p dict, arrays) arguments, so a test can call both the same way.

The ctypes Structures are built from tg_kernels.h itself (field names, order
and types), so the header stays the single description of the ABI.
"""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from standin_firmware import KERNEL_INCLUDES, _objects  # noqa: E402,F401

from tinygen.resources import firmware_path, kernel_paths  # noqa: E402

HEADER = firmware_path("kernels/tg_kernels.h")
HEADER_B1 = firmware_path("kernels/tg_kernels_b1.h")
HEADER_SUBBYTE = firmware_path("kernels/tg_kernels_subbyte.h")
HEADER_PLANES = firmware_path("kernels/tg_kernels_planes.h")
HEADER_PACKED = firmware_path("kernels/tg_kernels_packed.h")

CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wconversion",
          "-Wdouble-promotion", "-shared", "-fPIC"]

# exports the static inline helpers of tg_requant.h, one array loop each
_SHIM = r"""
#include <stdint.h>
#include "tg_requant.h"

void tgt_srdhm(const int32_t *a, const int32_t *b, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_saturating_rounding_doubling_high_mul(a[i], b[i]); }

void tgt_rdbpot(const int32_t *x, const int32_t *e, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_rounding_divide_by_pot(x[i], e[i]); }

void tgt_requantize(const int32_t *x, const int32_t *m, const int32_t *s, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_requantize(x[i], m[i], s[i]); }

void tgt_requantize_fast(const int32_t *x, const int32_t *m, const int32_t *s, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_requantize_fast(x[i], m[i], s[i]); }

void tgt_requantize_bounded(const int32_t *x, const int32_t *m, const int32_t *s, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_requantize_bounded(x[i], m[i], s[i]); }

void tgt_requantize_smaller_than_one_exp(const int32_t *x, const int32_t *m, const int32_t *s,
                                         int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_requantize_smaller_than_one_exp(x[i], m[i], s[i]); }

void tgt_exp_on_negative_values(const int32_t *a, int32_t integer_bits, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_exp_on_negative_values(a[i], integer_bits); }

void tgt_one_over_one_plus_x(const int32_t *a, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_one_over_one_plus_x_for_x_in_0_1(a[i]); }

void tgt_logistic_q0(const int32_t *a, int32_t integer_bits, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_logistic_q0(a[i], integer_bits); }

void tgt_tanh_q0(const int32_t *a, int32_t integer_bits, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_tanh_q0(a[i], integer_bits); }

void tgt_one_minus_x_over_one_plus_x(const int32_t *a, int32_t *out, int32_t n)
{ int32_t i; for (i = 0; i < n; ++i) out[i] = tg_one_minus_x_over_one_plus_x_for_x_in_0_1(a[i]); }
"""

_CTYPES = {"int32_t": ctypes.c_int32, "int8_t": ctypes.c_int8, "float": ctypes.c_float}


def parse_structs(header_text: str) -> dict[str, list[tuple[str, object]]]:
    """{struct typedef name: [(field, ctypes type), ...]} from `typedef struct {...} name;`."""
    text = re.sub(r"/\*.*?\*/", "", header_text, flags=re.S)
    structs = {}
    for body, name in re.findall(r"typedef\s+struct\s*\{(.*?)\}\s*(\w+)\s*;", text, flags=re.S):
        fields = []
        for decl in filter(None, (d.strip() for d in body.split(";"))):
            m = re.match(r"(?:const\s+)?(\w+)\s+(.*)", decl, flags=re.S)
            base = _CTYPES[m.group(1)]
            for item in m.group(2).split(","):
                item = item.strip()
                if item.startswith("*"):
                    fields.append((item.lstrip("* "), ctypes.POINTER(base)))
                elif "[" in item:
                    fname, n = re.match(r"(\w+)\s*\[\s*(\d+)\s*\]", item).groups()
                    fields.append((fname, base * int(n)))
                else:
                    fields.append((item, base))
        structs[name] = fields
    return structs


def header_text(path: Path) -> str:
    """A header's text with the headers it includes by quotes from its own folder inlined
    (tg_kernels.h includes tg_kernels_dsp.h and the others that declare its kernels)."""
    path = Path(path)
    return re.sub(r'^#include "(\w+\.h)"$', lambda m: header_text(path.parent / m.group(1))
                  if (path.parent / m.group(1)).is_file() else m.group(0), path.read_text(), flags=re.M)


def build(out_dir: Path) -> Path:
    """Compile all kernels and the test shim into out_dir/libtg_kernels.so."""
    out_dir = Path(out_dir)
    shim = out_dir / "tg_test_shim.c"
    shim.write_text(_SHIM)
    so = out_dir / "libtg_kernels.so"
    # the ISA-specific kernels need their cross compiler: tg_*_dsp.c (tests/kernels/test_kernels_dsp.py),
    # tg_*_mve.c (arm_mve.h, tests/kernels/test_kernels_mve.py)
    sources = [p for p in kernel_paths("*.c") if not p.stem.endswith(("_dsp", "_mve"))] + [shim]
    flags = [f for f in CFLAGS if f != "-shared"] + list(KERNEL_INCLUDES)
    # pytest-xdist's workers build this at the same time: the odd ones compile from the last source on,
    # so that two workers with a cold object cache meet halfway, each then taking the other's objects
    # from the cache, instead of both compiling every kernel (the objects are linked in one order)
    odd = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or 0) % 2
    step = -1 if odd else 1
    try:
        objects = _objects("gcc", flags, sources[::step], out_dir)[::step]
    except RuntimeError as e:
        raise RuntimeError(f"kernel build failed:\n{e}") from None
    cmd = ["gcc", "-shared", *objects, "-o", str(so)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"kernel build failed:\n{' '.join(cmd)}\n{res.stderr}")
    return so


def _ptr(a: np.ndarray, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


def _i8(x) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x).reshape(-1), dtype=np.int8)


def _i32(x) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x).reshape(-1), dtype=np.int32)


class KernelLib:
    """ctypes front end of the compiled kernels; methods mirror tinygen.ref.kernels."""

    def __init__(self, so_path: Path):
        self.lib = ctypes.CDLL(str(so_path))
        self.structs = {
            name: type(name, (ctypes.Structure,), {"_fields_": fields})
            for name, fields in parse_structs(header_text(HEADER) + HEADER_B1.read_text()
                                       + HEADER_SUBBYTE.read_text() + HEADER_PLANES.read_text()
                                       + HEADER_PACKED.read_text()).items()
        }
        self._keep = []

    def _params(self, struct_name: str, p: dict):
        cls = self.structs[struct_name]
        names = [f for f, _ in cls._fields_]
        if "bias_shift" in names:       # the low-bit structs' finer bias: absent is TFLite's 0
            p = {"bias_shift": 0, **p}
        if set(names) != set(p):
            raise KeyError(f"{struct_name}: p has {sorted(p)}, struct has {sorted(names)}")
        s = cls()
        for fname, ftype in cls._fields_:
            v = p[fname]
            if isinstance(ftype, type) and issubclass(ftype, ctypes.Array):
                setattr(s, fname, ftype(*[int(x) for x in v]))
            elif issubclass(ftype, ctypes._Pointer):
                arr = _i32(v)
                self._keep.append(arr)
                setattr(s, fname, _ptr(arr, ctypes.c_int32))
            else:
                setattr(s, fname, int(v))
        return s

    # -- kernels ------------------------------------------------------------

    def _conv_like(self, fn, p, input, weights, bias, multiplier, shift):
        s = self._params("tg_conv2d_params_t", p)
        x, w = _i8(input), _i8(weights)
        m, sh = _i32(multiplier), _i8(shift)
        b = None if bias is None else _i32(bias)
        out = np.zeros(p["out_h"] * p["out_w"] * p["out_c"], dtype=np.int8)
        fn(ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(w, ctypes.c_int8),
           None if b is None else _ptr(b, ctypes.c_int32),
           _ptr(m, ctypes.c_int32), _ptr(sh, ctypes.c_int8), _ptr(out, ctypes.c_int8))
        return out.reshape(p["out_h"], p["out_w"], p["out_c"])

    def conv2d_s8(self, p, input, weights, bias, multiplier, shift):
        return self._conv_like(self.lib.tg_conv2d_s8, p, input, weights, bias, multiplier, shift)

    def depthwise_conv2d_s8(self, p, input, weights, bias, multiplier, shift):
        return self._conv_like(self.lib.tg_depthwise_conv2d_s8, p, input, weights, bias,
                               multiplier, shift)

    def fully_connected_s8(self, p, input, weights, bias, multiplier, shift):
        s = self._params("tg_fully_connected_params_t", p)
        x, w = _i8(input), _i8(weights)
        m, sh = _i32(multiplier), _i8(shift)
        b = None if bias is None else _i32(bias)
        out = np.zeros(p["rows"] * p["out_features"], dtype=np.int8)
        self.lib.tg_fully_connected_s8(
            ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(w, ctypes.c_int8),
            None if b is None else _ptr(b, ctypes.c_int32),
            _ptr(m, ctypes.c_int32), _ptr(sh, ctypes.c_int8), _ptr(out, ctypes.c_int8))
        return out.reshape(p["rows"], p["out_features"])

    def _pool(self, fn, p, input):
        s = self._params("tg_pool2d_params_t", p)
        x = _i8(input)
        out = np.zeros(p["out_h"] * p["out_w"] * p["channels"], dtype=np.int8)
        fn(ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(out, ctypes.c_int8))
        return out.reshape(p["out_h"], p["out_w"], p["channels"])

    def max_pool2d_s8(self, p, input):
        return self._pool(self.lib.tg_max_pool2d_s8, p, input)

    def avg_pool2d_s8(self, p, input):
        return self._pool(self.lib.tg_avg_pool2d_s8, p, input)

    def add_s8(self, p, input1, input2):
        s = self._params("tg_add_params_t", p)
        a, b = _i8(input1), _i8(input2)
        out = np.zeros(p["size"], dtype=np.int8)
        self.lib.tg_add_s8(ctypes.byref(s), _ptr(a, ctypes.c_int8), _ptr(b, ctypes.c_int8),
                           _ptr(out, ctypes.c_int8))
        return out

    def _unary(self, fn, struct_name, p, input, n):
        s = self._params(struct_name, p)
        x = _i8(input)
        out = np.zeros(n, dtype=np.int8)
        fn(ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(out, ctypes.c_int8))
        return out

    def softmax_s8(self, p, input):
        out = self._unary(self.lib.tg_softmax_s8, "tg_softmax_params_t", p, input,
                          p["rows"] * p["depth"])
        return out.reshape(p["rows"], p["depth"])

    def logistic_s8(self, p, input):
        return self._unary(self.lib.tg_logistic_s8, "tg_logistic_params_t", p, input, p["size"])

    def clamp_s8(self, p, input):
        return self._unary(self.lib.tg_clamp_s8, "tg_clamp_params_t", p, input, p["size"])

    def transpose_s8(self, p, input):
        shape = [p["in_shape"][d] for d in p["perm"]]
        out = self._unary(self.lib.tg_transpose_s8, "tg_transpose_params_t", p, input,
                          int(np.prod(shape)))
        return out.reshape(shape)

    def slice_s8(self, p, input):
        out = self._unary(self.lib.tg_slice_s8, "tg_slice_params_t", p, input, p["outer"] * p["size"])
        return out.reshape(p["outer"], p["size"])

    def resize_nearest_s8(self, p, input):
        shape = (p["out_h"], p["out_w"], p["channels"])
        return self._unary(self.lib.tg_resize_nearest_s8, "tg_resize_nearest_params_t", p, input,
                           int(np.prod(shape))).reshape(shape)

    def resize_bilinear_s8(self, p, input):
        shape = (p["out_h"], p["out_w"], p["channels"])
        return self._unary(self.lib.tg_resize_bilinear_s8, "tg_resize_bilinear_params_t", p, input,
                           int(np.prod(shape))).reshape(shape)

    def concat_s8(self, p, inputs):
        s = self._params("tg_concat_params_t", p)
        arrays = [_i8(x) for x in inputs]
        ptrs = (ctypes.POINTER(ctypes.c_int8) * len(arrays))(
            *[_ptr(a, ctypes.c_int8) for a in arrays])
        out = np.zeros(p["outer"] * sum(p["copy_sizes"]), dtype=np.int8)
        self.lib.tg_concat_s8(ctypes.byref(s), ptrs, _ptr(out, ctypes.c_int8))
        self._keep.clear()
        return out

    def _binary(self, fn, struct_name, p, input1, input2):
        s = self._params(struct_name, p)
        a, b = _i8(input1), _i8(input2)
        out = np.zeros(int(np.prod(p["shape"])), dtype=np.int8)
        fn(ctypes.byref(s), _ptr(a, ctypes.c_int8), _ptr(b, ctypes.c_int8), _ptr(out, ctypes.c_int8))
        return out.reshape(p["shape"])

    def add_broadcast_s8(self, p, input1, input2):
        return self._binary(self.lib.tg_add_broadcast_s8, "tg_add_broadcast_params_t", p, input1, input2)

    def mul_s8(self, p, input1, input2):
        return self._binary(self.lib.tg_mul_s8, "tg_mul_params_t", p, input1, input2)

    def pad_s8(self, p, input):
        out = self._unary(self.lib.tg_pad_s8, "tg_pad_params_t", p, input, int(np.prod(p["out_shape"])))
        return out.reshape(p["out_shape"])

    def mean_s8(self, p, input):
        out = self._unary(self.lib.tg_mean_s8, "tg_mean_params_t", p, input, p["outer"] * p["inner"])
        return out.reshape(p["outer"], p["inner"])

    def hard_swish_s8(self, p, input):
        return self._unary(self.lib.tg_hard_swish_s8, "tg_hard_swish_params_t", p, input, p["size"])

    def hard_swish_lut_s8(self, p, input, table):
        s = self._params("tg_hard_swish_params_t", p)
        x, t = _i8(input), _i8(table)
        out = np.zeros(p["size"], dtype=np.int8)
        self.lib.tg_hard_swish_lut_s8(ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(t, ctypes.c_int8),
                                      _ptr(out, ctypes.c_int8))
        return out

    def requantize_s8(self, p, input):
        return self._unary(self.lib.tg_requantize_s8, "tg_requantize_params_t", p, input, p["size"])

    # -- the simpler operators (twins in tinygen.ref.lookup, prelu, slicing) -------

    def lut_s8(self, p, input, table):
        s = self._params("tg_lut_params_t", p)
        x, t = _i8(input), _i8(table)
        out = np.zeros(p["size"], dtype=np.int8)
        self.lib.tg_lut_s8(ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(t, ctypes.c_int8), _ptr(out, ctypes.c_int8))
        return out

    def tanh_s8(self, p, input):
        return self._unary(self.lib.tg_tanh_s8, "tg_tanh_params_t", p, input, p["size"])

    def prelu_s8(self, p, input, alpha):
        return self._binary(self.lib.tg_prelu_s8, "tg_prelu_params_t", p, input, alpha)

    def strided_slice_s8(self, p, input):
        out = self._unary(self.lib.tg_strided_slice_s8, "tg_strided_slice_params_t", p, input,
                          int(np.prod(p["out_shape"])))
        return out.reshape(p["out_shape"])

    def mirror_pad_s8(self, p, input):
        out = self._unary(self.lib.tg_mirror_pad_s8, "tg_mirror_pad_params_t", p, input, int(np.prod(p["out_shape"])))
        return out.reshape(p["out_shape"])

    # -- binary kernels (tg_kernels_b1.h; twins in tinygen.ref.binary) ---------

    def _b1_call(self, name, struct_name, p, args, out_shape, out_dtype):
        s = self._params(struct_name, p)
        c_types = {np.uint32: ctypes.c_uint32, np.int32: ctypes.c_int32, np.int8: ctypes.c_int8}
        arrays = [None if a is None else np.ascontiguousarray(np.asarray(a).reshape(-1), dtype=t)
                  for a, t in args]
        out = np.zeros(int(np.prod(out_shape)), dtype=out_dtype)
        getattr(self.lib, name)(ctypes.byref(s), *[None if a is None else _ptr(a, c_types[a.dtype.type])
                                                   for a in arrays], _ptr(out, c_types[out_dtype]))
        return out.reshape(out_shape)

    def _b1_requant(self, name, struct_name, p, input, in_dtype, weights, w_dtype, bias, multiplier, shift):
        return self._b1_call(name, struct_name, p, [(input, in_dtype), (weights, w_dtype), (bias, np.int32),
                                                    (multiplier, np.int32), (shift, np.int8)],
                             (p["out_h"], p["out_w"], p["out_c"]), np.int8)

    def _b1_threshold(self, name, struct_name, p, input, in_dtype, weights, w_dtype, thresholds):
        return self._b1_call(name, struct_name, p, [(input, in_dtype), (weights, w_dtype), (thresholds, np.int32)],
                             (p["out_h"], p["out_w"], (p["out_c"] + 31) // 32), np.uint32)

    def conv2d_b1_b1_s8(self, p, input, weights, bias, multiplier, shift):
        return self._b1_requant("tg_conv2d_b1_b1_s8", "tg_conv2d_b1_params_t", p, input, np.uint32,
                                weights, np.uint32, bias, multiplier, shift)

    def conv2d_b1_b1_b1(self, p, input, weights, thresholds):
        return self._b1_threshold("tg_conv2d_b1_b1_b1", "tg_conv2d_b1_params_t", p, input, np.uint32,
                                  weights, np.uint32, thresholds)

    def conv2d_s8_b1_s8(self, p, input, weights, bias, multiplier, shift):
        return self._b1_requant("tg_conv2d_s8_b1_s8", "tg_conv2d_params_t", p, input, np.int8,
                                weights, np.uint32, bias, multiplier, shift)

    def conv2d_s8_s8_b1(self, p, input, weights, thresholds):
        return self._b1_threshold("tg_conv2d_s8_s8_b1", "tg_conv2d_params_t", p, input, np.int8,
                                  weights, np.int8, thresholds)

    def conv2d_s8_planes_s8(self, p, input, weights, bias, multiplier, shift):
        return self._b1_requant("tg_conv2d_s8_planes_s8", "tg_conv2d_planes_params_t", p, input, np.int8,
                                weights, np.uint32, bias, multiplier, shift)

    def unpack_b1_s8(self, p, input):
        return self._b1_call("tg_unpack_b1_s8", "tg_unpack_b1_params_t", p, [(input, np.uint32)],
                             (p["pixels"], p["channels"]), np.int8)

    # -- transposed convolution (twin: tinygen.ref.transpose_conv) --------------

    def _transpose_conv(self, fn, p, input, weights, bias, multiplier, shift, weights_ctype=ctypes.c_int8):
        s = self._params("tg_transpose_conv2d_params_t", p)
        x, m, sh = _i8(input), _i32(multiplier), _i8(shift)
        w = _i8(weights) if weights_ctype is ctypes.c_int8 else _i32(weights)
        b = None if bias is None else _i32(bias)
        out = np.zeros(p["out_h"] * p["out_w"] * p["out_c"], dtype=np.int8)
        fn(ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(w, weights_ctype),
           None if b is None else _ptr(b, ctypes.c_int32), _ptr(m, ctypes.c_int32), _ptr(sh, ctypes.c_int8),
           _ptr(out, ctypes.c_int8))
        return out.reshape(p["out_h"], p["out_w"], p["out_c"])

    def transpose_conv2d_s8(self, p, input, weights, bias, multiplier, shift):
        return self._transpose_conv(self.lib.tg_transpose_conv2d_s8, p, input, weights, bias, multiplier, shift)

    def transpose_conv2d_s8_rv32(self, p, input, packed, bias, multiplier, shift):
        """The RV32IM kernel, plain C, built for the host: packed as tinygen.kernels.transpose_conv packs it."""
        return self._transpose_conv(self.lib.tg_transpose_conv2d_s8_rv32, p, input, packed, bias, multiplier, shift,
                                    ctypes.c_int32)

    # -- tg_requant.h helpers (through the test shim) -------------------------

    def _elementwise(self, fn, *arrays, scalar=None):
        arrs = [_i32(a) for a in arrays]
        n = arrs[0].size
        out = np.zeros(n, dtype=np.int32)
        args = [_ptr(a, ctypes.c_int32) for a in arrs]
        if scalar is not None:
            args.append(ctypes.c_int32(scalar))
        fn(*args, _ptr(out, ctypes.c_int32), ctypes.c_int32(n))
        return out.astype(np.int64)

    def srdhm(self, a, b):
        return self._elementwise(self.lib.tgt_srdhm, a, b)

    def rdbpot(self, x, e):
        return self._elementwise(self.lib.tgt_rdbpot, x, e)

    def requantize(self, x, m, s):
        return self._elementwise(self.lib.tgt_requantize, x, m, s)

    def requantize_fast(self, x, m, s):
        return self._elementwise(self.lib.tgt_requantize_fast, x, m, s)

    def requantize_bounded(self, x, m, s):
        return self._elementwise(self.lib.tgt_requantize_bounded, x, m, s)

    def requantize_smaller_than_one_exp(self, x, m, s):
        return self._elementwise(self.lib.tgt_requantize_smaller_than_one_exp, x, m, s)

    def exp_on_negative_values(self, a, integer_bits):
        return self._elementwise(self.lib.tgt_exp_on_negative_values, a, scalar=integer_bits)

    def one_over_one_plus_x(self, a):
        return self._elementwise(self.lib.tgt_one_over_one_plus_x, a)

    def logistic_q0(self, a, integer_bits):
        return self._elementwise(self.lib.tgt_logistic_q0, a, scalar=integer_bits)

    def tanh_q0(self, a, integer_bits):
        return self._elementwise(self.lib.tgt_tanh_q0, a, scalar=integer_bits)

    def one_minus_x_over_one_plus_x(self, a):
        return self._elementwise(self.lib.tgt_one_minus_x_over_one_plus_x, a)

    # -- normalization and attention (tinygen/ref/attention.py) --------------------------------

    def _norm(self, fn, p, input, gamma, *beta):
        """beta: none (RMS norm) or one int32 array or None (NULL)."""
        s = self._params("tg_norm_params_t", p)
        x, g = _i8(input), np.ascontiguousarray(np.asarray(gamma).reshape(-1), dtype=np.int16)
        out = np.zeros(p["rows"] * p["depth"], dtype=np.int8)
        extra = [None if b is None else _ptr(_i32(b), ctypes.c_int32) for b in beta]
        fn(ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(g, ctypes.c_int16), *extra, _ptr(out, ctypes.c_int8))
        return out.reshape(p["rows"], p["depth"])

    def layer_norm_s8(self, p, input, gamma, beta):
        return self._norm(self.lib.tg_layer_norm_s8, p, input, gamma, beta)

    def rms_norm_s8(self, p, input, gamma):
        return self._norm(self.lib.tg_rms_norm_s8, p, input, gamma)

    def rsqrt_s8(self, p, input):
        return self._unary(self.lib.tg_rsqrt_s8, "tg_rsqrt_params_t", p, input, p["size"])

    def batch_matmul_s8(self, p, lhs, rhs):
        s = self._params("tg_batch_matmul_params_t", p)
        a, b = _i8(lhs), _i8(rhs)
        batches = int(np.prod(p["batch_shape"]))
        out = np.zeros(batches * p["rows"] * p["cols"], dtype=np.int8)
        self.lib.tg_batch_matmul_s8(ctypes.byref(s), _ptr(a, ctypes.c_int8), _ptr(b, ctypes.c_int8),
                                    _ptr(out, ctypes.c_int8))
        return out.reshape(batches, p["rows"], p["cols"])

    def sub_s8(self, p, input1, input2):
        return self._binary(self.lib.tg_sub_s8, "tg_add_broadcast_params_t", p, input1, input2)

    def squared_difference_s8(self, p, input1, input2):
        return self._binary(self.lib.tg_squared_difference_s8, "tg_add_broadcast_params_t", p, input1, input2)

    def softmax_causal_s8(self, p, input):
        out = self._unary(self.lib.tg_softmax_causal_s8, "tg_softmax_causal_params_t", p, input,
                          p["rows"] * p["depth"])
        return out.reshape(p["rows"], p["depth"])

    # -- ONNX front end: average pooling as onnxruntime rounds it, softmax onto the model's output grid --

    def avg_pool2d_requant_s8(self, p, input):
        s = self._params("tg_avg_pool2d_requant_params_t", p)
        x = _i8(input)
        out = np.zeros(p["out_h"] * p["out_w"] * p["channels"], dtype=np.int8)
        self.lib.tg_avg_pool2d_requant_s8(ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(out, ctypes.c_int8))
        return out.reshape(p["out_h"], p["out_w"], p["channels"])

    def softmax_scaled_s8(self, p, input, table):
        s = self._params("tg_softmax_scaled_params_t", p)
        x, t = _i8(input), _i32(table)
        out = np.zeros(p["rows"] * p["depth"], dtype=np.int8)
        self.lib.tg_softmax_scaled_s8(ctypes.byref(s), _ptr(x, ctypes.c_int8), _ptr(t, ctypes.c_int32),
                                      _ptr(out, ctypes.c_int8))
        return out.reshape(p["rows"], p["depth"])


def assert_same(expected, actual, what: str = "output", max_report: int = 10) -> None:
    """Exact equality; on a mismatch, report the first differing indices and values."""
    expected = np.asarray(expected)
    actual = np.asarray(actual)
    assert expected.shape == actual.shape, f"{what}: shape {actual.shape} != expected {expected.shape}"
    diff = np.argwhere(expected != actual)
    if diff.size:
        lines = [f"{what}: {len(diff)} of {expected.size} elements differ; first ones:"]
        for idx in diff[:max_report]:
            t = tuple(int(i) for i in idx)
            lines.append(f"  at {t}: expected {expected[t]}, got {actual[t]}")
        raise AssertionError("\n".join(lines))
