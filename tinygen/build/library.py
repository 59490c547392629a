"""A model as a C library (`tinygen build --library`): the same emitted C as a firmware build,
packaged for the user's own firmware instead of tinygen's runtime.

    DIR/include/NAME.h            the API (tinygen.codegen.api: NAME_ in place of tg_model_)
    DIR/src/NAME.c                the model
    DIR/src/NAME_weights.[ch]     its weights (const, flash)
    DIR/src/NAME_config.h         the kernels' build switches, ISA checks, and their names with
                                  NAME_ in front; every source of the library includes it first
    DIR/src/tg_*.[ch]             the kernels the model calls (the .c files with that include added)
    DIR/CMakeLists.txt            static library target NAME, include/ public (add_subdirectory)
    DIR/NAME.mk                   NAME_SRCS, NAME_OBJS, NAME_INCLUDES, NAME_CFLAGS for a Makefile
    DIR/README.md                 the API, the memory it needs, the flags, the board
    DIR/tinygen.json              the manifest (tinygen owns the files it lists)

No main, no protocol runtime, no ports, no startup file, no linker script. Every global symbol
the objects define starts with NAME_ (tests/build/test_library.py checks it with nm).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from tinygen import __version__
from tinygen.board import Board
from tinygen.build.library_stack import invoke_stack
from tinygen.codegen.api import Api, library_api, name_problem
from tinygen.codegen.audio import frontend_of
from tinygen.codegen.build_flags import switch_flags
from tinygen.codegen.emit import project_data
from tinygen.codegen.kernel_files import kernel_sources
from tinygen.codegen.kx1_cases import kx1_case_flags
from tinygen.codegen.libm_cmd import libm_functions
from tinygen.codegen.project import manifest, render_model
from tinygen.codegen.templating import template_env
from tinygen.errors import UsageError
from tinygen.ir import Graph
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.resources import firmware_path
from tinygen.switches import switch_graphs

# target features a kernel requires (KernelSpec.requires) -> the macro the compiler defines with it
ISA_MACROS = {"dsp": ("__ARM_FEATURE_DSP", "Arm DSP extension"), "mve": ("__ARM_FEATURE_MVE", "Arm Helium (MVE)")}
FOREIGN_BACKENDS = ("cmsis-nn", "esp-nn")      # kernels whose library the user's build would have to bring

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
# a definition at file scope: a line at column 0, not static, whose first name before ( [ = is defined
_DEFINITION = re.compile(r"^(?!static\b|typedef\b|extern\b|struct\b|enum\b|union\b)[A-Za-z_][^;{}()=#\n]*?"
                         r"\b([A-Za-z_]\w*)\s*[(\[=]|^([A-Za-z_]\w*)\s*\(", re.MULTILINE)
_MACRO = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)", re.MULTILINE)


def check_library_name(name: str) -> None:
    """A one-line UsageError for a --name that cannot name a library."""
    problem = name_problem(name)
    if problem:
        raise UsageError(problem, "choose a C identifier such as kws or person_detect")


def check_library_options(kernels: str | None = None, camera: bool = False, frontend: str | None = None,
                          arena_region: str | None = None, backends: set[str] = frozenset()) -> None:
    """Refuse what a library cannot package yet: the CLI's options before compiling, the
    compiled graph's kernel backends (`backends`: --kernels auto's picks) before writing."""
    if camera or frontend:
        raise UsageError("--library packages the model alone: --camera and --frontend are firmware stages",
                         "build the library without them and run your own preprocessing before NAME_invoke()")
    foreign = sorted((set(backends) | {kernels}) & set(FOREIGN_BACKENDS))
    if foreign:
        raise UsageError(f"--library does not package {' and '.join(foreign)} kernels yet",
                         "build it with --kernels tinygen")
    if arena_region is not None:
        raise UsageError("--library places no section: --arena-region is a firmware option",
                         "place the arena yourself (--arena external) or drop --arena-region")


def check_library_graph(graph: Graph) -> None:
    """check_library_options for a compiled graph, before anything is written."""
    check_library_options(camera=graph.meta.get("camera") is not None,
                          frontend=frontend_of(graph) and frontend_of(graph).name,
                          arena_region=graph.meta["memory"].region,
                          backends={KERNELS_BY_NAME[n.kernel].backend for _, g in switch_graphs(graph)
                                    for n in g.nodes if n.kernel})


def defined_symbols(c_text: str) -> set[str]:
    """The names a C source defines at file scope with external linkage (functions and arrays)."""
    text = _COMMENT.sub(" ", c_text)
    found = {m.group(1) or m.group(2) for m in _DEFINITION.finditer(text)}
    return found - set(_MACRO.findall(text))


def _flat(rel: str) -> str:
    return posixpath.basename(rel)


def _kernel_files(graph: Graph) -> list[str]:
    """The kernels' firmware files (relative to firmware/), each a distinct file name in src/."""
    files = kernel_sources(graph)
    names = [_flat(rel) for rel in files]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise UsageError(f"--library: kernel files {', '.join(clash)} come from two folders", "report it as a bug")
    return files


def build_defines(graph: Graph, board: Board | None = None) -> list[tuple[str, str]]:
    """The kernels' per-build switches (what a firmware's Makefile passes as -D) as (macro, value), and the
    board's own kernel tuning from its [toolchain] cflags (-DTG_...: TG_DUAL_ISSUE=1 on the Cortex-M7 boards,
    the inner loops scheduled for dual issue), which a library's build does not get from the board file."""
    tuning = tuple(f for f in (board.cflags if board is not None else ()) if f.startswith("-DTG_"))
    flags = switch_flags(graph) + kx1_case_flags(graph) + tuning
    return [tuple(flag[2:].split("=", 1)) if "=" in flag else (flag[2:], "1") for flag in flags]


def _isa_needs(kernels) -> dict[str, list[str]]:
    """Each target feature of ISA_MACROS that some of `kernels` (kernel names) require -> those
    kernels, sorted; features none of them needs are left out."""
    needs = {feature: sorted(k for k in set(kernels) if feature in KERNELS_BY_NAME[k].requires) for feature in ISA_MACROS}
    return {feature: using for feature, using in needs.items() if using}


def _isa_checks(needs: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    """_isa_needs' answer as NAME_config.h's checks: (macro, the feature in words, the kernels)."""
    return [(*ISA_MACROS[feature], ", ".join(using)) for feature, using in needs.items()]


def _cpu_flags(board: Board) -> str:
    return " ".join(f for f in board.cflags if f.startswith(("-mcpu", "-march", "-mthumb", "-mfpu", "-mfloat-abi")))


def write_library(graph: Graph, dest: Path, model_name: str, source_hash: str, board: Board, name: str,
                  model_id: tuple[str, str], arena_external: bool = False) -> dict:
    """Write library `name` of the model into `dest` (empty). `model_id`: (id, where it came
    from), as tinygen.codegen.project.write_project takes it. Returns its manifest."""
    api: Api = library_api(name, arena_external)
    data = project_data(graph, model_name, source_hash, __version__, model_id[0], api)
    data["model_id_source"] = model_id[1]
    (dest / "include").mkdir(parents=True)
    src = dest / "src"
    src.mkdir()
    libm = list(libm_functions(graph))
    needs = _isa_needs({n.kernel for _, g in switch_graphs(graph) for n in g.nodes if n.kernel})
    for out, text in render_model(data).items():
        (dest / "include" if out == api.header else src).joinpath(out).write_text(text)
    files = _kernel_files(graph)
    sources = [api.source, api.weights_source]
    symbols: set[str] = set()
    for rel in files:
        text = firmware_path(rel).read_text()
        if rel.endswith(".c"):
            symbols |= defined_symbols(text)
            text = f'#include "{api.config}"  /* first: library {name}\'s kernel names and switches */\n' + text
            sources.append(_flat(rel))
        (src / _flat(rel)).write_text(text)
    env = template_env()
    common = {"name": name, "model_name": model_name, "version": __version__, "board": board.name,
              "source_hash": source_hash, "libm": bool(libm), "cpu_flags": _cpu_flags(board)}
    (src / api.config).write_text(env.get_template("library/config.h.j2").render(
        **common, guard=f"{api.macro}_CONFIG_H", isa=_isa_checks(needs), defines=build_defines(graph, board),
        renames=sorted(symbols), prefix=api.symbols))
    (dest / "CMakeLists.txt").write_text(env.get_template("library/CMakeLists.txt.j2").render(**common, sources=sources))
    (dest / f"{name}.mk").write_text(env.get_template("library/lib.mk.j2").render(**common, sources=sources))
    stack = invoke_stack(src, [s for s in sources if s != api.weights_source], board, name)
    ports = {kind: ", ".join(f"`{p.macro.lower()}` int8 {p.shape}" for p in data[kind]) for kind in ("inputs", "outputs")}
    (dest / "README.md").write_text(env.get_template("library/README.md.j2").render(
        **common, **ports, board_description=board.description, macro=api.macro, arena_external=arena_external,
        arena_size=data["arena_size"], alignment=data["arena_alignment"], weight_bytes=data["weight_bytes"],
        weights_ram_bytes=data["weights_ram_bytes"], input_buffer=data["input_buffer"], stack=stack,
        stack_reserve=board.stack_size, cc=board.cc,
        kernel_count=len(sources) - 2))
    info = manifest(graph, data, board)
    info["library"] = {"name": name, "arena": "external" if arena_external else "static", "header": f"include/{api.header}",
                       "sources": [f"src/{s}" for s in sources], "defines": dict(build_defines(graph, board)),
                       "renamed_symbols": len(symbols),
                       # the target features its kernels need (ISA_MACROS' keys) and the C library's math functions it calls
                       "isa": list(needs),
                       "libm": libm,
                       # NAME_invoke()'s deepest chain of frames as the board's compiler builds it (None: no compiler)
                       "stack_bytes": stack.bytes if stack else None,
                       "stack_outside": stack.outside if stack else []}
    return info


__all__ = ["build_defines", "check_library_graph", "check_library_name", "check_library_options", "defined_symbols",
           "write_library"]
