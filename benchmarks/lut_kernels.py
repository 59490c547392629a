"""The shared-weight (LUT) kernels on the Cortex-M stand-ins: executed instructions and weight
bytes next to the int8 kernels on the same layer (firmware/kernels/lut/LUT.md).

    .venv/bin/python benchmarks/lut_kernels.py [--boards f746zg] [--bits 4 3 2] [--json out.json]

Each row is one layer shape of the MLPerf KWS and IC models; each is run with tinygen's
portable LUT kernel at each width (one table per tensor and one per output channel), the
portable int8 kernel (the whole models against their int8 DSP builds: docs/models.md). The outputs must
equal the numpy twin's (the int8 kernel's on the decoded weights), byte for byte, or the script
stops. Instructions on the stand-in (QEMU -icount), not cycles.

Importing this module adds the LUT kernels' calling conventions to benchmarks/kernel_calls.py's
KERNELS (the stand-in kernel tests, tests/kernels/test_kernels_lut_standin.py, use them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kernel_calls import _REQUANT_ARGS, KERNELS, Kernel, _out_px  # noqa: E402
from standin_calls import Call, run_calls  # noqa: E402

from tinygen.kernels.lut_table import ROW_AXIS  # noqa: E402
from tinygen.quant.pack_lut import pack_lut, unpack_lut  # noqa: E402
from tinygen.quant.share import share  # noqa: E402
from tinygen.ref import kernels as ref_s8  # noqa: E402

# op -> (weight shape from p, the output channel axis, the int8 kernel)
OPS = {
    "conv2d": (lambda p: (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]), 0, "tg_conv2d_s8"),
    "depthwise_conv2d": (lambda p: (1, p["kernel_h"], p["kernel_w"], p["out_c"]), 3, "tg_depthwise_conv2d_s8"),
    "fully_connected": (lambda p: (p["out_features"], p["in_features"]), 0, "tg_fully_connected_s8"),
}
_CONV = "tg_conv2d_params_t"
_FC = "tg_fully_connected_params_t"


def _fc_out(p: dict) -> int:
    return p["rows"] * p["out_features"]


def _unpacked(op: str):
    """The int8 twin of op's LUT kernel: the int8 kernel's on the decoded weights."""
    shape, axis, int8 = OPS[op]
    twin = getattr(ref_s8, int8[len("tg_"):])
    return lambda p, x, packed, *rest: twin(p, x, unpack_lut(packed, shape(p), ROW_AXIS[op], axis), *rest)


def _no_case(p, rng):
    raise NotImplementedError("LUT kernel cases come from lut_case()")


for _op, (_, _, _int8) in OPS.items():
    _struct, _size = (_FC, _fc_out) if _op == "fully_connected" else (_CONV, lambda p: _out_px(p) * p["out_c"])
    KERNELS.setdefault(_int8, Kernel("tg_kernels.h", _struct, ("int8_t", "int8_t", *_REQUANT_ARGS), "int8_t", _size,
                                     getattr(ref_s8, _int8[len("tg_"):]), _no_case))
    KERNELS[_int8.replace("_s8", "_lut_s8")] = Kernel("tg_kernels_lut.h", _struct,
                                                      ("int8_t", "uint32_t", *_REQUANT_ARGS), "int8_t", _size,
                                                      _unpacked(_op), _no_case)


def lut_case(op: str, p: dict, bits: int, axis: str, seed: int, bias: bool = True):
    """(input, packed constant, bias, multiplier, shift) and the decoded int8 weights: normal
    weights clustered (tinygen.quant.share, uniform importance) into 2**bits values per
    tensor or per output channel."""
    rng = np.random.default_rng(seed)
    shape, out_axis, _ = OPS[op]
    w = np.clip(np.rint(rng.normal(0, 40, shape(p))), -127, 127).astype(np.int8)
    cb = share(w, np.ones(1, np.int64), bits, out_axis if axis == "channel" else None)
    n = w.shape[out_axis]
    x_shape = (p["rows"], p["in_features"]) if op == "fully_connected" else (p["in_h"], p["in_w"], p["in_c"])
    x = rng.integers(-128, 128, x_shape).astype(np.int8)
    b = rng.integers(-20000, 20000, n).astype(np.int32) if bias else None
    m = rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32)
    s = rng.integers(-12, -6, n).astype(np.int32)
    return (x, pack_lut(cb, ROW_AXIS[op]), b, m, s), cb.decode()


def conv_p(h, w, c, out_c, k, stride=1, pad=None, depthwise=False, input_offset=128, output_offset=-128) -> dict:
    pad = k // 2 if pad is None else pad
    out_c = c if depthwise else out_c
    return {"in_h": h, "in_w": w, "in_c": c, "out_h": (h + 2 * pad - k) // stride + 1,
            "out_w": (w + 2 * pad - k) // stride + 1, "out_c": out_c, "kernel_h": k, "kernel_w": k,
            "stride_h": stride, "stride_w": stride, "dilation_h": 1, "dilation_w": 1, "pad_top": pad,
            "pad_left": pad, "depth_multiplier": 1, "input_offset": input_offset, "output_offset": output_offset,
            "act_min": -128, "act_max": 127}


def fc_p(rows, n_in, n_out) -> dict:
    return {"rows": rows, "in_features": n_in, "out_features": n_out, "input_offset": 128, "output_offset": -3,
            "act_min": -128, "act_max": 127}


# the MLPerf KWS (DS-CNN) and IC (ResNet-8) layers
ROWS = {
    "kws pointwise 25x5x64->64": ("conv2d", conv_p(25, 5, 64, 64, 1, pad=0)),
    "kws depthwise 3x3 25x5x64": ("depthwise_conv2d", conv_p(25, 5, 64, 64, 3, depthwise=True)),
    "kws fc 64->12": ("fully_connected", fc_p(1, 64, 12)),
    "ic conv 3x3 32x32x16->16": ("conv2d", conv_p(32, 32, 16, 16, 3)),
    "ic conv 3x3 s2 16x16x32->32": ("conv2d", conv_p(16, 16, 32, 32, 3, stride=2)),
}


def measure(board: str, bits_list, work: Path) -> list[dict]:
    calls, rows = [], []
    for label, (op, p) in ROWS.items():
        int8 = OPS[op][2]
        (x, _, b, m, s), _ = lut_case(op, p, 4, "tensor", 1)
        w8 = np.clip(np.rint(np.random.default_rng(2).normal(0, 40, OPS[op][0](p))), -127, 127).astype(np.int8)
        base = [Call(int8, p, (x, w8, b, m, s), label)]
        calls += base
        for bits in bits_list:
            for axis in ("tensor", "channel"):
                args, w = lut_case(op, p, bits, axis, bits)
                calls.append(Call(int8.replace("_s8", "_lut_s8"), p, args, f"{label} lut:{bits}:{axis}"))
                rows.append((label, op, p, bits, axis, len(calls) - 1, w, base))
    run_calls(board, calls, work)
    out = []
    for label, op, p, bits, axis, i, w, base in rows:
        c = calls[i]
        want = KERNELS[c.name].twin(p, *c.arrays).reshape(-1).astype(np.int8)
        if not np.array_equal(want, c.result.view(np.int8)):
            raise SystemExit(f"{c.name} {label}: output differs from the twin")
        out.append({"layer": label, "bits": bits, "tables": axis, "lut_instructions": c.instructions,
                    "int8_instructions": base[0].instructions,
                    "int8_bytes": int(w.size), "lut_bytes": int(c.arrays[1].nbytes)})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", nargs="+", default=["f746zg"])
    ap.add_argument("--bits", nargs="+", type=int, default=[4, 3, 2])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--work", type=Path, default=Path("build/lut_kernels"))
    args = ap.parse_args(argv)
    results = {}
    for board in args.boards:
        results[board] = rows = measure(board, args.bits, args.work / board)
        print(f"{board}: instructions (LUT / int8, portable kernels) and weight bytes (LUT / int8)")
        for r in rows:
            print(f"  {r['layer']:<30} lut:{r['bits']}:{r['tables']:<8} {r['lut_instructions']:>10,} "
                  f"{r['int8_instructions']:>10,}  x{r['lut_instructions'] / r['int8_instructions']:.2f}"
                  f"   {r['lut_bytes']:>6} / {r['int8_bytes']:>6} B")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
