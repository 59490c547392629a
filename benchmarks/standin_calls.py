"""One firmware running a list of kernel calls on a board's QEMU stand-in: the harness of
benchmarks/lowbit_kernels.py and of the kernel tests that run C on the stand-ins
(tests/kernels/test_kernels_b1_dsp.py, test_kernels_rv32.py, ...).

    calls = run_calls("f746zg", [Call("tg_conv2d_s8_dsp", p, arrays)], work_dir)
    calls[0].result, calls[0].instructions      # the output array, executed instructions

The calls' arrays become flash constants of one generated main.c (benchmarks/kernel_calls.py
says how to call each kernel); each call's output comes back over the UART as hex with the
port counter's executed instructions around the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kernel_calls import kernel
from standin_firmware import RUN_TIMEOUT, run_firmware

from tinygen.resources import firmware_path

_NP = {"int8_t": np.int8, "uint8_t": np.uint8, "uint32_t": np.uint32, "int32_t": np.int32, "int16_t": np.int16,
       "int64_t": np.int64}

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
    elif ctype == "int64_t":            # INT64_MIN has no literal of its own
        body = ",".join(f"{int(v)}LL" if v != np.iinfo(np.int64).min else "(-9223372036854775807LL - 1)"
                        for v in flat)
    else:
        body = ",".join(str(int(v)) for v in flat)
    return f"static const {ctype} {name}[{max(flat.size, 1)}] __attribute__((aligned(8))) = {{{body or '0'}}};\n"


def _c_init(value) -> str:
    """A params field's initializer: an int, or a brace list for an array field (shape[4])."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "{" + ", ".join(str(int(v)) for v in value) + "}"
    return str(int(value))


def _program(calls: list[Call]) -> str:
    headers = sorted({kernel(c.name).header for c in calls})
    out = ["#include <stddef.h>\n#include <stdint.h>\n#include \"tg_port.h\"\n"]
    out += [f'#include "{h}"\n' for h in headers]
    out.append(UART_HELPERS)
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
        if (c.name.endswith(("_dsp", "_mve")) or k.portable_scratch) and k.scratch is not None:
            out.append(f"static int8_t s{i}[{max(k.scratch(c.p), 1)}] __attribute__((aligned(8)));\n")
            args.append(f"s{i}")
        n = k.out_size(c.p)
        out.append(f"static {k.out} o{i}[{n}] __attribute__((aligned(8)));\n")
        init = ", ".join(f".{f} = {_c_init(v)}" for f, v in c.p.items())
        out.append(f"static const {k.struct} p{i} = {{{init}}};\n")
        body.append(f"    t = tg_port_counter();\n    {c.name}(&p{i}, {', '.join(args)}, o{i});\n"
                    f"    t = tg_port_counter() - t;\n    put_case({i}, t, o{i}, sizeof o{i});\n")
    out.append("int main(void)\n{\n    uint64_t t;\n    tg_port_init();\n" + "".join(body)
               + "    put(\"done\\n\");\n    tg_port_exit(0);\n}\n")
    return "".join(out)


UART_HELPERS = r"""
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
    sources = {firmware_path(f"kernels/{n}.c") for n in names}
    sources |= {firmware_path(f"kernels/{s}") for n in names for s in kernel(n).extra_sources}
    text = run_firmware(board_name, [main_c, *sorted(sources)], work, timeout)
    for line in text.splitlines():
        if line.startswith("case "):
            _, i, count, data = line.split(" ")
            c = calls[int(i)]
            c.instructions = int(count)
            c.result = np.frombuffer(bytes.fromhex(data), dtype=_NP[kernel(c.name).out]).copy()
    return calls

