"""`--package zephyr`: the library folder as a Zephyr module (docs/packages.md, "Zephyr module").
The module's root is the library folder; Zephyr's build finds it through zephyr/module.yml.

    DIR/zephyr/module.yml        name NAME; build: cmake: zephyr, kconfig: zephyr/Kconfig; samples: samples
    DIR/zephyr/CMakeLists.txt    if(CONFIG_<NAME>): zephyr_library() of the library's sources, include/
                                 for the application (zephyr_include_directories), src/ for the library only
    DIR/zephyr/Kconfig           config <NAME>: the switch, depending on what the kernels need of the core
    DIR/samples/NAME/            CMakeLists.txt, prj.conf, sample.yaml, src/main.c: the model run once on
                                 a fixed input (each input at its zero point, the real value 0), its scores
                                 and its time printed through printk

Zephyr compiles the sources with its own flags (the module adds none): NAME_config.h's checks
stop a core without the kernels' DSP or Helium instructions, and the Kconfig symbol's
`depends on` refuses that core already when CONFIG_<NAME>=y is asked for.
"""

from __future__ import annotations

from pathlib import Path

from tinygen.board import Board
from tinygen.build.library import ISA_MACROS
from tinygen.codegen.api import library_api
from tinygen.codegen.cformat import C_TYPES
from tinygen.codegen.templating import template_env

KIND = "zephyr"

# A feature the kernels need (tinygen.build.library.ISA_MACROS' keys) -> the Kconfig expression that
# is y where Zephyr compiles for a core that has it (arch/arm/core/cortex_m/Kconfig). Helium needs
# the FPU on too: GCC defines __ARM_FEATURE_MVE only with a hard or softfp float ABI.
KCONFIG_NEEDS = {"dsp": "CPU_CORTEX_M4 || CPU_CORTEX_M7 || ARMV8_M_DSP", "mve": "ARMV8_1_M_MVEI && FPU"}

# the main thread's stack beyond NAME_invoke()'s own: printk, main's frame, an exception frame with FP context
MAIN_STACK_MARGIN = 1024
MAIN_STACK_UNMEASURED = 4096      # the library's README says "not measured" (no compiler for the board)

TEMPLATES = {"zephyr/module.yml": "module.yml.j2", "zephyr/CMakeLists.txt": "CMakeLists.txt.j2",
             "zephyr/Kconfig": "Kconfig.j2", "samples/{name}/CMakeLists.txt": "sample_CMakeLists.txt.j2",
             "samples/{name}/prj.conf": "prj.conf.j2", "samples/{name}/sample.yaml": "sample.yaml.j2",
             "samples/{name}/src/main.c": "main.c.j2"}


def check(board: Board, name: str) -> None:
    """Every board's library can be a Zephyr module: the Kconfig symbol's dependencies say which
    Zephyr targets can build it (nothing to refuse before the compile)."""


def zephyr_board(board: Board) -> str | None:
    """The board target Zephyr builds the sample for (the board file's [zephyr] board; None: none)."""
    return board.raw.get("zephyr", {}).get("board")


def kconfig_symbol(name: str) -> str:
    """The Kconfig symbol that switches library `name` on (CONFIG_ in front in prj.conf and C)."""
    return name.upper()


def _depends(info: dict) -> list[str]:
    needs = [f"({KCONFIG_NEEDS[feature]})" for feature in info["library"]["isa"]]
    return needs + (["!MINIMAL_LIBC"] if info["library"]["libm"] else [])


def _ports(ports: list[dict]) -> list[dict]:
    """Each input or output as the sample fills or prints it: its C type, and its value at the
    real value 0 (the zero point; 0 for a float port)."""
    return [{"ctype": C_TYPES[p["dtype"]], "float": p["dtype"] == "float32",
             "zero": 0 if p["dtype"] == "float32" else p["zero_point"]} for p in ports]


def _main_stack(info: dict) -> int:
    measured = info["library"]["stack_bytes"]
    size = MAIN_STACK_UNMEASURED if measured is None else measured + MAIN_STACK_MARGIN
    return -(-size // 256) * 256


def write(lib: Path, info: dict, board: Board) -> list[str]:
    """Write the module's files and its sample into the library folder `lib`; returns them."""
    library = info["library"]
    name = library["name"]
    data = {"name": name, "macro": library_api(name).macro, "symbol": kconfig_symbol(name), "model_name": info["model"],
            "version": info["tinygen_version"], "board": board.name,
            "zephyr_board": zephyr_board(board), "sources": library["sources"],
            "external_arena": library["arena"] == "external", "depends": _depends(info),
            "isa": [ISA_MACROS[f][1] for f in library["isa"]], "libm": library["libm"], "inputs": _ports(info["inputs"]),
            "outputs": _ports(info["outputs"]), "main_stack": _main_stack(info),
            "fpu": board.build == "cortex-m" and any(f.startswith("fpv") for f in board.isa_features)}
    env = template_env()
    written = []
    for out, template in TEMPLATES.items():
        path = lib / out.format(name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(f"package/zephyr/{template}").render(**data))
        written.append(path.relative_to(lib).as_posix())
    return written


__all__ = ["KCONFIG_NEEDS", "KIND", "check", "kconfig_symbol", "write", "zephyr_board"]
