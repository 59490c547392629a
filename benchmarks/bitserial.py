"""The bit-serial kernel over nested weight bit planes against unpacking to int8, per switch,
on the Cortex-M stand-ins: executed instructions per MAC and flash bytes of the weights.

    .venv/bin/python benchmarks/bitserial.py [--boards f746zg f446re] [--layers conv3x3 ...] [--json out.json]

For each layer shape and precision switch, two ways to run the switch from one firmware:
- nested storage: the layer's 8 weight bit planes stored once (every switch reads its top
  k planes) and tg_conv2d_s8_planes_s8_dsp, whose work is proportional to k * A;
- separate storage ("unpacking to int8"): the switch's own weights at their true width and
  the kernel a separate-storage build uses for it: tg_conv2d_s8_dsp (w8a8),
  tg_conv2d_s8_s4_s8_dsp (w4a4), tg_conv2d_s8_s2_s8_dsp (w2a2), tg_conv2d_s8_b1_s8_dsp
  (w1a8); w1a1 (binary activations) is the XNOR kernel tg_conv2d_b1_b1_s8_dsp, the
  reference row (binary activations are not bit planes of a uniform grid).
Flash: the nested planes (8 bits per weight, shared by every switch) against the switch's
own weights and the sum over the distinct weight widths (what separate storage holds; w1a8
and w1a1 share the binary weights).

One firmware per layer and board (benchmarks/lowbit_kernels.py's harness: QEMU mps2-an500
for the F746ZG's Cortex-M7, mps2-an386 for the F446RE's Cortex-M4, -icount shift=0); every
output must equal its numpy twin byte for byte or the script stops. Instructions, never
cycles. Importing this module registers the bit-serial kernel with that harness
(tests/kernels/test_kernels_planes_dsp.py runs through it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lowbit_kernels import (KERNELS, RUN_TIMEOUT, RUN_TIMEOUT_HELP, Call, Kernel, _out_px, conv, fc,  # noqa: E402
                            run_calls)

from tinygen.hil.deadline import add_timeout_option  # noqa: E402

from tinygen.board import get_board  # noqa: E402
from tinygen.quant.pack_b1 import pack_binary_weights, pack_bits  # noqa: E402
from tinygen.quant.pack_mul import pack_mul_weights  # noqa: E402
from tinygen.quant.pack_planes import pack_planes, planes_bias_correction, planes_input, switch_weights  # noqa: E402
from tinygen.quant.pack_subbyte import pack_rows  # noqa: E402
from tinygen.ref import bitserial as ref_bitserial  # noqa: E402

PLANES_KERNEL = "tg_conv2d_s8_planes_s8"
_REQUANT_ARGS = ("int32_t", "int32_t", "int8_t")     # bias, multiplier, shift (int8: KernelSpec.stored_dtype)


def _planes_case(p: dict, rng) -> tuple:
    """Random top codes and an input on the switch's grid; the bias includes the correction."""
    codes = rng.integers(-127, 128, (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])).astype(np.int8)
    x = rng.integers(-p["in_off"], (1 << p["a_bits"]) - p["in_off"], (p["in_h"], p["in_w"], p["in_c"]))
    bias = planes_bias_correction(codes, p["w_bits"], p["in_off"], p["pad_u"] - p["in_off"])
    n = p["out_c"]
    return (x.astype(np.int8), pack_planes(codes), bias, rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32),
            np.full(n, -(p["w_bits"] + p["a_bits"]), np.int32))


KERNELS[PLANES_KERNEL] = Kernel(
    "tg_kernels_planes.h", "tg_conv2d_planes_params_t", ("int8_t", "uint32_t", *_REQUANT_ARGS), "int8_t",
    lambda p: _out_px(p) * p["out_c"], ref_bitserial.conv2d_s8_planes_s8, _planes_case)


# -- switches ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Switch:
    name: str
    w_bits: int
    a_bits: int                  # 8: int8 activations (in_off 128); 1 with binary: +-1 packed
    separate: str                # the separate-storage build's kernel (DSP variant measured)
    binary_input: bool = False   # w1a1: XNOR reference row, no bit-serial call
    packed: str | None = None    # the packed-multiply kernel (issue 20) a separate build now uses


SWITCHES = [
    Switch("w8a8", 8, 8, "tg_conv2d_s8"),
    Switch("w4a4", 4, 4, "tg_conv2d_s8_s4_s8", packed="tg_conv2d_u4_s4_s8"),
    Switch("w2a2", 2, 2, "tg_conv2d_s8_s2_s8", packed="tg_conv2d_u2_s2_s8"),
    Switch("w1a8", 1, 8, "tg_conv2d_s8_b1_s8"),
    Switch("w1a1", 1, 1, "tg_conv2d_b1_b1_s8", binary_input=True),
]
LAYERS = {"conv3x3": ("3x3 conv 64->64 8x8", conv(64, 64, 8)),
          "conv1x1": ("1x1 conv 128->128 8x8", conv(128, 128, 8, k=1)),
          "fc": ("FC 256->256", fc(256, 256))}
ZP_INT8 = -5            # the int8 input's zero point (a nonzero one)
_OUT = {"output_offset": -3, "act_min": -128, "act_max": 127}


def _separate_call(s: Switch, geom: dict, codes: np.ndarray, x: np.ndarray, rng) -> Call:
    """The separate-storage kernel's call for the switch, on the same input values and the
    switch's integer weights at their true width."""
    w = switch_weights(codes, s.w_bits)
    n = geom["out_c"]
    requant = (rng.integers(-200, 200, n).astype(np.int32), rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32),
               np.full(n, -(s.w_bits + s.a_bits), np.int32))
    zp = ZP_INT8 if s.a_bits == 8 else 0
    if s.binary_input:
        p = {**geom, "pad_value": 1, **_OUT}
        signs = np.where(rng.random((geom["in_h"], geom["in_w"], geom["in_c"])) < 0.5, -1, 1)
        return Call(f"{s.separate}_dsp", p, (pack_bits(signs), pack_binary_weights(w), *requant), s.name)
    if s.separate == "tg_conv2d_s8":
        p = {**geom, "depth_multiplier": 1, "input_offset": -zp, **_OUT}
        return Call(f"{s.separate}_dsp", p, (x, w.astype(np.int8), *requant), s.name)
    if s.w_bits == 1:
        p = {**geom, "depth_multiplier": 1, "input_offset": -zp, **_OUT}
        return Call(f"{s.separate}_dsp", p, (x, pack_binary_weights(w), *requant), s.name)
    p = {**geom, "input_offset": -zp, **_OUT, "odd": 0, "zero_code": 0}
    return Call(f"{s.separate}_dsp", p, (x, pack_rows(w.reshape(n, -1), s.w_bits), *requant), s.name)


def _packed_call(s: Switch, sep: Call) -> Call:
    """The packed-multiply kernel on the separate call's input, weights and requantization."""
    p = {**{k: v for k, v in sep.p.items() if k != "zero_code"}, "in_off": 0}
    x, rows, *requant = sep.arrays
    return Call(f"{s.packed}_dsp", p, (x, pack_mul_weights(p, rows, s.packed.split("_")[2]), *requant), s.name)


def _planes_call(s: Switch, geom: dict, codes: np.ndarray, planes: np.ndarray, x: np.ndarray, rng) -> Call:
    zp = ZP_INT8 if s.a_bits == 8 else 0
    in_off, a = planes_input(s.a_bits, zp)
    p = {**geom, "w_bits": s.w_bits, "a_bits": a, "in_off": in_off, "pad_u": zp + in_off, **_OUT}
    n = geom["out_c"]
    bias = (rng.integers(-200, 200, n) + planes_bias_correction(codes, s.w_bits, in_off, zp)).astype(np.int32)
    requant = (bias, rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32),
               np.full(n, -(s.w_bits + s.a_bits), np.int32))
    return Call(f"{PLANES_KERNEL}_dsp", p, (x, planes, *requant), s.name)


def layer_calls(geom: dict, rng) -> tuple[list[Call], np.ndarray]:
    """Every switch's bit-serial and separate-storage calls on one layer (the planes shared)."""
    codes = rng.integers(-127, 128, (geom["out_c"], geom["kernel_h"], geom["kernel_w"], geom["in_c"]))
    codes = codes.astype(np.int8)
    planes = pack_planes(codes)
    calls = []
    for s in SWITCHES:
        zp = ZP_INT8 if s.a_bits == 8 else 0
        lo = -128 if s.a_bits == 8 else 0
        x = rng.integers(lo, lo + (1 << s.a_bits), (geom["in_h"], geom["in_w"], geom["in_c"])).astype(np.int8)
        x[0, 0, 0] = zp             # some input at the zero point
        if not s.binary_input:
            calls.append(_planes_call(s, geom, codes, planes, x, rng))
        calls.append(_separate_call(s, geom, codes, x, rng))
        if s.packed:
            calls.append(_packed_call(s, calls[-1]))
    return calls, planes


def _weight_bytes(c: Call) -> int:
    return int(np.asarray(c.arrays[1]).nbytes)


def measure(board_name: str, layers: list[str], work: Path, timeout: float = RUN_TIMEOUT) -> list[dict]:
    from lowbit_kernels import kernel

    rng = np.random.default_rng(0)
    report = []
    for name in layers:
        shape, geom = LAYERS[name]
        calls, planes = layer_calls(geom, rng)
        run_calls(board_name, calls, work / name, timeout)
        macs = _out_px(geom) * geom["out_c"] * geom["kernel_h"] * geom["kernel_w"] * geom["in_c"]
        bits = {s.name: s.w_bits for s in SWITCHES}     # w1a8 and w1a1 share the binary weights
        separate_total = sum({bits[c.label]: _weight_bytes(c) for c in calls
                              if not c.name.startswith((PLANES_KERNEL, "tg_conv2d_u"))}.values())
        for c in calls:
            want = np.asarray(kernel(c.name).twin(c.p, *c.arrays)).reshape(-1)
            if not np.array_equal(want.astype(c.result.dtype), c.result):
                raise SystemExit(f"{c.name} ({c.label}) on {shape}: the stand-in's output differs from the twin")
        for s in SWITCHES:
            mine = {c.name: c for c in calls if c.label == s.name}
            sep = mine[f"{s.separate}_dsp"]
            bs = mine.get(f"{PLANES_KERNEL}_dsp")
            packed = mine.get(f"{s.packed}_dsp")
            report.append({
                "packed_kernel": packed and packed.name, "packed_instructions": packed and packed.instructions,
                "packed_weight_bytes": packed and _weight_bytes(packed),
                "layer": shape, "switch": s.name, "macs": macs,
                "bitserial_instructions": None if bs is None else bs.instructions,
                "separate_kernel": sep.name, "separate_instructions": sep.instructions,
                "nested_weight_bytes": int(planes.nbytes), "switch_weight_bytes": _weight_bytes(sep),
                "separate_total_weight_bytes": separate_total})
    return report


def _per_mac(v, macs) -> str:
    return "-" if v is None else f"{v / macs:.3f}"


def print_table(board, rows: list[dict]) -> None:
    print(f"\n{board.name} stand-in ({board.emulator['machine']}, {board.core}): executed instructions per MAC; "
          f"weight flash bytes (nested: 8 planes shared by every switch; separate: this switch's own, all switches')")
    print("  (packed: the packed-multiply kernel, new in issue 20, beside the separate build's old kernel; "
          "packed B: its weight words)")
    print(f"  {'layer':<24} {'switch':<6} {'bit-serial':>10} {'separate':>9} {'packed':>7} {'ratio':>6}  "
          f"{'separate kernel':<26} {'nested B':>9} {'switch B':>9} {'packed B':>9} {'sep. all B':>10}")
    for r in rows:
        bs, sep, pk = r["bitserial_instructions"], r["separate_instructions"], r["packed_instructions"]
        ratio = "-" if bs is None else f"{bs / sep:.2f}"
        print(f"  {r['layer']:<24} {r['switch']:<6} {_per_mac(bs, r['macs']):>10} {_per_mac(sep, r['macs']):>9} "
              f"{_per_mac(pk, r['macs']):>7} {ratio:>6}  {r['separate_kernel']:<26} {r['nested_weight_bytes']:>9} "
              f"{r['switch_weight_bytes']:>9} {r['packed_weight_bytes'] or '-':>9} {r['separate_total_weight_bytes']:>10}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", nargs="+", default=["f746zg", "f446re"])
    ap.add_argument("--layers", nargs="+", choices=sorted(LAYERS), default=list(LAYERS))
    ap.add_argument("--json", type=Path)
    add_timeout_option(ap, RUN_TIMEOUT, RUN_TIMEOUT_HELP)
    args = ap.parse_args(argv)
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for b in args.boards:
            board = get_board(b)
            report[board.name] = measure(b, args.layers, Path(tmp) / b, args.timeout)
            print_table(board, report[board.name])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
