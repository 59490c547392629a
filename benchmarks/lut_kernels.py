"""The shared-weight (LUT) kernels on the Cortex-M stand-ins: executed instructions and weight
bytes next to the int8 kernels on the same layer (firmware/kernels/lut/LUT.md).

    .venv/bin/python benchmarks/lut_kernels.py [--boards f746zg n6570 esp32-c3] [--bits 4 3 2] [--json out.json]

Each row is one layer shape of the MLPerf KWS and IC models; each is run with tinygen's
portable LUT kernel at each width (one table per tensor and one per output channel), the
portable int8 kernel (the whole models against their int8 DSP builds: docs/models.md). The outputs must
equal the numpy twin's (the int8 kernel's on the decoded weights), byte for byte, or the script
stops. Instructions on the stand-in (QEMU -icount), not cycles. On the n6570 (Cortex-M55) and the
esp32-c3 each row is the Helium (RV32IM) kernel decoding the layer into scratch against the int8
MVE (RV32) kernel it runs.

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
from dataclasses import replace  # noqa: E402

from kernel_calls import _REQUANT_ARGS, KERNELS, Kernel, _out_px  # noqa: E402
from standin_calls import Call, run_calls  # noqa: E402

from tinygen.kernels.lut_table import LUT_KERNELS, LUT_MVE_KERNELS, ROW_AXIS  # noqa: E402
from tinygen.kernels.table import KERNELS_BY_NAME  # noqa: E402
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


# the DSP kernels decoding into scratch first, and the int8 DSP kernels they call (not the narrow
# depthwise one: its packed constant holds the requantization, tests/kernels/test_kernels_lut_specialized.py)
for _spec in (s for s in LUT_KERNELS if s.name.endswith("_decode_s8_dsp") and "narrow" not in s.name):
    _int8 = KERNELS_BY_NAME[_spec.calls[0].removeprefix("kernels/").removesuffix(".c")]
    _lut = KERNELS[_spec.name.replace("_decode_s8_dsp", "_s8").replace("_1x1", "").replace("_rows3", "")]
    KERNELS[_spec.name] = replace(_lut, scratch=_spec.scratch,
                                  extra_sources=tuple(s.removeprefix("kernels/") for s in _spec.calls))
    KERNELS.setdefault(_int8.name, replace(KERNELS[_int8.name.removesuffix("_dsp").replace("_1x1", "")
                                                   .replace("_widen", "").replace("_rows3", "")], scratch=_int8.scratch,
                                           extra_sources=tuple(s.removeprefix("kernels/") for s in _int8.calls)))


def lut_case(op: str, p: dict, bits: int, axis: str, seed: int, bias: bool = True):
    """(input, packed constant, bias, multiplier, shift) and the decoded int8 weights: normal
    weights clustered (tinygen.quant.share, uniform importance) into 2**bits values per
    tensor or per output channel."""
    x, cb, b, m, s = lut_parts(op, p, bits, axis, seed, bias)
    return (x, pack_lut(cb, ROW_AXIS[op]), b, m, s), cb.decode()


def lut_parts(op: str, p: dict, bits: int, axis: str, seed: int, bias: bool = True):
    """lut_case's input, Codebook, bias, multiplier and shift."""
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
    return x, cb, b, m, s


# Helium and RV32IM: the kernels decoding into scratch (input, packed: LUT.md's constant then the
# int8 kernel's constant less the weights; RV32: then bias, multiplier, shift) and the int8 kernels
# they run (input, their constant, ...); their numpy twins are the portable LUT kernels' on
# lut_case's arguments (decoding_args builds theirs from the same case)
_ISA = {"mve": (LUT_MVE_KERNELS, "tg_kernels_lut_mve.h", "tg_kernels_mve.h", ()),
        "rv32": (tuple(s for s in LUT_KERNELS if s.name.endswith("_rv32")), "tg_kernels_lut_rv32.h", "tg_kernels.h",
                 _REQUANT_ARGS)}
BOARD_ISA = {"n6570": "mve", "stm32n6570-dk": "mve", "esp32-c3": "rv32"}


def _no_twin(p, *arrays):
    raise NotImplementedError("a decoding kernel's twin is its portable LUT kernel's on lut_case's arguments")


for _specs, _header, _int8_header, _rest in _ISA.values():
    for _spec in (s for s in _specs if s.op in OPS):
        _lut = KERNELS[OPS[_spec.op][2].replace("_s8", "_lut_s8")]
        KERNELS[_spec.name] = replace(_lut, header=_header, args=("int8_t", "uint32_t", *_rest), twin=_no_twin,
                                      scratch=_spec.scratch, portable_scratch=True,
                                      extra_sources=tuple(s.removeprefix("kernels/") for s in _spec.calls))
        if not _spec.calls:         # (tg_fully_connected_lut_pairs_s8_mve: no int8 kernel under it)
            continue
        _int8 = KERNELS_BY_NAME[_spec.calls[0].removeprefix("kernels/").removesuffix(".c")]
        # (benchmarks/rv32_kernels.py's entries, where imported, have the same arguments and a twin)
        KERNELS.setdefault(_int8.name, replace(_lut, header=_int8_header, args=("int8_t", "int32_t", *_rest),
                                               twin=_no_twin, scratch=_int8.scratch))


def decoding_pair(isa: str, op: str, p: dict) -> tuple[str, str]:
    """(the kernel decoding into scratch, the int8 kernel it runs) of `isa` ("mve", "rv32") for a layer."""
    name = dsp_pair(op, p)[0].replace("_dsp", "_" + isa)
    if isa == "rv32":
        name = name.replace("_1x1", "")
    return name, KERNELS_BY_NAME[name].calls[0].removeprefix("kernels/").removesuffix(".c")


def decoding_args(isa: str, op: str, p: dict, bits: int, axis: str, seed: int, bias: bool = True,
                  w8: np.ndarray | None = None) -> tuple[tuple, tuple]:
    """lut_case's case as (the decoding kernel's arguments, the int8 kernel's on the decoded
    weights, or on w8 where given)."""
    x, cb, b, m, s = lut_parts(op, p, bits, axis, seed, bias)
    name, int8 = decoding_pair(isa, op, p)
    consts = {"weight": cb.decode() if w8 is None else w8, "bias": b, "multiplier": m, "shift": s, "codebook": cb}
    rest = (b, m, s) if isa == "rv32" else ()
    return (x, KERNELS_BY_NAME[name].pack(p, consts), *rest), (x, KERNELS_BY_NAME[int8].pack(p, consts), *rest)


def mve_pair(op: str, p: dict) -> tuple[str, str]:
    return decoding_pair("mve", op, p)


def mve_args(op: str, p: dict, bits: int, axis: str, seed: int, bias: bool = True,
             w8: np.ndarray | None = None) -> tuple[tuple, tuple]:
    return decoding_args("mve", op, p, bits, axis, seed, bias, w8)


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


def dsp_pair(op: str, p: dict) -> tuple[str, str] | None:
    """(the DSP kernel decoding into scratch, the int8 DSP kernel it runs) for a layer."""
    if op == "fully_connected":
        return "tg_fully_connected_lut_decode_s8_dsp", "tg_fully_connected_s8_dsp"
    if op == "conv2d" and p["kernel_h"] == p["kernel_w"] == p["stride_h"] == p["stride_w"] == 1 \
            and (p["out_h"], p["out_w"]) == (p["in_h"], p["in_w"]):
        return "tg_conv2d_1x1_lut_decode_s8_dsp", "tg_conv2d_1x1_s8_dsp"
    if op == "conv2d":
        return "tg_conv2d_lut_decode_s8_dsp", "tg_conv2d_s8_dsp"
    return "tg_depthwise_conv2d_lut_decode_s8_dsp", "tg_depthwise_conv2d_widen_s8_dsp"


def measure(board: str, bits_list, work: Path) -> list[dict]:
    """Every row's calls, one firmware per layer shape (their outputs would not fit one RAM)."""
    out = []
    for k, (label, (op, p)) in enumerate(ROWS.items()):
        int8 = OPS[op][2]
        (x, _, b, m, s), _ = lut_case(op, p, 4, "tensor", 1)
        w8 = np.clip(np.rint(np.random.default_rng(2).normal(0, 40, OPS[op][0](p))), -127, 127).astype(np.int8)
        pair = dsp_pair(op, p)
        calls = [Call(int8, p, (x, w8, b, m, s), label)] + ([Call(pair[1], p, (x, w8, b, m, s), label)] if pair else [])
        cases = []
        for bits in bits_list:
            for axis in ("tensor", "channel"):
                args, w = lut_case(op, p, bits, axis, bits)
                cases.append((bits, axis, len(calls), w))
                calls.append(Call(int8.replace("_s8", "_lut_s8"), p, args, f"{label} lut:{bits}:{axis}"))
                if pair:
                    calls.append(Call(pair[0], p, args, f"{label} lut:{bits}:{axis}"))
        run_calls(board, calls, work / f"row{k}")
        for bits, axis, i, w in cases:
            c = calls[i]
            want = KERNELS[c.name].twin(p, *c.arrays).reshape(-1).astype(np.int8)
            for done in calls[i:i + 1 + bool(pair)]:
                if not np.array_equal(want, done.result.view(np.int8)):
                    raise SystemExit(f"{done.name} {label}: output differs from the twin")
            out.append({"layer": label, "bits": bits, "tables": axis, "lut_instructions": c.instructions,
                        "int8_instructions": calls[0].instructions,
                        "decode_dsp_instructions": calls[i + 1].instructions if pair else None,
                        "int8_dsp_instructions": calls[1].instructions if pair else None,
                        "int8_bytes": int(w.size), "lut_bytes": int(c.arrays[1].nbytes)})
    return out


def measure_decoding(board: str, bits_list, work: Path) -> list[dict]:
    """The Cortex-M55's and the ESP32-C3's rows: each layer's kernel decoding into scratch (Helium,
    RV32IM) at each width and tables, against the int8 kernel it runs (on int8 weights of the same
    shape), called as the generic kernels (a model's layers call them specialized where the int8
    ones are: tinygen.kernels.specialize)."""
    isa = BOARD_ISA[board]
    out = []
    for k, (label, (op, p)) in enumerate(ROWS.items()):
        name, int8 = decoding_pair(isa, op, p)
        w8 = np.clip(np.rint(np.random.default_rng(2).normal(0, 40, OPS[op][0](p))), -127, 127).astype(np.int8)
        calls = [Call(int8, p, decoding_args(isa, op, p, 4, "tensor", 1, w8=w8)[1], label)]
        cases = []
        for bits in bits_list:
            for axis in ("tensor", "channel"):
                args, _ = lut_case(op, p, bits, axis, bits)
                cases.append((bits, axis, len(calls), KERNELS[OPS[op][2].replace("_s8", "_lut_s8")].twin(p, *args),
                              int(args[1].nbytes)))
                calls.append(Call(name, p, decoding_args(isa, op, p, bits, axis, bits)[0], f"{label} lut:{bits}:{axis}"))
        run_calls(board, calls, work / f"row{k}")
        for bits, axis, i, want, lut_bytes in cases:
            if not np.array_equal(want.reshape(-1).astype(np.int8), calls[i].result.view(np.int8)):
                raise SystemExit(f"{name} {label} lut:{bits}:{axis}: output differs from the twin")
            out.append({"layer": label, "bits": bits, "tables": axis, "kernel": name, "int8_kernel": int8,
                        "decode_instructions": calls[i].instructions,
                        "int8_isa_instructions": calls[0].instructions, "int8_bytes": int(w8.size),
                        "lut_bytes": lut_bytes})
    return out


# the one-row fully connected layers of MLPerf KWS and AD: on Helium, 4 bits and one table take
# tg_fully_connected_lut_pairs_s8_mve (no decoded weights) where the others decode first
FC_ROWS = {
    "kws fc 64->12": fc_p(1, 64, 12),
    "ad fc 640->128": fc_p(1, 640, 128),
    "ad fc 128->128": fc_p(1, 128, 128),
    "ad fc 128->640": fc_p(1, 128, 640),
}
PAIRS_MVE = "tg_fully_connected_lut_pairs_s8_mve"
NIBBLES_MVE = "tg_fully_connected_lut_nibbles_s8_mve"


def measure_pairs_mve(board: str, work: Path) -> list[dict]:
    """Each FC_ROWS layer at 4 bits, one table for the tensor (tg_fully_connected_lut_pairs_s8_mve) and
    one per channel (tg_fully_connected_lut_nibbles_s8_mve), and tg_fully_connected_lut_decode_s8_mve on
    the same packed constant, against tg_fully_connected_s8_mve on int8 weights of the same shape, called
    as the generic kernels; their outputs must equal the twin's."""
    out = []
    for k, (label, p) in enumerate(FC_ROWS.items()):
        w8 = np.clip(np.rint(np.random.default_rng(2).normal(0, 40, OPS["fully_connected"][0](p))), -127,
                     127).astype(np.int8)
        decode, int8 = decoding_pair("mve", "fully_connected", p)
        calls = [Call(int8, p, decoding_args("mve", "fully_connected", p, 4, "tensor", 1, w8=w8)[1], label)]
        cases = []
        for axis, kernel in (("tensor", PAIRS_MVE), ("channel", NIBBLES_MVE)):
            args, _ = lut_case("fully_connected", p, 4, axis, 4)
            want = KERNELS["tg_fully_connected_lut_s8"].twin(p, *args).reshape(-1).astype(np.int8)
            lut_args = decoding_args("mve", "fully_connected", p, 4, axis, 4)[0]
            cases.append((axis, kernel, len(calls), want))
            calls += [Call(decode, p, lut_args, label), Call(kernel, p, lut_args, label)]
        run_calls(board, calls, work / f"fc{k}")
        for axis, kernel, i, want in cases:
            for c in calls[i:i + 2]:
                if not np.array_equal(want, c.result.view(np.int8)):
                    raise SystemExit(f"{c.name} {label} lut:4:{axis}: output differs from the twin")
            out.append({"layer": label, "bits": 4, "tables": axis, "kernel": kernel,
                        "int8_isa_instructions": calls[0].instructions,
                        "decode_instructions": calls[i].instructions, "kernel_instructions": calls[i + 1].instructions})
    return out


def _print_pairs(board: str, rows: list[dict]) -> None:
    print(f"{board}: one-row fully connected layers at lut:4, instructions: {PAIRS_MVE} (one table) or "
          f"{NIBBLES_MVE} (a table per channel) and the decoding kernel against the int8 MVE kernel (generic "
          "entry points)")
    for r in rows:
        i8 = r["int8_isa_instructions"]
        print(f"  {r['layer']:<18} lut:4:{r['tables']:<8} {r['kernel'].split('_')[4]:<8} "
              f"{r['kernel_instructions']:>8,} x{r['kernel_instructions'] / i8:.3f}   decode "
              f"{r['decode_instructions']:>8,} x{r['decode_instructions'] / i8:.3f}   int8 {i8:>8,}")


def _print_decoding(board: str, rows: list[dict]) -> None:
    print(f"{board}: instructions of the {BOARD_ISA[board].upper()} kernel decoding into scratch against the int8 "
          "kernel it runs (generic entry points), weight bytes (LUT / int8)")
    for r in rows:
        print(f"  {r['layer']:<30} lut:{r['bits']}:{r['tables']:<8} {r['decode_instructions']:>10,} "
              f"{r['int8_isa_instructions']:>10,}  x{r['decode_instructions'] / r['int8_isa_instructions']:.3f}"
              f"   {r['lut_bytes']:>6} / {r['int8_bytes']:>6} B")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", nargs="+", default=["f746zg"])
    ap.add_argument("--bits", nargs="+", type=int, default=[4, 3, 2])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--work", type=Path, default=Path("build/lut_kernels"))
    args = ap.parse_args(argv)
    results = {}
    for board in args.boards:
        if board in BOARD_ISA:
            results[board] = measure_decoding(board, args.bits, args.work.resolve() / board)
            _print_decoding(board, results[board])
            if BOARD_ISA[board] == "mve":
                results[f"{board} fc pairs"] = measure_pairs_mve(board, args.work.resolve() / board)
                _print_pairs(board, results[f"{board} fc pairs"])
            continue
        results[board] = rows = measure(board, args.bits, args.work / board)
        print(f"{board}: instructions (LUT / int8, portable kernels), weight bytes (LUT / int8), and the DSP "
              "kernel decoding into scratch against the int8 DSP kernel")
        for r in rows:
            dsp = (f"   DSP: decode + int8 {r['decode_dsp_instructions']:>10,} / int8 {r['int8_dsp_instructions']:>10,}"
                   f"  x{r['decode_dsp_instructions'] / r['int8_dsp_instructions']:.2f}"
                   if r["decode_dsp_instructions"] else "")
            print(f"  {r['layer']:<30} lut:{r['bits']}:{r['tables']:<8} {r['lut_instructions']:>10,} "
                  f"{r['int8_instructions']:>10,}  x{r['lut_instructions'] / r['int8_instructions']:.2f}"
                  f"   {r['lut_bytes']:>6} / {r['int8_bytes']:>6} B" + dsp)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
