"""The kernels' place on disk (tinygen.resources.firmware_path): firmware/kernels/ holds one folder
per operator family, a generated project one flat tinygen/kernels/, and everything that names a
kernel file names it flat, as `kernels/<file>`. Every file of a family is reachable by that name,
no two families hold the same name, and every name a kernel spec (or codegen) uses resolves."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tinygen.codegen.bias_shift import BIAS_SHIFT
from tinygen.codegen.emit import LAYER_CODE
from tinygen.codegen.kernel_files import kernel_files
from tinygen.codegen.sign_add import SIGN_DEFINES
from tinygen.kernels.specialize import INLINE
from tinygen.kernels.table import KERNELS
from tinygen.resources import data_dir, firmware_path, kernel_families, kernel_paths

KERNELS_DIR = data_dir("firmware") / "kernels"
ON_DISK = sorted(p for p in KERNELS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def _named_by_specs() -> set[str]:
    """Every firmware file (relative to firmware/) the kernel specs and codegen name."""
    named = {"kernels/tg_kernels.h", "kernels/tg_requant.h"}           # every generated model's
    for spec in KERNELS:
        named |= {spec.source, *spec.calls, *spec.headers}
    named |= {inline.header for inline in INLINE.values()}
    named |= {define.header for define in (*SIGN_DEFINES, BIAS_SHIFT)}
    named |= {header for header, _ in LAYER_CODE.values()}
    return named - {""}


def test_kernel_files_sit_in_family_folders_only():
    assert ON_DISK, "no kernel files found"
    loose = [p.relative_to(KERNELS_DIR).as_posix() for p in ON_DISK if p.parent.parent != KERNELS_DIR]
    assert not loose, f"kernel files outside a family folder (firmware/kernels/<family>/<file>): {loose}"
    assert kernel_families() == sorted({p.parent for p in ON_DISK})


def test_kernel_file_names_are_unique_across_families():
    twice = {name: n for name, n in Counter(p.name for p in ON_DISK).items() if n > 1}
    assert not twice, f"file names held by more than one family (a generated project is flat): {twice}"


@pytest.mark.parametrize("path", ON_DISK, ids=lambda p: p.relative_to(KERNELS_DIR).as_posix())
def test_kernel_file_is_reachable_by_its_logical_name(path):
    assert firmware_path(f"kernels/{path.name}") == path


def test_kernel_paths_lists_every_file_by_name():
    assert kernel_paths() == sorted(ON_DISK, key=lambda p: p.name)
    assert kernel_paths("tg_*_rv32.c") == sorted((p for p in ON_DISK if p.name.endswith("_rv32.c")),
                                                 key=lambda p: p.name)


def test_every_file_a_kernel_spec_names_resolves():
    named = _named_by_specs()
    assert any(rel.startswith("kernels/") for rel in named)
    missing = sorted(rel for rel in named if not firmware_path(rel).is_file())
    assert not missing, f"kernel specs name files that resolve to nothing: {missing}"


def test_every_include_of_a_kernel_resolves_flat():
    """A generated project compiles the kernels from one folder: each quoted #include of a
    kernel file names another kernel file, whatever its family."""
    unresolved = [(p.name, name) for p in ON_DISK if p.suffix in (".c", ".h")
                  for name in INCLUDE.findall(p.read_text()) if not firmware_path(f"kernels/{name}").is_file()]
    assert not unresolved, unresolved


def test_kernel_files_follow_includes_across_families():
    """kernel_files (what a generated project copies for a kernel) finds the headers a kernel
    includes from other families by their logical names."""
    files = kernel_files(next(s for s in KERNELS if s.name == "tg_conv2d_s8_dsp"))
    assert {"kernels/tg_conv2d_s8_dsp.c", "kernels/tg_mat_mult_s8_dsp.h", "kernels/tg_dsp_s8.h",
            "kernels/tg_mat_mult_pairs_s8_dsp.h", "kernels/tg_dot_s16_s8_dsp.h"} <= files
    assert all("/" not in rel[len("kernels/"):] for rel in files if rel.startswith("kernels/"))


def test_firmware_path_leaves_other_folders_and_unknown_kernels_where_they_say():
    firmware = data_dir("firmware")
    assert firmware_path("runtime/tg_main.c") == firmware / "runtime" / "tg_main.c"
    assert firmware_path("cmsis_nn/tg_cmsis_nn.h") == firmware / "cmsis_nn" / "tg_cmsis_nn.h"
    assert firmware_path("kernels/tg_no_such_kernel.c") == firmware / "kernels" / "tg_no_such_kernel.c"
    assert not firmware_path("kernels/tg_no_such_kernel.c").exists()
