"""The `tg libm` command in a firmware (firmware/libm/tg_libm_cmd.c; PROTOCOL.md, "The C
library's functions"): compiled in where the model's kernels call the C library's expf, tanhf,
... (tinygen.kernels.float_table.LIBM_FUNCTIONS), with exactly those functions, so that a
host can compute its reference with the device's libm (tinygen.hil.device_libm). A model
without such kernels gets neither the command nor its buffer.

    libm_functions(graph)    # ("expf", "tanhf"): the manifest's "libm"
    libm_macro(graph)        # model.h's TG_MODEL_LIBM_FUNCTIONS ("" without)
    libm_sources(graph)      # the command's C file, relative to firmware/ ([] without)
"""

from __future__ import annotations

from tinygen.ir import Graph
from tinygen.kernels.float_table import LIBM_FUNCTIONS
from tinygen.switches import switch_graphs

SOURCE = "libm/tg_libm_cmd.c"
# the order the firmware lists them in (`tg libm`)
ORDER = ("expf", "tanhf", "logf", "expm1f", "cosf", "sinf")


def libm_functions(graph: Graph) -> tuple[str, ...]:
    """The C library's float functions the kernels of any of the model's switches call."""
    used = {fn for _, g in switch_graphs(graph) for node in g.nodes for fn in LIBM_FUNCTIONS.get(node.kernel, ())}
    unknown = used - set(ORDER)
    if unknown:     # a new kernel's function: ORDER must name it (and tg_libm_cmd.c gets it from model.h)
        raise AssertionError(f"LIBM_FUNCTIONS names {sorted(unknown)}, which libm_cmd.ORDER lacks")
    return tuple(fn for fn in ORDER if fn in used)


def libm_macro(graph: Graph) -> str:
    """TG_MODEL_LIBM_FUNCTIONS' body: one TG_LIBM_FUNCTION(name) per function (tg_libm_cmd.c
    turns each into a table entry)."""
    return " ".join(f"TG_LIBM_FUNCTION({fn})" for fn in libm_functions(graph))


def libm_sources(graph: Graph) -> list[str]:
    return [SOURCE] if libm_functions(graph) else []


__all__ = ["libm_functions", "libm_macro", "libm_sources"]
