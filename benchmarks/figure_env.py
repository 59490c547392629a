"""What a figure's values depend on beyond the code (benchmarks/figures.py): the host CPU, or the
version of a tool on this machine.

A figure names its dependences in Figure.depends (benchmarks/figure_list.py's DEPENDS): CPU, for
values computed with float kernels on the host (torch, onnxruntime and numpy pick their kernels by
the CPU's vector width, AVX-512 or AVX2, and sum in another order: a training run, a float
calibration, a float accuracy), and the tools in TOOLS whose version moves a value (the compilers:
code sizes and instruction counts; QEMU: what the stand-ins execute; espeak-ng and sox: the
synthesized speech corpus). `environment` reads those on this machine; `measure` stores them in
the figure's JSON, and `check` names them in a figure's failure line, beside the stored ones.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path

CPU = "cpu"
TOOLS = {                                           # a tool -> the command that prints its version first
    "gcc": ("gcc", "--version"),
    "arm-none-eabi-gcc": ("arm-none-eabi-gcc", "--version"),
    "riscv64-unknown-elf-gcc": ("riscv64-unknown-elf-gcc", "--version"),
    "qemu-system-arm": ("qemu-system-arm", "--version"),
    "qemu-system-riscv32": ("qemu-system-riscv32", "--version"),
    "espeak-ng": ("espeak-ng", "--version"),
    "sox": ("sox", "--version"),
}
# environment variables that narrow the kernels torch, oneDNN, MKL and numpy pick (how an AVX2-only CPU is approximated)
CPU_OVERRIDES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "NPY_DISABLE_CPU_FEATURES")
VERSION = re.compile(r"\d+\.\d+(?:\.\d+)*")
# the third-party trees the figures are measured with (.ci/third_party.sh): $VAR -> folder in shared/third_party
TREES = {"CMSIS_NN_PATH": "CMSIS-NN", "ESP_NN_PATH": "esp-nn", "MLPERF_TINY_RUNNER": "mlperf-tiny-runner"}


def tool_version(name: str) -> str:
    """The version a tool prints (the first dotted number outside parentheses), or 'missing'."""
    try:
        done = subprocess.run(TOOLS[name], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "missing"
    for line in (done.stdout + done.stderr).splitlines():
        m = VERSION.search(re.sub(r"\([^)]*\)", "", line))
        if m:
            return m[0]
    return "unknown"


def cpu(cpuinfo: Path = Path("/proc/cpuinfo"), env: dict | None = None) -> str:
    """This CPU's model and widest vector unit ('Intel(R) Xeon(R) Processor, AVX-512 VNNI'), and any override
    in CPU_OVERRIDES."""
    env = os.environ if env is None else env
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
                break
    except OSError:
        pass
    width = ("AVX-512 VNNI" if "avx512_vnni" in flags else "AVX-512" if "avx512f" in flags
             else "AVX2" if "avx2" in flags else "no AVX2" if flags else "")
    overrides = [f"{k}={env[k]}" for k in CPU_OVERRIDES if env.get(k)]
    return ", ".join(x for x in (model, width, *overrides) if x)


def export_trees(shared: Path, env: dict | None = None) -> list[str]:
    """Exports each tree of TREES not already set, from `shared` (the third-party folder beside the clone),
    as .ci/third_party.sh does, and returns the variables still without a folder. Without CMSIS-NN a
    `--kernels auto` build loses its CMSIS-NN candidates, so a figure measured then differs from the stored
    one for no reason in the code: measure and check refuse instead."""
    env = os.environ if env is None else env
    missing = []
    for var, name in TREES.items():
        if not env.get(var) and (shared / name).is_dir():
            env[var] = str(shared / name)
        if not env.get(var) or not Path(env[var]).is_dir():
            missing.append(var)
    return missing


def environment(depends: tuple[str, ...]) -> dict[str, str]:
    """The dependences' values on this machine: {'cpu': ..., 'arm-none-eabi-gcc': '12.2.1', ...}."""
    return {d: cpu() if d == CPU else tool_version(d) for d in depends}


def kinds(depends: tuple[str, ...]) -> str:
    """'CPU', 'toolchain', 'CPU, toolchain' or '-': the summary's column."""
    out = (["CPU"] if CPU in depends else []) + (["toolchain"] if any(d != CPU for d in depends) else [])
    return ", ".join(out) or "-"


def explain(depends: tuple[str, ...], here: dict[str, str], stored: dict[str, str] | None) -> str:
    """What a differing figure depends on, as its failure line says it: 'depends on the toolchain:
    arm-none-eabi-gcc 12.2.1 here (13.2.1 when stored); on the CPU: ... here (... when stored)'."""
    stored = stored or {}

    def one(d: str) -> str:
        was = stored.get(d)
        then = f" ({was} when stored)" if was and was != here.get(d) else ""
        return f"{d} {here.get(d, '?')} here{then}" if d != CPU else f"{here.get(d, '?')} here{then}"

    tools = [one(d) for d in depends if d != CPU]
    parts = [f"the toolchain: {', '.join(tools)}"] if tools else []
    parts += [f"the CPU: {one(CPU)}"] if CPU in depends else []
    return "depends on " + "; on ".join(parts) if parts else ""
