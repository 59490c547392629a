"""TG_LOWBIT_BIAS_SHIFT (tinygen/codegen/bias_shift.py): the low-bit kernels' finer bias
(acc * 2^bias_shift) is left out of a build, -DTG_LOWBIT_BIAS_SHIFT=0, only where every layer
(every switch's) whose kernel compiles tg_lowbit_bias_shift.h has bias_shift 0. Bit-exactness
with the define: the low-bit digits models' host and stand-in tests build with it
(tests/passes/test_lowbit_compile.py), the Brevitas MLPs' (k > 0) without it
(tests/toolchains/test_brevitas.py)."""

from __future__ import annotations

import re
from pathlib import Path

from tinygen.board import get_board
from tinygen.build.library import build_defines
from tinygen.codegen.bias_shift import BIAS_SHIFT, bias_shift_flags, bias_shift_left_out
from tinygen.codegen.build_flags import model_flags
from tinygen.codegen.kernel_files import kernel_files
from tinygen.compiler import compile_source, load_source
from tinygen.kernels.table import KERNELS, KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.resources import firmware_path

LOWBIT = Path(__file__).resolve().parents[2] / "examples" / "lowbit"
FLAG = "-DTG_LOWBIT_BIAS_SHIFT=0"
# the params structs declare the field; the header is the one place that shifts
DECLARING = {"kernels/tg_kernels_b1.h", "kernels/tg_kernels_subbyte.h", "kernels/tg_kernels_packed.h",
             BIAS_SHIFT.header}


def _compiled(name: str, board: str = "f746zg"):
    source = load_source(LOWBIT / f"{name}_digits.py")
    return source, compile_source(source, None, CompileOptions(features=frozenset(get_board(board).isa_features)))


def _reaching(graph):
    return [n for n in graph.nodes if n.kernel and BIAS_SHIFT.header in kernel_files(KERNELS_BY_NAME[n.kernel])]


def test_every_kernel_reading_bias_shift_compiles_the_header():
    """No kernel reads bias_shift but through tg_lowbit_bias_shift() (else the define would
    leave a k > 0 layer's shift in place while another kernel's went)."""
    readers = set()
    for spec in KERNELS:
        for rel in kernel_files(spec) - DECLARING:
            text = firmware_path(rel).read_text() if firmware_path(rel).is_file() else ""
            if "bias_shift" in text:
                readers.add(spec.name)
                assert BIAS_SHIFT.header in kernel_files(spec), (spec.name, rel)
                assert not re.search(r"tg_wrapping_shift_left\([^;]*bias_shift", text), rel
    assert {"tg_conv2d_b1_b1_s8", "tg_conv2d_b1_b1_s8_dsp", "tg_conv2d_b1_b1_s8_rv32", "tg_conv2d_s8_s4_s8",
            "tg_conv2d_u4_s4_s8_dsp"} <= readers


def test_define_where_every_reaching_layer_has_no_bias_shift():
    """The 4-bit digits model's pair kernel compiles the header with k = 0: the define goes into
    every build file's flags and a library's defines; one layer with k = 1 keeps the shift; a
    model whose kernels never compile the header passes nothing."""
    _, graph = _compiled("w4a4")
    reaching = _reaching(graph)
    assert reaching and not any(n.attrs["kparams"].get("bias_shift") for n in reaching)
    assert bias_shift_left_out(graph) and bias_shift_flags(graph) == (FLAG,)
    assert FLAG in model_flags(graph) and ("TG_LOWBIT_BIAS_SHIFT", "0") in build_defines(graph)
    shifted = graph.copy()
    node = next(n for n in shifted.nodes if n.name == reaching[-1].name)
    node.attrs["kparams"] = {**node.attrs["kparams"], "bias_shift": 1}
    assert not bias_shift_left_out(shifted) and bias_shift_flags(shifted) == ()
    assert FLAG not in model_flags(shifted)
    _, pow2 = _compiled("pow2")             # the DSP power-of-two kernel takes no bias_shift
    assert not _reaching(pow2) and bias_shift_flags(pow2) == ()

