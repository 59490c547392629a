"""Low-bit kernels on the Cortex-M stand-ins: executed instructions per MAC and flash bits
per weight, next to the int8 convolution on the same layer shape.

    .venv/bin/python benchmarks/lowbit_kernels.py [--boards f746zg f446re esp32-c3] [--rows b1_b1_s8 ...] [--json out.json]
    .venv/bin/python benchmarks/lowbit_kernels.py --popcount     # the XNOR kernels' popcount methods

Table-driven: KERNELS says how to call each kernel (its header, params struct, argument
element types, output size, numpy twin, a random-case builder); ROWS lists the layer
shapes to measure, each for one kernel type, its portable and DSP variants and the int8
baseline (tg_conv2d_s8, tg_conv2d_s8_dsp). A row for another kernel is a KERNELS entry
plus a ROWS line.

For each board, one firmware runs every call of every row on the QEMU stand-in
(mps2-an500 for the F746ZG's Cortex-M7, mps2-an386 for the F446RE's Cortex-M4, -icount
shift=0): the port's counter gives executed instructions (one timer tick per 40
instructions, exact under icount), the outputs come back over the UART and must equal
the numpy twin's, byte for byte, or the script stops. Instructions, never cycles.
KERNELS (benchmarks/kernel_calls.py) says how to call each kernel; run_calls()
(benchmarks/standin_calls.py, also the harness of tests/kernels/test_kernels_b1_dsp.py and the other
stand-in kernel tests; re-exported here for them) builds and runs the firmware. It builds for
the ESP32-C3's RISC-V stand-in too (benchmarks/rv32_kernels.py adds the RV32IM kernels to
KERNELS): `--boards esp32-c3` measures each row's portable and _rv32 kernels against
tg_conv2d_s8 and tg_conv2d_s8_rv32 (the optimized variant's suffix from the board's features:
rv32im gives _rv32).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygen.board import get_board  # noqa: E402
from tinygen.hil.deadline import add_timeout_option  # noqa: E402
from tinygen.resources import firmware_path  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from kernel_calls import KERNELS, Kernel, _out_px, kernel  # noqa: E402,F401
from standin_calls import Call, run_calls  # noqa: E402,F401
from standin_firmware import RUN_TIMEOUT, RUN_TIMEOUT_HELP, run_firmware  # noqa: E402,F401


# -- the layer shapes ----------------------------------------------------------------------------

def conv(in_c: int, out_c: int, hw: int, k: int = 3, **extra) -> dict:
    """'same' convolution geometry (stride 1) on an hw x hw image; extra fields per kernel."""
    pad = k // 2
    return {"in_h": hw, "in_w": hw, "in_c": in_c, "out_h": hw, "out_w": hw, "out_c": out_c,
            "kernel_h": k, "kernel_w": k, "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1,
            "pad_top": pad, "pad_left": pad, **extra}


def conv_s2(in_c: int, out_c: int, hw: int, **extra) -> dict:
    """3x3 convolution, stride 2, padding 1 (PyTorch's padding=1) on an hw x hw image."""
    return {**conv(in_c, out_c, hw, **extra), "out_h": (hw - 1) // 2 + 1, "out_w": (hw - 1) // 2 + 1,
            "stride_h": 2, "stride_w": 2}


def fc(in_f: int, out_f: int, **extra) -> dict:
    return conv(in_f, out_f, 1, k=1, **extra)


B1_IN = {"pad_value": 1, "output_offset": 0, "act_min": -128, "act_max": 127}
S8_IN = {"depth_multiplier": 1, "input_offset": 3, "output_offset": -5, "act_min": -128, "act_max": 127}
SUB_IN = {"input_offset": 3, "output_offset": -5, "act_min": -128, "act_max": 127}    # + odd, zero_code
# the packed-multiply kernels' inputs as the compiler gives them: uniform k-bit, zero point 0
PACKED_IN = {"input_offset": 0, "in_off": 0, "output_offset": -5, "act_min": -128, "act_max": 127, "odd": 0}


@dataclass(frozen=True)
class Row:
    kernel: str           # portable kernel; its _dsp variant is measured where the file exists
    shape: str            # what the row is, for the table
    p: dict               # the kernel's params


ROWS: list[Row] = [
    Row("tg_conv2d_b1_b1_s8", "3x3 conv 64->64 8x8", conv(64, 64, 8, **B1_IN)),
    Row("tg_conv2d_b1_b1_s8", "3x3 conv 128->128 8x8", conv(128, 128, 8, **B1_IN)),
    Row("tg_conv2d_b1_b1_s8", "FC 256->256", fc(256, 256, **B1_IN)),
    Row("tg_conv2d_b1_b1_b1", "3x3 conv 64->64 8x8", conv(64, 64, 8, **B1_IN)),
    Row("tg_conv2d_b1_b1_b1", "3x3 conv 128->128 8x8", conv(128, 128, 8, **B1_IN)),
    Row("tg_conv2d_b1_b1_b1", "FC 256->256", fc(256, 256, **B1_IN)),
    # examples/switchable/sp_digits.py's w1a1 middle layers
    Row("tg_conv2d_b1_b1_b1", "3x3 conv 32->64 8x8 /2 (sp_digits)", conv_s2(32, 64, 8, **B1_IN)),
    Row("tg_conv2d_b1_b1_s8", "3x3 conv 64->64 4x4 /2 (sp_digits)", conv_s2(64, 64, 4, **B1_IN)),
    Row("tg_conv2d_s8_b1_s8", "3x3 conv 64->64 8x8", conv(64, 64, 8, **S8_IN)),
    Row("tg_conv2d_s8_b1_s8", "FC 256->256", fc(256, 256, **S8_IN)),
    # binary weights as byte masks (new, issue 20; DSP only)
    Row("tg_conv2d_s8_b1x8_s8", "3x3 conv 64->64 8x8", conv(64, 64, 8, **S8_IN)),
    Row("tg_conv2d_s8_b1x8_s8", "FC 256->256", fc(256, 256, **S8_IN)),
    # binary weights by table lookup, two pixels per entry (new, issue 20; DSP only)
    Row("tg_conv2d_s8_b1lut_s8", "3x3 conv 64->64 8x8", conv(64, 64, 8, **S8_IN)),
    Row("tg_conv2d_s8_b1lut_s8", "FC 256->256", fc(256, 256, **S8_IN)),
    Row("tg_conv2d_s8_b1lut_s8", "3x3 conv 32->64 8x8 /2 (sp_digits)", conv_s2(32, 64, 8, **S8_IN)),
    Row("tg_conv2d_s8_b1lut_s8", "3x3 conv 64->64 4x4 /2 (sp_digits)", conv_s2(64, 64, 4, **S8_IN)),
    Row("tg_conv2d_s8_b1x8_s8", "3x3 conv 32->64 8x8 /2 (sp_digits)", conv_s2(32, 64, 8, **S8_IN)),
    Row("tg_conv2d_s8_b1x8_s8", "3x3 conv 64->64 4x4 /2 (sp_digits)", conv_s2(64, 64, 4, **S8_IN)),
    Row("tg_conv2d_s8_s8_b1", "3x3 conv 3->32 16x16 (BNN first layer)", conv(3, 32, 16, **S8_IN)),
    Row("tg_conv2d_s8_s8_b1", "3x3 conv 1->32 8x8 (sp_digits w1a1)", conv(1, 32, 8, **S8_IN)),
    *[Row(f"tg_conv2d_s8_{kind}_s8", f"{shape}{' ' + note if note else ''}", make(**SUB_IN, **flags))
      for kind, note, flags in (("s4", "", {"odd": 0, "zero_code": 0}), ("s4", "(dorefa odd)", {"odd": 1, "zero_code": 0}),
                                ("s2", "", {"odd": 0, "zero_code": 0}), ("p4", "(zero code)", {"odd": 0, "zero_code": 1}))
      for shape, make in (("3x3 conv 64->64 8x8", lambda **e: conv(64, 64, 8, **e)),
                          ("1x1 conv 64->64 8x8", lambda **e: conv(64, 64, 8, k=1, **e)),
                          ("FC 256->256", lambda **e: fc(256, 256, **e)))],
    # the packed-multiply kernels (new, issue 20) on the s4 / s2 rows' shapes, uniform inputs
    *[Row(f"tg_conv2d_{kind}_s8", shape, make(**PACKED_IN))
      for kind in ("u4_s4", "u2_s2", "pair_u4_s4")
      for shape, make in (("3x3 conv 64->64 8x8", lambda **e: conv(64, 64, 8, **e)),
                          ("1x1 conv 64->64 8x8", lambda **e: conv(64, 64, 8, k=1, **e)),
                          ("FC 256->256", lambda **e: fc(256, 256, **e)))],
    # examples/switchable/sp_digits.py's two middle layers (the w2a2 switch's 2-bit layers, w4a4's 4-bit ones)
    Row("tg_conv2d_u2_s2_s8", "3x3 conv 32->64 8x8 /2 (sp_digits)", conv_s2(32, 64, 8, **PACKED_IN)),
    Row("tg_conv2d_u2_s2_s8", "3x3 conv 64->64 4x4 /2 (sp_digits)", conv_s2(64, 64, 4, **PACKED_IN)),
    *[Row(f"tg_conv2d_{kind}_s8", shape, conv_s2(in_c, out_c, hw, **PACKED_IN))
      for kind in ("u4_s4", "pair_u4_s4")
      for shape, in_c, out_c, hw in (("3x3 conv 32->64 8x8 /2 (sp_digits)", 32, 64, 8),
                                     ("3x3 conv 64->64 4x4 /2 (sp_digits)", 64, 64, 4))],
]
BASELINE = "tg_conv2d_s8"


def _s8_params(p: dict) -> dict:
    """The int8 baseline's params for a row's geometry."""
    geometry = {k: v for k, v in p.items()
                if k not in B1_IN and k not in S8_IN and k not in ("odd", "zero_code", "in_off")}
    return {**geometry, **S8_IN}


def variant_suffix(board_name: str) -> str:
    """The ISA suffix of the board's optimized kernels: _rv32 on rv32im boards (the ESP32-C3), else _dsp."""
    return "_rv32" if "rv32im" in get_board(board_name).isa_features else "_dsp"


def row_suffixes(board_name: str) -> tuple[str, ...]:
    """The optimized variants measured per row: variant_suffix's, and _mve on a Helium core
    (the Cortex-M55 runs the DSP kernels too; where a kind has no _mve kernel, its cell is empty)."""
    isa = variant_suffix(board_name)
    return (isa, "_mve") if "mve" in get_board(board_name).isa_features else (isa,)


def measure(board_name: str, rows: list[Row], work: Path, timeout: float = RUN_TIMEOUT) -> list[dict]:
    index = []
    rng = np.random.default_rng(0)
    isa = variant_suffix(board_name)
    if isa == "_rv32":
        import rv32_kernels  # noqa: F401  (adds the RV32IM kernels, the int8 baseline's among them, to KERNELS)
    for r in rows:
        names = [n for n in (r.kernel, *(f"{r.kernel}{v}" for v in row_suffixes(board_name)))
                 if firmware_path(f"kernels/{n}.c").exists()]
        if not names:
            continue                    # (a DSP-only kind on another core)
        s8 = _s8_params(r.p)
        arrays = kernel(names[0]).case(r.p, rng)
        s8_arrays = KERNELS[BASELINE].case(s8, rng)
        s8_isa = KERNELS[f"{BASELINE}{isa}"].case(s8, rng) if isa == "_rv32" else s8_arrays   # (its own packing)
        row_calls = [Call(n, r.p, arrays) for n in names]                   # (the variants take the same arrays)
        row_calls += [Call(BASELINE, s8, s8_arrays), Call(f"{BASELINE}{isa}", s8, s8_isa)]
        index.append((r, row_calls))
        run_calls(board_name, row_calls, work / f"row{len(index)}", timeout)     # one firmware per row
    report = []
    for r, row_calls in index:
        macs = _out_px(r.p) * r.p["out_c"] * r.p["kernel_h"] * r.p["kernel_w"] * r.p["in_c"]
        entry = {"kernel": r.kernel, "shape": r.shape, "macs": macs, "instructions": {}}
        for c in row_calls:
            want = np.asarray(kernel(c.name).twin(c.p, *c.arrays)).reshape(-1)
            if not np.array_equal(want.astype(c.result.dtype), c.result):
                raise SystemExit(f"{c.name} on {r.shape}: the stand-in's output differs from the numpy twin")
            entry["instructions"][c.name] = c.instructions
        w = row_calls[0].arrays[kernel(row_calls[0].name).weights_arg]      # (a packed constant: its weight words)
        entry["bits_per_weight"] = w.nbytes * 8 / (macs // _out_px(r.p))
        report.append(entry)
    return report


def popcount_methods(board_name: str, work: Path, timeout: float = RUN_TIMEOUT) -> dict:
    """benchmarks/lowbit_popcount.c on the stand-in: {method: {words per call: instructions per word}}."""
    text = run_firmware(board_name, [Path(__file__).with_name("lowbit_popcount.c")], work, timeout)
    table: dict = {}
    totals = set()
    for line in text.splitlines()[:-1]:
        method, words, count, total = line.split()
        table.setdefault(method, {})[int(words)] = int(count) / POPCOUNT_WORDS
        totals.add(total)
    if len(totals) != 1:
        raise SystemExit(f"the popcount methods disagree: totals {sorted(totals)}")
    return table


POPCOUNT_WORDS = 4608           # word pairs lowbit_popcount.c counts per method and call length


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", nargs="+", default=["f746zg", "f446re"])
    ap.add_argument("--rows", nargs="+", help="kernel types to measure (e.g. b1_b1_s8); default all")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--popcount", action="store_true", help="measure the popcount methods instead")
    add_timeout_option(ap, RUN_TIMEOUT, RUN_TIMEOUT_HELP)
    args = ap.parse_args(argv)
    rows = [r for r in ROWS if not args.rows or r.kernel.removeprefix("tg_conv2d_") in args.rows]
    import tempfile

    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for b in args.boards:
            board = get_board(b)
            if args.popcount:
                report[board.name] = popcount_methods(b, Path(tmp) / b, args.timeout)
                print(f"\n{board.name} stand-in: executed instructions per counted word (load, EOR, count, loop)")
                for method, per in report[board.name].items():
                    print(f"  {method:<6} " + "  ".join(f"{n:>2} words/call {v:6.2f}" for n, v in per.items()))
                continue
            report[board.name] = measure(b, rows, Path(tmp) / b, args.timeout)
            print(f"\n{board.name} stand-in ({board.emulator['machine']}, {board.core}): executed instructions "
                  f"per MAC (instructions per multiply-accumulate; binary MACs for b1 x b1)")
            isa, variants = variant_suffix(b), row_suffixes(b)
            print(f"  {'kernel':<20} {'layer':<40} {'bits/w':>6} {'portable':>9} "
                  + " ".join(f"{v[1:]:>9}" for v in variants) + f" {'s8':>9} {'s8' + isa:>9}")
            for e in report[board.name]:
                ins = e["instructions"]
                per = [ins.get(n) for n in (e["kernel"], *(f"{e['kernel']}{v}" for v in variants), BASELINE,
                                            f"{BASELINE}{isa}")]
                cells = " ".join(f"{'-' if v is None else format(v / e['macs'], '.3f'):>9}" for v in per)
                print(f"  {e['kernel'].removeprefix('tg_conv2d_'):<20} {e['shape']:<40} "
                      f"{e['bits_per_weight']:>6.2f} {cells}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
