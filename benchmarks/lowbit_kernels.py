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

run_calls() is also the harness of tests/test_kernels_b1_dsp.py, and builds for the ESP32-C3's
RISC-V stand-in too (benchmarks/rv32_kernels.py adds the RV32IM kernels to KERNELS):
`--boards esp32-c3` measures each row's portable and _rv32 kernels against tg_conv2d_s8 and
tg_conv2d_s8_rv32 (the optimized variant's suffix from the board's features: rv32im gives _rv32).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygen.board import get_board  # noqa: E402
from tinygen.hil.deadline import add_timeout_option  # noqa: E402
from tinygen.kernels.params import conv2d_widen_dsp_weights  # noqa: E402
from tinygen.kernels.pair_u4 import pack_pair_u4, pair_scratch_bytes  # noqa: E402
from tinygen.kernels.table import conv2d_dsp_scratch, conv2d_widen_dsp_scratch  # noqa: E402
from tinygen.quant.pack_b1 import pack_binary_weights, pack_bits, pack_byte_masks  # noqa: E402
from tinygen.quant.pack_b1lut import lut_scratch_bytes, pack_lut_indices, unpack_lut_indices  # noqa: E402
from tinygen.quant.pack_mul import pack_mul_weights, packed_scratch_bytes, unpack_mul_weights  # noqa: E402
from tinygen.quant.pack_subbyte import dsp_scratch_bytes, pack_rows  # noqa: E402
from tinygen.ref import binary as ref_b1  # noqa: E402
from tinygen.ref import kernels as ref_s8  # noqa: E402
from tinygen.ref import subbyte as ref_subbyte  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from standin_firmware import KERNEL_DIR, RUN_TIMEOUT, RUN_TIMEOUT_HELP, run_firmware  # noqa: E402,F401

_NP = {"int8_t": np.int8, "uint8_t": np.uint8, "uint32_t": np.uint32, "int32_t": np.int32}


# -- how to call a kernel -------------------------------------------------------------------

@dataclass(frozen=True)
class Kernel:
    """One kernel's C calling convention (the _dsp variant shares its portable one's)."""

    header: str                              # declares the kernel and its params struct
    struct: str                              # params struct typedef
    args: tuple[str, ...]                    # element type of each array argument after p
    out: str                                 # element type of the output (the last argument)
    out_size: Callable[[dict], int]          # output elements
    twin: Callable                           # numpy twin: twin(p, *arrays) -> output
    case: Callable                           # case(p, rng) -> arrays (None: a NULL pointer)
    weights_arg: int = 1                     # which array holds the weights (flash bits per weight)
    scratch: Callable[[dict], int] | None = None   # int8 scratch bytes (before the output), DSP only
    portable_scratch: bool = False           # the portable kernel takes the scratch too
    extra_sources: tuple[str, ...] = ()      # other .c files the kernel calls


def _out_px(p: dict) -> int:
    return p["out_h"] * p["out_w"]


def _signs(rng, shape) -> np.ndarray:
    return np.where(rng.random(shape) < 0.5, -1, 1).astype(np.int8)


def _w_shape(p: dict) -> tuple[int, int, int, int]:
    return p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]


def _requant(rng, p: dict, shift: int) -> tuple:
    n = p["out_c"]
    return (rng.integers(-200, 200, n).astype(np.int32),
            rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32), np.full(n, shift, np.int32))


def _b1_input(p, rng):
    return pack_bits(_signs(rng, (p["in_h"], p["in_w"], p["in_c"])))


def _s8_input(p, rng):
    return rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)


def _thresholds(rng, p, spread):
    return rng.integers(-spread, spread, p["out_c"]).astype(np.int32)


_REQUANT_ARGS = ("int32_t", "int32_t", "int32_t")
KERNELS: dict[str, Kernel] = {
    "tg_conv2d_b1_b1_s8": Kernel(
        "tg_kernels_b1.h", "tg_conv2d_b1_params_t", ("uint32_t", "uint32_t", *_REQUANT_ARGS), "int8_t",
        lambda p: _out_px(p) * p["out_c"], ref_b1.conv2d_b1_b1_s8,
        lambda p, rng: (_b1_input(p, rng), pack_binary_weights(_signs(rng, _w_shape(p))), *_requant(rng, p, -4))),
    "tg_conv2d_b1_b1_b1": Kernel(
        "tg_kernels_b1.h", "tg_conv2d_b1_params_t", ("uint32_t", "uint32_t", "int32_t"), "uint32_t",
        lambda p: _out_px(p) * ((p["out_c"] + 31) // 32), ref_b1.conv2d_b1_b1_b1,
        lambda p, rng: (_b1_input(p, rng), pack_binary_weights(_signs(rng, _w_shape(p))),
                        _thresholds(rng, p, 8))),
    "tg_conv2d_s8_b1_s8": Kernel(
        "tg_kernels_b1.h", "tg_conv2d_params_t", ("int8_t", "uint32_t", *_REQUANT_ARGS), "int8_t",
        lambda p: _out_px(p) * p["out_c"], ref_b1.conv2d_s8_b1_s8,
        lambda p, rng: (_s8_input(p, rng), pack_binary_weights(_signs(rng, _w_shape(p))), *_requant(rng, p, -10))),
    "tg_conv2d_s8_s8_b1": Kernel(
        "tg_kernels_b1.h", "tg_conv2d_params_t", ("int8_t", "int8_t", "int32_t"), "uint32_t",
        lambda p: _out_px(p) * ((p["out_c"] + 31) // 32), ref_b1.conv2d_s8_s8_b1,
        lambda p, rng: (_s8_input(p, rng), rng.integers(-127, 128, _w_shape(p)).astype(np.int8),
                        _thresholds(rng, p, 20000)),
        scratch=conv2d_dsp_scratch),
    "tg_conv2d_s8": Kernel(
        "tg_kernels.h", "tg_conv2d_params_t", ("int8_t", "int8_t", *_REQUANT_ARGS), "int8_t",
        lambda p: _out_px(p) * p["out_c"], ref_s8.conv2d_s8,
        lambda p, rng: (_s8_input(p, rng), rng.integers(-127, 128, _w_shape(p)).astype(np.int8),
                        *_requant(rng, p, -12)),
        scratch=conv2d_dsp_scratch),
}


def _widen_case(p, rng):
    """tg_conv2d_widen_s8_dsp's arguments, and the plain weights after them for the twin (arrays
    past the kernel's arguments are not passed to C)."""
    w = rng.integers(-128, 128, _w_shape(p)).astype(np.int8)
    return (_s8_input(p, rng), conv2d_widen_dsp_weights(p, {"weight": w}), *_requant(rng, p, -12), w)


# int8 weights widened at run time (tg_conv2d_widen_s8_dsp only: no portable twin of that name)
KERNELS["tg_conv2d_widen_s8"] = Kernel(
    "tg_kernels.h", "tg_conv2d_params_t", ("int8_t", "int8_t", *_REQUANT_ARGS), "int8_t",
    lambda p: _out_px(p) * p["out_c"], lambda p, x, _packed, b, m, s, w: ref_s8.conv2d_s8(p, x, w, b, m, s),
    _widen_case, scratch=conv2d_widen_dsp_scratch)


def _subbyte(kind: str, bits: int, signed: bool, shift: int) -> Kernel:
    """tg_conv2d_s8_<kind>_s8: int8 input, packed rows of random codes (tinygen.quant.pack_subbyte)."""
    def case(p, rng):
        lo = -(1 << (bits - 1)) if signed else 0
        codes = rng.integers(lo, lo + (1 << bits), (p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]))
        return (_s8_input(p, rng), pack_rows(codes, bits), *_requant(rng, p, shift))

    return Kernel("tg_kernels_subbyte.h", "tg_conv2d_subbyte_params_t", ("int8_t", "uint8_t", *_REQUANT_ARGS),
                  "int8_t", lambda p: _out_px(p) * p["out_c"], getattr(ref_subbyte, f"conv2d_s8_{kind}_s8"), case,
                  scratch=lambda p: dsp_scratch_bytes(p, kind))


KERNELS.update({f"tg_conv2d_s8_{kind}_s8": _subbyte(kind, bits, signed, shift)
                for kind, bits, signed, shift in (("s4", 4, True, -8), ("s2", 2, True, -7), ("p4", 4, False, -11))})


def _packed(kind: str, bits: int, shift: int) -> Kernel:
    """tg_conv2d_<kind>_s<bits>_s8: bits-bit inputs (x + in_off in range), the packed-multiply
    constant of random codes (tinygen.quant.pack_mul)."""
    def case(p, rng):
        lo = -p["in_off"]
        codes = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]))
        x = rng.integers(lo, lo + (1 << bits), (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)
        return (x, pack_mul_weights(p, pack_rows(codes, bits), kind), *_requant(rng, p, shift))

    def twin(p, x, packed, *rest):
        return getattr(ref_subbyte, f"conv2d_{kind}_s{bits}_s8")(p, x, unpack_mul_weights(p, packed, kind), *rest)

    return Kernel("tg_kernels_packed.h", "tg_conv2d_packed_params_t", ("int8_t", "uint32_t", *_REQUANT_ARGS),
                  "int8_t", lambda p: _out_px(p) * p["out_c"], twin, case,
                  scratch=lambda p: packed_scratch_bytes(p, kind, dsp=True), portable_scratch=True)


KERNELS.update({f"tg_conv2d_{kind}_s{bits}_s8": _packed(kind, bits, shift) for kind, bits, shift in
                (("u4", 4, -6), ("u2", 2, -3))})


def _pair_case(p, rng):
    """tg_conv2d_pair_u4_s4_s8's arguments (input, packed constant), then the s4 rows, bias,
    multiplier and shift the constant was built from, for the twin (not passed to C)."""
    x, _, *requant = KERNELS["tg_conv2d_u4_s4_s8"].case(p, rng)
    codes = rng.integers(-8, 8, (p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]))
    rows = pack_rows(codes, 4)
    consts = dict(zip(("bias", "multiplier", "shift"), requant), weight=rows)
    return (x, pack_pair_u4(p, consts), rows, *requant)


# 4-bit packed multiply over pixel pairs and channel pairs, the requantization in records
KERNELS["tg_conv2d_pair_u4_s4_s8"] = Kernel(
    "tg_kernels_pair.h", "tg_conv2d_packed_params_t", ("int8_t", "uint32_t"), "int8_t",
    lambda p: _out_px(p) * p["out_c"], lambda p, x, _packed, *rest: ref_subbyte.conv2d_u4_s4_s8(p, x, *rest),
    _pair_case, scratch=pair_scratch_bytes, portable_scratch=True)


def _b1x8_case(p, rng):
    x, words, *requant = KERNELS["tg_conv2d_s8_b1_s8"].case(p, rng)
    return (x, pack_byte_masks(p, words), *requant)


def _b1x8_twin(p, x, packed, *rest):
    """conv2d_s8_b1_s8 on the binary weights the byte masks stand for."""
    o, k = p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]
    o4, n = -(-o // 4) * 4, -(-k // 4)
    masks = np.asarray(packed, np.uint32)[o4:].reshape(o4 // 4, n, 4).transpose(0, 2, 1).reshape(o4, n)
    keep = ((masks[:, :, None] >> np.array([0, 8, 16, 24], np.uint32)) & 0xFF).reshape(o4, -1)[:o, :k]
    w = np.where(keep > 0, 1, -1).reshape(o, p["kernel_h"], p["kernel_w"], p["in_c"])
    return ref_b1.conv2d_s8_b1_s8(p, x, pack_binary_weights(w), *rest)


# binary weights as byte masks (DSP only: its portable twin is tg_conv2d_s8_b1_s8)
KERNELS["tg_conv2d_s8_b1x8_s8"] = Kernel(
    "tg_kernels_b1.h", "tg_conv2d_params_t", ("int8_t", "uint32_t", *_REQUANT_ARGS), "int8_t",
    lambda p: _out_px(p) * p["out_c"], _b1x8_twin, _b1x8_case)


def _b1lut_case(p, rng):
    x, words, *requant = KERNELS["tg_conv2d_s8_b1_s8"].case(p, rng)
    return (x, pack_lut_indices(p, words, *requant), *requant)


def _b1lut_twin(p, x, packed, *rest):
    """conv2d_s8_b1_s8 on the binary weights the index bytes stand for."""
    return ref_b1.conv2d_s8_b1_s8(p, x, pack_binary_weights(unpack_lut_indices(p, packed)), *rest)


# binary weights by table lookup (DSP only: its portable twin is tg_conv2d_s8_b1_s8)
KERNELS["tg_conv2d_s8_b1lut_s8"] = Kernel(
    "tg_kernels_b1.h", "tg_conv2d_params_t", ("int8_t", "uint32_t", *_REQUANT_ARGS), "int8_t",
    lambda p: _out_px(p) * p["out_c"], _b1lut_twin, _b1lut_case, scratch=lut_scratch_bytes)


def kernel(name: str) -> Kernel:
    """A kernel's calling convention: its own entry, else its portable kernel's."""
    return KERNELS.get(name) or KERNELS[name.removesuffix("_dsp")]


# -- the stand-in harness ---------------------------------------------------------------------

@dataclass
class Call:
    """One kernel call: its params and its array arguments (numpy, or None for NULL)."""

    name: str
    p: dict
    arrays: tuple
    label: str = ""
    result: np.ndarray | None = field(default=None, repr=False)
    instructions: int | None = None


def _c_array(name: str, ctype: str, a: np.ndarray) -> str:
    flat = np.ascontiguousarray(a, dtype=_NP[ctype]).reshape(-1)
    if ctype == "uint32_t":
        body = ",".join(f"0x{int(v):x}u" for v in flat)
    else:
        body = ",".join(str(int(v)) for v in flat)
    return f"static const {ctype} {name}[{max(flat.size, 1)}] __attribute__((aligned(8))) = {{{body or '0'}}};\n"


def _program(calls: list[Call]) -> str:
    headers = sorted({kernel(c.name).header for c in calls})
    out = ["#include <stddef.h>\n#include <stdint.h>\n#include \"tg_port.h\"\n"]
    out += [f'#include "{h}"\n' for h in headers]
    out.append(_HELPERS)
    body = []
    emitted: dict[tuple[int, str], str] = {}      # calls sharing an array share its C copy
    for i, c in enumerate(calls):
        k = kernel(c.name)
        args = []
        for j, (ctype, a) in enumerate(zip(k.args, c.arrays)):
            if a is None:
                args.append("NULL")
                continue
            if (id(a), ctype) not in emitted:
                emitted[id(a), ctype] = f"a{i}_{j}"
                out.append(_c_array(f"a{i}_{j}", ctype, a))
            args.append(emitted[id(a), ctype])
        if (c.name.endswith("_dsp") or k.portable_scratch) and k.scratch is not None:
            out.append(f"static int8_t s{i}[{max(k.scratch(c.p), 1)}] __attribute__((aligned(8)));\n")
            args.append(f"s{i}")
        n = k.out_size(c.p)
        out.append(f"static {k.out} o{i}[{n}] __attribute__((aligned(8)));\n")
        init = ", ".join(f".{f} = {int(v)}" for f, v in c.p.items())
        out.append(f"static const {k.struct} p{i} = {{{init}}};\n")
        body.append(f"    t = tg_port_counter();\n    {c.name}(&p{i}, {', '.join(args)}, o{i});\n"
                    f"    t = tg_port_counter() - t;\n    put_case({i}, t, o{i}, sizeof o{i});\n")
    out.append("int main(void)\n{\n    uint64_t t;\n    tg_port_init();\n" + "".join(body)
               + "    put(\"done\\n\");\n    tg_port_exit(0);\n}\n")
    return "".join(out)


_HELPERS = r"""
static void put(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    tg_port_write(s, n);
}

static void put_u64(uint64_t v)
{
    char buf[21];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    tg_port_write(&buf[i], sizeof buf - i);
}

/* "case <i> <instructions> <hex bytes>" */
static void put_case(uint32_t i, uint64_t instructions, const void *data, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *b = (const uint8_t *)data;
    char hex[2];
    put("case ");
    put_u64(i);
    put(" ");
    put_u64(instructions);
    put(" ");
    for (size_t k = 0; k < n; k++) {
        hex[0] = digits[b[k] >> 4];
        hex[1] = digits[b[k] & 15u];
        tg_port_write(hex, 2);
    }
    put("\n");
}
"""


def run_calls(board_name: str, calls: list[Call], work: Path, timeout: float = RUN_TIMEOUT) -> list[Call]:
    """Build one firmware running `calls` in order for the board's QEMU stand-in, run it, and
    fill each call's result (the output array) and executed instructions; QEMU may run
    `timeout` seconds of its own time."""
    work.mkdir(parents=True, exist_ok=True)
    main_c = work / "main.c"
    main_c.write_text(_program(calls))
    names = {c.name for c in calls}
    sources = {KERNEL_DIR / f"{n}.c" for n in names}
    sources |= {KERNEL_DIR / s for n in names if n.endswith("_dsp") for s in kernel(n).extra_sources}
    text = run_firmware(board_name, [main_c, *sorted(sources)], work, timeout)
    for line in text.splitlines():
        if line.startswith("case "):
            _, i, count, data = line.split(" ")
            c = calls[int(i)]
            c.instructions = int(count)
            c.result = np.frombuffer(bytes.fromhex(data), dtype=_NP[kernel(c.name).out]).copy()
    return calls


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


def measure(board_name: str, rows: list[Row], work: Path, timeout: float = RUN_TIMEOUT) -> list[dict]:
    index = []
    rng = np.random.default_rng(0)
    isa = variant_suffix(board_name)
    if isa == "_rv32":
        import rv32_kernels         # the RV32IM kernels, the int8 baseline's among them (as a script: a 2nd KERNELS)

        KERNELS.update(rv32_kernels.KERNELS)
    for r in rows:
        names = [n for n in (r.kernel, f"{r.kernel}{isa}") if (KERNEL_DIR / f"{n}.c").exists()]
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
            isa = variant_suffix(b)
            print(f"  {'kernel':<20} {'layer':<40} {'bits/w':>6} {'portable':>9} {isa[1:]:>9} "
                  f"{'s8':>9} {'s8' + isa:>9}")
            for e in report[board.name]:
                ins = e["instructions"]
                per = [ins.get(n) for n in (e["kernel"], f"{e['kernel']}{isa}", BASELINE, f"{BASELINE}{isa}")]
                cells = " ".join(f"{'-' if v is None else format(v / e['macs'], '.3f'):>9}" for v in per)
                print(f"  {e['kernel'].removeprefix('tg_conv2d_'):<20} {e['shape']:<40} "
                      f"{e['bits_per_weight']:>6.2f} {cells}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
